"""The measures of computed township indicators that the ledgers and rectifications hold.

Ledger months follow ledgers/compliance.py: months from April are assessed, each due on the township's
`ledger_due_day` of the following month, judged on local calendar dates; a month counts once its due day
has passed on the day of the computation. One aggregate query per measure (plus one count of units):
the on-time test is a fixed OR over at most nine months, not a loop over submissions.
"""

import datetime as dt

from django.db.models import Count, F, Q

from assessments.computed import end_of_day
from indices.formulas import Figure, register_measure
from villages.models import ResponsibleUnit

from .compliance import LEDGER_START_MONTH, due_date
from .models import LedgerSubmission, Rectification


def _ledger_counts(scope):
    """{expected, on_time, late, missing} over the township's units and the due months of the year."""
    if "ledger" in scope.cache:
        return scope.cache["ledger"]
    due_day = scope.township.ledger_due_day
    months = [m for m in range(LEDGER_START_MONTH, 13) if due_date(scope.year, m, due_day) < scope.as_of]
    units = ResponsibleUnit.objects.filter(township=scope.township).count()
    on_time = Q(pk__in=[])
    for m in months:
        on_time |= Q(month=m, submitted_at__lt=end_of_day(due_date(scope.year, m, due_day)))
    got = LedgerSubmission.objects.filter(
        unit__township=scope.township, year=scope.year, month__in=months, submitted_at__isnull=False
    ).aggregate(submitted=Count("pk"), on_time=Count("pk", filter=on_time))
    expected = units * len(months)
    counts = {
        "expected": expected,
        "on_time": got["on_time"],
        "late": got["submitted"] - got["on_time"],
        "missing": expected - got["submitted"],
        "period": _period(scope.year, months),
    }
    scope.cache["ledger"] = counts
    return counts


def _period(year, months):
    if not months:
        return f"{year}年（尚无到期月份）"
    return f"{year}年{months[0]}–{months[-1]}月台账"


def ledger_late(scope):
    c = _ledger_counts(scope)
    return Figure(c["late"], c["expected"], c["period"])


def ledger_missing(scope):
    c = _ledger_counts(scope)
    return Figure(c["missing"], c["expected"], c["period"])


def ledger_on_time_share(scope):
    c = _ledger_counts(scope)
    return Figure(c["on_time"], c["expected"], c["period"])


def _rectification_counts(scope):
    """Items of the township due in the year up to the day before the computation."""
    if "rectification" in scope.cache:
        return scope.cache["rectification"]
    end = min(dt.date(scope.year, 12, 31), scope.as_of - dt.timedelta(days=1))
    closed = Q(status=Rectification.Status.CLOSED)
    got = Rectification.objects.filter(
        township=scope.township, deadline__gte=dt.date(scope.year, 1, 1), deadline__lte=end
    ).aggregate(
        due=Count("pk"),
        closed=Count("pk", filter=closed),
        on_time=Count("pk", filter=closed & Q(closed_on__lte=F("deadline"))),
    )
    got["period"] = (
        f"整改时限在{scope.year}年1月1日至{end.month}月{end.day}日" if end.year == scope.year else ""
    )
    scope.cache["rectification"] = got
    return got


def rectifications_closed_on_time_share(scope):
    c = _rectification_counts(scope)
    return Figure(c["on_time"], c["due"], c["period"])


def rectifications_closed_share(scope):
    c = _rectification_counts(scope)
    return Figure(c["closed"], c["due"], c["period"])


def register():
    for fn in (
        ledger_late,
        ledger_missing,
        ledger_on_time_share,
        rectifications_closed_on_time_share,
        rectifications_closed_share,
    ):
        register_measure(fn.__name__, fn)
