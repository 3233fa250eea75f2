"""The organisation tree: 市/县 → 镇/街道 → 党总支 (optional) → 村/社区, and the township's bodies."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from common.errors import InvalidInputError
from common.rounds import RoundKind

# Days before a campaign deadline on which reminders go out, unless the township sets its own.
DEFAULT_REMINDER_DAYS = (7, 3, 1, 0)
MAX_REMINDER_DAY = 30
MAX_REMINDER_COUNT = 6
REMINDER_DAYS_HELP = "截止日前几天发出提醒，0 表示截止当天；用逗号分隔，如 7,3,1,0"


def parse_reminder_days(text):
    """The lead times written as "7,3,1,0" (also with ，、 or spaces), largest first; InvalidInputError."""
    parts = [p for p in re.split(r"[,，、\s]+", str(text or "").strip()) if p]
    if not parts:
        raise InvalidInputError("请填写提醒提前天数。")
    days = []
    for part in parts:
        if not part.isascii() or not part.isdigit() or int(part) > MAX_REMINDER_DAY:
            raise InvalidInputError(
                f"提醒提前天数须为 0 到 {MAX_REMINDER_DAY} 之间的整数，用逗号分隔，如 7,3,1,0。"
            )
        if int(part) in days:
            raise InvalidInputError(f"提醒提前天数“{int(part)}”重复。")
        days.append(int(part))
    if len(days) > MAX_REMINDER_COUNT:
        raise InvalidInputError(f"提醒提前天数最多 {MAX_REMINDER_COUNT} 个。")
    return tuple(sorted(days, reverse=True))


def validate_reminder_days(value):
    """Field validator (the admin's form): the same rule as the settings page."""
    try:
        parse_reminder_days(value)
    except InvalidInputError as e:
        raise ValidationError(e.message) from None


def format_reminder_days(days):
    return ",".join(str(d) for d in days)


def new_public_key():
    """An opaque, unguessable key for public addresses (QR codes, published pages): internal ids are
    never exposed to the public side."""
    return secrets.token_urlsafe(9)


class Region(models.Model):
    """A city or county office (市/县/区) that issues the standards and selects 示范村."""

    class Kind(models.TextChoices):
        CITY = "city", "市"
        COUNTY = "county", "县"
        DISTRICT = "district", "区"

    name = models.CharField("名称", max_length=50, unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.CITY)

    class Meta:
        verbose_name = "市（县、区）"
        verbose_name_plural = verbose_name
        ordering = ["name"]

    def __str__(self):
        return self.name


class Township(models.Model):
    class Kind(models.TextChoices):
        TOWN = "town", "镇"
        SUBDISTRICT = "subdistrict", "街道"
        TOWNSHIP = "township", "乡"

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="townships", verbose_name="所属市（县、区）"
    )
    name = models.CharField("名称", max_length=50)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.TOWN)
    ledger_due_day = models.PositiveSmallIntegerField(
        "台账报送截止日", default=2, help_text="每月几日前报送上月日常监管台账"
    )
    reminder_days = models.CharField(
        "截止日提醒",
        max_length=40,
        default=format_reminder_days(DEFAULT_REMINDER_DAYS),
        help_text=REMINDER_DAYS_HELP,
        validators=[validate_reminder_days],
    )
    public_key = models.CharField(
        "公开页面标识", max_length=16, unique=True, default=new_public_key, editable=False
    )

    class Meta:
        verbose_name = "镇（街道）"
        verbose_name_plural = verbose_name
        ordering = ["region__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="township_unique_name_in_region"),
            models.CheckConstraint(
                condition=Q(ledger_due_day__gte=1) & Q(ledger_due_day__lte=28), name="township_due_day_1_28"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def reminder_offsets(self):
        """The township's lead times, largest first; a stored value that no longer parses falls back to
        the default rather than silencing every reminder."""
        try:
            return parse_reminder_days(self.reminder_days)
        except InvalidInputError:
            return DEFAULT_REMINDER_DAYS


class PartyBranch(models.Model):
    """党总支: groups several villages of one township; townships without them leave villages unassigned."""

    township = models.ForeignKey(
        Township, on_delete=models.CASCADE, related_name="branches", verbose_name="所属镇街"
    )
    name = models.CharField("名称", max_length=50)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "党总支"
        verbose_name_plural = verbose_name
        ordering = ["township_id", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="branch_unique_name_in_township")
        ]

    def __str__(self):
        return self.name


class Village(models.Model):
    class Kind(models.TextChoices):
        VILLAGE = "village", "村"
        COMMUNITY = "community", "社区"

    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="villages", verbose_name="所属镇街"
    )
    branch = models.ForeignKey(
        PartyBranch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="villages",
        verbose_name="所属党总支",
    )
    name = models.CharField("村（社区）名称", max_length=50)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.VILLAGE)
    code = models.CharField("编码", max_length=30, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("参与建设", default=True)
    public_key = models.CharField(
        "公开页面标识", max_length=16, unique=True, default=new_public_key, editable=False
    )

    class Meta:
        verbose_name = "村（社区）"
        verbose_name_plural = verbose_name
        ordering = ["township_id", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="village_unique_name_in_township")
        ]

    def __str__(self):
        return self.name


class ResponsibleUnit(models.Model):
    """责任单位: supervises villages (or areas of the standard) monthly and keeps the ledger."""

    township = models.ForeignKey(
        Township, on_delete=models.CASCADE, related_name="units", verbose_name="所属镇街"
    )
    name = models.CharField("单位名称", max_length=50)
    leader_name = models.CharField("责任领导", max_length=30, blank=True)
    contact_name = models.CharField("责任人", max_length=30, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    areas = models.JSONField("监管领域", default=list, blank=True, help_text="如：三资管理、四议两公开")
    villages = models.ManyToManyField(
        Village, blank=True, related_name="units", verbose_name="监管村（社区）"
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "责任单位"
        verbose_name_plural = verbose_name
        ordering = ["township_id", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="unit_unique_name_in_township")
        ]

    def __str__(self):
        return self.name


class WorkingGroupMember(models.Model):
    """A member of the township's 工作专班 / 领导小组 roster."""

    class GroupRole(models.TextChoices):
        LEADER = "leader", "组长"
        DEPUTY = "deputy", "副组长"
        MEMBER = "member", "成员"

    township = models.ForeignKey(
        Township, on_delete=models.CASCADE, related_name="working_group", verbose_name="所属镇街"
    )
    name = models.CharField("姓名", max_length=30)
    position = models.CharField("职务", max_length=60, blank=True)
    group_role = models.CharField(
        "专班职务", max_length=10, choices=GroupRole.choices, default=GroupRole.MEMBER
    )
    unit = models.ForeignKey(
        ResponsibleUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="所在单位",
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "工作专班成员"
        verbose_name_plural = verbose_name
        ordering = ["township_id", "sort_order", "id"]

    def __str__(self):
        return f"{self.name}（{self.get_group_role_display()}）"


class AnnualTarget(models.Model):
    """The township's goal for a year: counts per grade (鲍沟镇) or a share reaching the standard (三管镇).

    One per township, year and round kind: the annual round's target is the year's target (kind
    年度测评, what every existing row is); a 中期评估 or 试点验收 round of the same year has its own row,
    since a township holds at most one round of each kind a year (assessments.Campaign).
    """

    class Mode(models.TextChoices):
        COUNTS = "counts", "按等次数量"
        SHARE = "share", "按达标比例"

    Kind = RoundKind

    township = models.ForeignKey(
        Township, on_delete=models.CASCADE, related_name="targets", verbose_name="镇街"
    )
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("测评轮次", max_length=10, choices=RoundKind.choices, default=RoundKind.ANNUAL)
    mode = models.CharField("目标方式", max_length=10, choices=Mode.choices)
    share_percent = models.DecimalField(
        "达标比例（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    cumulative = models.BooleanField("累计口径", default=False, help_text="数量含往年已评定的村")
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "年度目标"
        verbose_name_plural = verbose_name
        ordering = ["township_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["township", "year", "kind"], name="target_unique_year_kind"),
            models.CheckConstraint(
                condition=Q(mode="counts", share_percent__isnull=True)
                | Q(mode="share", share_percent__gte=0, share_percent__lte=100),
                name="target_share_matches_mode",
            ),
        ]

    def __str__(self):
        if self.kind == RoundKind.ANNUAL:
            return f"{self.township} {self.year}年目标"
        return f"{self.township} {self.year}年{self.get_kind_display()}目标"


class AnnualTargetGrade(models.Model):
    target = models.ForeignKey(AnnualTarget, on_delete=models.CASCADE, related_name="grade_counts")
    grade_code = models.CharField("等次编码", max_length=20)
    grade_name = models.CharField("等次名称", max_length=20)
    count = models.PositiveIntegerField("数量")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "等次目标"
        verbose_name_plural = verbose_name
        ordering = ["target_id", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["target", "grade_code"], name="target_grade_unique")]

    def __str__(self):
        return f"{self.grade_name} {self.count}"


class CreationBatch(models.Model):
    """三管镇-style plan: which village is to reach the standard in which year, with a 标杆村 each year."""

    township = models.ForeignKey(
        Township, on_delete=models.CASCADE, related_name="batches", verbose_name="镇街"
    )
    village = models.OneToOneField(
        Village, on_delete=models.CASCADE, related_name="batch", verbose_name="村（社区）"
    )
    year = models.PositiveSmallIntegerField("计划完成年度")
    is_benchmark = models.BooleanField("标杆村", default=False)

    class Meta:
        verbose_name = "创建批次"
        verbose_name_plural = verbose_name
        ordering = ["township_id", "year", "-is_benchmark", "village__sort_order"]

    def __str__(self):
        return f"{self.year}年 {self.village}{'（标杆村）' if self.is_benchmark else ''}"
