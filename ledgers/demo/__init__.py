"""Demo ledgers, plan tasks and rectification items of every demo township, for every demo year (2024,
2025 and the current year; ledgers also for 2023, where 2025's three-year history starts): each unit's
monthly ledgers from April (mostly on time, some late, a few missing, many zero reports), problems with
their deductions (a village's confirmed deductions stay within 1 point a year, so no demo grade moves),
the plan's eight tasks with the units' monthly progress (and, for 三管镇 and 鲍沟镇, the seeds' own task
lists: see seed_plans.py), and rectification items in every state from the
ledgers, the township review and the city's feedback.

Deterministic (a seeded random per township and year). A township that already has ledgers is left as
it is, so running seed_demo again creates nothing.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership

from ..models import LedgerSubmission
from .base import DemoTownship, demo_years, ledger_years, recompute
from .monthly import seed_monthly
from .rectifications import seed_rectifications
from .seed_plans import seed_plan
from .tasks import seed_tasks

__all__ = ["demo_years", "ledger_years", "seed_demo_ledgers", "seed_ledgers"]


@transaction.atomic
def seed_ledgers(*, township, reviewer, reporters=None, today=None):
    """The township's demo ledgers, tasks and rectifications; nothing when it has ledgers already.
    `reporters` ({unit id: user}) report the units' task progress. Returns the number of ledgers made."""
    if LedgerSubmission.objects.filter(unit__township=township).exists():
        return 0
    today = today or timezone.localdate()
    t = DemoTownship(township, reviewer, reporters or {}, today)
    made = 0
    for year in ledger_years(today):
        made += seed_monthly(t, year)
    for year in demo_years(today):
        seed_tasks(t, year)
    seed_plan(t)
    seed_rectifications(t)
    recompute(t)
    return made


def seed_demo_ledgers(demo):
    """Demo seeder (see portal/registry.py): every demo township's ledgers, tasks and rectifications,
    after its campaigns (confirmed deductions and review items refer to them)."""
    users = demo.users
    staff = users["demo_unit"]
    reporters = {m.unit_id: staff for m in Membership.objects.filter(user=staff, unit__isnull=False)}
    for township, reviewer in (
        (demo.baogou, users["demo_jiwei"]),
        (demo.yangzhuang, users["demo_yangzhuang"]),
        (demo.sanguan, users["demo_sanguan"]),
    ):
        seed_ledgers(township=township, reviewer=reviewer, reporters=reporters)
