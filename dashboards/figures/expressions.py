"""What every figure shares: the expressions that classify an assessment (progress stage, effective
grade, score bin) for the drill-down lists, twins of the Python classifiers in assessments.readmodels
that the figures count with, and the small helpers both dashboards use."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    DecimalField,
    F,
    Q,
    Value,
    When,
)

from assessments.models import Assessment
from ledgers.models import PlanTask

S = Assessment.Status
DEC = DecimalField(max_digits=9, decimal_places=2)
ZERO = Decimal("0")
BIN = 5  # score histogram bin width (points)
WEAKEST = 5  # weakest villages shown per dimension
TOP = 10  # ranking rows shown on the dashboard

# --- progress stages (assessments.readmodels.progress_stage is the Python twin the figures count with) ----------------------------------------------------------------------------------

PROGRESS = [
    ("not_started", "未开始"),
    ("drafting", "填报中"),
    ("submitted", "已提交"),
    ("returned", "已退回"),
    ("reviewed", "已初审"),
    ("graded", "已定级"),
]
PROGRESS_LABELS = dict(PROGRESS)
DONE = (S.REVIEWED, S.CONFIRMED)


def progress_expr():
    """The dashboard's progress stage of an assessment, as SQL."""
    return Case(
        When(status=S.DRAFT, started_at__isnull=True, then=Value("not_started")),
        When(status=S.DRAFT, then=Value("drafting")),
        When(status__in=[S.SUBMITTED, S.FORWARDED, S.IN_REVIEW], then=Value("submitted")),
        When(status=S.RETURNED, then=Value("returned")),
        When(status=S.REVIEWED, then=Value("reviewed")),
        When(status=S.CONFIRMED, then=Value("graded")),
        default=Value(""),
        output_field=CharField(),
    )


def scored_q(prefix=""):
    """Assessments that count for scores: every one except those not started yet (their 0 is no score)."""
    return ~Q(**{f"{prefix}status": S.DRAFT, f"{prefix}started_at__isnull": True})


def effective_grade_expr():
    """The grade that stands (the city's decision for a candidate, else the township's), or '' while
    the assessment is not reviewed."""
    return Case(
        When(~Q(status__in=DONE), then=Value("")),
        When(~Q(city_grade=""), then=F("city_grade")),
        default=F("final_grade"),
        output_field=CharField(),
    )


def q2(value):
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def yoy_kind(prev_rank, cur_rank):
    """'up' / 'same' / 'down' / 'new' (no grade last year) / '' (no grade yet this year)."""
    if cur_rank is None:
        return ""
    if prev_rank is None:
        return "new"
    if cur_rank < prev_rank:
        return "up"
    return "same" if cur_rank == prev_rank else "down"


YOY_LABELS = {"up": "提升", "same": "持平", "down": "下降", "new": "新定级"}


def task_overdue_q(today):
    return Q(deadline__lt=today) & ~Q(status__in=[PlanTask.Status.DONE, PlanTask.Status.ONGOING])
