"""The village record (档案): every year's campaign of one village (each evaluation round apart: a year
may hold an annual 年度测评 beside a 中期评估 or a 试点验收), read in a fixed number of queries
whatever the number of years (one query per kind of row, bucketed by assessment in Python).

Honest state: a year's grade is called 定级 only once the township confirmed the grades; a reviewed but
unconfirmed year shows a 拟定 grade; a year not yet reviewed shows no grade at all. The city's grade, where
it decided one on a confirmed year, is the grade in force.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, F, Sum, Value, When

from assessments.models import Assessment, BonusClaim, Campaign, Evidence, IndicatorScore, VetoEvent
from indices.models import Dimension, Grade, Indicator
from ledgers.models import Rectification

from .common import GRADED


@dataclass
class RecordYear:
    assessment: Assessment
    year: int
    kind: str  # the round's kind code (annual, pilot, midterm, final)
    kind_label: str  # 年度测评 / 试点验收 / 中期评估 / 终期评估
    status: str
    review_visible: bool  # the review results may be shown (confirmed, or the reader sees reviews)
    grade_state: str  # 定级 / 拟定 / 未初审
    township_grade: str  # name, "" unless reviewed
    city_grade: str  # name of the city's grade on a confirmed year, else ""
    city_decision: str
    city_reason: str
    grade_in_force: str  # name
    self_total: Decimal
    final_score: Decimal | None
    dimensions: list = field(default_factory=list)  # [(name, max, self, review)]
    changes: list = field(default_factory=list)  # [(indicator code, name, self, review, note)]
    bonus: list = field(default_factory=list)  # [(item, claimed, accepted, status, explanation, reason)]
    vetoes: list = field(default_factory=list)  # [(date, item, description, grade before, grade after)]
    rectifications: list = field(default_factory=list)  # [Rectification]
    evidence: list = field(default_factory=list)  # [Evidence]

    @property
    def evidence_size(self):
        return sum(e.size for e in self.evidence)

    @property
    def title(self):
        """ "2025年度" for the annual round, "2025年度 中期评估" for another round of the year."""
        return (
            f"{self.year}年度" if self.kind == Campaign.Kind.ANNUAL else f"{self.year}年度 {self.kind_label}"
        )

    @property
    def short_title(self):
        return f"{self.year}年" if self.kind == Campaign.Kind.ANNUAL else f"{self.year}年 {self.kind_label}"

    @property
    def anchor(self):
        return f"year-{self.year}" if self.kind == Campaign.Kind.ANNUAL else f"year-{self.year}-{self.kind}"


@dataclass
class VillageRecord:
    village: object
    years: list  # [RecordYear], latest first
    confirmed_only: bool


def _grade_state(a, *, reviewed, confirmed):
    if reviewed:
        return "定级" if confirmed else "拟定"
    # reviewed, but the results are not the reader's to see before confirmation
    return "待确认" if a.status in GRADED else "未初审"


def _rectification_year(r):
    return r.assessment.campaign.year if r.assessment_id else r.deadline.year


def village_record(village, *, confirmed_only, review_visible):
    """The record of `village`. `confirmed_only`: only years whose grades the township confirmed (the
    village's own readers); `review_visible`: whether unconfirmed years may show the review results."""
    qs = (
        Assessment.objects.filter(village=village, campaign__level="village")
        .select_related("campaign", "campaign__standard")
        .order_by(
            "-campaign__year",
            Case(When(campaign__kind=Campaign.Kind.ANNUAL, then=Value(0)), default=Value(1)),
            "campaign__created_at",
            "campaign_id",
        )
    )
    if confirmed_only:
        qs = qs.filter(campaign__grades_confirmed_at__isnull=False)
    assessments = list(qs)
    ids = [a.pk for a in assessments]
    standards = {a.campaign.standard_id for a in assessments}
    names = defaultdict(dict)
    for sid, code, name in Grade.objects.filter(standard_id__in=standards).values_list(
        "standard_id", "code", "name"
    ):
        names[sid][code] = name
    dimensions = defaultdict(list)
    for d in Dimension.objects.filter(standard_id__in=standards).order_by("sort_order"):
        dimensions[d.standard_id].append(d)
    dim_scores = defaultdict(dict)
    for r in (
        IndicatorScore.objects.filter(assessment_id__in=ids)
        .values("assessment_id", "indicator__dimension_id")
        .annotate(s=Sum("self_score"), r=Sum("review_score"))
        .order_by()
    ):
        dim_scores[r["assessment_id"]][r["indicator__dimension_id"]] = (r["s"], r["r"])
    changes = defaultdict(list)
    for s in (
        # a change by review: an indicator the village scored itself, scored otherwise by the township
        # (indicators only the township scores are not changes)
        IndicatorScore.objects.filter(
            assessment_id__in=ids,
            review_score__isnull=False,
            indicator__scored_by=Indicator.ScoredBy.VILLAGE_AND_TOWNSHIP,
        )
        .exclude(review_score=F("self_score"), self_score__isnull=False)
        .select_related("indicator")
        .order_by("indicator__dimension__sort_order", "indicator__sort_order")
    ):
        changes[s.assessment_id].append(
            (s.indicator.code, s.indicator.name, s.self_score, s.review_score, s.review_note)
        )
    bonus = defaultdict(list)
    for b in BonusClaim.objects.filter(assessment_id__in=ids).select_related("bonus_item").order_by("pk"):
        bonus[b.assessment_id].append(b)
    vetoes = defaultdict(list)
    for e in (
        VetoEvent.objects.filter(assessment_id__in=ids).select_related("veto_item").order_by("occurred_on")
    ):
        vetoes[e.assessment_id].append(e)
    # A rectification belongs to the round whose assessment found it; one without an assessment to
    # its year's annual round (or the year's first round listed).
    rect = defaultdict(list)
    home = {}
    for a in assessments:
        home.setdefault(a.campaign.year, a.pk)
    for a in assessments:
        if a.campaign.is_annual:
            home[a.campaign.year] = a.pk
    for r in Rectification.objects.filter(village=village).select_related("assessment__campaign"):
        if r.assessment_id in ids:
            rect[r.assessment_id].append(r)
        elif (year := _rectification_year(r)) in home:
            rect[home[year]].append(r)
    evidence = defaultdict(list)
    for e in Evidence.objects.filter(assessment_id__in=ids).order_by("uploaded_at", "original_name"):
        evidence[e.assessment_id].append(e)

    years = []
    for a in assessments:
        grade = names[a.campaign.standard_id]
        confirmed = a.campaign.is_confirmed
        visible = confirmed or review_visible
        reviewed = a.status in GRADED and visible
        township = grade.get(a.final_grade, "") if reviewed else ""
        city = grade.get(a.city_grade, "") if confirmed and a.city_grade else ""
        years.append(
            RecordYear(
                assessment=a,
                year=a.campaign.year,
                kind=a.campaign.kind,
                kind_label=a.campaign.get_kind_display(),
                status=a.get_status_display(),
                review_visible=visible,
                grade_state=_grade_state(a, reviewed=reviewed, confirmed=confirmed),
                township_grade=township,
                city_grade=city,
                city_decision=a.get_city_decision_display() if confirmed and a.city_decision else "",
                city_reason=a.city_reason if confirmed and a.city_decision else "",
                grade_in_force=(city or township) if confirmed else "",
                self_total=a.self_total,
                final_score=a.final_score if reviewed else None,
                dimensions=[
                    (d.name, d.max_score, *dim_scores[a.pk].get(d.pk, (None, None)))
                    for d in dimensions[a.campaign.standard_id]
                ],
                changes=changes[a.pk] if visible else [],
                bonus=[
                    (
                        b.bonus_item.name,
                        b.claimed_points,
                        b.accepted_points if visible else None,
                        b.get_status_display() if visible else "",
                        b.explanation,
                        b.review_reason if visible else "",
                    )
                    for b in bonus[a.pk]
                ],
                vetoes=[
                    (
                        e.occurred_on,
                        e.veto_item.description,
                        e.description,
                        grade.get(e.grade_before, e.grade_before),
                        grade.get(e.grade_after, e.grade_after),
                    )
                    for e in vetoes[a.pk]
                ],
                rectifications=rect.get(a.pk, []),
                evidence=evidence[a.pk],
            )
        )
    if not review_visible:
        # the review columns of dimension scores stay hidden on unconfirmed years
        for y in years:
            if not y.review_visible:
                y.dimensions = [(n, m, s, None) for n, m, s, _ in y.dimensions]
    return VillageRecord(village=village, years=years, confirmed_only=confirmed_only)
