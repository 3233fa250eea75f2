"""Export jobs: every long export (campaign-wide workbooks and PDFs, the city package) is a row here
that a Celery task fills in. The page polls the row; a failed or killed job can run again.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

# A running build beats its heartbeat every HEARTBEAT_EVERY (reports.services.jobs); without one for
# STALE_AFTER its process is gone and the recovery queues it again; a job left without one for
# STUCK_AFTER (no worker at all, or the embedded edition's web process restarted) offers 重新生成.
HEARTBEAT_EVERY = datetime.timedelta(seconds=5)
STALE_AFTER = datetime.timedelta(seconds=30)
STUCK_AFTER = datetime.timedelta(minutes=2)
# a queued job whose message never started (the broker restarted without persistence) is sent again
LOST_AFTER = datetime.timedelta(minutes=5)


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        CITY_PACKAGE = "city_package", "示范村报市材料包"
        SCORE_MATRIX_XLSX = "score_matrix_xlsx", "村×指标得分汇总表（Excel）"
        GRADE_ROSTER_XLSX = "grade_roster_xlsx", "定级名册（Excel）"
        GRADE_ROSTER_PDF = "grade_roster_pdf", "定级名册（PDF）"
        RANKING_PDF = "ranking_pdf", "清廉指数排名（PDF）"
        COMPLIANCE_XLSX = "compliance_xlsx", "台账报送情况（Excel）"
        RECTIFICATION_XLSX = "rectification_xlsx", "整改清单（Excel）"
        VILLAGE_RECORD = "village_record", "村档案（ZIP）"
        YEAR_SUMMARY_DOCX = "year_summary_docx", "年度工作总结（Word）"
        YEAR_SUMMARY_PDF = "year_summary_pdf", "年度工作总结（PDF）"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    township = models.ForeignKey("villages.Township", on_delete=models.CASCADE, related_name="export_jobs")
    campaign = models.ForeignKey(
        "assessments.Campaign", on_delete=models.CASCADE, null=True, blank=True, related_name="export_jobs"
    )
    # a village's record (档案) spans its years: the job belongs to the village, `year` is when it was asked
    village = models.ForeignKey(
        "villages.Village", on_delete=models.CASCADE, null=True, blank=True, related_name="export_jobs"
    )
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("进度", default=0)
    step = models.CharField("当前步骤", max_length=200, blank=True)
    attempt = models.PositiveSmallIntegerField("执行次数", default=0)
    # What the data looked like when the job was queued; a different fingerprint now means stale.
    fingerprint = models.CharField("数据指纹", max_length=64, blank=True)
    file = models.FileField(upload_to="exports/%Y/%m/", max_length=200, blank=True)
    filename = models.CharField("文件名", max_length=200, blank=True)
    size = models.PositiveBigIntegerField("大小", default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField("失败原因", blank=True)
    summary = models.JSONField("内容摘要", default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    queued_at = models.DateTimeField("排队时间", null=True, blank=True)
    # who builds it: "celery:<node name>:<pid>" or "thread:<host>:<pid>"; a restarted node disowns its old runs
    runner = models.CharField("执行进程", max_length=200, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进展", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["township", "kind", "year", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_job_progress_max_100"),
            # One job in flight per document: a double click or a second reviewer joins the running one.
            models.UniqueConstraint(
                fields=["township", "kind", "year"],
                condition=Q(status__in=["queued", "running"], village__isnull=True),
                name="export_job_one_active_per_document",
            ),
            models.UniqueConstraint(
                fields=["village", "kind"],
                condition=Q(status__in=["queued", "running"], village__isnull=False),
                name="export_job_one_active_per_village_document",
            ),
        ]

    def __str__(self):
        return f"{self.year}年 {self.get_kind_display()}"

    @property
    def is_active(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_stuck(self):
        """Running, but no progress for STUCK_AFTER: the process building it is gone (a restart of the
        embedded edition's web process, or a worker whose message was lost)."""
        from django.utils import timezone

        seen = self.heartbeat_at or self.started_at
        return self.status == self.Status.RUNNING and seen is not None and timezone.now() - seen > STUCK_AFTER

    @property
    def stuck_minutes(self):
        return int(STUCK_AFTER.total_seconds() // 60)

    @property
    def is_done(self):
        return self.status == self.Status.DONE


class PackagePart(models.Model):
    """One village's share of one attempt of a city package: its own Celery task renders the village's
    forms into storage (exports/parts/<job>/<attempt>/<assessment>/) and records them here; the final
    task zips the parts in `position` order. The rows are the attempt's plan (made when it starts), its
    progress (the finished ones) and what the recovery re-sends (started by a dead runner, or lost)."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="parts")
    attempt = models.PositiveSmallIntegerField("执行次数")
    position = models.PositiveIntegerField("序号")
    # none: the township's part (its 定级名册), position 0
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    runner = models.CharField("执行进程", max_length=200, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近进展", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    runs = models.PositiveSmallIntegerField("执行次数（含重做）", default=0)
    # [{"name": file name in the village's folder, "kind", "storage": storage name, "size", "sha256"}]
    files = models.JSONField("文件清单", default=list, blank=True)

    class Meta:
        verbose_name = "材料包分片"
        verbose_name_plural = verbose_name
        ordering = ["job", "attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "attempt", "assessment"], name="package_part_one_per_village"
            ),
            models.UniqueConstraint(
                fields=["job", "attempt", "position"], name="package_part_unique_position"
            ),
        ]

    def __str__(self):
        return f"{self.job_id}/{self.attempt}/{self.position}"
