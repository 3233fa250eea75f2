"""Who reported the monthly ledger on time (按时), late (逾期) or not at all (未报).

A month's ledger is due on the township's `ledger_due_day` of the FOLLOWING month, judged on calendar
dates in the project's time zone (Asia/Shanghai): a ledger submitted at 23:30 on the due day is on
time, one at 00:10 the next day is late. The state logic is pure; `compliance_matrix` runs one query
for all submissions of the year, so the page's query count does not grow with the number of units.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Count
from django.utils import timezone

from .models import LedgerSubmission

# The plan's rule (DOMAIN.md): "From April, by the 2nd of each month, each unit submits the previous
# month's ledger". Months before April of a year are not assessed and show as 不适用.
LEDGER_START_MONTH = 4
HISTORY_YEARS = 3


class State(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    ZERO = "zero"
    NOT_DUE = "not_due"
    NOT_APPLICABLE = "na"

    @property
    def label(self):
        return LABELS[self]

    @property
    def css(self):
        return CSS[self]

    @property
    def badge(self):
        return BADGE[self]


LABELS = {
    State.ON_TIME: "按时",
    State.LATE: "逾期",
    State.MISSING: "未报",
    State.ZERO: "零报告",
    State.NOT_DUE: "未到期",
    State.NOT_APPLICABLE: "不适用",
}
CSS = {
    State.ON_TIME: "table-success",
    State.LATE: "table-warning",
    State.MISSING: "table-danger",
    State.ZERO: "table-info",
    State.NOT_DUE: "table-light",
    State.NOT_APPLICABLE: "text-muted",
}
# the same colours for the legend and the totals (table-* classes only colour table cells)
BADGE = {
    State.ON_TIME: "bg-success-subtle",
    State.LATE: "bg-warning-subtle",
    State.MISSING: "bg-danger-subtle",
    State.ZERO: "bg-info-subtle",
    State.NOT_DUE: "bg-light",
    State.NOT_APPLICABLE: "bg-white text-muted",
}
COUNTED = (State.ON_TIME, State.ZERO, State.LATE, State.MISSING, State.NOT_DUE)


def due_date(year, month, due_day):
    """The day the ledger of (year, month) is due: `due_day` of the following month."""
    if month == 12:
        return dt.date(year + 1, 1, due_day)
    return dt.date(year, month + 1, due_day)


def ledger_state(*, year, month, due_day, submitted_at, zero_report, today):
    if month < LEDGER_START_MONTH:
        return State.NOT_APPLICABLE
    due = due_date(year, month, due_day)
    if submitted_at is not None:
        if timezone.localtime(submitted_at).date() > due:
            return State.LATE
        return State.ZERO if zero_report else State.ON_TIME
    return State.MISSING if today > due else State.NOT_DUE


@dataclass
class Cell:
    month: int
    state: State
    submitted_at: dt.datetime | None = None


@dataclass
class Row:
    unit: object
    cells: list = field(default_factory=list)


@dataclass
class Matrix:
    year: int
    rows: list
    totals: dict  # State → count over the matrix
    history: list  # [(year, {State: count})], newest first


def _submitted(units, years):
    """{(unit_id, year, month): (submitted_at, zero_report)} in ONE query."""
    rows = LedgerSubmission.objects.filter(
        unit__in=[u.pk for u in units], year__in=years, submitted_at__isnull=False
    ).values_list("unit_id", "year", "month", "submitted_at", "zero_report")
    return {(u, y, m): (at, zero) for u, y, m, at, zero in rows}


def _year_cells(unit, year, due_day, submitted, today):
    cells = []
    for month in range(1, 13):
        at, zero = submitted.get((unit.pk, year, month), (None, False))
        state = ledger_state(
            year=year, month=month, due_day=due_day, submitted_at=at, zero_report=zero, today=today
        )
        cells.append(Cell(month, state, at))
    return cells


def compliance_matrix(*, units, year, today=None):
    """Units (already scoped, each with .township loaded) × the 12 months of `year`."""
    today = today or timezone.localdate()
    units = list(units)
    years = list(range(year - HISTORY_YEARS + 1, year + 1))
    submitted = _submitted(units, years)
    rows, totals = [], dict.fromkeys(COUNTED, 0)
    history = {y: dict.fromkeys(COUNTED, 0) for y in years}
    for unit in units:
        due_day = unit.township.ledger_due_day
        for y in years:
            cells = _year_cells(unit, y, due_day, submitted, today)
            for cell in cells:
                if cell.state in history[y]:
                    history[y][cell.state] += 1
            if y == year:
                rows.append(Row(unit, cells))
                for cell in cells:
                    if cell.state in totals:
                        totals[cell.state] += 1
    return Matrix(year, rows, totals, [(y, history[y]) for y in reversed(years)])


def compliance_counts_by_township(*, units, year, today=None):
    """{township id: {State: count}} over the 12 months of `year` for the (scoped) units: the same
    states as compliance_matrix, for pages that show only the counts (the city dashboard).

    Two queries whatever the number of units: the units counted per township, and the year's
    submissions selected through the units' query as a subquery (never a list of literal ids); a
    unit-month without a submission is missing or not yet due."""
    today = today or timezone.localdate()
    per_town = {
        t: (n, due_day)
        for t, due_day, n in units.order_by()
        .values_list("township_id", "township__ledger_due_day")
        .annotate(n=Count("id"))
        .values_list("township_id", "township__ledger_due_day", "n")
    }
    out = {t: dict.fromkeys(COUNTED, 0) for t in per_town}
    submitted = defaultdict(int)  # (township, month) → units with a submission
    for town, month, at, zero in LedgerSubmission.objects.filter(
        unit__in=units.order_by().values("pk"), year=year, submitted_at__isnull=False
    ).values_list("unit__township_id", "month", "submitted_at", "zero_report"):
        if town not in per_town or month < LEDGER_START_MONTH:
            continue
        state = ledger_state(
            year=year, month=month, due_day=per_town[town][1], submitted_at=at, zero_report=zero, today=today
        )
        out[town][state] += 1
        submitted[(town, month)] += 1
    for town, (n, due_day) in per_town.items():
        for month in range(LEDGER_START_MONTH, 13):
            absent = n - submitted[(town, month)]
            if absent:
                state = ledger_state(
                    year=year, month=month, due_day=due_day, submitted_at=None, zero_report=False, today=today
                )
                out[town][state] += absent
    return out
