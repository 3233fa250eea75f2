"""What a village hands in with its assessment: evidence files and the sign-offs of a submission round."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from .assessment import Assessment
from .lines import BonusClaim


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
