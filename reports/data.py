"""What the printed forms and workbooks show, read once and shared by the PDF and the Excel formatters
(report generator separate from its formatters, as in django-oscar's dashboard reports).

Per-village documents make a fixed number of queries per village; campaign-wide tables make a fixed
number of queries whatever the number of villages (aggregation in SQL).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from assessments.models import (
    Assessment,
    BonusClaim,
    Campaign,
    DemonstrationApplication,
    Evidence,
    IndicatorScore,
    Signoff,
    VetoCheck,
)
from assessments.scoring import normal
from common.dates import cn_date
from indices.models import Dimension, Grade

DEC = DecimalField(max_digits=9, decimal_places=2)
GRADED = (Assessment.Status.REVIEWED, Assessment.Status.CONFIRMED)
ZERO = Decimal("0")


def fmt(value):
    """A score as the forms print it: 8, 7.5, 98.25; blank for None."""
    return "" if value is None else normal(value)


# --- per village --------------------------------------------------------------------------------------


@dataclass
class SheetRow:
    """One scored (leaf) indicator of the 评分表."""

    code: str
    name: str
    parent_name: str
    max_score: Decimal
    guidance: str
    rules: list  # "扣分：… 2分/次" lines of the standard
    self_score: Decimal | None
    self_note: str
    review_score: Decimal | None
    review_note: str
    township_only: bool


@dataclass
class DimensionBlock:
    code: str
    name: str
    max_score: Decimal
    rows: list = field(default_factory=list)

    @property
    def self_sum(self):
        return sum((r.self_score or ZERO for r in self.rows), ZERO)

    @property
    def review_sum(self):
        """The reviewed subtotal (unreviewed lines count at their self score); None before any review."""
        if all(r.review_score is None for r in self.rows):
            return None
        return sum(
            (r.review_score if r.review_score is not None else (r.self_score or ZERO) for r in self.rows),
            ZERO,
        )


@dataclass
class BonusRow:
    code: str
    name: str
    cap: Decimal
    claimed: Decimal | None
    accepted: Decimal | None
    status: str
    reason: str
    explanation: str
    evidence: list  # original file names


@dataclass
class VetoRow:
    code: str
    description: str
    self_answer: str  # 是 / 否 / 未答
    self_note: str
    review: str  # 属实 / 不属实 / 待核实
    review_reason: str


@dataclass
class SignoffRow:
    side: str
    name: str
    opinion: str
    date: str


@dataclass
class VillageDocument:
    """Everything the 申请表, the 评分表 and the 示范村申请表 of one assessment print."""

    assessment: Assessment
    campaign: Campaign
    subject_name: str
    township_name: str
    branch_name: str
    dimensions: list
    bonus: list
    vetoes: list
    signoffs: list
    grade_names: dict
    reviewers: list
    reviewed_on: str
    demonstration: DemonstrationApplication | None
    masked: bool = False  # review results hidden (the village side before confirmation)

    @property
    def year(self):
        return self.campaign.year

    @property
    def is_reviewed(self):
        return not self.masked and self.assessment.status in (
            Assessment.Status.REVIEWED,
            Assessment.Status.CONFIRMED,
        )

    @property
    def proposed_grade_name(self):
        return self.grade_names.get(self.assessment.proposed_grade, "")

    @property
    def final_grade_name(self):
        return self.grade_names.get(self.assessment.final_grade, "")

    @property
    def applied_grade_name(self):
        return self.grade_names.get(self.assessment.applied_grade, self.assessment.applied_grade)

    @property
    def city_grade_name(self):
        return self.grade_names.get(self.assessment.city_grade, "")

    @property
    def standard(self):
        return self.campaign.standard


def _rule_lines(indicator):
    lines = []
    for rule in indicator.rules.all():
        per = f"/{rule.per}" if rule.per else ""
        lines.append(f"{rule.get_kind_display()}：{rule.text}（{fmt(rule.points)}分{per}）")
    return lines


def village_document(assessment):
    """The data of one assessment's forms (a fixed number of queries)."""
    a = Assessment.objects.select_related(
        "campaign", "campaign__standard", "village", "village__branch", "township"
    ).get(pk=assessment.pk)
    standard = a.campaign.standard
    dims = {
        d.pk: DimensionBlock(d.code, d.name, d.max_score) for d in Dimension.objects.filter(standard=standard)
    }
    scores = (
        IndicatorScore.objects.filter(assessment=a)
        .select_related("indicator", "indicator__parent", "reviewed_by")
        .prefetch_related("indicator__rules")
        .order_by("indicator__dimension__sort_order", "indicator__sort_order")
    )
    reviewers = []
    reviewed_at = None
    for s in scores:
        ind = s.indicator
        dims[ind.dimension_id].rows.append(
            SheetRow(
                code=ind.code,
                name=ind.name,
                parent_name=ind.parent.name if ind.parent_id else "",
                max_score=ind.max_score,
                guidance=ind.guidance,
                rules=_rule_lines(ind),
                self_score=s.self_score,
                self_note=s.self_note,
                review_score=s.review_score,
                review_note=s.review_note,
                township_only=ind.scored_by == ind.ScoredBy.TOWNSHIP_ONLY,
            )
        )
        if s.reviewed_by and s.reviewed_by.display_name not in reviewers:
            reviewers.append(s.reviewed_by.display_name)
        if s.reviewed_at and (reviewed_at is None or s.reviewed_at > reviewed_at):
            reviewed_at = s.reviewed_at
    evidence = defaultdict(list)
    for claim_id, name in Evidence.objects.filter(assessment=a, kind=Evidence.Kind.BONUS).values_list(
        "bonus_claim_id", "original_name"
    ):
        evidence[claim_id].append(name)
    claims = {c.bonus_item_id: c for c in BonusClaim.objects.filter(assessment=a)}
    bonus = []
    for item in standard.bonus_items.all():
        c = claims.get(item.pk)
        bonus.append(
            BonusRow(
                code=item.code,
                name=item.name,
                cap=item.per_item_cap,
                claimed=c.claimed_points if c else None,
                accepted=c.accepted_points if c and c.status == BonusClaim.Status.ACCEPTED else None,
                status=c.get_status_display() if c else "未申报",
                reason=c.review_reason if c else "",
                explanation=c.explanation if c else "",
                evidence=evidence.get(c.pk, []) if c else [],
            )
        )
    checks = {v.veto_item_id: v for v in VetoCheck.objects.filter(assessment=a)}
    vetoes = []
    for item in standard.veto_items.all():
        v = checks.get(item.pk)
        answer = "未答" if v is None or v.self_answer is None else ("是" if v.self_answer else "否")
        vetoes.append(
            VetoRow(
                code=item.code,
                description=item.description,
                self_answer=answer,
                self_note=v.self_note if v else "",
                review=v.get_review_display() if v else "待核实",
                review_reason=v.review_reason if v else "",
            )
        )
    signoffs = [
        SignoffRow(s.get_side_display(), s.user.display_name, s.opinion, cn_date(s.signed_at.date()))
        for s in Signoff.objects.filter(assessment=a, round=a.round).select_related("user").order_by("side")
    ]
    return VillageDocument(
        assessment=a,
        campaign=a.campaign,
        subject_name=a.subject_name,
        township_name=a.township.name,
        branch_name=a.village.branch.name if a.village_id and a.village.branch_id else "",
        dimensions=[b for b in dims.values() if b.rows],
        bonus=bonus,
        vetoes=vetoes,
        signoffs=signoffs,
        grade_names=dict(Grade.objects.filter(standard=standard).values_list("code", "name")),
        reviewers=reviewers,
        reviewed_on=cn_date(reviewed_at.date()) if reviewed_at else "",
        demonstration=DemonstrationApplication.objects.filter(assessment=a).first(),
    )


# --- campaign-wide ------------------------------------------------------------------------------------


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


@dataclass
class CampaignTable:
    campaign: Campaign
    dimensions: list  # [(code, name, max)]
    grades: list  # [(code, name)], best first
    rows: list

    @property
    def year(self):
        return self.campaign.year

    def by_grade(self):
        """[(grade name, rows)] best grade first, each by score; ungraded rows last under 未定级."""
        groups = {code: [] for code, _ in self.grades}
        rest = []
        for r in self.rows:
            (groups[r.final_grade] if r.final_grade in groups else rest).append(r)
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
                final_grade=a.final_grade if a.status in GRADED else "",
                city_grade=names.get(a.city_grade, ""),
                override_reason=a.grade_override_reason,
                candidate=a.city_candidate,
                city_decision=a.get_city_decision_display() if a.city_candidate else "",
                dimension_scores=by_dim.get(a.pk, {}),
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


def mask_review(doc):
    """The document as the village side may see it before the grades are confirmed: its own entries
    only. Works on the in-memory copy; nothing is saved."""
    from dataclasses import replace

    a = doc.assessment
    for attr in ("review_base", "bonus_accepted", "supervision_deduction", "final_score"):
        setattr(a, attr, None)
    a.proposed_grade = a.final_grade = a.city_grade = ""
    a.grade_override_reason = ""
    a.veto_confirmed = False
    for block in doc.dimensions:
        block.rows = [replace(r, review_score=None, review_note="") for r in block.rows]
    doc.bonus = [
        replace(b, accepted=None, reason="", status="待审核" if b.claimed is not None else b.status)
        for b in doc.bonus
    ]
    doc.vetoes = [replace(v, review="", review_reason="") for v in doc.vetoes]
    doc.reviewers = []
    doc.reviewed_on = ""
    doc.masked = True
    return doc
