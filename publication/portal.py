"""What publication contributes to the portal (see portal/registry.py)."""

from .demo import seed_demo_publications

# after the campaigns and ledgers, before the villagers' messages (feedback, 60) that need a published card
DEMO = [(55, seed_demo_publications)]
