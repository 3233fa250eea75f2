"""The figures of the township and city dashboards (数据看板), and the village lists behind them.

Every figure is one grouped SQL aggregate (or a fixed handful), so a dashboard makes the same number
of queries with 5 villages or 1,000 (and with 2 townships or 20). The expressions that classify an
assessment (progress stage, effective grade, last year's grade, score bin) are defined once here and
used both to count and to list, so a figure and its drill-down list always agree.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Floor
from django.utils import timezone

from assessments.models import Assessment, Campaign, IndicatorScore
from common.errors import InvalidInputError
from indices.models import Dimension, Grade
from ledgers.compliance import COUNTED, LABELS, State, compliance_matrix
from ledgers.models import PlanTask, Rectification
from villages.models import AnnualTarget, AnnualTargetGrade, PartyBranch

S = Assessment.Status
DEC = DecimalField(max_digits=9, decimal_places=2)
ZERO = Decimal("0")
BIN = 5  # score histogram bin width (points)
WEAKEST = 5  # weakest villages shown per dimension
TOP = 10  # ranking rows shown on the dashboard

# --- progress stages ----------------------------------------------------------------------------------

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


def previous_grade_expr(year):
    """The same village's effective grade in the township's village campaign of `year` ('' if none)."""
    prev = (
        Assessment.objects.filter(
            campaign__level=Campaign.Level.VILLAGE,
            campaign__township_id=OuterRef("township_id"),
            campaign__year=year,
            village_id=OuterRef("village_id"),
        )
        .annotate(g=effective_grade_expr())
        .values("g")[:1]
    )
    return Coalesce(Subquery(prev, output_field=CharField()), Value(""), output_field=CharField())


def score_bin_expr():
    return Floor(F("final_score") / BIN, output_field=IntegerField())


def effective_score_expr():
    """An indicator's score as boards show it: the review score where there is one, else the self score."""
    return Coalesce("review_score", "self_score", Value(ZERO, output_field=DEC), output_field=DEC)


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


# --- township dashboard -------------------------------------------------------------------------------


@dataclass
class TownshipDashboard:
    township: object
    year: int
    branch: object
    campaign: Campaign | None
    branches: list
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


def village_campaign(township, year):
    return (
        Campaign.objects.filter(level=Campaign.Level.VILLAGE, township=township, year=year)
        .select_related("standard")
        .first()
    )


def campaign_assessments(campaign, branch=None):
    qs = Assessment.objects.filter(campaign=campaign, village__isnull=False)
    if branch is not None:
        qs = qs.filter(village__branch=branch)
    return qs


def branch_key(branch_id):
    return branch_id or 0


def township_dashboard(*, user, township, year, branch=None, today=None):
    from assessments.services.grading.summary import grading_summary
    from ledgers.selectors import ledger_units_for_user

    today = today or timezone.localdate()
    campaign = village_campaign(township, year)
    branches = list(PartyBranch.objects.filter(township=township).order_by("sort_order", "name"))
    d = TownshipDashboard(township=township, year=year, branch=branch, campaign=campaign, branches=branches)
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
    from reports.data import campaign_table

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


def task_overdue_q(today):
    return Q(deadline__lt=today) & ~Q(status__in=[PlanTask.Status.DONE, PlanTask.Status.ONGOING])


def task_counts(qs, today):
    out = dict.fromkeys(PlanTask.Status.values, 0)
    out.update({r["status"]: r["n"] for r in qs.values("status").annotate(n=Count("id")).order_by()})
    out["overdue"] = qs.filter(task_overdue_q(today)).count()
    out["total"] = sum(out[s] for s in PlanTask.Status.values)
    return out


# --- the lists behind the figures ---------------------------------------------------------------------


FIGURES = {
    "progress": "自评进度",
    "grade": "等次分布",
    "dimension": "维度得分",
    "score": "得分分布",
    "yoy": "等次动态变化",
    "ranking": "清廉指数排名",
}


class BadFigure(InvalidInputError, ValueError):
    """A figure or a figure parameter the dashboard does not have (the value is the message)."""


@dataclass
class FigureList:
    title: str
    queryset: object
    dimension: str = ""  # dimension code when the list carries a dimension score


def figure_list(campaign, params, branch=None):
    """The assessments behind one figure of the township dashboard, annotated for the list.

    params: figure=progress&stage=…&branch_key=…  |  grade&grade=CODE|""  |  dimension&dim=CODE  |
    score&bin=LOW  |  yoy&prev=CODE|""&cur=CODE|""  |  yoy&kind=up|same|down|new  |  ranking.
    """
    figure = params.get("figure", "")
    if figure not in FIGURES:
        raise BadFigure(figure)
    qs = (
        campaign_assessments(campaign, branch)
        .select_related("village", "village__branch")
        .annotate(
            stage=progress_expr(),
            eff_grade=effective_grade_expr(),
            prev_grade=previous_grade_expr(campaign.year - 1),
        )
    )
    title = FIGURES[figure]
    dimension = ""
    if figure == "progress":
        stage = params.get("stage", "")
        if stage and stage not in PROGRESS_LABELS:
            raise BadFigure(stage)
        if stage:
            qs = qs.filter(stage=stage)
            title += f"：{PROGRESS_LABELS[stage]}"
        bkey = params.get("bkey", "")
        if bkey:
            if not bkey.isdigit():
                raise BadFigure(bkey)
            qs = (
                qs.filter(village__branch__isnull=True) if bkey == "0" else qs.filter(village__branch_id=bkey)
            )
    elif figure == "grade":
        code = params.get("grade", "")
        if code:
            qs = qs.filter(status__in=DONE, final_grade=code)
        else:
            qs = qs.exclude(status__in=DONE, final_grade__in=grade_codes(campaign))
            title += "：未定级"
    elif figure == "dimension":
        dimension = params.get("dim", "")
        if not Dimension.objects.filter(standard_id=campaign.standard_id, code=dimension).exists():
            raise BadFigure(dimension)
        dim_total = (
            IndicatorScore.objects.filter(assessment=OuterRef("pk"), indicator__dimension__code=dimension)
            .values("assessment")
            .annotate(t=Sum(effective_score_expr()))
            .values("t")
        )
        qs = qs.filter(scored_q()).annotate(dim_score=Subquery(dim_total, output_field=DEC))
        title += f"：{dimension}"
    elif figure == "score":
        low = params.get("bin", "")
        if not low.lstrip("-").isdigit():
            raise BadFigure(low)
        low = int(low)
        qs = qs.filter(scored_q(), final_score__gte=low, final_score__lt=low + BIN)
        title += f"：{low}–{low + BIN}分"
    elif figure == "yoy":
        kind = params.get("kind", "")
        if kind:
            if kind not in YOY_LABELS:
                raise BadFigure(kind)
            qs = _yoy_kind_filter(qs, campaign, kind)
            title += f"：{YOY_LABELS[kind]}"
        else:
            qs = qs.filter(prev_grade=params.get("prev", ""), eff_grade=params.get("cur", ""))
    return FigureList(title=title, queryset=qs, dimension=dimension)


def _yoy_kind_filter(qs, campaign, kind):
    """Villages whose grade went up / stayed / went down / was graded for the first time, on this
    year's scale (a grade code the standard does not have counts as no grade, as in the figure)."""
    grades = list(Grade.objects.filter(standard_id=campaign.standard_id).values_list("code", "rank"))

    def rank_of(alias):
        whens = [When(**{alias: code}, then=Value(rank)) for code, rank in grades]
        return Case(*whens, default=None, output_field=IntegerField())

    qs = qs.annotate(cur_rank=rank_of("eff_grade"), prev_rank=rank_of("prev_grade")).filter(
        cur_rank__isnull=False
    )
    if kind == "new":
        return qs.filter(prev_rank__isnull=True)
    qs = qs.filter(prev_rank__isnull=False)
    lookup = {"up": "cur_rank__lt", "same": "cur_rank", "down": "cur_rank__gt"}[kind]
    return qs.filter(**{lookup: F("prev_rank")})


def grade_codes(campaign):
    return Grade.objects.filter(standard_id=campaign.standard_id).values("code")


# --- city dashboard -----------------------------------------------------------------------------------


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
    from ledgers.selectors import ledger_units_for_user
    from villages.models import Township

    today = today or timezone.localdate()
    townships = list(Township.objects.filter(region=region).order_by("name"))
    towns = {t.pk: TownRow(t) for t in townships}
    campaigns = Campaign.objects.filter(level=Campaign.Level.VILLAGE, township__region=region, year=year)
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
    for t in AnnualTarget.objects.filter(township__region=region, year=year):
        towns[t.township_id].share_target = t.share_percent
    for g in AnnualTargetGrade.objects.filter(target__township__region=region, target__year=year).values(
        "target__township_id", "grade_name", "count"
    ):
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

    from django.db.models import Avg

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
    from reports.data import competition_ranks

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


__all__ = [
    "BIN",
    "COUNTED",
    "FIGURES",
    "LABELS",
    "PROGRESS",
    "State",
    "city_dashboard",
    "figure_list",
    "township_dashboard",
]
