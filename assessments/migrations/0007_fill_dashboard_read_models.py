"""Fill the dashboards' read models for the rows that exist before them.

Works on the historical models (this migration must keep running when the models change later); the
pure helpers it borrows from assessments.readmodels take and return plain values only.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from assessments.readmodels import CENT, effective_grade, summarize

DEC = DecimalField(max_digits=9, decimal_places=2)
# the columns `summarize` reads, as they are at this migration
ROW_FIELDS = (
    "id",
    "campaign_id",
    "township_id",
    "status",
    "started_at",
    "final_score",
    "final_grade",
    "city_grade",
    "previous_grade",
    "dimension_scores",
    "village_id",
    "village__branch_id",
    "village__name",
    "village__sort_order",
)
ROW_ORDER = ("village__sort_order", "village__name", "pk")


def fill(apps, schema_editor):
    Assessment = apps.get_model("assessments", "Assessment")
    Campaign = apps.get_model("assessments", "Campaign")
    CampaignSummary = apps.get_model("assessments", "CampaignSummary")
    IndicatorScore = apps.get_model("assessments", "IndicatorScore")
    effective = Coalesce("review_score", "self_score", Value(Decimal(0), output_field=DEC), output_field=DEC)
    for campaign in Campaign.objects.filter(level="village").order_by("pk"):
        dims = defaultdict(dict)
        for r in (
            IndicatorScore.objects.filter(assessment__campaign=campaign)
            .values("assessment_id", "indicator__dimension__code")
            .annotate(total=Sum(effective))
            .order_by()
        ):
            dims[r["assessment_id"]][r["indicator__dimension__code"]] = str(
                Decimal(r["total"]).quantize(CENT, rounding=ROUND_HALF_UP)
            )
        prev = {
            v: effective_grade(status, fg, cg)
            for v, status, fg, cg in Assessment.objects.filter(
                campaign__level="village",
                campaign__kind="annual",
                campaign__township_id=campaign.township_id,
                campaign__year=campaign.year - 1,
                village__isnull=False,
            ).values_list("village_id", "status", "final_grade", "city_grade")
        }
        rows = list(Assessment.objects.filter(campaign=campaign, village__isnull=False))
        for a in rows:
            a.dimension_scores = dims.get(a.pk, {})
            a.previous_grade = prev.get(a.village_id, "")
        Assessment.objects.bulk_update(rows, ["dimension_scores", "previous_grade"], batch_size=1000)
        values = Assessment.objects.filter(campaign=campaign, village__isnull=False).values(*ROW_FIELDS)
        CampaignSummary.objects.update_or_create(
            campaign=campaign, defaults=summarize(list(values.order_by(*ROW_ORDER)))
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0006_dashboard_read_models")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
