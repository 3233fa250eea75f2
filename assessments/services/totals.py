"""Totals are derived: recomputed from the lines in SQL aggregates, never incremented."""

from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from ..deductions import supervision_deductions
from ..models import Assessment, BonusClaim, IndicatorScore, VetoCheck
from ..readmodels import assessments_refresh
from ..scoring import GradeRule, bonus_total, deduction_total, final_score, propose_grade, q2

DEC = DecimalField(max_digits=9, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=DEC)


def grade_rules(standard):
    return [
        GradeRule(g.code, g.rank, g.min_score, g.requires_no_veto, g.min_dimension_ratio)
        for g in standard.grades.all()
    ]


def assessment_recompute(assessment):
    """Recompute every derived total of one assessment from its lines and store them."""
    a = Assessment.objects.select_related("campaign__standard").get(pk=assessment.pk)
    standard = a.campaign.standard
    scores = IndicatorScore.objects.filter(assessment=a)
    effective = Coalesce("review_score", "self_score", ZERO, output_field=DEC)
    totals = scores.aggregate(
        self_total=Coalesce(Sum("self_score"), ZERO),
        review_base=Coalesce(Sum(effective), ZERO),
    )
    by_dimension = (
        scores.values("indicator__dimension_id", "indicator__dimension__max_score")
        .annotate(got=Coalesce(Sum(effective), ZERO))
        .order_by()
    )
    ratios = [
        Decimal(row["got"]) / Decimal(row["indicator__dimension__max_score"])
        for row in by_dimension
        if row["indicator__dimension__max_score"]
    ]
    claims = BonusClaim.objects.filter(assessment=a)
    accepted = claims.filter(status=BonusClaim.Status.ACCEPTED).values_list(
        "accepted_points", "bonus_item__per_item_cap"
    )
    claimed = claims.values_list("claimed_points", "bonus_item__per_item_cap")
    veto = (
        VetoCheck.objects.filter(assessment=a, review=VetoCheck.Review.CONFIRMED).exists()
        or a.veto_events.exists()
    )
    bonus = bonus_total(list(accepted), standard.bonus_total_cap)
    deduction = deduction_total(supervision_deductions(a), standard.supervision_deduction_cap)
    final = final_score(totals["review_base"], bonus, deduction)
    proposed = propose_grade(grade_rules(standard), score=final, veto=veto, dimension_ratios=ratios)
    values = {
        "self_total": q2(totals["self_total"]),
        "self_bonus": bonus_total(list(claimed), standard.bonus_total_cap),
        "review_base": q2(totals["review_base"]),
        "bonus_accepted": bonus,
        "supervision_deduction": deduction,
        "final_score": final,
        "veto_confirmed": veto,
        "proposed_grade": proposed,
    }
    if not a.grade_override_reason:
        values["final_grade"] = proposed
    elif veto:
        # A veto overrides any manual grade: it forces the lowest grade (the override is kept on record).
        values["final_grade"] = proposed
    Assessment.objects.filter(pk=a.pk).update(**values)
    if a.village_id is not None:  # a township's own assessment has no dashboard read models
        assessments_refresh([a.pk])
    for key, value in values.items():
        setattr(assessment, key, value)
    return assessment
