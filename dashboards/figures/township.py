"""The township dashboard, for the whole township or one branch: its figures are counted from the
round's assessment rows (one query, O(villages of the township)) with the read models that the write
services keep on them (assessments.readmodels): the score lines are never read here."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from assessments.models import Assessment, Campaign
from assessments.readmodels import (
    ROW_FIELDS,
    dimension_scores,
    effective_grade,
    is_scored,
    progress_stage,
    score_bin,
)
from assessments.services.grading.summary import grading_summary
from indices.models import Dimension, Grade
from ledgers.compliance import compliance_matrix
from ledgers.models import PlanTask, Rectification
from ledgers.selectors import ledger_units_for_user
from reports.data import competition_ranks
from villages.models import PartyBranch

from .expressions import (
    DONE,
    PROGRESS_LABELS,
    TOP,
    WEAKEST,
    q2,
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


@dataclass
class RankRow:
    rank: int
    assessment_id: int
    name: str
    branch: str
    final_score: object
    grade: str  # the name of the grade that stands, '' while not reviewed


def campaign_rows(campaign):
    """Every village of the round as plain rows of the assessments' own columns (the read models
    included), by village name: one query, O(villages of the township), never the score lines."""
    return list(
        Assessment.objects.filter(campaign=campaign, village__isnull=False)
        .values(*ROW_FIELDS, "village__branch__name")
        .order_by("village__name", "pk")
    )


def township_dashboard(*, user, township, year, branch=None, today=None, kind=None):
    """The township's figures from its villages' rows (read models) and its ledger tables."""
    today = today or timezone.localdate()
    campaign = village_campaign(township, year, kind)
    branches = list(PartyBranch.objects.filter(township=township).order_by("sort_order", "name"))
    d = TownshipDashboard(township=township, year=year, branch=branch, campaign=campaign, branches=branches)
    d.rounds = year_rounds(township, year)
    if campaign is not None:
        rows = campaign_rows(campaign)
        shown = rows if branch is None else [r for r in rows if r["village__branch_id"] == branch.pk]
        _progress(d, shown)
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
            _grade_counts(d, shown)
        _dimensions(d, campaign, shown)
        _histogram(d, shown)
        _yoy(d, shown)
        _ranking(d, rows, branch)
    units = ledger_units_for_user(user).filter(township=township)
    d.compliance = compliance_matrix(units=units, year=year, today=today)
    d.compliance_units = len(d.compliance.rows)
    rect = Rectification.objects.filter(township=township)
    if branch is not None:
        rect = rect.filter(village__branch=branch)
    d.rectifications = rectification_counts(rect, today)
    d.tasks = task_counts(PlanTask.objects.filter(township=township, year=year), today)
    return d


def _progress(d, rows):
    d.progress_total = dict.fromkeys(PROGRESS_LABELS, 0)
    for r in rows:
        stage = progress_stage(r["status"], r["started_at"])
        per = d.progress.setdefault(branch_key(r["village__branch_id"]), dict.fromkeys(PROGRESS_LABELS, 0))
        per[stage] += 1
        d.progress_total[stage] += 1


def _grade_counts(d, rows):
    codes = {code for code, _, _ in d.grades}
    d.grade_counts = dict.fromkeys(codes, 0)
    for r in rows:
        if r["status"] in DONE and r["final_grade"] in codes:
            d.grade_counts[r["final_grade"]] += 1
        else:
            d.ungraded += 1


def _dimensions(d, campaign, rows):
    d.dimensions = list(
        Dimension.objects.filter(standard=campaign.standard)
        .order_by("sort_order", "code")
        .values_list("code", "name", "max_score")
    )
    by_code = {}
    for r in rows:  # by village name, so that the stable sort below breaks ties by name
        if is_scored(r["status"], r["started_at"]):
            for code, value in dimension_scores(r).items():
                by_code.setdefault(code, []).append((value, r["id"], r["village__name"]))
    for code, values in by_code.items():
        d.dimension_avg[code] = q2(sum(v for v, _, _ in values) / len(values))
    for code, _name, _max in d.dimensions:
        weakest = sorted(by_code.get(code, []), key=lambda v: v[0])[:WEAKEST]
        d.weakest[code] = [(aid, name, value) for value, aid, name in weakest]


def _histogram(d, rows):
    counts = {}
    for r in rows:
        if is_scored(r["status"], r["started_at"]):
            b = score_bin(r["final_score"])
            counts[b] = counts.get(b, 0) + 1
    d.histogram = dict(sorted(counts.items()))


def _yoy(d, rows):
    ranks = grade_ranks(d.grades)
    for r in rows:
        prev, cur = r["previous_grade"], effective_grade(r["status"], r["final_grade"], r["city_grade"])
        d.yoy[(prev, cur)] = d.yoy.get((prev, cur), 0) + 1
        kind = yoy_kind(ranks.get(prev), ranks.get(cur))
        if kind:
            d.yoy_kinds[kind] = d.yoy_kinds.get(kind, 0) + 1


def grade_ranks(grades):
    return {code: i for i, (code, *_rest) in enumerate(grades)}


def _ranking(d, rows, branch):
    """The 清廉指数 ranking: ranks over the whole round (a branch's villages keep their township rank)."""
    names = {code: name for code, name, _ in d.grades}
    ordered = sorted(rows, key=lambda r: (-r["final_score"], r["village__sort_order"]))
    ranks = competition_ranks([r["final_score"] for r in ordered])
    out = []
    for r, rank in zip(ordered, ranks, strict=True):
        if branch is not None and r["village__branch_id"] != branch.pk:
            continue
        grade = ""
        if r["status"] in DONE:
            city = r["city_grade"] if r["final_grade"] and r["city_grade"] in names else ""
            grade = names.get(city or r["final_grade"], "")
        out.append(
            RankRow(
                rank, r["id"], r["village__name"], r["village__branch__name"] or "", r["final_score"], grade
            )
        )
    d.ranking_total = len(out)
    d.ranking = out[:TOP]


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
