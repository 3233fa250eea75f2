"""Reminders: one row per (user, event), and at most one e-mail digest per user per day.

The unique constraints are the guarantee, not the code paths: a retried or doubled task may compute the
same events again, but the database refuses a second Reminder for the same (user, key) and a second
EmailDigest for the same (user, day).
"""

from django.conf import settings
from django.db import models


class EmailDigest(models.Model):
    """The one e-mail a user gets for a day, listing that day's reminders.

    Sending is at-most-once: the row is created (unique per user and day) before the message is handed
    to SMTP, so a failed or interrupted send is recorded and never retried automatically. The in-app
    notifications of the same reminders exist regardless.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        SKIPPED = "skipped", "未发送（无邮箱）"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_digests", verbose_name="用户"
    )
    day = models.DateField("日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    email = models.CharField("收件地址", max_length=254, blank=True)
    reminder_count = models.PositiveIntegerField("提醒数", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    error = models.TextField("错误信息", blank=True)

    class Meta:
        verbose_name = "提醒邮件"
        verbose_name_plural = verbose_name
        ordering = ["-day", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_one_per_user_day")]

    def __str__(self):
        return f"{self.user} {self.day:%Y-%m-%d}"


class Reminder(models.Model):
    """One reminder event for one user; `key` names the event (and the deadline it was raised for)."""

    class Kind(models.TextChoices):
        SELF_DEADLINE = "self_deadline", "自评截止提醒"
        SUBMISSION_DEADLINE = "submission_deadline", "报送截止提醒"
        CITY_DEADLINE = "city_deadline", "报市截止提醒"
        LEDGER_DUE = "ledger_due", "台账报送提醒"
        RECTIFICATION_OVERDUE = "rectification_overdue", "整改逾期提醒"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders", verbose_name="用户"
    )
    key = models.CharField("事件", max_length=120)
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    title = models.CharField("标题", max_length=120)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    due_on = models.DateField("提醒日期")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # Set in the same transaction that inserts the row: "not yet notified" marks the rows this run
    # created, whatever the backend returns from an INSERT that ignores conflicts.
    notified_at = models.DateTimeField("站内通知时间", null=True, blank=True)
    notification = models.OneToOneField(
        "accounts.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="reminder"
    )
    digest = models.ForeignKey(
        EmailDigest, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders"
    )

    class Meta:
        verbose_name = "提醒"
        verbose_name_plural = verbose_name
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="reminder_once_per_user_event")]
        indexes = [models.Index(fields=["digest", "due_on"])]

    def __str__(self):
        return f"{self.user} {self.key}"
