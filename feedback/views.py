"""群众意见 pages: the public POST from a village card, and the township's list, detail and actions."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.checks import public_view, require_cap
from access.roles import Cap, Side
from access.scope import scope_for
from audit.services import client_ip
from common.errors import ApplicationError, NotFoundError, NotPermittedError
from villages.models import Village

from . import selectors as sel
from . import services as svc
from .models import Feedback
from .workflow import available

PAGE_SIZE = 30
HONEYPOT = "website"  # hidden from people by CSS; only bots fill it


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _back(request):
    """The card the form was on (the referring page of this site), or None."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def _public_answer(request, ok, text, status):
    if _wants_json(request):
        return JsonResponse({"ok": ok, "message": text}, status=status)
    back = _back(request)
    if back:
        (messages.success if ok else messages.error)(request, text)
        return redirect(back)
    return render(request, "feedback/public_result.html", {"ok": ok, "text": text}, status=status)


@public_view(Cap.PUBLISHED_VIEW)
@never_cache
@require_GET
def public_token(request):
    """A CSRF token of this visitor's own: the card the form sits on is served from a cache, so the
    token rendered into it belongs to whoever opened it first. feedback.js asks here before posting."""
    return JsonResponse({"token": get_token(request)})


@public_view(Cap.PUBLISHED_VIEW)
@require_POST
def public_submit(request, village_key):
    if request.POST.get(HONEYPOT):
        # say thanks as to anybody, store nothing: a bot learns nothing from the answer
        return _public_answer(request, True, "感谢您的意见，我们会认真处理。", 200)
    try:
        svc.feedback_submit(
            village_key=village_key,
            category=request.POST.get("category", ""),
            text=request.POST.get("text", ""),
            contact=request.POST.get("contact", ""),
            ip=client_ip(request),
        )
    except NotFoundError:
        raise Http404 from None
    except ApplicationError as exc:
        return _public_answer(request, False, str(exc), 429 if isinstance(exc, svc.ThrottledError) else 400)
    return _public_answer(request, True, "感谢您的意见，我们会认真处理。", 200)


@require_cap(Cap.FEEDBACK_VIEW)
@require_http_methods(["GET"])
def feedback_list(request):
    items = sel.feedback_list_for_user(request.user)
    counts = sel.feedback_counts(items)
    status = request.GET.get("status", "")
    if status in Feedback.Status.values:
        items = items.filter(status=status)
    category = request.GET.get("category", "")
    if category in Feedback.Category.values:
        items = items.filter(category=category)
    villages = Village.objects.filter(
        scope_for(request.user).township_q(Cap.FEEDBACK_VIEW, prefix="township__")
    ).order_by("township__name", "sort_order", "name")
    village = request.GET.get("village", "")
    if village.isdigit():
        items = items.filter(village_id=int(village))
    q = request.GET.get("q", "").strip()[:50]
    if q:
        items = items.filter(Q(text__icontains=q) | Q(village__name__icontains=q))
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "counts": counts,
        "status": status,
        "category": category,
        "village": village,
        "villages": villages.only("id", "name"),
        "q": q,
        "statuses": Feedback.Status.choices,
        "categories": Feedback.Category.choices,
    }
    return render(request, "feedback/list.html", context)


@require_cap(Cap.FEEDBACK_VIEW)
@require_http_methods(["GET"])
def feedback_detail(request, pk):
    item, sides = sel.access_feedback_by_id(request.user, pk, request=request)
    can_manage = Side.REVIEWER in sides and scope_for(request.user).can(Cap.FEEDBACK_MANAGE)
    actions = {t.action for t in available(item.status)} if can_manage else set()
    return render(request, "feedback/detail.html", {"item": item, "actions": actions})


def _act(request, pk, call, done):
    item, _sides = sel.access_feedback_by_id(request.user, pk, need=Side.REVIEWER, request=request)
    try:
        call(item, request.POST.get("version"))
    except NotPermittedError:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("feedback:detail", pk=item.pk)


@require_cap(Cap.FEEDBACK_MANAGE)
@require_POST
def feedback_answer(request, pk):
    return _act(
        request,
        pk,
        lambda item, v: svc.feedback_answer(
            feedback=item, actor=request.user, answer=request.POST.get("answer", ""), expected_version=v
        ),
        "已答复。",
    )


@require_cap(Cap.FEEDBACK_MANAGE)
@require_POST
def feedback_dismiss(request, pk):
    return _act(
        request,
        pk,
        lambda item, v: svc.feedback_dismiss(
            feedback=item, actor=request.user, reason=request.POST.get("reason", ""), expected_version=v
        ),
        "已标记为不予处理。",
    )


@require_cap(Cap.FEEDBACK_MANAGE)
@require_POST
def feedback_rectify(request, pk):
    return _act(
        request,
        pk,
        lambda item, v: svc.feedback_to_rectification(feedback=item, actor=request.user, expected_version=v),
        "已转为整改事项。",
    )
