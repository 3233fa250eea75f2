"""The yearly assessment cycle: campaigns, one assessment per subject (village, or township for the
镇街-level standard), indicator scores, bonus claims, veto checks, evidence, sign-offs and events.

Totals on Assessment are derived data: services recompute them from the lines on every change (never
increment them), so that aggregation for boards and dashboards can stay in SQL.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

SCORE = {"max_digits": 7, "decimal_places": 2}


class Campaign(models.Model):
    """测评年度: one standard version, one year, and its subjects.

    A village-level campaign belongs to a township and scores its villages; a township-level campaign
    belongs to a city (region) and scores its townships against the 镇街 standard.
    """

    class Level(models.TextChoices):
        VILLAGE = "village", "村级测评"
        TOWNSHIP = "township", "镇街测评"

    level = models.CharField("层级", max_length=10, choices=Level.choices, default=Level.VILLAGE)
    region = models.ForeignKey("villages.Region", on_delete=models.PROTECT, related_name="campaigns")
    township = models.ForeignKey(
        "villages.Township", on_delete=models.PROTECT, related_name="campaigns", null=True, blank=True
    )
    year = models.PositiveSmallIntegerField("年度")
    standard = models.ForeignKey(
        "indices.IndexStandard", on_delete=models.PROTECT, related_name="campaigns", verbose_name="指数标准"
    )
    name = models.CharField("名称", max_length=100)
    self_deadline = models.DateField("自评截止日", null=True, blank=True)
    submission_deadline = models.DateField("报送截止日", null=True, blank=True)
    city_deadline = models.DateField("报市截止日", null=True, blank=True)
    grades_confirmed_at = models.DateTimeField("定级确认时间", null=True, blank=True)
    grades_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "测评年度"
        verbose_name_plural = verbose_name
        ordering = ["-year", "level", "township_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "year", "level"],
                condition=Q(level="village"),
                name="campaign_one_village_campaign_per_township_year",
            ),
            models.UniqueConstraint(
                fields=["region", "year", "level"],
                condition=Q(level="township"),
                name="campaign_one_township_campaign_per_region_year",
            ),
            models.CheckConstraint(
                condition=Q(level="village", township__isnull=False)
                | Q(level="township", township__isnull=True),
                name="campaign_township_matches_level",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_confirmed(self):
        return self.grades_confirmed_at is not None


class Assessment(models.Model):
    """One subject's assessment in a campaign: a village (village level) or a township (township level)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "填报中"
        SUBMITTED = "submitted", "村已提交"
        FORWARDED = "forwarded", "已报镇街"
        IN_REVIEW = "in_review", "初审中"
        RETURNED = "returned", "已退回"
        REVIEWED = "reviewed", "初审完成"
        CONFIRMED = "confirmed", "已定级"

    class CityDecision(models.TextChoices):
        PENDING = "", "待评选"
        CONFIRMED = "confirmed", "认定为示范村"
        OTHER = "other", "认定为其他等次"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assessments")
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    township = models.ForeignKey("villages.Township", on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    round = models.PositiveSmallIntegerField("报送轮次", default=0)
    version = models.PositiveIntegerField("版本", default=1)
    started_at = models.DateTimeField("开始填报", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    forwarded_at = models.DateTimeField("报镇街时间", null=True, blank=True)
    reviewed_at = models.DateTimeField("初审完成时间", null=True, blank=True)
    reopened_until = models.DateTimeField("延期填报至", null=True, blank=True)

    # 申请表 fields (FORMS.md)
    secretary_name = models.CharField("村党组织书记", max_length=30, blank=True)
    director_name = models.CharField("村委会主任", max_length=30, blank=True)
    supervisor_chair_name = models.CharField("村务监督委员会主任", max_length=30, blank=True)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)
    party_members = models.PositiveIntegerField("党员数", null=True, blank=True)
    committee_members = models.PositiveIntegerField("两委成员数", null=True, blank=True)
    collective_income = models.DecimalField(
        "上年度村集体经营性收入（万元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    applied_grade = models.CharField("申报等次", max_length=20, blank=True)
    achievements = models.TextField("主要做法与成效", blank=True)
    problems = models.TextField("存在问题及整改措施", blank=True)

    # Derived totals, recomputed from the lines by services.scoring.assessment_recompute.
    self_total = models.DecimalField("自评总分", **SCORE, default=0)
    self_bonus = models.DecimalField("自评加分", **SCORE, default=0)
    review_base = models.DecimalField("初审基础分", **SCORE, default=0)
    bonus_accepted = models.DecimalField("认定加分", **SCORE, default=0)
    supervision_deduction = models.DecimalField("日常监管扣分", **SCORE, default=0)
    final_score = models.DecimalField("总分", **SCORE, default=0)
    veto_confirmed = models.BooleanField("否决情形属实", default=False)
    proposed_grade = models.CharField("拟定等次", max_length=20, blank=True)
    final_grade = models.CharField("定级等次", max_length=20, blank=True)
    grade_override_reason = models.CharField("调整等次理由", max_length=300, blank=True)
    city_candidate = models.BooleanField("报市评选", default=False)
    city_decision = models.CharField(
        "市级认定", max_length=10, choices=CityDecision.choices, default=CityDecision.PENDING, blank=True
    )
    city_grade = models.CharField("市级认定等次", max_length=20, blank=True)
    city_reason = models.CharField("市级评审意见", max_length=500, blank=True)
    city_decided_at = models.DateTimeField("市级认定时间", null=True, blank=True)

    class Meta:
        verbose_name = "测评"
        verbose_name_plural = verbose_name
        ordering = ["campaign_id", "village__sort_order", "township__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "village"],
                condition=Q(village__isnull=False),
                name="assessment_one_per_village",
            ),
            models.UniqueConstraint(
                fields=["campaign", "township"],
                condition=Q(village__isnull=True),
                name="assessment_one_per_township",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"])]

    def __str__(self):
        return f"{self.campaign.year}年 {self.subject_name}"

    @property
    def subject_name(self):
        return self.village.name if self.village_id else self.township.name

    @property
    def effective_grade(self):
        """The grade that stands: the city's decision for a candidate, else the township's."""
        return self.city_grade or self.final_grade


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


class Evidence(models.Model):
    """An uploaded file: indicator evidence, bonus evidence or the stamped application form.

    Stored under a generated name outside any public URL; the original name is metadata only.
    """

    class Kind(models.TextChoices):
        INDICATOR = "indicator", "指标佐证"
        BONUS = "bonus", "加分依据"
        APPLICATION_FORM = "application_form", "盖章申请表"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    indicator = models.ForeignKey(
        "indices.Indicator", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bonus_claim = models.ForeignKey(
        BonusClaim, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence"
    )
    file = models.FileField(upload_to="evidence/%Y/%m/", max_length=200)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField("大小")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    round = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = verbose_name
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="indicator", indicator__isnull=False, bonus_claim__isnull=True)
                | Q(kind="bonus", indicator__isnull=True, bonus_claim__isnull=False)
                | Q(kind="application_form", indicator__isnull=True, bonus_claim__isnull=True),
                name="evidence_target_matches_kind",
            )
        ]

    def __str__(self):
        return self.original_name


class Signoff(models.Model):
    """Sign-off of a submission round by a 两委 member or a 村务监督委员会 member."""

    class Side(models.TextChoices):
        COMMITTEE = "committee", "村“两委”"
        SUPERVISOR = "supervisor", "村务监督委员会"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="signoffs")
    side = models.CharField("签署方", max_length=12, choices=Side.choices)
    round = models.PositiveSmallIntegerField("轮次")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opinion = models.CharField("意见", max_length=300, blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "签署"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["assessment", "side", "round"], name="signoff_one_per_side_round")
        ]

    def __str__(self):
        return f"{self.get_side_display()} 第{self.round}轮"


class AssessmentEvent(models.Model):
    """Every transition and every score change: who, when, from → to, reason."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField("操作", max_length=40)
    subject = models.CharField("对象", max_length=120, blank=True)
    from_value = models.CharField("原值", max_length=200, blank=True)
    to_value = models.CharField("新值", max_length=200, blank=True)
    reason = models.TextField("理由", blank=True)
    round = models.PositiveSmallIntegerField("轮次", default=0)

    class Meta:
        verbose_name = "测评记录"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.action} {self.subject}"


class VetoEvent(models.Model):
    """A veto situation found during the year (e.g. a discipline case): downgrades a graded village."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="veto_events")
    veto_item = models.ForeignKey("indices.VetoItem", on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField("发生日期")
    description = models.TextField("情况说明")
    grade_before = models.CharField("原等次", max_length=20)
    grade_after = models.CharField("调整后等次", max_length=20)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "否决事项"
        verbose_name_plural = verbose_name
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.assessment} {self.veto_item.code}"


class DemonstrationApplication(models.Model):
    """The extra fields of the 示范村申请表 for a candidate put forward to the city (FORMS.md)."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="demonstration")
    brand_name = models.CharField("特色亮点/清廉品牌名称", max_length=100, blank=True)
    experience = models.TextField("典型经验材料", blank=True)
    honours = models.TextField("近三年获得荣誉", blank=True)
    satisfaction = models.CharField("群众满意度测评结果", max_length=100, blank=True)
    recommendation_rank = models.PositiveSmallIntegerField("镇街推荐排序", null=True, blank=True)
    township_opinion = models.TextField("镇街党（工）委推荐意见", blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    EXPERIENCE_MAX = 3000

    class Meta:
        verbose_name = "示范村申请表"
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.assessment} 示范村申请表"
