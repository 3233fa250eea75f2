"""The city dashboard: the townships of a region side by side, read from one summary row per township
(assessments.readmodels) and a few grouped aggregates of the ledger tables."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from assessments.models import Assessment, Campaign, CampaignSummary
from assessments.readmodels import average, yoy_pair
from indices.models import Dimension, Grade
from ledgers.compliance import compliance_counts_by_township
from ledgers.models import PlanTask, Rectification
from ledgers.selectors import ledger_units_for_user
from reports.data import competition_ranks
from villages.models import AnnualTarget, AnnualTargetGrade, Township

from .expressions import PROGRESS_LABELS, TOP, q2, task_overdue_q, yoy_kind


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
    """The townships side by side: the round figures from one CampaignSummary per township (read
    models kept on write), the ledger figures from grouped aggregates; never the score lines."""
    today = today or timezone.localdate()
    townships = list(Township.objects.filter(region=region).order_by("name"))
    towns = {t.pk: TownRow(t) for t in townships}
    # The city compares its townships' annual rounds (a 中期评估 or 试点验收 is the township's own).
    campaigns = list(
        Campaign.objects.filter(
            level=Campaign.Level.VILLAGE, kind=Campaign.Kind.ANNUAL, township__region=region, year=year
        ).select_related("summary")
    )
    summaries = {}
    for c in campaigns:
        towns[c.township_id].campaign = c
        summaries[c.township_id] = getattr(c, "summary", None) or CampaignSummary(campaign=c)
    standards = {c.standard_id for c in campaigns}

    grades = list(
        Grade.objects.filter(standard_id__in=standards)
        .order_by("rank", "code")
        .values_list("standard_id", "code", "name", "rank", "counts_as_qinglian")
    )
    names = {(sid, code): name for sid, code, name, _, _ in grades}
    qinglian = {(sid, code) for sid, code, _, _, q in grades if q}
    grade_names = list(dict.fromkeys(name for _, _, name, _, _ in grades))
    ranks = {(sid, code): rank for sid, code, _, rank, _ in grades}
    dims = list(
        Dimension.objects.filter(standard_id__in=standards)
        .order_by("sort_order", "code")
        .values_list("standard_id", "code", "name")
    )
    dimension_names = list(dict.fromkeys(name for _, _, name in dims))
    dim_names = {(sid, code): name for sid, code, name in dims}
    top = []
    for town_id, summary in summaries.items():
        row = towns[town_id]
        sid = row.campaign.standard_id
        row.grade_codes = {n: code for (s, code), n in names.items() if s == sid}
        row.dimension_codes = {n: code for s, code, n in dims if s == sid}
        for stage, n in summary.progress.items():
            row.progress[stage] += n
        for code, n in summary.grades.items():
            row.reviewed += n
            key = (sid, code)
            if key in names:
                row.grade_counts[names[key]] = row.grade_counts.get(names[key], 0) + n
            if key in qinglian:
                row.qualified += n
        for code, (total, n) in summary.dimensions.items():
            if n and (sid, code) in dim_names:
                row.dimension_avg[dim_names[(sid, code)]] = average(total, n)
        row.avg_score = average(summary.score_total, summary.scored)
        row.histogram = {int(b): n for b, n in sorted(summary.histogram.items(), key=lambda kv: int(kv[0]))}
        for key, n in summary.yoy.items():
            prev, cur = yoy_pair(key)
            # Last year's grade is placed on this year's scale by its code.
            kind = yoy_kind(ranks.get((sid, prev)), ranks.get((sid, cur)))
            if kind:
                row.yoy_kinds[kind] = row.yoy_kinds.get(kind, 0) + n
        top += [
            (Decimal(score), row.township.name, order, name, pk) for score, order, name, pk in summary.top
        ]
    top.sort(key=lambda t: (-t[0], t[1], t[2], t[3]))
    best = [t[4] for t in top[:TOP]]
    live = {
        pk: (vname, tname, score, pk, tid)
        for pk, vname, tname, score, tid in Assessment.objects.filter(pk__in=best).values_list(
            "pk", "village__name", "township__name", "final_score", "township_id"
        )
    }
    top_villages = [live[pk] for pk in best if pk in live]

    for t in AnnualTarget.objects.filter(township__region=region, year=year, kind=AnnualTarget.Kind.ANNUAL):
        towns[t.township_id].share_target = t.share_percent
    for g in AnnualTargetGrade.objects.filter(
        target__township__region=region, target__year=year, target__kind=AnnualTarget.Kind.ANNUAL
    ).values("target__township_id", "grade_name", "count"):
        towns[g["target__township_id"]].grade_targets[g["grade_name"]] = g["count"]

    units = ledger_units_for_user(user).filter(township__region=region)
    for town_id, counts in compliance_counts_by_township(units=units, year=year, today=today).items():
        if town_id in towns:
            towns[town_id].compliance = {state: n for state, n in counts.items() if n}

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
        top_villages=top_villages,
    )
