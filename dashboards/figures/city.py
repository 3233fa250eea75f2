"""The city dashboard: the townships of a region side by side, one grouped aggregate per figure."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from assessments.models import Assessment, Campaign, IndicatorScore
from indices.models import Dimension, Grade
from ledgers.compliance import COUNTED, compliance_matrix
from ledgers.models import PlanTask, Rectification
from ledgers.selectors import ledger_units_for_user
from reports.data import competition_ranks
from villages.models import AnnualTarget, AnnualTargetGrade, Township

from .expressions import (
    BIN,
    DONE,
    PROGRESS_LABELS,
    TOP,
    effective_grade_expr,
    effective_score_expr,
    previous_grade_expr,
    progress_expr,
    q2,
    score_bin_expr,
    scored_q,
    task_overdue_q,
    yoy_kind,
)


@dataclass
class TownRow:
    township: object
    campaign: Campaign | None = None
    progress: dict = field(default_factory=lambda: dict.fromkeys(PROGRESS_LABELS, 0))
    grade_counts: dict = field(default_factory=dict)  # grade name → n
    grade_targets: dict = field(default_factory=dict)  # grade name → n
    grade_codes: dict = field(default_factory=dict)  # grade name → code in this township's standard
    share_target: Decimal | None = None
    qualified: int = 0
    reviewed: int = 0
    dimension_avg: dict = field(default_factory=dict)  # dimension name → Decimal
    dimension_codes: dict = field(default_factory=dict)  # dimension name → code in this standard
    avg_score: Decimal | None = None
    histogram: dict = field(default_factory=dict)
    compliance: dict = field(default_factory=dict)  # State → n
    rectifications: dict = field(default_factory=dict)
    tasks: dict = field(default_factory=dict)
    yoy_kinds: dict = field(default_factory=dict)
    index_rank: int = 0

    @property
    def total(self):
        return sum(self.progress.values())

    @property
    def qualified_share(self):
        return q2(Decimal(self.qualified) * 100 / self.total) if self.total else None


@dataclass
class CityDashboard:
    region: object
    year: int
    towns: list
    grade_names: list  # grade names best first (union over the townships' standards)
    dimension_names: list
    top_villages: list  # [(village name, township name, final score, assessment id, township id)]


def city_dashboard(*, user, region, year, today=None):
    today = today or timezone.localdate()
    townships = list(Township.objects.filter(region=region).order_by("name"))
    towns = {t.pk: TownRow(t) for t in townships}
    # The city compares its townships' annual rounds (a 中期评估 or 试点验收 is the township's own).
    campaigns = Campaign.objects.filter(
        level=Campaign.Level.VILLAGE, kind=Campaign.Kind.ANNUAL, township__region=region, year=year
    )
    for c in campaigns:
        towns[c.township_id].campaign = c
    assessments = Assessment.objects.filter(campaign__in=campaigns, village__isnull=False)

    for r in (
        assessments.annotate(stage=progress_expr())
        .values("township_id", "stage")
        .annotate(n=Count("id"))
        .order_by()
    ):
        towns[r["township_id"]].progress[r["stage"]] += r["n"]

    grades = list(
        Grade.objects.filter(standard__campaigns__in=campaigns)
        .order_by("rank", "code")
        .values_list("standard_id", "code", "name", "rank", "counts_as_qinglian")
        .distinct()
    )
    names = {(sid, code): name for sid, code, name, _, _ in grades}
    qinglian = {(sid, code) for sid, code, _, _, q in grades if q}
    grade_names = list(dict.fromkeys(name for _, _, name, _, _ in grades))
    for row in towns.values():
        if row.campaign is not None:
            row.grade_codes = {n: code for (sid, code), n in names.items() if sid == row.campaign.standard_id}
    for r in (
        assessments.filter(status__in=DONE)
        .values("township_id", "campaign__standard_id", "final_grade")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row = towns[r["township_id"]]
        row.reviewed += r["n"]
        key = (r["campaign__standard_id"], r["final_grade"])
        if key in names:
            row.grade_counts[names[key]] = row.grade_counts.get(names[key], 0) + r["n"]
        if key in qinglian:
            row.qualified += r["n"]
    for t in AnnualTarget.objects.filter(township__region=region, year=year, kind=AnnualTarget.Kind.ANNUAL):
        towns[t.township_id].share_target = t.share_percent
    for g in AnnualTargetGrade.objects.filter(
        target__township__region=region, target__year=year, target__kind=AnnualTarget.Kind.ANNUAL
    ).values("target__township_id", "grade_name", "count"):
        towns[g["target__township_id"]].grade_targets[g["grade_name"]] = g["count"]

    dims = list(
        Dimension.objects.filter(standard__campaigns__in=campaigns)
        .order_by("sort_order", "code")
        .values_list("standard_id", "code", "name")
        .distinct()
    )
    dimension_names = list(dict.fromkeys(name for _, _, name in dims))
    for row in towns.values():
        if row.campaign is not None:
            row.dimension_codes = {n: code for sid, code, n in dims if sid == row.campaign.standard_id}
    for r in (
        IndicatorScore.objects.filter(assessment__in=assessments.filter(scored_q()))
        .values("assessment__township_id", "indicator__dimension__name")
        .annotate(total=Sum(effective_score_expr()), n=Count("assessment_id", distinct=True))
        .order_by()
    ):
        if r["n"]:
            towns[r["assessment__township_id"]].dimension_avg[r["indicator__dimension__name"]] = q2(
                r["total"] / r["n"]
            )

    for r in assessments.filter(scored_q()).values("township_id").annotate(avg=Avg("final_score")).order_by():
        towns[r["township_id"]].avg_score = q2(r["avg"])
    for r in (
        assessments.filter(scored_q())
        .annotate(b=score_bin_expr())
        .values("township_id", "b")
        .annotate(n=Count("id"))
        .order_by()
    ):
        towns[r["township_id"]].histogram[r["b"] * BIN] = r["n"]

    units = ledger_units_for_user(user).filter(township__region=region)
    matrix = compliance_matrix(units=units, year=year, today=today)
    for row in matrix.rows:
        counts = towns[row.unit.township_id].compliance
        for cell in row.cells:
            if cell.state in COUNTED:
                counts[cell.state] = counts.get(cell.state, 0) + 1

    overdue = ~Q(status=Rectification.Status.CLOSED) & Q(deadline__lt=today)
    for r in (
        Rectification.objects.filter(township__region=region)
        .values("township_id")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status=Rectification.Status.OPEN)),
            responded=Count("id", filter=Q(status=Rectification.Status.RESPONDED)),
            closed=Count("id", filter=Q(status=Rectification.Status.CLOSED)),
            overdue=Count("id", filter=overdue),
        )
        .order_by()
    ):
        towns[r.pop("township_id")].rectifications = r
    tasks = PlanTask.objects.filter(township__region=region, year=year)
    for r in tasks.values("township_id", "status").annotate(n=Count("id")).order_by():
        towns[r["township_id"]].tasks[r["status"]] = r["n"]
    for r in tasks.filter(task_overdue_q(today)).values("township_id").annotate(n=Count("id")).order_by():
        towns[r["township_id"]].tasks["overdue"] = r["n"]

    ranks = {(sid, code): rank for sid, code, _, rank, _ in grades}
    for r in (
        assessments.annotate(cur=effective_grade_expr(), prev=previous_grade_expr(year - 1))
        .values("township_id", "campaign__standard_id", "cur", "prev")
        .annotate(n=Count("id"))
        .order_by()
    ):
        sid = r["campaign__standard_id"]
        # Last year's grade is placed on this year's scale by its code.
        kind = yoy_kind(ranks.get((sid, r["prev"])), ranks.get((sid, r["cur"])))
        if kind:
            kinds = towns[r["township_id"]].yoy_kinds
            kinds[kind] = kinds.get(kind, 0) + r["n"]

    top = list(
        assessments.filter(scored_q())
        .order_by("-final_score", "township__name", "village__sort_order", "village__name")
        .values_list("village__name", "township__name", "final_score", "pk", "township_id")[:TOP]
    )
    rows = list(towns.values())
    ordered = sorted((r for r in rows if r.avg_score is not None), key=lambda r: -r.avg_score)
    for row, rank in zip(ordered, competition_ranks([r.avg_score for r in ordered]), strict=True):
        row.index_rank = rank
    for row in rows:
        for s in PlanTask.Status.values:
            row.tasks.setdefault(s, 0)
        row.tasks.setdefault("overdue", 0)
        row.tasks["total"] = sum(row.tasks[s] for s in PlanTask.Status.values)
        for key in ("total", "open", "responded", "closed", "overdue"):
            row.rectifications.setdefault(key, 0)
    return CityDashboard(
        region=region,
        year=year,
        towns=rows,
        grade_names=grade_names,
        dimension_names=dimension_names,
        top_villages=top,
    )
