"""The lines of an assessment's sheet: indicator scores, bonus claims and veto checks. Each carries a
`version` against lost updates."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .assessment import SCORE, Assessment


class IndicatorScore(models.Model):
    """Self score and review score of one indicator. `version` guards against lost updates."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey("indices.Indicator", on_delete=models.PROTECT, related_name="+")
    self_score = models.DecimalField("自评分", **SCORE, null=True, blank=True)
    self_note = models.TextField("自评说明", blank=True)
    # Deduction: {rule_id: count}; tiered: [rule_id]; checklist: [rule_id, ...] of the items met.
    self_rules = models.JSONField("自评依据", default=dict, blank=True)
    review_score = models.DecimalField("初审得分", **SCORE, null=True, blank=True)
    review_note = models.TextField("扣分原因/调整说明", blank=True)
    review_rules = models.JSONField("初审依据", default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # A computed indicator (Indicator.formula): the system's score and the figures behind it, refreshed
    # by services.computed; a reviewer's score with `override_reason` stands over every recomputation.
    computed_score = models.DecimalField("系统计算得分", **SCORE, null=True, blank=True)
    computed_detail = models.JSONField("计算依据", default=dict, blank=True)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    override_reason = models.TextField("调整系统计算分的理由", blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "指标得分"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="score_one_per_indicator"),
            models.CheckConstraint(
                condition=Q(self_score__gte=0) | Q(self_score__isnull=True), name="score_self_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(review_score__gte=0) | Q(review_score__isnull=True), name="score_review_nonneg"
            ),
        ]

    def __str__(self):
        return f"{self.assessment} {self.indicator.code}"


class BonusClaim(models.Model):
    class Status(models.TextChoices):
        CLAIMED = "claimed", "待审核"
        ACCEPTED = "accepted", "认定"
        REJECTED = "rejected", "不予认定"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="bonus_claims")
    bonus_item = models.ForeignKey("indices.BonusItem", on_delete=models.PROTECT, related_name="+")
    claimed_points = models.DecimalField("申报加分", **SCORE)
    explanation = models.TextField("加分事由", blank=True)
    status = models.CharField("审核结果", max_length=10, choices=Status.choices, default=Status.CLAIMED)
    accepted_points = models.DecimalField("认定加分", **SCORE, null=True, blank=True)
    review_reason = models.CharField("理由", max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "加分申报"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["assessment", "bonus_item"], name="bonus_claim_one_per_item"),
            models.CheckConstraint(condition=Q(claimed_points__gt=0), name="bonus_claim_positive"),
        ]

    def __str__(self):
        return f"{self.assessment} {self.bonus_item.code}"


class VetoCheck(models.Model):
    """负面清单自查 (village) and 核实 (reviewer) of one veto item."""

    class Review(models.TextChoices):
        PENDING = "", "待核实"
        CONFIRMED = "confirmed", "属实"
        CLEARED = "cleared", "不属实"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="veto_checks")
    veto_item = models.ForeignKey("indices.VetoItem", on_delete=models.PROTECT, related_name="+")
    self_answer = models.BooleanField("自查存在该情形", null=True, blank=True)
    self_note = models.CharField("自查说明", max_length=300, blank=True)
    review = models.CharField(
        "核实结果", max_length=10, choices=Review.choices, default=Review.PENDING, blank=True
    )
    review_reason = models.CharField("核实说明", max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "负面清单核查"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["assessment", "veto_item"], name="veto_check_one_per_item")
        ]

    def __str__(self):
        return f"{self.assessment} {self.veto_item.code}"
