"""The per-village documents (申请表, 评分表, 示范村申请表): one assessment read in a fixed number of
queries, and the copy the village side may see before the grades are confirmed."""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

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
from common.dates import cn_date
from indices.models import Dimension, Grade

from .common import ZERO, fmt


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


def mask_review(doc):
    """The document as the village side may see it before the grades are confirmed: its own entries
    only. Works on the in-memory copy; nothing is saved."""
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
