"""A township's published results of one year: an immutable snapshot (`payload`) per version.

A correction is a new version; the previous one stays, marked superseded, with the new version's reason
shown beside it. Only the status fields change after insert (see publication.services).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Publication(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", "已发布"
        SUPERSEDED = "superseded", "已更正（作废）"
        WITHDRAWN = "withdrawn", "已撤回"

    township = models.ForeignKey("villages.Township", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey("assessments.Campaign", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    version = models.PositiveIntegerField("版本")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PUBLISHED)
    reason = models.CharField("更正理由", max_length=300, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发布人"
    )
    published_at = models.DateTimeField("发布时间")
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤回人",
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdraw_reason = models.CharField("撤回理由", max_length=300, blank=True)
    superseded_at = models.DateTimeField("更正时间", null=True, blank=True)
    # What the public pages show, frozen at publication: names and public keys, never ids or people.
    payload = models.JSONField("公开内容")

    class Meta:
        verbose_name = "结果公开"
        verbose_name_plural = verbose_name
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="publication_one_per_version"),
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(status="published"),
                name="publication_one_in_force",
            ),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(reason=""), name="publication_correction_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdraw_reason=""),
                name="publication_withdrawal_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["township", "year", "status"])]

    def __str__(self):
        return f"{self.year}年 第{self.version}版（{self.get_status_display()}）"

    # The only fields that change after insert: a snapshot itself is never rewritten.
    MUTABLE_FIELDS = frozenset({"status", "superseded_at", "withdrawn_by", "withdrawn_at", "withdraw_reason"})

    def save(self, *args, **kwargs):
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.MUTABLE_FIELDS:
                raise ValueError("A publication is immutable: only its status fields may be saved.")
        super().save(*args, **kwargs)

    @property
    def is_correction(self):
        return self.version > 1
