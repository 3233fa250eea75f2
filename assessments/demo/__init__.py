"""Demo campaigns of the 滕州市 townships: 2024 confirmed (history, city decisions), 2025 under way.

鲍沟镇 2025 is laid out for the README's walkthrough: the demo accounts' village is a blank draft, two
more villages of its party branch wait for the branch secretary, three villages are in the reviewer's
queue (two 已报镇街, one half reviewed) and all the others are reviewed, so the walkthrough ends with the
grades confirmed. No village is left in a state only a village without accounts could leave. If the demo
village is graded 示范村 (as it is with full marks) and the queue is reviewed as self-assessed, the
distribution meets the year's target exactly (10/43/13, 示范村 counted with 2024's). 羊庄镇 2025 needs only
its reviewer: its last six villages are in the queue.

Scores are generated deterministically so that each year lands on the plan's distribution; nothing here
is real data. Idempotent: a campaign that exists is left as it is.
"""

from django.db import transaction

from ..models import Campaign
from .batch import set_state
from .rounds import seed_midterm, seed_pilot
from .scores import set_scores
from .years import PLANS, seed_2024, seed_2025

# The browser test of the whole cycle builds its own campaign with these.
_set_scores, _set_state = set_scores, set_state

__all__ = ["PLANS", "seed_campaigns", "seed_demo_campaigns"]


@transaction.atomic
def seed_campaigns(*, township, village_standard, committee, supervisor, city_user=None):
    """The township's 2024 and 2025 campaigns (a missing one is made; an existing one is left)."""
    plan = PLANS[township.name]
    made = []
    annual = Campaign.objects.filter(
        township=township, level=Campaign.Level.VILLAGE, kind=Campaign.Kind.ANNUAL
    )
    if not annual.filter(year=2024).exists():
        made.append(seed_2024(plan, township, village_standard, committee, supervisor))
    if not annual.filter(year=2025).exists():
        made.append(seed_2025(plan, township, village_standard, committee, supervisor))
    return made


def seed_demo_campaigns(demo):
    """Demo seeder (see portal/registry.py): the 滕州市 townships' campaigns, after standards and
    accounts. The villages' paperwork is signed by the demo village accounts (the demo has no others)."""
    users = demo.users
    for township in (demo.baogou, demo.yangzhuang):
        seed_campaigns(
            township=township,
            village_standard=demo.standards[0],
            committee=users["demo_village"],
            supervisor=users["demo_supervisor"],
        )
    # Evaluation rounds beside the annual one (issue 14): a 中期评估 and a 试点验收.
    paperwork = {"committee": users["demo_village"], "supervisor": users["demo_supervisor"]}
    seed_midterm(demo.sanguan, demo.standards[0], actor=users.get("demo_sanguan"), **paperwork)
    seed_pilot(demo.yangzhuang, demo.standards[0], actor=users.get("demo_yangzhuang"), **paperwork)
