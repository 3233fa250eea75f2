"""The dashboards' figures as they were computed before the read models: grouped aggregates over the
score lines and a correlated subquery per village for last year's grade. Kept here as the oracle the
read models are checked against (tests/dashboards/test_read_models.py)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import CharField, Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Floor

from assessments.models import Assessment, Campaign, IndicatorScore
from dashboards.figures.expressions import DEC, ZERO, effective_grade_expr, progress_expr, scored_q

CENT = Decimal("0.01")


def previous_grade_expr(year):
    """The same village's effective grade in the township's annual village round of `year` ('' if none)."""
    prev = (
        Assessment.objects.filter(
            campaign__level=Campaign.Level.VILLAGE,
            campaign__kind=Campaign.Kind.ANNUAL,
            campaign__township_id=OuterRef("township_id"),
            campaign__year=year,
            village_id=OuterRef("village_id"),
        )
        .annotate(g=effective_grade_expr())
        .values("g")[:1]
    )
    return Coalesce(Subquery(prev, output_field=CharField()), Value(""), output_field=CharField())


def effective_score_expr():
    return Coalesce("review_score", "self_score", Value(ZERO, output_field=DEC), output_field=DEC)


def cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def dimension_scores(campaign):
    """{assessment id: {dimension code: '12.50'}} from the score lines."""
    out = {}
    for r in (
        IndicatorScore.objects.filter(assessment__campaign=campaign)
        .values("assessment_id", "indicator__dimension__code")
        .annotate(total=Sum(effective_score_expr()))
        .order_by()
    ):
        out.setdefault(r["assessment_id"], {})[r["indicator__dimension__code"]] = str(cents(r["total"]))
    return out


def previous_grades(campaign):
    qs = Assessment.objects.filter(campaign=campaign, village__isnull=False)
    return dict(qs.annotate(p=previous_grade_expr(campaign.year - 1)).values_list("pk", "p"))


def summary(campaign):
    """What CampaignSummary holds for `campaign`, by the old queries (comparable field by field)."""
    qs = Assessment.objects.filter(campaign=campaign, village__isnull=False)
    scored = qs.filter(scored_q())
    progress = {
        r["stage"]: r["n"]
        for r in qs.annotate(stage=progress_expr()).values("stage").annotate(n=Count("id")).order_by()
    }
    grades = {
        r["final_grade"]: r["n"]
        for r in qs.filter(status__in=("reviewed", "confirmed"))
        .values("final_grade")
        .annotate(n=Count("id"))
        .order_by()
    }
    dims = {
        r["indicator__dimension__code"]: [str(cents(r["total"])), r["n"]]
        for r in IndicatorScore.objects.filter(assessment__in=scored)
        .values("indicator__dimension__code")
        .annotate(total=Sum(effective_score_expr()), n=Count("assessment_id", distinct=True))
        .order_by()
    }
    totals = scored.aggregate(total=Sum("final_score"), n=Count("id"))
    histogram = {
        str(int(r["b"]) * 5): r["n"]
        for r in scored.annotate(b=Floor(F("final_score") / 5, output_field=IntegerField()))
        .values("b")
        .annotate(n=Count("id"))
        .order_by()
    }
    yoy = {
        f"{r['prev']}|{r['cur']}": r["n"]
        for r in qs.annotate(cur=effective_grade_expr(), prev=previous_grade_expr(campaign.year - 1))
        .values("cur", "prev")
        .annotate(n=Count("id"))
        .order_by()
    }
    top = list(
        scored.order_by("-final_score", "village__sort_order", "village__name").values_list("pk", flat=True)[
            :10
        ]
    )
    return {
        "total": qs.count(),
        "progress": progress,
        "grades": grades,
        "dimensions": dims,
        "score_total": cents(totals["total"] or 0),
        "scored": totals["n"],
        "histogram": histogram,
        "yoy": yoy,
        "top": top,
    }
