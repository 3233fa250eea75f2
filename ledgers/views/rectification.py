"""整改 pages: the scoped list with counts, the detail with history, and the POST-only writes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.checks import require_cap
from access.roles import Cap, Side
from access.scope import scope_for
from common.downloads import attachment_response
from common.errors import ApplicationError, ConflictError, NotPermittedError
from common.pagination import CountedPaginator
from common.uploads import UploadError
from villages.models import Village

from .. import selectors as sel
from ..exports import rectification_xlsx
from ..forms_rectification import RectificationCreateForm, RespondForm, VerifyForm
from ..models import Rectification
from ..services import rectification as svc
from ..workflow import ACTION_LABELS

PAGE_SIZE = 30
SORTS = {
    "deadline": ("deadline", "id"),
    "-deadline": ("-deadline", "-id"),
    "village": ("village__name", "deadline"),
    "-village": ("-village__name", "deadline"),
}


def _page(items, counts, *, status, overdue, narrowed, number):
    """The requested page. The counts above the list already hold the size of the list when it is
    filtered by at most one of 状态 and 逾期 (not by source or name): no second pass over every item of
    the scope's history (a city's 131,000 整改 at 50,000 villages, issue 16)."""
    if narrowed or (status and overdue):
        return Paginator(items, PAGE_SIZE).get_page(number)
    total = counts[status] if status else (counts["overdue"] if overdue else counts["total"])
    return CountedPaginator(items, PAGE_SIZE, count=total).get_page(number)


def _error_text(exc):
    return "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@require_cap(Cap.RECTIFY_VIEW)
@require_http_methods(["GET"])
def rectification_list(request):
    items = sel.rectification_list_for_user(request.user)
    township = request.GET.get("township", "")
    if township.isdigit():  # the dashboards link here per township
        items = items.filter(township_id=int(township))
    counts = sel.rectification_counts(
        request.user, items, township=int(township) if township.isdigit() else None
    )
    status = request.GET.get("status", "")
    if status in Rectification.Status.values:
        items = items.filter(status=status)
    source = request.GET.get("source", "")
    if source in Rectification.Source.values:
        items = items.filter(source=source)
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        items = items.filter(is_overdue=True)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        items = items.filter(village__name__icontains=q)
    sort = request.GET.get("sort", "deadline")
    items = items.order_by(*SORTS.get(sort, SORTS["deadline"]))
    if request.GET.get("export") == "xlsx":
        return _export(request, items)
    page = _page(
        items,
        counts,
        status=status if status in Rectification.Status.values else "",
        overdue=overdue,
        narrowed=bool(source in Rectification.Source.values or q),
        number=request.GET.get("page"),
    )
    context = {
        "page_obj": page,
        "counts": counts,
        "status": status,
        "source": source,
        "overdue": overdue,
        "q": q,
        "statuses": Rectification.Status.choices,
        "sources": Rectification.Source.choices,
    }
    return render(request, "ledgers/rectification_list.html", context)


@require_cap(Cap.RECTIFY_VIEW)
@require_http_methods(["GET"])
def rectification_detail(request, pk):
    item = sel.rectification_get_for_user(request.user, pk)
    actions = {t.action for t in sel.rectification_available(request.user, item)}
    labels = dict(Rectification.Status.choices)
    events = list(item.events.select_related("actor"))
    for e in events:
        e.label = ACTION_LABELS.get(e.action, e.action)
        e.from_label = labels.get(e.from_status, "—")
        e.to_label = labels.get(e.to_status, "—")
    context = {
        "item": item,
        "events": events,
        "can_respond": "respond" in actions,
        "can_verify": "accept" in actions,
        "respond_form": RespondForm(initial={"version": item.version}),
        "verify_form": VerifyForm(initial={"version": item.version}),
        "files": list(item.evidence.all()),
    }
    return render(request, "ledgers/rectification_detail.html", context)


def _creatable_villages(user):
    return (
        Village.objects.filter(scope_for(user).township_q(Cap.RECTIFY_MANAGE, prefix="township__"))
        .select_related("township")
        .order_by("township__name", "sort_order", "name")
    )


@require_cap(Cap.RECTIFY_MANAGE)
@require_http_methods(["GET", "POST"])
def rectification_create(request):
    villages = _creatable_villages(request.user)
    form = RectificationCreateForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = svc.rectification_create(
                township=data["village"].township,
                village=data["village"],
                source=data["source"],
                problem=data["problem"],
                requirement=data["requirement"],
                owner=data["owner"],
                deadline=data["deadline"],
                actor=request.user,
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "整改事项已创建。")
            return redirect("ledgers:rectification_detail", pk=item.pk)
    return render(request, "ledgers/rectification_create.html", {"form": form})


def _write(request, pk, form_class, call):
    item = sel.rectification_get_for_user(request.user, pk)
    if sel.rectification_side(request.user, item) is None:
        raise Http404
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "提交内容不完整，请检查后重试。")
        return redirect("ledgers:rectification_detail", pk=item.pk)
    try:
        call(item, form.cleaned_data)
    except ConflictError as exc:
        # The typed text is not lost: it comes back in the message, to copy into the fresh form.
        mine = (form.cleaned_data.get("response") or form.cleaned_data.get("note") or "").strip()
        messages.error(request, f"{exc}您填写的内容：{mine[:500]}" if mine else str(exc))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "已保存。")
    return redirect("ledgers:rectification_detail", pk=item.pk)


@require_cap(Cap.RECTIFY_RESPOND)
@require_POST
def rectification_respond(request, pk):
    return _write(
        request,
        pk,
        RespondForm,
        lambda item, d: svc.rectification_respond(
            item=item, actor=request.user, response=d["response"], expected_version=d["version"]
        ),
    )


@require_cap(Cap.RECTIFY_MANAGE)
@require_POST
def rectification_verify(request, pk):
    return _write(
        request,
        pk,
        VerifyForm,
        lambda item, d: svc.rectification_verify(
            item=item, actor=request.user, accept=d["accept"], note=d["note"], expected_version=d["version"]
        ),
    )


@require_cap(Cap.RECTIFY_RESPOND)
@require_POST
def rectification_evidence_upload(request, pk):
    item, _sides = sel.access_rectification_by_id(request.user, pk, need=Side.SELF, request=request)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, "请选择要上传的文件。")
    for f in files:
        try:
            svc.rectification_evidence_upload(item=item, actor=request.user, uploaded_file=f)
        except NotPermittedError:
            raise Http404 from None
        except (UploadError, ValidationError) as err:
            text = err.message if isinstance(err, ValidationError) and hasattr(err, "message") else str(err)
            messages.error(request, f"{f.name}：{text}")
        else:
            messages.success(request, f"已上传 {f.name}。")
    return redirect("ledgers:rectification_detail", item.pk)


@require_cap(Cap.RECTIFY_VIEW)
@require_GET
def rectification_evidence_download(request, evidence_pk):
    from audit.services import audit_log
    from common.storage import download_response

    evidence = sel.rectification_evidence_get_for_user(request.user, evidence_pk)
    if not evidence.file.storage.exists(evidence.file.name):
        raise Http404
    item = evidence.rectification
    audit_log(
        action="rectification.evidence_download",
        request=request,
        obj=item,
        township_id=item.township_id,
        village_id=item.village_id,
        message=evidence.original_name,
    )
    try:
        return download_response(
            evidence.file.name, filename=evidence.original_name, content_type=evidence.content_type
        )
    except (FileNotFoundError, OSError):
        raise Http404 from None


def _export(request, items):
    """The list as filtered on the page, as the 整改清单 workbook."""
    import io

    from django.utils import timezone

    from audit.services import audit_log

    buffer = io.BytesIO()
    rectification_xlsx(rectifications=items, out=buffer)
    name = f"整改清单（{timezone.localdate():%Y-%m-%d}）.xlsx"
    audit_log(
        action="export.document",
        request=request,
        message=f"下载{name}",
        detail={"filters": request.GET.dict()},
    )
    return attachment_response(buffer.getvalue(), name, fallback="rectifications.xlsx")
