"""The overview of one assessment and the self-assessment sheet."""

from collections import defaultdict

from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.uploads import size_label
from indices.models import ScoringRule

from ...forms import ApplicationForm
from ...models import Evidence, Signoff
from ...permissions import actor_sides, signoff_sides
from ...selectors import assessment_get_for_user
from ...services import self_assessment as svc
from ...services.transitions import transition_failures
from ...workflow import Side
from ..review import review_result_context
from .http import VISIBLE_BEFORE_CONFIRMED, can_see_review, check_context, score_badge
from .transition import buttons

# The one-tap answer of a collapsed indicator and the path to enter deductions, by scoring method.
FULL_LABELS = {
    "deduction": {"full": "无扣分情形（得满分）", "open": "有扣分情形"},
    "tiered": {"full": "达到最高档（得满分）", "open": "选择其他档次"},
    "checklist": {"full": "全部达到（得满分）", "open": "逐项勾选"},
}


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
        s.state, s.state_label = score_badge(s.self_score, s.indicator.max_score)
        s.labels = FULL_LABELS.get(s.indicator.scoring_method, FULL_LABELS["deduction"])
        by_dim[s.indicator.dimension_id].append(s)
    for d in dims:
        d.rows = by_dim[d.pk]
        d.self_sum = sum((s.self_score for s in d.rows if s.self_score is not None), 0)
        d.todo = sum(1 for s in d.rows if s.village_scored)
        d.done = sum(1 for s in d.rows if s.village_scored and s.self_score is not None)
    claims = {c.bonus_item_id: c for c in a.bonus_claims.all()}
    bonus_items = list(standard.bonus_items.all())
    for item in bonus_items:
        item.claim = claims.get(item.pk)
        item.files = files[("b", item.claim.pk)] if item.claim else []
    signed = {s.side: s for s in a.signoffs.filter(round=a.round + 1).select_related("user")}
    problem = svc.self_edit_problem(a, request.user, sides)
    grades = list(standard.grades.all())
    vetoes = list(a.veto_checks.select_related("veto_item").order_by("veto_item__sort_order"))
    failures = transition_failures(a, "submit") if not problem else []
    todo = sum(d.todo for d in dims) + len(vetoes)
    return {
        **check_context(a, failures, todo),
        "a": a,
        "campaign": a.campaign,
        "standard": standard,
        "dims": dims,
        "bonus_items": bonus_items,
        "vetoes": vetoes,
        "vetoes_done": sum(1 for v in vetoes if v.self_answer is not None),
        # counted from the rows, so a read-only sheet (no guards evaluated) shows its real progress too
        "done": sum(d.done for d in dims) + sum(1 for v in vetoes if v.self_answer is not None),
        "stamped": stamped,
        "editable": not problem,
        "edit_problem": problem,
        "is_village": a.village_id is not None,
        "form": ApplicationForm.for_assessment(a, grades),
        "signoff_rows": [(side, signed.get(side)) for side in Signoff.Side],
        "my_signoff_sides": signoff_sides(request.user, a) if not problem and a.village_id else set(),
        "submit_problems": [f.message for f in failures],
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
