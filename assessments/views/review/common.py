"""Shared by the township-side pages: side checks that answer 404, grade labels, the result partial."""

from access.checks import deny as access_deny
from indices.models import Grade

from ...models import Assessment, BonusClaim, IndicatorScore, VetoCheck
from ...permissions import actor_sides
from ...selectors import assessment_get_for_user

S = Assessment.Status


def deny(request, obj=None, why=""):
    """Refuse like a missing page; access writes the trace of the attempt (SECURITY.md AC-3)."""
    access_deny(request, obj, why[:300])


def assessment_as(request, pk, side):
    a = assessment_get_for_user(request.user, pk)
    sides = actor_sides(request.user, a)
    if side not in sides:
        deny(request, a, f"缺少{side}身份")
    return a, sides


def child_or_404(request, assessment, queryset, pk, via="assessment"):
    """A line of the assessment by id, looked up through the assessment; a forged id is a 404 (audited)."""
    lookup = {"pk": pk}
    if via:
        lookup[via] = assessment
    obj = queryset.filter(**lookup).first() if pk is not None else None
    if obj is None:
        deny(request, assessment, f"{queryset.model._meta.verbose_name} {pk} 不属于本测评")
    return obj


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def label_grades(assessments, grades_by_standard):
    """Attach grade names (`*_label`) to assessments; grades_by_standard: {standard_id: [Grade]}."""
    for a in assessments:
        names = {g.code: g.name for g in grades_by_standard.get(a.campaign.standard_id, [])}
        for f in ("proposed_grade", "final_grade", "city_grade"):
            code = getattr(a, f)
            setattr(a, f"{f}_label", names.get(code, code))
        a.effective_grade_label = names.get(a.effective_grade, a.effective_grade)
    return assessments


def grades_for(standard_ids):
    by_standard = {}
    for g in Grade.objects.filter(standard_id__in=set(standard_ids)).order_by("standard_id", "rank"):
        by_standard.setdefault(g.standard_id, []).append(g)
    return by_standard


def review_result_context(assessment):
    """Context of `assessments/review_result_partial.html` (the village's result after confirmation)."""
    label_grades([assessment], grades_for([assessment.campaign.standard_id]))
    return {
        "assessment": assessment,
        "scores": list(
            IndicatorScore.objects.filter(assessment=assessment)
            .select_related("indicator", "indicator__dimension")
            .order_by("indicator__dimension__sort_order", "indicator__sort_order")
        ),
        "claims": list(BonusClaim.objects.filter(assessment=assessment).select_related("bonus_item")),
        "veto_checks": list(
            VetoCheck.objects.filter(assessment=assessment)
            .select_related("veto_item")
            .order_by("veto_item__sort_order")
        ),
    }
