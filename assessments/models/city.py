"""The city selection: the extra fields of a candidate put forward by its township."""

from django.conf import settings
from django.db import models

from .assessment import Assessment


class DemonstrationApplication(models.Model):
    """The extra fields of the 示范村申请表 for a candidate put forward to the city (FORMS.md)."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="demonstration")
    brand_name = models.CharField("特色亮点/清廉品牌名称", max_length=100, blank=True)
    experience = models.TextField("典型经验材料", blank=True)
    honours = models.TextField("近三年获得荣誉", blank=True)
    satisfaction = models.CharField("群众满意度测评结果", max_length=100, blank=True)
    recommendation_rank = models.PositiveSmallIntegerField("镇街推荐排序", null=True, blank=True)
    township_opinion = models.TextField("镇街党（工）委推荐意见", blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    EXPERIENCE_MAX = 3000

    class Meta:
        verbose_name = "示范村申请表"
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.assessment} 示范村申请表"
