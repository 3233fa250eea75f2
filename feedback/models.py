"""群众意见: villagers' messages left on a village's public card, and how the township handled them."""

from django.conf import settings
from django.db import models

TEXT_MIN, TEXT_MAX, CONTACT_MAX = 5, 500, 50


class Feedback(models.Model):
    class Category(models.TextChoices):
        SUGGESTION = "suggestion", "意见建议"
        PROBLEM = "problem", "问题反映"
        PRAISE = "praise", "表扬"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        NEW = "new", "待处理"
        ANSWERED = "answered", "已答复"
        DISMISSED = "dismissed", "不予处理"
        RECTIFIED = "rectified", "已转整改"

    village = models.ForeignKey("villages.Village", on_delete=models.PROTECT, related_name="feedback")
    # denormalised from the village: the township's list is scoped and counted by it
    township = models.ForeignKey("villages.Township", on_delete=models.PROTECT, related_name="feedback")
    category = models.CharField("类别", max_length=12, choices=Category.choices)
    text = models.TextField("内容", max_length=TEXT_MAX)
    contact = models.CharField("联系方式", max_length=CONTACT_MAX, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    # HMAC-SHA256 of the sender's address under a server secret: enough to throttle and to spot one
    # sender's many messages, never the address itself
    client_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.NEW)
    answer = models.TextField("答复", blank=True)
    reason = models.CharField("不予处理理由", max_length=300, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    rectification = models.OneToOneField(
        "ledgers.Rectification",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "群众意见"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["township", "status", "-created_at"]),
            models.Index(fields=["village", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="rectified") | models.Q(rectification__isnull=False),
                name="feedback_rectified_has_item",
            ),
        ]

    def __str__(self):
        return f"{self.village} {self.get_category_display()} {self.created_at:%Y-%m-%d}"
