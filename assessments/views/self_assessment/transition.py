"""The generic transition endpoint every side posts to; buttons come from workflow.available()."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ... import workflow
from ...selectors import assessment_get_for_user
from ...services.common import WorkflowError
from ...services.transitions import assessment_transition
from ...workflow import Side
from .http import json_answer, require_side, wants_json

CAMPAIGN_WIDE_MESSAGE = "“{label}”须在“初审定级”页面对本年度全部测评统一进行。"


def buttons(status, sides):
    """The transitions this page may offer (campaign-wide ones are already left out by the table)."""
    return workflow.available(status, sides)


def refusal_message(t, problems):
    """One message for a refused step, however many guards failed (not one banner per guard)."""
    if len(problems) == 1:
        return problems[0]
    listed = "".join(f"{i}. {p}" for i, p in enumerate(problems, 1))
    return f"未能{t.label}，还须完成以下 {len(problems)} 项：{listed}"


def _safe_next(request):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_POST
def transition(request, pk, action):
    if action not in workflow.BY_ACTION:
        raise Http404
    a = assessment_get_for_user(request.user, pk)
    require_side(request, a, needed=set(Side))
    t = workflow.get(action)
    back = _safe_next(request) or reverse("assessments:assessment_detail", args=[a.pk])
    try:
        if t.campaign_wide:
            raise WorkflowError(CAMPAIGN_WIDE_MESSAGE.format(label=t.label))
        assessment_transition(
            assessment=a,
            action=action,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except WorkflowError as err:
        if wants_json(request):
            return json_answer({"ok": False, "errors": err.problems}, status=400)
        messages.error(request, refusal_message(t, err.problems))
        return redirect(back)
    message = f"已{t.label}。{a.subject_name}当前状态：{a.get_status_display()}。"
    if wants_json(request):
        return json_answer(
            {
                "ok": True,
                "status": a.status,
                "status_display": a.get_status_display(),
                "round": a.round,
                "message": message,
            }
        )
    messages.success(request, message)
    return redirect(back)
