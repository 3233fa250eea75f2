"""Shared pieces of the self-assessment views: JSON-or-redirect answers, the side check."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

from access.roles import Cap
from access.scope import scope_for
from audit.services import audit_log

from ... import workflow
from ...models import IndicatorScore, VetoCheck
from ...permissions import actor_sides
from ...scoring import normal
from ...services import self_assessment as svc
from ...services.common import WorkflowError
from ...services.transitions import transition_failures
from ...workflow import Side

VISIBLE_BEFORE_CONFIRMED = set(workflow.BY_ACTION) | svc.SELF_ACTIONS | {"reopen"}


def wants_json(request):
    requested_with = request.headers.get("X-Requested-With")
    return requested_with == "XMLHttpRequest" or "application/json" in request.headers.get("Accept", "")


def require_side(request, a, needed=frozenset({Side.SELF})):
    """In scope but not allowed to write: 403, audited (the page itself is visible, so not 404)."""
    sides = actor_sides(request.user, a)
    if not sides & set(needed):
        audit_log(
            action="access.denied",
            request=request,
            result="failure",
            obj=a,
            township_id=a.township_id,
            village_id=a.village_id,
            message="无权修改该测评",
            detail={"path": request.path, "method": request.method},
        )
        raise PermissionDenied
    return sides


def as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def self_url(a, anchor=""):
    return reverse("assessments:self_edit", args=[a.pk]) + (f"#{anchor}" if anchor else "")


def totals_json(a):
    a.refresh_from_db(fields=["self_total", "self_bonus"])
    rows = a.scores.values("indicator__dimension_id").annotate(s=Sum("self_score")).order_by()
    return {
        "self_total": normal(a.self_total),
        "self_bonus": normal(a.self_bonus),
        "dimensions": {str(r["indicator__dimension_id"]): normal(r["s"] or 0) for r in rows},
    }


# Where each kind of guard failure is on the sheet (services.transitions.GuardFailure.targets).
TARGET_ANCHORS = {
    "indicator": "ind-{key}",
    "veto": "veto-{key}",
    "stamped": "stamped",
    "signoff": "signoff",
}


def score_badge(score, max_score):
    """(key, label) of an indicator's state on the sheet: 未评, 满分 or 扣N分."""
    if score is None:
        return "none", "未评"
    if score >= max_score:
        return "full", "满分"
    return "partial", f"扣{normal(max_score - score)}分"


def check_context(a, failures, total):
    """The 提交前检查 list and the bar's figures, from the submit guards' own failures."""
    links = []
    for f in failures:
        targets = [(TARGET_ANCHORS[kind].format(key=key), label) for kind, key, label in f.targets]
        links.append({"message": f.message, "targets": targets})
    open_items = sum(1 for f in failures for kind, *_ in f.targets if kind in ("indicator", "veto"))
    return {"a": a, "checks": links, "done": total - open_items, "todo": total, "ready": not failures}


def sheet_items_count(a):
    """The answers the sheet asks for: every village-scored indicator and every negative-list item."""
    scored = IndicatorScore.objects.filter(assessment=a, indicator__scored_by="village_and_township").count()
    return scored + VetoCheck.objects.filter(assessment=a).count()


def submit_check_json(request, a):
    """What the sticky bar shows after a save: N/M, ready or not, and the check list as HTML."""
    ctx = check_context(a, transition_failures(a, "submit"), sheet_items_count(a))
    html = render_to_string("assessments/includes/self_submit_check.html", ctx, request=request)
    return {"done": ctx["done"], "todo": ctx["todo"], "ready": ctx["ready"], "check_html": html}


def json_answer(payload, status=200):
    """Answers of the sheet carry scores: never cached (SECURITY.md PRIV-3)."""
    resp = JsonResponse(payload, status=status)
    resp["Cache-Control"] = "no-store"
    return resp


def saved(request, a, message, anchor, **data):
    if wants_json(request):
        payload = {"ok": True, "message": message, "totals": totals_json(a), **data}
        if a.status in workflow.SELF_EDITABLE:
            payload["check"] = submit_check_json(request, a)
        return json_answer(payload)
    messages.success(request, message)
    return redirect(self_url(a, anchor))


def refused(request, a, problems, anchor):
    if wants_json(request):
        return json_answer({"ok": False, "errors": problems}, status=400)
    for p in problems:
        messages.error(request, p)
    return redirect(self_url(a, anchor))


def conflict(request, a, err, current_text, mine_text, anchor):
    who = err.current.get("updated_by")
    message = (
        f"他人已修改为 {current_text}，您的输入为 {mine_text}。"
        + (f"（修改人：{who}）" if who else "")
        + "您的修改未保存；如确认以您的输入为准，请再次保存。"
    )
    if wants_json(request):
        return json_answer(
            {"ok": False, "conflict": True, "current": err.current, "message": message}, status=409
        )
    messages.error(request, message)
    return redirect(self_url(a, anchor))


def problems_of(err):
    return err.problems if isinstance(err, WorkflowError) else [str(err)]


def form_errors(form):
    """Each error with its field's label in front, unless the message already names the field."""
    problems = []
    for name, errors in form.errors.items():
        label = str(form.fields[name].label or "") if name in form.fields else ""
        problems.extend(m if not label or m.startswith(label) else f"{label}：{m}" for m in errors)
    return problems


def score_text(state):
    text = f"{state['score']} 分" if state.get("score") is not None else "未评分"
    return text + (f"（说明：{state['note'][:40]}）" if state.get("note") else "")


def can_see_review(user, a, sides):
    """Review results reach the village side only once the grades are confirmed."""
    if a.campaign.is_confirmed or sides & {Side.REVIEWER, Side.CITY}:
        return True
    if sides & {Side.SELF, Side.BRANCH}:
        return False
    return scope_for(user).can(Cap.REVIEW_SCORES_VIEW)
