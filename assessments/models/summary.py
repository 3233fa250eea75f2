"""Per-round summaries the city dashboard reads: one row per village-level campaign, so that the city
page reads O(townships) rows whatever the number of villages (assessments.readmodels keeps them)."""

from django.db import models

from .assessment import Campaign


class CampaignSummary(models.Model):
    """Counts and sums over the villages of one round, recomputed from the assessments' own columns
    (never from the score lines) in the transaction of each write that changes them.

    Keys are codes of the campaign's standard; the dashboards map them to names and ranks.
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    total = models.PositiveIntegerField(default=0)
    progress = models.JSONField(default=dict)  # progress stage → n
    grades = models.JSONField(default=dict)  # final grade code of the reviewed ('' = none) → n
    dimensions = models.JSONField(default=dict)  # dimension code → [sum as decimal string, n villages]
    score_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)  # over the scored
    scored = models.PositiveIntegerField(default=0)
    histogram = models.JSONField(default=dict)  # bin start (points, as a string) → n
    yoy = models.JSONField(default=dict)  # "previous grade|current grade" → n
    # the best villages: [final score, village sort order, village name, assessment id], best first,
    # every village tied with the last one kept, so that the city's top list is a merge of these
    top = models.JSONField(default=list)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "测评汇总"
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"{self.campaign_id}"
