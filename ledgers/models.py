"""The monthly supervision ledger (日常监管台账), rectification items (整改) and the plan's task list.

A responsible unit submits one ledger per month (by the township's due day of the following month);
problems in it, in the township review and in the city's feedback become rectification items tracked to
closure; confirmed ledger deductions feed the village's yearly score within the standard's cap.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

SCORE = {"max_digits": 7, "decimal_places": 2}


class LedgerSubmission(models.Model):
    """One unit's ledger for one month. A zero report (本月无问题) is a valid submission."""

    class Status(models.TextChoices):
        DRAFT = "draft", "填报中"
        SUBMITTED = "submitted", "已报送"

    class Source(models.TextChoices):
        WEB = "web", "网页填报"
        EXCEL = "excel", "Excel 上传"

    unit = models.ForeignKey("villages.ResponsibleUnit", on_delete=models.PROTECT, related_name="ledgers")
    year = models.PositiveSmallIntegerField("年")
    month = models.PositiveSmallIntegerField("月")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    zero_report = models.BooleanField("本月无问题（零报告）", default=False)
    filled_by_name = models.CharField("填报人", max_length=30, blank=True)
    approved_by_name = models.CharField("审核人（单位负责人）", max_length=30, blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.WEB)
    source_sha256 = models.CharField("上传文件摘要", max_length=64, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "日常监管台账"
        verbose_name_plural = verbose_name
        ordering = ["-year", "-month", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "month"], name="ledger_one_per_unit_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="ledger_month_1_12"),
        ]
        # the ledger list's newest-first order and its year/month filters across many units
        indexes = [models.Index(fields=["year", "month", "unit"], name="ledger_year_month_unit")]

    def __str__(self):
        return f"{self.unit} {self.year}年{self.month}月台账"


class LedgerEntry(models.Model):
    """One row of the ledger (FORMS.md columns). `seq` (序号) identifies the row when a month is
    uploaded again, so a re-upload updates rows instead of duplicating them."""

    class Category(models.TextChoices):
        SIYI = "siyi", "四议两公开"
        SANZI = "sanzi", "三资管理"
        PROJECT = "project", "工程项目"
        BENEFIT = "benefit", "惠民资金"
        DISCLOSURE = "disclosure", "三务公开"
        CONDUCT = "conduct", "作风纪律"
        SUPERVISION = "supervision", "村务监督"
        OTHER = "other", "其他"

    class Method(models.TextChoices):
        ROUTINE = "routine", "日常检查"
        SPECIAL = "special", "专项督查"
        PLATFORM = "platform", "平台预警"
        PETITION = "petition", "信访核查"
        PUBLIC = "public", "群众反映"
        AUDIT = "audit", "审计巡察移交"

    class Level(models.TextChoices):
        NONE = "", "无问题"
        GENERAL = "general", "一般"
        SERIOUS = "serious", "较重"
        GRAVE = "grave", "严重"
        NEGATIVE_LIST = "negative_list", "涉及负面清单"

    class RectifyStatus(models.TextChoices):
        OPEN = "open", "未整改"
        IN_PROGRESS = "in_progress", "整改中"
        RESPONDED = "responded", "已整改待验收"
        CLOSED = "closed", "已销号"
        OVERDUE = "overdue", "逾期"

    submission = models.ForeignKey(LedgerSubmission, on_delete=models.CASCADE, related_name="entries")
    seq = models.PositiveIntegerField("序号")
    village = models.ForeignKey("villages.Village", on_delete=models.PROTECT, related_name="ledger_entries")
    category = models.CharField("监管事项类别", max_length=12, choices=Category.choices)
    indicator_code = models.CharField("关联指标", max_length=20, blank=True)
    method = models.CharField("监管方式", max_length=10, choices=Method.choices)
    checked_on = models.DateField("检查（发现）日期")
    checker = models.CharField("检查人员", max_length=60)
    finding = models.TextField("问题描述", blank=True)
    level = models.CharField("问题等级", max_length=14, choices=Level.choices, default=Level.NONE, blank=True)
    proposed_deduction = models.DecimalField("拟扣分", **SCORE, default=0)
    requirement = models.TextField("整改要求", blank=True)
    owner = models.CharField("整改责任人", max_length=30, blank=True)
    deadline = models.DateField("整改时限", null=True, blank=True)
    rectify_status = models.CharField(
        "整改状态", max_length=12, choices=RectifyStatus.choices, blank=True, default=""
    )
    rectify_note = models.TextField("整改情况说明及佐证", blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    self_reported = models.BooleanField("主动发现/报告", default=False)
    note = models.CharField("备注", max_length=300, blank=True)
    # The township confirms a problem before its deduction counts towards the yearly score.
    deduction_confirmed = models.BooleanField("扣分已确认", default=False)
    confirmed_deduction = models.DecimalField("确认扣分", **SCORE, null=True, blank=True)

    class Meta:
        verbose_name = "台账记录"
        verbose_name_plural = verbose_name
        ordering = ["submission_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "seq"], name="ledger_entry_unique_seq"),
            models.CheckConstraint(
                condition=Q(proposed_deduction__gte=0), name="ledger_entry_deduction_nonneg"
            ),
        ]

    def __str__(self):
        return f"{self.submission} 第{self.seq}条"

    @property
    def has_problem(self):
        return bool(self.level)


class Rectification(models.Model):
    """整改事项: from a ledger problem, the township review, the city's feedback or a villager's message."""

    class Source(models.TextChoices):
        LEDGER = "ledger", "日常监管"
        REVIEW = "review", "镇街初审"
        CITY = "city", "市级反馈"
        FEEDBACK = "feedback", "群众意见"

    class Status(models.TextChoices):
        OPEN = "open", "未整改"
        RESPONDED = "responded", "已整改待验收"
        CLOSED = "closed", "已销号"

    township = models.ForeignKey("villages.Township", on_delete=models.PROTECT, related_name="rectifications")
    village = models.ForeignKey("villages.Village", on_delete=models.PROTECT, related_name="rectifications")
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="rectification"
    )
    assessment = models.ForeignKey(
        "assessments.Assessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectifications",
    )
    problem = models.TextField("问题")
    requirement = models.TextField("整改要求")
    owner = models.CharField("整改责任人", max_length=30, blank=True)
    deadline = models.DateField("整改时限")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    response = models.TextField("整改情况说明", blank=True)
    responded_at = models.DateTimeField("整改反馈时间", null=True, blank=True)
    verified_at = models.DateTimeField("验收时间", null=True, blank=True)
    verify_note = models.CharField("验收意见", max_length=300, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "整改事项"
        verbose_name_plural = verbose_name
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["township", "status", "deadline"]),
            # the list across many townships: by due date (the default order), and by status then due date
            models.Index(fields=["deadline", "id"], name="rectification_due"),
            models.Index(fields=["status", "deadline"], name="rectification_status_due"),
        ]

    def __str__(self):
        return f"{self.village} {self.problem[:20]}"


class RectificationEvent(models.Model):
    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField("操作", max_length=30)
    from_status = models.CharField("原状态", max_length=10, blank=True)
    to_status = models.CharField("新状态", max_length=10, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "整改记录"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.action} {self.at:%Y-%m-%d}"


class PlanTask(models.Model):
    """A numbered task of the township's implementation plan, kept as the plan writes it: the group
    (工作要点 / 工程 / area), 重点任务 and 推进措施, the 牵头单位 and 责任单位 (links and the text as
    written), the 责任人 as written and the 完成时限 verbatim with the due date read from it.

    A collective responsible party ("各村居", "各党总支") fans the task out into one `PlanSubTask` per
    village or party branch of the township, each with its own status and progress."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "未开始"
        IN_PROGRESS = "in_progress", "推进中"
        DONE = "done", "已完成"
        ONGOING = "ongoing", "长期推进"

    class FanOut(models.TextChoices):
        NONE = "", "不分解"
        VILLAGES = "villages", "各村（社区）"
        BRANCHES = "branches", "各党总支"

    township = models.ForeignKey("villages.Township", on_delete=models.CASCADE, related_name="plan_tasks")
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("序号")
    key_point = models.CharField("工作要点", max_length=200)
    task = models.TextField("重点任务")
    measures = models.TextField("推进措施", blank=True)
    lead_units = models.ManyToManyField(
        "villages.ResponsibleUnit", blank=True, related_name="led_plan_tasks", verbose_name="牵头单位"
    )
    lead_text = models.CharField("牵头单位（原文）", max_length=300, blank=True)
    units = models.ManyToManyField("villages.ResponsibleUnit", blank=True, related_name="plan_tasks")
    units_text = models.CharField("责任单位（原文）", max_length=300, blank=True)
    fan_out = models.CharField("分解到", max_length=10, choices=FanOut.choices, blank=True, default="")
    responsible_person = models.CharField("责任人", max_length=300, blank=True)
    deadline_text = models.CharField("完成时限", max_length=500, blank=True)
    deadline = models.DateField("完成日期", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    is_closed = models.BooleanField("已关闭", default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "工作任务"
        verbose_name_plural = verbose_name
        ordering = ["township_id", "year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["township", "year", "number"], name="plan_task_unique_number")
        ]

    def __str__(self):
        return f"{self.number}. {self.task[:30]}"


class PlanSubTask(models.Model):
    """One village's (or party branch's) share of a task given to "各村居" / "各党总支"."""

    task = models.ForeignKey(PlanTask, on_delete=models.CASCADE, related_name="subtasks")
    village = models.ForeignKey(
        "villages.Village", on_delete=models.CASCADE, null=True, blank=True, related_name="plan_subtasks"
    )
    branch = models.ForeignKey(
        "villages.PartyBranch", on_delete=models.CASCADE, null=True, blank=True, related_name="plan_subtasks"
    )
    status = models.CharField(
        "状态", max_length=12, choices=PlanTask.Status.choices, default=PlanTask.Status.NOT_STARTED
    )

    class Meta:
        verbose_name = "分解任务"
        verbose_name_plural = verbose_name
        ordering = ["task_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(village__isnull=False, branch__isnull=True)
                | Q(village__isnull=True, branch__isnull=False),
                name="plan_subtask_village_xor_branch",
            ),
            models.UniqueConstraint(fields=["task", "village"], name="plan_subtask_one_per_village"),
            models.UniqueConstraint(fields=["task", "branch"], name="plan_subtask_one_per_branch"),
        ]

    def __str__(self):
        return f"{self.task}（{self.party}）"

    @property
    def party(self):
        return self.village or self.branch


class TaskProgress(models.Model):
    """A monthly progress entry on a plan task: by a responsible unit, or by a village / party branch on
    its sub-task."""

    task = models.ForeignKey(PlanTask, on_delete=models.CASCADE, related_name="progress")
    unit = models.ForeignKey(
        "villages.ResponsibleUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subtask = models.ForeignKey(
        PlanSubTask, on_delete=models.CASCADE, null=True, blank=True, related_name="progress"
    )
    year = models.PositiveSmallIntegerField("年")
    month = models.PositiveSmallIntegerField("月")
    text = models.TextField("进展情况")
    status = models.CharField("状态", max_length=12, choices=PlanTask.Status.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "任务进展"
        verbose_name_plural = verbose_name
        ordering = ["task_id", "year", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit", "year", "month"], name="task_progress_one_per_month"
            ),
            models.UniqueConstraint(
                fields=["subtask", "year", "month"], name="task_progress_subtask_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(unit__isnull=False, subtask__isnull=True)
                | Q(unit__isnull=True, subtask__isnull=False),
                name="task_progress_unit_xor_subtask",
            ),
        ]

    def __str__(self):
        return f"{self.task} {self.year}年{self.month}月"


class TaskProgressEvidence(models.Model):
    """进展佐证: a file attached to a progress report, checked like assessment evidence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    progress = models.ForeignKey(TaskProgress, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="task_progress/%Y/%m/", max_length=200)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField("大小")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "进展佐证"
        verbose_name_plural = verbose_name
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name


class PlanTaskEvent(models.Model):
    """A task closed or reopened, with the reason (the audit log keeps the actor and time as well)."""

    task = models.ForeignKey(PlanTask, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=10)
    reason = models.TextField("原因")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "任务关闭/重新打开记录"
        verbose_name_plural = verbose_name
        ordering = ["task_id", "pk"]

    def __str__(self):
        return f"{self.task} {self.action}"


class RectificationEvidence(models.Model):
    """整改佐证: a file the village attaches to its response, checked like assessment evidence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="rectifications/%Y/%m/", max_length=200)
    original_name = models.CharField("文件名", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField("大小")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "整改佐证"
        verbose_name_plural = verbose_name
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name
