"""Loads the demo townships, the sample standards, one account per role and the demo campaigns and
ledgers: every app's demo seeder in its registered order (see registry.py), in one transaction.
Idempotent: every object is found by its natural key, so running it again changes nothing but the demo
passwords."""

from types import SimpleNamespace

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from .registry import registry


@transaction.atomic
def seed_demo(password=None):
    if password:
        validate_password(password)
    demo = SimpleNamespace(password=password)
    for seed in registry.demo_seeders():
        seed(demo)
    return demo.accounts
