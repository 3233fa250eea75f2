"""The campaign-wide tables (定级名册, 清廉指数排名, the score matrix): a fixed number of queries whatever
the number of villages (aggregation in SQL)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum, Value
from django.db.models.functions import Coalesce

from assessments.models import Assessment, Campaign, IndicatorScore
from indices.models import Dimension, Grade

from .common import DEC, GRADED, ZERO


@dataclass
class CampaignRow:
    """One village (or township) of a campaign-wide table."""

    assessment_id: int
    name: str
    branch: str
    status: str
    self_total: Decimal
    review_base: Decimal
    bonus: Decimal
    deduction: Decimal
    final_score: Decimal
    veto: bool
    proposed_grade: str
    final_grade: str
    city_grade: str
    override_reason: str
    candidate: bool
    city_decision: str
    dimension_scores: dict  # dimension code → review (else self) score
    rank: int = 0
    # the grade in force (code): the city's where it decided one, else the township's (final_grade)
    grade: str = ""
    city_changed: bool = False  # the city's grade differs from the township's


BASIS_TOWNSHIP = "镇街定级"
BASIS_IN_FORCE = "市级认定后等次（现行等次）"


@dataclass
class CampaignTable:
    campaign: Campaign
    dimensions: list  # [(code, name, max)]
    grades: list  # [(code, name)], best first
    rows: list

    @property
    def year(self):
        return self.campaign.year

    @property
    def city_decided(self):
        """Whether the city decided a grade for any subject: the documents then show the grade in force."""
        return any(r.city_grade for r in self.rows)

    @property
    def basis(self):
        """Which grade the documents show, in the words printed on them."""
        return BASIS_IN_FORCE if self.city_decided else BASIS_TOWNSHIP

    def by_grade(self):
        """[(grade name, rows)] by the grade in force, best first, each by score; ungraded rows last
        under 未定级."""
        groups = {code: [] for code, _ in self.grades}
        rest = []
        for r in self.rows:
            (groups[r.grade] if r.grade in groups else rest).append(r)
        names = dict(self.grades)
        out = [(names[c], sorted(rows, key=lambda r: -r.final_score)) for c, rows in groups.items()]
        if rest:
            out.append(("未定级", rest))
        return out


def campaign_dimension_scores(campaign):
    """{assessment id: {dimension code: score}} in one query: the review score where there is one,
    else the self score."""
    effective = Coalesce("review_score", "self_score", Value(ZERO, output_field=DEC), output_field=DEC)
    out = defaultdict(dict)
    rows = (
        IndicatorScore.objects.filter(assessment__campaign=campaign)
        .values("assessment_id", "indicator__dimension__code")
        .annotate(total=Sum(effective))
        .order_by()
    )
    for r in rows:
        out[r["assessment_id"]][r["indicator__dimension__code"]] = r["total"]
    return out


def competition_ranks(values):
    """1224 ranking of values sorted best first: equal values share a rank."""
    ranks = []
    for i, v in enumerate(values):
        ranks.append(ranks[-1] if i and v == values[i - 1] else i + 1)
    return ranks


def campaign_table(campaign, *, candidates_only=False):
    """Every subject of the campaign with totals, grades and dimension scores, ranked by final score
    (the 村居清廉指数). A fixed number of queries."""
    standard = campaign.standard
    dimensions = list(Dimension.objects.filter(standard=standard).values_list("code", "name", "max_score"))
    grades = list(Grade.objects.filter(standard=standard).order_by("rank").values_list("code", "name"))
    names = dict(grades)
    by_dim = campaign_dimension_scores(campaign)
    qs = Assessment.objects.filter(campaign=campaign).select_related("village", "village__branch", "township")
    if candidates_only:
        qs = qs.filter(city_candidate=True)
    rows = []
    for a in qs.order_by("-final_score", "village__sort_order", "township__name"):
        township_grade = a.final_grade if a.status in GRADED else ""
        # the city decides only on confirmed grades; a city grade on an ungraded row is not shown
        city = a.city_grade if township_grade and a.city_grade in names else ""
        rows.append(
            CampaignRow(
                assessment_id=a.pk,
                name=a.subject_name,
                branch=a.village.branch.name if a.village_id and a.village.branch_id else "",
                status=a.get_status_display(),
                self_total=a.self_total,
                review_base=a.review_base,
                bonus=a.bonus_accepted,
                deduction=a.supervision_deduction,
                final_score=a.final_score,
                veto=a.veto_confirmed,
                proposed_grade=names.get(a.proposed_grade, ""),
                # a grade stands only once reviewed: before that it is a provisional one from self scores
                final_grade=township_grade,
                city_grade=names.get(city, ""),
                override_reason=a.grade_override_reason,
                candidate=a.city_candidate,
                city_decision=a.get_city_decision_display() if a.city_candidate else "",
                dimension_scores=by_dim.get(a.pk, {}),
                grade=city or township_grade,
                city_changed=bool(city) and city != township_grade,
            )
        )
    for row, rank in zip(rows, competition_ranks([r.final_score for r in rows]), strict=True):
        row.rank = rank
    return CampaignTable(campaign=campaign, dimensions=dimensions, grades=grades, rows=rows)


def grade_name(table, code):
    return dict(table.grades).get(code, "")


@dataclass
class MatrixTable:
    """Villages × leaf indicators: the score each village has on each indicator."""

    campaign: Campaign
    indicators: list  # [(dimension code, dimension name, code, name, max)]
    rows: list  # [(name, branch, {indicator code: (self, review)}, final_score, grade name)]


def campaign_matrix(campaign):
    """The campaign's matrix of villages × indicators (two queries for the scores, whatever the size)."""
    standard = campaign.standard
    indicators = list(
        standard.indicators.filter(children__isnull=True)
        .order_by("dimension__sort_order", "sort_order")
        .values_list("dimension__code", "dimension__name", "code", "name", "max_score")
    )
    grades = dict(Grade.objects.filter(standard=standard).values_list("code", "name"))
    cells = defaultdict(dict)
    for aid, code, s, r in IndicatorScore.objects.filter(assessment__campaign=campaign).values_list(
        "assessment_id", "indicator__code", "self_score", "review_score"
    ):
        cells[aid][code] = (s, r)
    rows = []
    qs = Assessment.objects.filter(campaign=campaign).select_related("village", "village__branch", "township")
    for a in qs.order_by("village__sort_order", "township__name"):
        branch = a.village.branch.name if a.village_id and a.village.branch_id else ""
        rows.append(
            (
                a.subject_name,
                branch,
                cells.get(a.pk, {}),
                a.final_score,
                grades.get(a.final_grade, "") if a.status in GRADED else "",
            )
        )
    return MatrixTable(campaign=campaign, indicators=indicators, rows=rows)
