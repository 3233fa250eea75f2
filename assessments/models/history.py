"""The history of an assessment: every transition and score change, and veto events found later."""

from django.conf import settings
from django.db import models

from .assessment import Assessment


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
