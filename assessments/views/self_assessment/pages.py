"""The overview of one assessment and the self-assessment sheet."""

from collections import defaultdict

from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.uploads import size_label
from indices.models import ScoringRule

from ... import workflow
from ...forms import ApplicationForm
from ...models import Evidence, Signoff
from ...permissions import actor_sides, signoff_sides
from ...selectors import assessment_get_for_user
from ...services import self_assessment as svc
from ...services.transitions import guard_problems
from ...workflow import Side
from ..review import review_result_context
from .http import VISIBLE_BEFORE_CONFIRMED, can_see_review
from .transition import buttons


@require_GET
@never_cache
def assessment_detail(request, pk):
    a = assessment_get_for_user(request.user, pk)
    sides = actor_sides(request.user, a)
    standard = a.campaign.standard
    show_review = can_see_review(request.user, a, sides)
    sums = {
        r["indicator__dimension_id"]: r
        for r in a.scores.values("indicator__dimension_id")
        .annotate(self_sum=Sum("self_score"), review_sum=Sum("review_score"))
        .order_by()
    }
    dims = list(standard.dimensions.all())
    for d in dims:
        d.self_sum = (sums.get(d.pk) or {}).get("self_sum") or 0
        d.review_sum = (sums.get(d.pk) or {}).get("review_sum")
    events = a.events.select_related("actor").order_by("-at", "-id")
    if not show_review:
        events = events.filter(action__in=VISIBLE_BEFORE_CONFIRMED)
    names = {g.code: g.name for g in standard.grades.all()} if show_review else {}
    context = {
        "a": a,
        "campaign": a.campaign,
        "dims": dims,
        "transitions": buttons(a.status, sides),
        "is_self": Side.SELF in sides,
        "is_reviewer": Side.REVIEWER in sides,
        "edit_problem": svc.self_edit_problem(a, request.user, sides),
        "show_review": show_review,
        "grade_names": {
            "proposed": names.get(a.proposed_grade, a.proposed_grade),
            "final": names.get(a.final_grade, a.final_grade),
            "city": names.get(a.city_grade, a.city_grade),
        },
        "events": events,
    }
    if show_review:
        context["result"] = review_result_context(a)
    return render(request, "assessments/assessment_detail.html", context)


def _sheet(request, a, sides):
    """Everything the score sheet shows, in a fixed number of queries whatever the number of files."""
    standard = a.campaign.standard
    scores = list(
        a.scores.select_related("indicator").order_by(
            "indicator__dimension__sort_order", "indicator__sort_order", "indicator_id"
        )
    )
    rules = defaultdict(list)
    for r in ScoringRule.objects.filter(indicator_id__in=[s.indicator_id for s in scores]).order_by(
        "indicator_id", "sort_order", "pk"
    ):
        rules[r.indicator_id].append(r)
    files = defaultdict(list)
    stamped = []
    for ev in a.evidence.select_related("uploaded_by").order_by("uploaded_at"):
        if ev.kind == Evidence.Kind.APPLICATION_FORM:
            stamped.append(ev)
        else:
            files[("i", ev.indicator_id) if ev.indicator_id else ("b", ev.bonus_claim_id)].append(ev)
    dims = list(standard.dimensions.all())
    by_dim = defaultdict(list)
    for s in scores:
        chosen = s.self_rules or {}
        s.rule_list = rules[s.indicator_id]
        for r in s.rule_list:
            r.count = chosen.get(str(r.pk), "") if isinstance(chosen, dict) else ""
            r.checked = isinstance(chosen, list) and r.pk in chosen
        s.files = files[("i", s.indicator_id)]
        s.village_scored = s.indicator.scored_by == "village_and_township"
        by_dim[s.indicator.dimension_id].append(s)
    for d in dims:
        d.rows = by_dim[d.pk]
        d.self_sum = sum((s.self_score for s in d.rows if s.self_score is not None), 0)
    claims = {c.bonus_item_id: c for c in a.bonus_claims.all()}
    bonus_items = list(standard.bonus_items.all())
    for item in bonus_items:
        item.claim = claims.get(item.pk)
        item.files = files[("b", item.claim.pk)] if item.claim else []
    signed = {s.side: s for s in a.signoffs.filter(round=a.round + 1).select_related("user")}
    problem = svc.self_edit_problem(a, request.user, sides)
    grades = list(standard.grades.all())
    return {
        "a": a,
        "campaign": a.campaign,
        "standard": standard,
        "dims": dims,
        "bonus_items": bonus_items,
        "vetoes": list(a.veto_checks.select_related("veto_item").order_by("veto_item__sort_order")),
        "stamped": stamped,
        "editable": not problem,
        "edit_problem": problem,
        "is_village": a.village_id is not None,
        "form": ApplicationForm.for_assessment(a, grades),
        "signoff_rows": [(side, signed.get(side)) for side in Signoff.Side],
        "my_signoff_sides": signoff_sides(request.user, a) if not problem and a.village_id else set(),
        "submit_problems": guard_problems(a, workflow.get("submit").guards) if not problem else [],
        "transitions": buttons(a.status, sides),
        "max_total": sum((d.max_score for d in dims), 0),
        "upload_limit": size_label(settings.QL_UPLOAD_MAX_BYTES),
    }


@require_GET
@never_cache
def self_edit(request, pk):
    a = assessment_get_for_user(request.user, pk)
    sides = actor_sides(request.user, a)
    return render(request, "assessments/self_edit.html", _sheet(request, a, sides))
