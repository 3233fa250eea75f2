from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access.checks import require_cap
from access.roles import Cap

from .selectors import event_list_for_user


@require_cap(Cap.AUDIT_VIEW)
@require_GET
def event_list(request):
    events = event_list_for_user(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        events = events.filter(
            Q(actor_username__icontains=q) | Q(action__icontains=q) | Q(message__icontains=q)
        )
    page = Paginator(events.order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(request, "portal/auditlog/event_list.html", {"page_obj": page, "q": q})
