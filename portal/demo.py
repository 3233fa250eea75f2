"""Loads the demo townships, the sample standards, one account per role and the demo campaigns and
ledgers: every app's demo seeder in its registered order (see registry.py), in one transaction.
Idempotent: every object is found by its natural key, so running it again changes nothing but the demo
passwords."""

from types import SimpleNamespace

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from assessments.readmodels import rebuild_read_models

from .registry import registry


@transaction.atomic
def seed_demo(password=None):
    if password:
        validate_password(password)
    demo = SimpleNamespace(password=password)
    for seed in registry.demo_seeders():
        seed(demo)
    # The seeders write states, totals and scores directly: the dashboards' read models follow once.
    rebuild_read_models()
    return demo.accounts
