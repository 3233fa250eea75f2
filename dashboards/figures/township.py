"""The township dashboard: one grouped aggregate per figure, for the whole township or one branch."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone

from assessments.models import Assessment, Campaign, IndicatorScore
from assessments.services.grading.summary import grading_summary
from indices.models import Dimension, Grade
from ledgers.compliance import compliance_matrix
from ledgers.models import PlanTask, Rectification
from ledgers.selectors import ledger_units_for_user
from reports.data import campaign_table
from villages.models import PartyBranch

from .expressions import (
    BIN,
    DONE,
    PROGRESS_LABELS,
    TOP,
    WEAKEST,
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
class TownshipDashboard:
    township: object
    year: int
    branch: object
    campaign: Campaign | None
    branches: list
    rounds: list = field(default_factory=list)  # the year's rounds (year_rounds), one row each
    progress: dict = field(default_factory=dict)  # branch key → {stage: n}
    progress_total: dict = field(default_factory=dict)  # stage → n
    grades: list = field(default_factory=list)  # [(code, name, counts_as_qinglian)] best first
    grade_counts: dict = field(default_factory=dict)  # code → n (reviewed, in the branch if chosen)
    grade_targets: dict = field(default_factory=dict)  # code → target count (township-wide only)
    ungraded: int = 0
    summary: object = None  # grading_summary (township-wide)
    dimensions: list = field(default_factory=list)  # [(code, name, max)]
    dimension_avg: dict = field(default_factory=dict)  # code → Decimal
    weakest: dict = field(default_factory=dict)  # code → [(assessment id, village name, score)]
    histogram: dict = field(default_factory=dict)  # bin start → n
    compliance: object = None
    compliance_units: int = 0
    rectifications: dict = field(default_factory=dict)
    tasks: dict = field(default_factory=dict)  # status → n, plus "overdue"
    yoy: dict = field(default_factory=dict)  # (prev code, cur code) → n
    yoy_kinds: dict = field(default_factory=dict)  # kind → n
    ranking: list = field(default_factory=list)  # CampaignRow, top rows
    ranking_total: int = 0

    @property
    def scored(self):
        return sum(n for stage, n in self.progress_total.items() if stage != "not_started")


def village_campaign(township, year, kind=None):
    """The round of the year the dashboard shows: the one of `kind`, else the annual round (else the
    year's first round, for a township whose year holds only a pilot)."""
    qs = Campaign.objects.filter(level=Campaign.Level.VILLAGE, township=township, year=year)
    if kind:
        qs = qs.filter(kind=kind)
    annual_first = Case(When(kind=Campaign.Kind.ANNUAL, then=Value(0)), default=Value(1))
    return qs.select_related("standard").order_by(annual_first, "created_at", "pk").first()


def year_rounds(township, year):
    """The township's village-level rounds of the year with their villages counted (reviewed and
    graded 清廉村居 included), in one query: the dashboard lists them apart."""
    qinglian = Grade.objects.filter(standard=OuterRef("standard_id"), counts_as_qinglian=True).values("code")
    done = Q(assessments__status__in=DONE)
    return list(
        Campaign.objects.filter(level=Campaign.Level.VILLAGE, township=township, year=year)
        .annotate(
            n_total=Count("assessments", distinct=True),
            n_reviewed=Count("assessments", filter=done, distinct=True),
            n_qinglian=Count(
                "assessments", filter=done & Q(assessments__final_grade__in=Subquery(qinglian)), distinct=True
            ),
        )
        .order_by("created_at", "pk")
    )


def campaign_assessments(campaign, branch=None):
    qs = Assessment.objects.filter(campaign=campaign, village__isnull=False)
    if branch is not None:
        qs = qs.filter(village__branch=branch)
    return qs


def branch_key(branch_id):
    return branch_id or 0


def township_dashboard(*, user, township, year, branch=None, today=None, kind=None):

    today = today or timezone.localdate()
    campaign = village_campaign(township, year, kind)
    branches = list(PartyBranch.objects.filter(township=township).order_by("sort_order", "name"))
    d = TownshipDashboard(township=township, year=year, branch=branch, campaign=campaign, branches=branches)
    d.rounds = year_rounds(township, year)
    if campaign is not None:
        qs = campaign_assessments(campaign, branch)
        _progress(d, qs)
        d.grades = list(
            Grade.objects.filter(standard=campaign.standard)
            .order_by("rank")
            .values_list("code", "name", "counts_as_qinglian")
        )
        d.summary = grading_summary(campaign)
        if branch is None:
            d.grade_counts = {r.code: r.count for r in d.summary.rows}
            d.grade_targets = {r.code: r.target for r in d.summary.rows if r.target is not None}
            d.ungraded = d.summary.ungraded
        else:
            _grade_counts(d, qs)
        _dimensions(d, campaign, qs)
        _histogram(d, qs)
        _yoy(d, qs, campaign)
        _ranking(d, campaign, branch)
    units = ledger_units_for_user(user).filter(township=township)
    d.compliance = compliance_matrix(units=units, year=year, today=today)
    d.compliance_units = len(d.compliance.rows)
    rect = Rectification.objects.filter(township=township)
    if branch is not None:
        rect = rect.filter(village__branch=branch)
    d.rectifications = rectification_counts(rect, today)
    d.tasks = task_counts(PlanTask.objects.filter(township=township, year=year), today)
    return d


def _progress(d, qs):
    rows = (
        qs.annotate(stage=progress_expr())
        .values("village__branch_id", "stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    d.progress_total = dict.fromkeys(PROGRESS_LABELS, 0)
    for r in rows:
        per = d.progress.setdefault(branch_key(r["village__branch_id"]), dict.fromkeys(PROGRESS_LABELS, 0))
        per[r["stage"]] += r["n"]
        d.progress_total[r["stage"]] += r["n"]


def _grade_counts(d, qs):
    codes = {code for code, _, _ in d.grades}
    d.grade_counts = dict.fromkeys(codes, 0)
    for r in qs.values("status", "final_grade").annotate(n=Count("id")).order_by():
        if r["status"] in DONE and r["final_grade"] in codes:
            d.grade_counts[r["final_grade"]] += r["n"]
        else:
            d.ungraded += r["n"]


def _dimensions(d, campaign, qs):
    d.dimensions = list(
        Dimension.objects.filter(standard=campaign.standard)
        .order_by("sort_order", "code")
        .values_list("code", "name", "max_score")
    )
    scores = IndicatorScore.objects.filter(assessment__in=qs.filter(scored_q()))
    for r in (
        scores.values("indicator__dimension__code")
        .annotate(total=Sum(effective_score_expr()), n=Count("assessment_id", distinct=True))
        .order_by()
    ):
        d.dimension_avg[r["indicator__dimension__code"]] = q2(r["total"] / r["n"]) if r["n"] else None
    # The weakest villages of each dimension: one query per dimension of the standard (their number
    # is fixed by the standard, not by the number of villages).
    for code, _name, _max in d.dimensions:
        rows = (
            scores.filter(indicator__dimension__code=code)
            .values("assessment_id", "assessment__village__name")
            .annotate(total=Sum(effective_score_expr()))
            .order_by("total", "assessment__village__name")[:WEAKEST]
        )
        d.weakest[code] = [(r["assessment_id"], r["assessment__village__name"], r["total"]) for r in rows]


def _histogram(d, qs):
    rows = (
        qs.filter(scored_q()).annotate(b=score_bin_expr()).values("b").annotate(n=Count("id")).order_by("b")
    )
    d.histogram = {r["b"] * BIN: r["n"] for r in rows}


def _yoy(d, qs, campaign):
    rows = (
        qs.annotate(cur=effective_grade_expr(), prev=previous_grade_expr(campaign.year - 1))
        .values("cur", "prev")
        .annotate(n=Count("id"))
        .order_by()
    )
    ranks = grade_ranks(d.grades)
    for r in rows:
        d.yoy[(r["prev"], r["cur"])] = r["n"]
        kind = yoy_kind(ranks.get(r["prev"]), ranks.get(r["cur"]))
        if kind:
            d.yoy_kinds[kind] = d.yoy_kinds.get(kind, 0) + r["n"]


def grade_ranks(grades):
    return {code: i for i, (code, *_rest) in enumerate(grades)}


def _ranking(d, campaign, branch):
    rows = campaign_table(campaign).rows
    if branch is not None:
        rows = [r for r in rows if r.branch == branch.name]
    d.ranking_total = len(rows)
    d.ranking = rows[:TOP]


def rectification_counts(qs, today):
    overdue = ~Q(status=Rectification.Status.CLOSED) & Q(deadline__lt=today)
    return qs.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status=Rectification.Status.OPEN)),
        responded=Count("id", filter=Q(status=Rectification.Status.RESPONDED)),
        closed=Count("id", filter=Q(status=Rectification.Status.CLOSED)),
        overdue=Count("id", filter=overdue),
    )


def task_counts(qs, today):
    out = dict.fromkeys(PlanTask.Status.values, 0)
    out.update({r["status"]: r["n"] for r in qs.values("status").annotate(n=Count("id")).order_by()})
    out["overdue"] = qs.filter(task_overdue_q(today)).count()
    out["total"] = sum(out[s] for s in PlanTask.Status.values)
    return out
