"""The state one township's demo shares while it is seeded, and what the other demo modules share."""

import datetime

from django.db.models import Q
from django.utils import timezone

from assessments.models import Assessment, Campaign
from assessments.services.totals import assessment_recompute

from ..compliance import HISTORY_YEARS


def at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def demo_years(today):
    """The years the demo has: its two campaigns' years and the current one."""
    return sorted({2024, 2025, today.year})


def ledger_years(today):
    """The years with ledgers: the demo's, and the one before, because the compliance page of 2025 shows
    the last three years (a year without ledgers would show every unit 未报)."""
    years = demo_years(today)
    return list(range(years[0] - HISTORY_YEARS + 2, years[0])) + years


class DemoTownship:
    """One township being seeded: its units, the deductions confirmed so far and the problems found."""

    def __init__(self, township, reviewer, reporters, today):
        self.township, self.reviewer, self.reporters, self.today = township, reviewer, reporters, today
        self.units = list(township.units.prefetch_related("villages").order_by("sort_order"))
        self.confirmed = {}  # (village id, year) → confirmed deduction so far
        self.problems = []  # entries with a problem, in date order per year


def recompute(t):
    """Confirmed deductions count towards the year's score: recompute the assessments they touch."""
    if not t.confirmed:
        return
    touched = Q()
    for village_id, year in t.confirmed:
        touched |= Q(village_id=village_id, campaign__year=year)
    for a in Assessment.objects.filter(touched, campaign__level=Campaign.Level.VILLAGE):
        assessment_recompute(a)
