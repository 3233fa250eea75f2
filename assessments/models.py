"""The yearly assessment cycle. The foundation defines the campaign so that standards know when they
are in use; the workflow itself (self-assessment, review, grading) builds on it."""

from django.db import models


class Campaign(models.Model):
    """测评年度: one township, one year, one standard version."""

    township = models.ForeignKey("villages.Township", on_delete=models.PROTECT, related_name="campaigns")
    year = models.PositiveSmallIntegerField("年度")
    standard = models.ForeignKey(
        "indices.IndexStandard", on_delete=models.PROTECT, related_name="campaigns", verbose_name="指数标准"
    )
    name = models.CharField("名称", max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "测评年度"
        verbose_name_plural = verbose_name
        ordering = ["-year", "township_id"]
        constraints = [
            models.UniqueConstraint(fields=["township", "year", "standard"], name="campaign_unique_year_standard")
        ]

    def __str__(self):
        return self.name
