"""What the 初审 page shows, built once for the whole page and again, piece by piece, for the answer to an
in-place save: the changed rows and the parts that depend on every line (totals, progress, buttons,
the negative-list bulk check) are rendered from the same templates, so the page after a save reads
exactly as it would after a reload.
"""

from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse

from ... import workflow
from ...models import BonusClaim, Evidence, IndicatorScore, VetoCheck
from ...queue import QueueFilter, queue_neighbours, review_progress
from ...selectors import assessment_list_for_user
from ...services.transitions import guard_problems
from ...workflow import Side
from .common import S, grades_for, label_grades

ROW_TEMPLATES = {
    "score": "assessments/includes/review_score_row.html",
    "claim": "assessments/includes/review_claim_row.html",
    "veto": "assessments/includes/review_veto_row.html",
}
PART_TEMPLATES = {
    "totals": "assessments/includes/review_totals.html",
    "progress": "assessments/includes/review_progress_bar.html",
    "transitions": "assessments/includes/review_transitions.html",
    "veto-bulk": "assessments/includes/review_veto_bulk.html",
}


def queue_query(data):
    """The queue's filter from a query string or a posted `queue` field, re-encoded (never echoed)."""
    return QueueFilter.from_query(data).querystring()


def review_url(assessment_pk, query="", anchor=""):
    url = reverse("assessments:review_edit", args=[assessment_pk])
    return url + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def posted_queue(request):
    return queue_query(QueryDict(request.POST.get("queue", "")[:500]))


# --- rows ----------------------------------------------------------------------------------------------


def _chosen(chosen, pk):
    if isinstance(chosen, dict):
        return chosen.get(str(pk)) or chosen.get(pk) or 0
    return pk in {int(x) for x in chosen or [] if str(x).isdigit()}


def _rule_rows(score):
    """The indicator's rules with the village's and the reviewer's choice beside each."""
    own = score.review_rules if score.review_score is not None else score.self_rules
    return [
        {"rule": r, "self": _chosen(score.self_rules, r.pk), "review": _chosen(own, r.pk)}
        for r in score.indicator.rules.all()
    ]


def _direct_value(score):
    """What the direct-score box starts with: a score given without rules (the reviewer's, or else the
    village's), so that saving untouched keeps it rather than recomputing from empty rules. A score that
    came from rules leaves the box empty: the rule counts beside it say the same score."""
    if not score.indicator.rules.all():
        return score.review_score if score.review_score is not None else ""
    if score.review_score is not None:
        return "" if score.review_rules else score.review_score
    return score.self_score if score.self_score is not None and not score.self_rules else ""


def decorate_score(s, files):
    s.rule_rows = _rule_rows(s)
    s.files = files
    s.township_only = s.indicator.scored_by == "township_only"
    s.differs = s.review_score is not None and s.self_score is not None and s.review_score != s.self_score
    s.direct_value = _direct_value(s)
    s.is_computed = bool(s.indicator.formula) and s.assessment.village_id is None
    return s


def scores_of(a):
    return (
        IndicatorScore.objects.filter(assessment=a)
        .select_related("indicator", "indicator__dimension", "reviewed_by", "assessment")
        .prefetch_related("indicator__rules")
        .order_by("indicator__dimension__sort_order", "indicator__sort_order")
    )


def vetoes_of(a):
    return (
        VetoCheck.objects.filter(assessment=a).select_related("veto_item").order_by("veto_item__sort_order")
    )


def evidence_of(a, **lookup):
    """({(kind, indicator or claim id): [files]}, [stamped forms])."""
    by_line, forms_ = {}, []
    for e in Evidence.objects.filter(assessment=a, **lookup).order_by("uploaded_at"):
        if e.kind == Evidence.Kind.APPLICATION_FORM:
            forms_.append(e)
        else:
            by_line.setdefault((e.kind, e.indicator_id or e.bonus_claim_id), []).append(e)
    return by_line, forms_


# --- the parts every save changes ----------------------------------------------------------------------


def shared_context(request, a, sides, query):
    """Totals, progress, buttons and navigation: the parts of the page that depend on every line."""
    grades = grades_for([a.campaign.standard_id])
    label_grades([a], grades)
    buttons = [
        {"t": t, "problems": guard_problems(a, t.guards)}
        for t in workflow.available(a.status, sides)
        if Side.REVIEWER in t.sides
    ]
    pending = list(vetoes_of(a).filter(review=VetoCheck.Review.PENDING))
    editable = (
        a.status in workflow.REVIEW_EDITABLE or a.status == S.FORWARDED
    ) and not a.campaign.is_confirmed
    progress = review_progress(a)
    return {
        "a": a,
        "standard": a.campaign.standard,
        "editable": editable,
        "buttons": buttons,
        "progress": progress,
        "unreviewed": progress["scores"][1] - progress["scores"][0],
        "pending_vetoes": pending,
        "found_vetoes": [v for v in pending if v.self_answer],
        "queue": query,
        "back": review_url(a.pk, query),
        **navigation(request, a, query),
    }


def navigation(request, a, query):
    """上一个村 / 下一个村 in the queue's order (the campaign page's list, with its filter)."""
    flt = QueueFilter.from_query(QueryDict(query))
    rows = assessment_list_for_user(request.user).filter(campaign_id=a.campaign_id)
    nb = queue_neighbours(rows, a, flt)
    return {
        "nav": nb,
        "prev_url": review_url(nb.previous, query) if nb.previous else "",
        "next_url": review_url(nb.next, query) if nb.next else "",
        "queue_url": reverse("assessments:campaign_detail", args=[a.campaign_id])
        + (f"?{query}" if query else "")
        + "#queue-filter",
    }


def render_parts(request, context):
    return {key: render_to_string(name, context, request=request) for key, name in PART_TEMPLATES.items()}


def render_rows(request, context, kind, objects):
    return {
        f"{kind}-{obj.pk}": render_to_string(ROW_TEMPLATES[kind], {**context, kind[0]: obj}, request=request)
        for obj in objects
    }


def claims_with_files(a, queryset=None):
    claims = list(queryset if queryset is not None else BonusClaim.objects.filter(assessment=a))
    by_line, _ = evidence_of(a, kind=Evidence.Kind.BONUS)
    for c in claims:
        c.files = by_line.get((Evidence.Kind.BONUS, c.pk), [])
    return claims
