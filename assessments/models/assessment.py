"""The campaign (测评年度) and its assessments, one per subject, with their derived totals."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.rounds import RoundKind

SCORE = {"max_digits": 7, "decimal_places": 2}


class CampaignQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # a bulk update renews the cached rows of the campaigns it wrote, as a save does (rowcache)
        from ..rowcache import campaigns_changed

        rows = list(self.values_list("pk", "township_id", "region_id"))
        count = super().update(**kwargs)
        campaigns_changed(rows)
        return count


class Campaign(models.Model):
    """测评年度: one standard version, one year, and its subjects.

    A village-level campaign belongs to a township and scores its villages; a township-level campaign
    belongs to a city (region) and scores its townships against the 镇街 standard.

    A village-level campaign is one evaluation round (测评轮次) of its `kind`: a township may hold several
    in a year (a 试点验收 of one community, a 中期评估 and a 终期评估 beside the 年度测评), but at most one
    of each kind, so that "the annual round of a township-year" (publication, the city's 示范村 flow,
    the year's target) is always one row. Each round has its own standard, villages, target and dates.
    """

    Kind = RoundKind

    class Level(models.TextChoices):
        VILLAGE = "village", "村级测评"
        TOWNSHIP = "township", "镇街测评"

    level = models.CharField("层级", max_length=10, choices=Level.choices, default=Level.VILLAGE)
    kind = models.CharField("测评轮次", max_length=10, choices=RoundKind.choices, default=RoundKind.ANNUAL)
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

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = "测评年度"
        verbose_name_plural = verbose_name
        ordering = ["-year", "level", "township_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "year", "kind"],
                condition=Q(level="village"),
                name="campaign_one_round_of_each_kind_per_township_year",
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
            models.CheckConstraint(
                condition=Q(level="village") | Q(kind="annual"),
                name="campaign_township_level_is_annual",
            ),
        ]
        # year pickers, the city's pages and the dashboards filter a region's campaigns by year and kind
        indexes = [models.Index(fields=["region", "year", "kind"], name="campaign_region_year_kind")]

    def __str__(self):
        return self.name

    @property
    def is_confirmed(self):
        return self.grades_confirmed_at is not None

    @property
    def is_annual(self):
        return self.kind == RoundKind.ANNUAL

    @property
    def target_label(self):
        """ "2025年度目标" (the annual round's) or "2025年度中期评估目标"."""
        return f"{self.year}年度{'' if self.is_annual else self.get_kind_display()}目标"

    @property
    def result_label(self):
        """ "测评" for the annual round, else the kind: "2025年度“清廉村居”中期评估结果"."""
        return "测评" if self.is_annual else self.get_kind_display()

    @property
    def round_label(self):
        """ "2025年 中期评估": how pages that list several rounds of a year tell them apart."""
        return f"{self.year}年 {self.get_kind_display()}"


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

    # Read models for the dashboards (assessments.readmodels), refreshed in the transaction of every
    # write that changes what they summarize, so that no page aggregates the score table per request.
    # dimension code → the sum of the effective indicator scores (review, else self) as a decimal string;
    # a dimension appears once the assessment has a score line in it.
    dimension_scores = models.JSONField("维度得分（汇总）", default=dict, blank=True, editable=False)
    # The grade that stood for the same village in the township's annual round of the year before
    # ('' if none): the year-over-year figures read it instead of a correlated subquery per village.
    previous_grade = models.CharField("上年度等次（汇总）", max_length=20, blank=True, editable=False)

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
        indexes = [
            models.Index(fields=["campaign", "status"]),
            # the city's 示范村 board and its year summary read only the candidates (~7 % of the rows)
            models.Index(
                fields=["campaign", "city_decision"],
                condition=Q(city_candidate=True),
                name="assessment_city_candidates",
            ),
        ]

    def __str__(self):
        return f"{self.campaign.year}年 {self.subject_name}"

    @property
    def subject_name(self):
        return self.village.name if self.village_id else self.township.name

    @property
    def is_graded(self):
        """The township's review is complete: only then is the grade shown as 定级 (before that, at
        most as an estimate from the self-assessment, see assessments.estimates)."""
        return self.status in (self.Status.REVIEWED, self.Status.CONFIRMED)

    @property
    def effective_grade(self):
        """The grade that stands: the city's decision for a candidate, else the township's."""
        return self.city_grade or self.final_grade
