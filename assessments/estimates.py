"""预估（按自评）: the grade a village's own self-assessment would reach.

A grade is 定级 only once the township has reviewed the assessment (status reviewed or confirmed).
Before that, pages may show what the self scores alone would give, labelled as an estimate and in a
muted style. The estimate reads only the village's own entries (self scores, claimed bonus, its
answers to the negative list): no review score and no supervision deduction, so it can be shown to
the village side before the township's results are published.

Reads only, in a fixed number of queries whatever the number of assessments.
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from .models import IndicatorScore, VetoCheck
from .scoring import GradeRule, final_score, propose_grade

DEC = DecimalField(max_digits=9, decimal_places=2)


def _rules(grades):
    return [GradeRule(g.code, g.rank, g.min_score, g.requires_no_veto, g.min_dimension_ratio) for g in grades]


def self_estimates(assessments, grades_by_standard):
    """Attach `self_estimate` (grade code or "") and `self_estimate_label` to each assessment that is
    not graded yet; graded ones get "". grades_by_standard: {standard_id: [Grade]} best first."""
    assessments = list(assessments)
    pending = [a for a in assessments if not a.is_graded]
    for a in assessments:
        a.self_estimate = a.self_estimate_label = ""
    if not pending:
        return assessments
    ids = [a.pk for a in pending]
    dims = {}
    scored = set()
    rows = (
        IndicatorScore.objects.filter(assessment_id__in=ids)
        .values("assessment_id", "indicator__dimension_id", "indicator__dimension__max_score")
        .annotate(
            got=Coalesce(Sum("self_score"), Value(Decimal("0"), output_field=DEC)),
            n=Count("self_score"),
        )
        .order_by()
    )
    for r in rows:
        if r["n"]:
            scored.add(r["assessment_id"])
        if r["indicator__dimension__max_score"]:
            dims.setdefault(r["assessment_id"], []).append(
                Decimal(r["got"]) / Decimal(r["indicator__dimension__max_score"])
            )
    vetoed = set(
        VetoCheck.objects.filter(assessment_id__in=ids, self_answer=True).values_list(
            "assessment_id", flat=True
        )
    )
    for a in pending:
        if a.pk not in scored:
            continue  # nothing self-scored yet: no estimate rather than the lowest grade
        grades = grades_by_standard.get(a.campaign.standard_id, [])
        code = propose_grade(
            _rules(grades),
            score=final_score(a.self_total, a.self_bonus, 0),
            veto=a.pk in vetoed,
            dimension_ratios=dims.get(a.pk, ()),
        )
        a.self_estimate = code
        a.self_estimate_label = {g.code: g.name for g in grades}.get(code, code)
    return assessments
