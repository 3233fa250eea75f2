"""Reads of the monthly ledgers, scoped to the user. Out of scope is the same 404 as missing.

Unit staff see their own units' ledgers; township reviewers and leaders every unit of their townships;
the city office its region; the administrator everything (access.table).
"""

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, OuterRef, Prefetch, Q, Subquery, Value, When
from django.http import Http404
from django.utils import timezone

from access.checks import access_by_id, get_or_404
from access.roles import Cap, Side
from access.scope import scope_for
from assessments.models import Campaign
from common.dataversion import versioned
from indices.models import Indicator
from villages.models import ResponsibleUnit, Township

from .models import (
    LedgerEntry,
    LedgerSubmission,
    PlanSubTask,
    PlanTask,
    Rectification,
    RectificationEvidence,
    TaskProgress,
    TaskProgressEvidence,
)
from .workflow import TRANSITIONS, overdue_case


def _unit_q(scope, prefix=""):
    return scope.unit_q(Cap.LEDGER_VIEW, prefix=prefix)


def ledger_units_for_user(user):
    """Units whose ledgers the user may read."""
    return (
        ResponsibleUnit.objects.filter(_unit_q(scope_for(user)))
        .select_related("township")
        .order_by("township_id", "sort_order", "name")
    )


def ledger_townships_for_user(user):
    """(id, name) of the townships of the units whose ledgers the user may read, by name (for a city
    office, once per data version of its regions: a province's 667 townships of 10,000 units)."""
    units = ResponsibleUnit.objects.filter(_unit_q(scope_for(user))).values("township_id")
    return region_cached(
        user,
        Cap.LEDGER_VIEW,
        ("ledger-townships",),
        lambda: list(Township.objects.filter(pk__in=units).order_by("name").values_list("pk", "name")),
    )


def ledger_unit_get_for_user(user, pk):
    try:
        return ledger_units_for_user(user).get(pk=pk)
    except (ResponsibleUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ledger_list_for_user(user):
    """Ledgers in scope, newest first, without per-ledger aggregates: the list pages them first and counts
    only the page's entries (ledger_entry_counts). Grouping every entry of a city's history for each
    page took 2 s at 50,000 villages (issue 16)."""
    q = _unit_q(scope_for(user), prefix="unit__")
    return (
        LedgerSubmission.objects.filter(q)
        .select_related("unit", "unit__township")
        .order_by("-year", "-month", "unit__township_id", "unit__sort_order", "unit__name")
    )


def ledger_entry_counts(ledgers):
    """Set `row_count` and `problem_count` on these ledgers (already scoped) in one grouped query."""
    ledgers = list(ledgers)
    counts = {
        row["submission_id"]: row
        for row in LedgerEntry.objects.filter(submission__in=[lg.pk for lg in ledgers])
        .values("submission_id")
        .annotate(rows=Count("pk"), problems=Count("pk", filter=~Q(level="")))
        .order_by()
    }
    for lg in ledgers:
        row = counts.get(lg.pk, {})
        lg.row_count, lg.problem_count = row.get("rows", 0), row.get("problems", 0)
    return ledgers


def ledger_for_unit_month(unit, year, month):
    """The unit's ledger of that month (already scope-checked through the unit), or None."""
    return LedgerSubmission.objects.filter(unit=unit, year=year, month=month).first()


def entry_get_for_user(user, pk):
    try:
        return LedgerEntry.objects.select_related("submission__unit__township", "village").get(
            pk=pk, submission__unit__in=ledger_units_for_user(user).values("pk")
        )
    except (LedgerEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ledger_standard_for_township(township):
    """The village-level standard of the township's newest campaign, or None before any campaign: of
    the newest year's rounds the annual one (ledger rows cite the year's indicators)."""
    annual_first = Case(When(kind=Campaign.Kind.ANNUAL, then=Value(0)), default=Value(1))
    campaign = (
        Campaign.objects.filter(township=township, level=Campaign.Level.VILLAGE)
        .select_related("standard")
        .order_by("-year", annual_first, "-pk")
        .first()
    )
    return campaign.standard if campaign else None


def indicator_codes_for_township(township):
    """Indicator codes a ledger row may cite; None means no standard yet (codes are not checked)."""
    standard = ledger_standard_for_township(township)
    if standard is None:
        return None
    return list(Indicator.objects.filter(standard=standard).values_list("code", flat=True))


def township_choices_for_compliance(user):
    """Townships whose whole matrix the user sees, plus those of the user's own units."""
    scope = scope_for(user)
    # the own units' townships as a subquery: a join to the units inside the OR multiplied every township
    # by its units and needed DISTINCT over the result (issue 16)
    own_units = ResponsibleUnit.objects.filter(pk__in=scope.held(Cap.LEDGER_VIEW, "unit")).values(
        "township_id"
    )
    q = scope.township_q(Cap.LEDGER_VIEW) | Q(pk__in=own_units)
    return Township.objects.filter(q).order_by("region__name", "name")


# ---- rectification items ----------------------------------------------------------------------------


def rectification_list_for_user(user, *, today=None):
    scope = scope_for(user)
    return (
        Rectification.objects.filter(scope.village_q(Cap.RECTIFY_VIEW, prefix="village__"))
        .select_related("village", "township")
        .annotate(is_overdue=overdue_case(today))
    )


def _rectification_counts(items):
    return items.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status=Rectification.Status.OPEN)),
        responded=Count("id", filter=Q(status=Rectification.Status.RESPONDED)),
        closed=Count("id", filter=Q(status=Rectification.Status.CLOSED)),
        overdue=Count("id", filter=Q(is_overdue=True)),
    )


def region_cached(user, cap, parts, build):
    """build() for a user whose `cap` reaches whole regions only (a city office): cached under those
    regions' data versions, which the ledger, rectification and task writes renew, and today's date.
    A city's lists count its whole history (131,055 整改 at province scale, 74 ms to count). Narrower
    reaches, and the administrator's, call build() each time: their counts are small or rare."""
    regions = scope_for(user).whole_regions_only(cap)
    if not regions:
        return build()
    return versioned(
        regions=regions,
        parts=(cap, timezone.localdate(), *sorted(regions), *parts),
        build=build,
    )


def rectification_counts(user, items, *, township=None):
    """The status counts above the list of `items` (the user's items, of one township or all)."""
    if township is not None:
        return _rectification_counts(items)
    return region_cached(
        user, Cap.RECTIFY_VIEW, ("rectification-counts",), lambda: _rectification_counts(items)
    )


def rectification_get_for_user(user, pk, *, today=None):
    try:
        return rectification_list_for_user(user, today=today).get(pk=pk)
    except (Rectification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def rectification_side(user, item):
    """Which side of the table the user holds for this item (None if neither)."""
    sides = scope_for(user).sides("rectification", item)
    for side in (Side.REVIEWER, Side.SELF):
        if side in sides:
            return side
    return None


def rectification_available(user, item):
    """The transitions whose buttons the user gets on this item."""
    side = rectification_side(user, item)
    return [t for t in TRANSITIONS if t.source == item.status and t.side == side]


def rectification_evidence_get_for_user(user, pk):
    """A response file, through the rectification scope: out of scope answers 404 like missing."""
    try:
        evidence = RectificationEvidence.objects.select_related("rectification").get(pk=pk)
    except (RectificationEvidence.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    rectification_get_for_user(user, evidence.rectification_id)
    return evidence


def access_rectification_by_id(user, pk, *, need=None, request=None, today=None):
    """(item, sides): SELF answers it (the village's 两委), REVIEWER verifies it (the township)."""
    return access_by_id(
        user, rectification_list_for_user(user, today=today), pk, entity="rectification", need=need,
        request=request,
    )  # fmt: skip


# ---- plan tasks ---------------------------------------------------------------------------------------


def task_townships_q(scope, prefix=""):
    """Townships whose task list the user sees: township-wide roles, plus the townships of their units."""
    return scope.touched_township_q(Cap.TASKS_VIEW, prefix=prefix)


def task_townships_for_user(user):
    """(id, name) of the townships whose tasks the user sees, by name."""
    scope = scope_for(user)
    return region_cached(
        user,
        Cap.TASKS_VIEW,
        ("task-townships",),
        lambda: list(
            Township.objects.filter(task_townships_q(scope)).order_by("name").values_list("pk", "name")
        ),
    )


def task_list_for_user(user):
    scope = scope_for(user)
    latest = TaskProgress.objects.filter(task=OuterRef("pk")).order_by("-year", "-month", "-pk")
    return (
        PlanTask.objects.filter(task_townships_q(scope, "township__"))
        .select_related("township")
        .prefetch_related("units")
        .annotate(latest_text=Subquery(latest.values("text")[:1]))
        .annotate(latest_year=Subquery(latest.values("year")[:1]))
        .annotate(latest_month=Subquery(latest.values("month")[:1]))
    )


def _task_detail_queryset(user):
    progress = (
        TaskProgress.objects.select_related("unit", "reported_by", "subtask__village", "subtask__branch")
        .prefetch_related("evidence")
        .order_by("-year", "-month", "unit__name")
    )
    subtasks = PlanSubTask.objects.select_related("village", "branch").order_by(
        "village__sort_order", "village__name", "branch__sort_order", "branch__name"
    )
    return task_list_for_user(user).prefetch_related(
        Prefetch("progress", queryset=progress), Prefetch("subtasks", queryset=subtasks)
    )


def task_get_for_user(user, pk):
    return get_or_404(_task_detail_queryset(user), pk)


def reporting_units(user, task):
    """The task's responsible units for which the user is unit staff."""
    mine = scope_for(user).held(Cap.TASKS_REPORT, "unit")
    return [u for u in task.units.all() if u.pk in mine]


def access_task_by_id(user, pk, *, need=None, request=None):
    """(task, sides of its township): REVIEWER manages the township's task list."""
    return access_by_id(
        user, _task_detail_queryset(user), pk, entity="township", subject=lambda t: t.township, need=need,
        request=request,
    )  # fmt: skip


def access_unit_by_id(user, pk, *, need=None, request=None):
    """(unit, sides): UNIT keeps the unit's ledger; REVIEWER (the township) confirms its deductions."""
    return access_by_id(user, ledger_units_for_user(user), pk, entity="unit", need=need, request=request)


def subtasks_of_user_q(user):
    """The sub-tasks the user reports on: its own village's (村两委) and its own 党总支's."""
    scope = scope_for(user)
    if scope.everywhere:
        return Q()
    return Q(village_id__in=scope.held(Cap.SUBTASKS_REPORT, "village")) | Q(
        branch_id__in=scope.held(Cap.SUBTASKS_REPORT, "branch")
    )


def subtask_list_for_user(user):
    latest = TaskProgress.objects.filter(subtask=OuterRef("pk")).order_by("-year", "-month", "-pk")
    return (
        PlanSubTask.objects.filter(subtasks_of_user_q(user))
        .select_related("task", "task__township", "village", "branch")
        .annotate(latest_text=Subquery(latest.values("text")[:1]))
        .annotate(latest_year=Subquery(latest.values("year")[:1]))
        .annotate(latest_month=Subquery(latest.values("month")[:1]))
    )


def subtask_get_for_user(user, pk):
    progress = TaskProgress.objects.select_related("reported_by").prefetch_related("evidence")
    qs = subtask_list_for_user(user).prefetch_related(
        Prefetch("progress", queryset=progress.order_by("-year", "-month"))
    )
    return get_or_404(qs, pk)


def task_evidence_get_for_user(user, pk):
    """A progress report's file, for whoever sees the task (or reports on the sub-task it belongs to)."""
    tasks = task_list_for_user(user).values("pk")
    subtasks = PlanSubTask.objects.filter(subtasks_of_user_q(user)).values("pk")
    qs = TaskProgressEvidence.objects.select_related("progress__task").filter(
        Q(progress__task__in=tasks) | Q(progress__subtask__in=subtasks)
    )
    return get_or_404(qs, pk)


def monthly_sheet(user, township_id, year, month, today=None):
    """每月调度: every task of the township's year with its state and the month's reports, sub-tasks
    with theirs, and the counts (in SQL). Overdue is judged at the month's end, or today if earlier."""
    import calendar
    import datetime

    from django.utils import timezone

    from .workflow import task_overdue_case, task_overdue_q

    township = get_or_404(Township.objects.filter(task_townships_q(scope_for(user))), township_id)
    today = today or timezone.localdate()
    as_of = min(today, datetime.date(year, month, calendar.monthrange(year, month)[1]))
    reports = (
        TaskProgress.objects.filter(year=year, month=month)
        .select_related("unit", "subtask__village", "subtask__branch", "reported_by")
        .prefetch_related("evidence")
        .order_by("unit__sort_order", "unit__name", "subtask_id")
    )
    subtasks = PlanSubTask.objects.select_related("village", "branch").order_by(
        "village__sort_order", "village__name", "branch__sort_order", "branch__name"
    )
    tasks = (
        PlanTask.objects.filter(township=township, year=year)
        .annotate(overdue=task_overdue_case(as_of))
        .prefetch_related(Prefetch("progress", queryset=reports, to_attr="month_reports"))
        .prefetch_related(Prefetch("subtasks", queryset=subtasks))
        .order_by("number")
    )
    S = PlanTask.Status
    counts = PlanTask.objects.filter(township=township, year=year).aggregate(
        total=Count("pk", distinct=True),
        done=Count("pk", filter=Q(status=S.DONE), distinct=True),
        in_progress=Count("pk", filter=Q(status=S.IN_PROGRESS), distinct=True),
        not_started=Count("pk", filter=Q(status=S.NOT_STARTED), distinct=True),
        ongoing=Count("pk", filter=Q(status=S.ONGOING), distinct=True),
        closed=Count("pk", filter=Q(is_closed=True), distinct=True),
        overdue=Count("pk", filter=task_overdue_q(as_of), distinct=True),
        reported=Count("pk", filter=Q(progress__year=year, progress__month=month), distinct=True),
    )
    counts["reports"] = TaskProgress.objects.filter(
        task__township=township, task__year=year, year=year, month=month
    ).count()
    return {
        "township": township,
        "year": year,
        "month": month,
        "as_of": as_of,
        "tasks": tasks,
        "counts": counts,
    }
