"""Versioned index standards (指数标准): dimension → indicator → optional sub-item, bonus, vetoes, grades.

A standard is immutable once any assessment uses it: every model here refuses to save or delete when
its standard is in use (see IndexStandard.is_in_use); a new year is a new version (services.standard_copy).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from common.errors import LockedError

from .formulas import formula_describe

SCORE = {"max_digits": 7, "decimal_places": 2}


class StandardLockedError(LockedError):
    """Raised when something tries to change a standard that an assessment already uses."""

    def __init__(self, standard):
        self.standard = standard
        super().__init__(
            f"《{standard.name}》（{standard.version}）已被测评使用，不能修改；请“以此为基础新建版本”。"
        )


def default_label(year):
    """The version label users see when none was written: 2025 → “2025年版”."""
    return f"{year}年版"


class IndexStandard(models.Model):
    class Level(models.TextChoices):
        VILLAGE = "village", "村级"
        TOWNSHIP = "township", "镇街"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        RETIRED = "retired", "已停用"

    class VetoEffect(models.TextChoices):
        FORCE_LOWEST = "force_lowest", "直接定为最低等次"

    code = models.CharField("标准编码", max_length=40)
    name = models.CharField("标准名称", max_length=120)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    year = models.PositiveSmallIntegerField("适用年度")
    version = models.CharField("版本", max_length=40)
    # What users read on sheets, forms and PDFs; `version` is the internal key (admin pages, imports).
    label = models.CharField(
        "版本名称",
        max_length=40,
        blank=True,
        help_text="用户看到的版本名称，如“2025年版”；留空则为“年度＋年版”",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    region = models.ForeignKey(
        "villages.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="standards",
        verbose_name="发布单位（市县区）",
    )
    township = models.ForeignKey(
        "villages.Township",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="standards",
        verbose_name="适用镇街（本地版本）",
    )
    total_base_score = models.DecimalField("基础分满分", **SCORE)
    score_precision = models.DecimalField("最小计分单位", **SCORE, default=Decimal("0.5"))
    scored_by = models.CharField("测评主体", max_length=30, blank=True)
    veto_lookback = models.CharField("否决项追溯期", max_length=30, blank=True)
    veto_effect = models.CharField(
        "否决效果", max_length=20, choices=VetoEffect.choices, default=VetoEffect.FORCE_LOWEST
    )
    veto_effect_label = models.CharField("否决效果说明", max_length=60, blank=True)
    bonus_total_cap = models.DecimalField("加分总上限", **SCORE, default=Decimal("0"))
    supervision_deduction_cap = models.DecimalField("日常监管扣分上限", **SCORE, default=Decimal("0"))
    notes = models.TextField("说明", blank=True)
    derived_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="来源版本"
    )
    source_sha256 = models.CharField("导入文件摘要", max_length=64, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "指数标准"
        verbose_name_plural = verbose_name
        ordering = ["-year", "level", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "year", "version"], name="standard_unique_version"),
            models.CheckConstraint(condition=Q(total_base_score__gt=0), name="standard_base_positive"),
            models.CheckConstraint(condition=Q(bonus_total_cap__gte=0), name="standard_bonus_cap_nonneg"),
            models.CheckConstraint(
                condition=Q(supervision_deduction_cap__gte=0), name="standard_deduction_cap_nonneg"
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.year}年 {self.version}）"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            self.guard_editable()
        if not self.label:
            self.label = default_label(self.year)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "label"}
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.guard_editable()
        return super().delete(*args, **kwargs)

    def is_in_use(self):
        if self.pk is None:
            return False
        return self.campaigns.exists()

    def guard_editable(self):
        if self.is_in_use():
            raise StandardLockedError(self)


class _StandardPart(models.Model):
    """A piece of a standard: refuses writes when the standard is in use."""

    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.standard.guard_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.standard.guard_editable()
        return super().delete(*args, **kwargs)


class Dimension(_StandardPart):
    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="dimensions")
    code = models.CharField("编码", max_length=20)
    name = models.CharField("名称", max_length=60)
    max_score = models.DecimalField("分值", **SCORE, validators=[MinValueValidator(0)])
    description = models.TextField("说明", blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "维度"
        verbose_name_plural = verbose_name
        ordering = ["standard_id", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="dimension_unique_code")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Indicator(_StandardPart):
    class Method(models.TextChoices):
        DEDUCTION = "deduction", "扣分制（扣完为止）"
        TIERED = "tiered", "分档计分"
        CHECKLIST = "checklist", "逐项计分"

    class ScoredBy(models.TextChoices):
        VILLAGE_AND_TOWNSHIP = "village_and_township", "村自评＋镇街初审"
        TOWNSHIP_ONLY = "township_only", "仅镇街评分"

    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="indicators")
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级指标",
    )
    code = models.CharField("编码", max_length=20)
    name = models.CharField("指标", max_length=120)
    max_score = models.DecimalField("分值", **SCORE, validators=[MinValueValidator(0)])
    scoring_method = models.CharField("计分方法", max_length=12, choices=Method.choices)
    scored_by = models.CharField(
        "评分主体", max_length=24, choices=ScoredBy.choices, default=ScoredBy.VILLAGE_AND_TOWNSHIP
    )
    guidance = models.TextField("评分标准与要求", blank=True)
    evidence = models.JSONField("佐证材料", default=list, blank=True)
    assessment_methods = models.JSONField("测评方式", default=list, blank=True)
    computed = models.BooleanField("系统计算", default=False)
    linked_to = models.CharField("关联数据", max_length=60, blank=True)
    # The declarative formula of a computed indicator (indices/formulas.py); {} when scored by hand.
    formula = models.JSONField("计算公式", default=dict, blank=True)
    source = models.CharField("来源", max_length=60, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "指标"
        verbose_name_plural = verbose_name
        ordering = ["standard_id", "dimension__sort_order", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="indicator_unique_code")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def formula_lines(self):
        return formula_describe(self.formula)


class ScoringRule(_StandardPart):
    """One deduction rule, tier or checklist item of an indicator, by the indicator's method."""

    class Kind(models.TextChoices):
        DEDUCTION = "deduction", "扣分"
        TIER = "tier", "档次"
        CHECK = "check", "计分项"

    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="rules")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    text = models.CharField("条件/内容", max_length=300)
    points = models.DecimalField("分值", **SCORE, validators=[MinValueValidator(0)])
    per = models.CharField("计量单位", max_length=20, blank=True, help_text="按次/人/项等累计扣分时填写")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "评分规则"
        verbose_name_plural = verbose_name
        ordering = ["indicator_id", "sort_order"]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.text}"


class BonusItem(_StandardPart):
    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="bonus_items")
    code = models.CharField("编码", max_length=20)
    name = models.CharField("加分项", max_length=120)
    rule = models.TextField("加分标准", blank=True)
    per_item_cap = models.DecimalField("单项上限", **SCORE, validators=[MinValueValidator(0)])
    evidence = models.JSONField("加分依据材料", default=list, blank=True)
    note = models.TextField("备注", blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "加分项"
        verbose_name_plural = verbose_name
        ordering = ["standard_id", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="bonus_unique_code")]

    def __str__(self):
        return f"{self.code} {self.name}"


class SupervisionDeductionItem(_StandardPart):
    """日常监管扣分 rule: fed from the monthly ledger, capped by IndexStandard.supervision_deduction_cap."""

    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="supervision_items")
    code = models.CharField("编码", max_length=20)
    condition = models.CharField("情形", max_length=200)
    points = models.DecimalField("扣分", **SCORE, null=True, blank=True, validators=[MinValueValidator(0)])
    per = models.CharField("计量单位", max_length=20, blank=True)
    multiplier = models.DecimalField(
        "扣分系数", max_digits=5, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    note = models.TextField("备注", blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "日常监管扣分项"
        verbose_name_plural = verbose_name
        ordering = ["standard_id", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="supervision_item_unique_code"),
            models.CheckConstraint(
                condition=Q(points__isnull=False) | Q(multiplier__isnull=False),
                name="supervision_item_points_or_multiplier",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.condition}"


class VetoItem(_StandardPart):
    """负面清单 / 一票否决 item."""

    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="veto_items")
    code = models.CharField("编码", max_length=20)
    description = models.CharField("情形", max_length=300)
    source = models.CharField("来源", max_length=60, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "否决项"
        verbose_name_plural = verbose_name
        ordering = ["standard_id", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="veto_unique_code")]

    def __str__(self):
        return f"{self.code} {self.description}"


class Grade(_StandardPart):
    """A named grade of the standard's scheme: the scheme is data, evaluated in `rank` order."""

    standard = models.ForeignKey(IndexStandard, on_delete=models.CASCADE, related_name="grades")
    code = models.CharField("编码", max_length=20)
    name = models.CharField("等次", max_length=20)
    rank = models.PositiveSmallIntegerField("顺序", help_text="1 为最高等次")
    min_score = models.DecimalField("最低分", **SCORE, validators=[MinValueValidator(0)])
    counts_as_qinglian = models.BooleanField("认定为清廉村居", default=True)
    requires_no_veto = models.BooleanField("须无否决情形", default=True)
    min_dimension_ratio = models.DecimalField(
        "各维度最低得分率", max_digits=4, decimal_places=3, null=True, blank=True
    )
    extra_conditions = models.JSONField("附加条件", default=list, blank=True)
    final_decision_by = models.CharField("最终认定", max_length=20, blank=True)

    class Meta:
        verbose_name = "等次"
        verbose_name_plural = verbose_name
        ordering = ["standard_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="grade_unique_code"),
            models.UniqueConstraint(fields=["standard", "rank"], name="grade_unique_rank"),
        ]

    def __str__(self):
        return self.name
