"""工作任务 pages: the plan's task list, a task with its monthly progress, the import and the report."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from access.checks import require_cap
from access.roles import Cap, Side
from access.scope import scope_for
from accounts.pages import region_page
from common.errors import ApplicationError, ConflictError
from common.xlsx import WorkbookRefused
from villages.models import ResponsibleUnit, Township

from .. import selectors as sel
from ..forms_rectification import PlanTaskForm, TaskImportForm, TaskProgressForm, TaskReasonForm
from ..models import PlanSubTask, PlanTask
from ..services import tasks as svc
from ..workflow import task_overdue_case, task_overdue_q

PAGE_SIZE = 50


# the list's own filters whose short values may be part of a cached page's address (not the search box)
TASK_LIST_PARAMS = ("year", "key_point", "unit", "status", "township", "overdue", "closed", "page")


@require_cap(Cap.TASKS_VIEW)
@require_http_methods(["GET"])
def task_list(request):
    """A city office's list (the same for everyone holding its regions whole) is cached per data version
    of its regions and today's date (the overdue marks), which task writes renew (accounts.pages)."""
    return region_page(
        request,
        "ledgers/task_list.html",
        cap=Cap.TASKS_VIEW,
        context=lambda: _task_list_context(request),
        parts=(timezone.localdate(),),
        params=TASK_LIST_PARAMS,
    )


def _task_list_context(request):
    tasks = sel.task_list_for_user(request.user)
    # years and 工作要点 grouped in SQL: a city holds a plan of every township for every year (issue 16)
    years = sel.region_cached(
        request.user,
        Cap.TASKS_VIEW,
        ("task-years",),
        lambda: list(tasks.order_by("-year").values_list("year", flat=True).distinct()),
    )
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else (years[0] if years else None)
    if year:
        tasks = tasks.filter(year=year)
    key_points = sel.region_cached(
        request.user,
        Cap.TASKS_VIEW,
        ("task-key-points", year),
        lambda: list(
            tasks.order_by()
            .values("key_point")
            .annotate(first=Min("number"))
            .order_by("first", "key_point")
            .values_list("key_point", flat=True)
        ),
    )
    key_point = request.GET.get("key_point", "")
    if key_point:
        tasks = tasks.filter(key_point=key_point)
    unit = request.GET.get("unit", "")
    if unit.isdigit():
        tasks = tasks.filter(units=int(unit))
    status = request.GET.get("status", "")
    if status in PlanTask.Status.values:
        tasks = tasks.filter(status=status)
    # the dashboards link here per township, and to the tasks past their date and not done
    township = request.GET.get("township", "")
    if township.isdigit():
        tasks = tasks.filter(township_id=int(township))
    if request.GET.get("overdue") == "1":
        tasks = tasks.filter(task_overdue_q())
    q = request.GET.get("q", "").strip()[:50]
    if q:
        tasks = tasks.filter(Q(task__icontains=q) | Q(measures__icontains=q) | Q(units_text__icontains=q))
    closed = request.GET.get("closed", "")
    if closed in ("0", "1"):
        tasks = tasks.filter(is_closed=closed == "1")
    tasks = tasks.annotate(overdue=task_overdue_case()).order_by("township__name", "year", "number")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    # the sub-task counts of the page's tasks only: counted over the whole list before the limit, they
    # grouped a city's every task (89 of 147 ms at 50,000 villages, issue 16)
    shares = {
        r["task_id"]: r
        for r in PlanSubTask.objects.filter(task_id__in=[t.pk for t in page.object_list])
        .values("task_id")
        .annotate(shares=Count("id"), shares_done=Count("id", filter=Q(status=PlanTask.Status.DONE)))
        .order_by()
    }
    for t in page.object_list:
        counts = shares.get(t.pk, {})
        t.shares, t.shares_done = counts.get("shares", 0), counts.get("shares_done", 0)
    townships = sel.task_townships_for_user(request.user)
    # Across several townships the unit picker lists the chosen township's units only: a city's every
    # unit (4,000 at 50,000 villages) made the page grow with the city.
    if len(townships) > 1 and not township.isdigit():
        units = ResponsibleUnit.objects.none()
    else:
        in_year = sel.task_list_for_user(request.user).filter(year=year)
        if township.isdigit():
            in_year = in_year.filter(township_id=int(township))
        units = (
            ResponsibleUnit.objects.filter(plan_tasks__in=in_year.values("pk"))
            .distinct()
            .order_by("sort_order", "name")
        )
    context = {
        "page_obj": page,
        "years": years,
        "year": year,
        "key_points": key_points,
        "key_point": key_point,
        "units": units,
        "unit": unit,
        "status": status,
        "q": q,
        "closed": closed,
        "overdue": request.GET.get("overdue", ""),
        "township": township,
        "townships": townships if len(townships) > 1 else [],
        "export_township": township if township.isdigit() else _single_township(page),
        "statuses": PlanTask.Status.choices,
        "today": timezone.localdate(),
    }
    return context


def _single_township(page):
    ids = {t.township_id for t in page.object_list}
    return str(ids.pop()) if len(ids) == 1 else ""


@require_cap(Cap.TASKS_VIEW)
@require_http_methods(["GET"])
def task_detail(request, pk):
    task = sel.task_get_for_user(request.user, pk)
    today = timezone.localdate()
    mine = sel.reporting_units(request.user, task)
    form = TaskProgressForm(initial={"year": today.year, "month": today.month})
    _, sides = sel.access_task_by_id(request.user, pk)
    context = {
        "task": task,
        "my_units": mine,
        "form": form,
        "today": today,
        "can_manage": Side.REVIEWER in sides,
        "reason_form": TaskReasonForm(),
        "events": task.events.select_related("actor").order_by("-pk"),
    }
    return render(request, "ledgers/task_detail.html", context)


@require_cap(Cap.TASKS_REPORT)
@require_POST
def task_progress(request, pk):
    task = sel.task_get_for_user(request.user, pk)
    mine = sel.reporting_units(request.user, task)
    if not mine:
        raise Http404
    form = TaskProgressForm(request.POST)
    if not form.is_valid():
        messages.error(request, "填报内容不完整，请检查年、月、进展情况和状态。")
        return redirect("ledgers:task_detail", pk=task.pk)
    data = form.cleaned_data
    unit = next((u for u in mine if u.pk == data["unit"]), None) if data["unit"] else mine[0]
    if unit is None:
        raise Http404
    try:
        svc.task_progress_report(
            task=task,
            unit=unit,
            actor=request.user,
            year=data["year"],
            month=data["month"],
            text=data["text"],
            status=data["status"],
            files=request.FILES.getlist("files"),
            request=request,
        )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"已填报{data['year']}年{data['month']}月进展。")
    return redirect("ledgers:task_detail", pk=task.pk)


def _import_townships(user):
    return Township.objects.filter(scope_for(user).township_q(Cap.TASKS_MANAGE)).order_by("name")


@require_cap(Cap.TASKS_MANAGE)
@require_http_methods(["GET", "POST"])
def task_import(request):
    townships = list(_import_townships(request.user))
    if not townships:
        raise Http404
    form = TaskImportForm(
        request.POST or None, request.FILES or None, initial={"year": timezone.localdate().year}
    )
    problems, preview = [], None
    if request.method == "POST" and form.is_valid():
        chosen = request.POST.get("township", "")
        township = next(
            (t for t in townships if str(t.pk) == chosen), townships[0] if len(townships) == 1 else None
        )
        if township is None:
            form.add_error(None, "请选择镇街。")
        elif "preview" in request.POST:
            preview, problems, text = _preview(form.cleaned_data, township)
            if text is not None:
                form.data = form.data.copy()
                form.data["text"] = text  # a .txt upload: confirmed from the text shown, not re-uploaded
        else:
            try:
                created = svc.task_import(
                    township=township,
                    year=form.cleaned_data["year"],
                    file=form.cleaned_data["file"],
                    text=None if form.cleaned_data["file"] else form.cleaned_data["text"],
                    create_missing_units=form.cleaned_data["create_missing_units"],
                    actor=request.user,
                    request=request,
                )
            except (WorkbookRefused, svc.TaskImportError) as exc:
                problems = exc.problems
            except (ValidationError, ApplicationError) as exc:
                form.add_error(None, "；".join(getattr(exc, "messages", [str(exc)])))
            else:
                messages.success(request, f"已导入 {len(created)} 项任务。")
                return redirect(f"{_list_url()}?year={form.cleaned_data['year']}")
    context = {"form": form, "townships": townships, "problems": problems, "preview": preview}
    return render(request, "ledgers/task_import.html", context)


def _preview(data, township):
    """What the import would write, nothing written: {rows, missing units}, problems, and the text of a
    .txt upload (confirmed from the text shown, not uploaded again)."""
    file, text = data["file"], None
    if file is not None and file.name.lower().endswith(".txt"):
        try:
            text = svc.read_text_upload(file)
        except svc.TaskImportError as exc:
            return None, exc.problems, None
        file = None
    elif file is None:
        text = data["text"]
    try:
        rows, problems = svc.task_list_read(year=data["year"], file=file, text=text)
    except WorkbookRefused as exc:
        return None, exc.problems, text
    more, missing = svc.task_import_plan(
        township=township, rows=rows, create_missing_units=data["create_missing_units"]
    )
    problems = sorted([*problems, *more], key=lambda p: (p.row or 0, p.column))
    return {"rows": rows, "missing": missing, "from_file": file is not None}, problems, text


def _error_text(exc):
    return "；".join(getattr(exc, "messages", [str(exc)]))


@require_cap(Cap.TASKS_MANAGE)
@require_http_methods(["GET", "POST"])
def task_create(request):
    townships = list(_import_townships(request.user))
    if not townships:
        raise Http404
    year = request.GET.get("year", "") or request.POST.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else timezone.localdate().year
    form = PlanTaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = request.POST.get("township", "")
        township = next((t for t in townships if str(t.pk) == chosen), townships[0])
        try:
            task = svc.task_create(
                township=township, year=year, actor=request.user, data=form.cleaned_data, request=request
            )
        except ApplicationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, f"已新增任务 {task.number}。")
            return redirect("ledgers:task_detail", pk=task.pk)
    context = {"form": form, "townships": townships, "year": year, "task": None}
    return render(request, "ledgers/task_form.html", context)


@require_cap(Cap.TASKS_MANAGE)
@require_http_methods(["GET", "POST"])
def task_edit(request, pk):
    task, _ = sel.access_task_by_id(request.user, pk, need=Side.REVIEWER, request=request)
    initial = {k: getattr(task, k) for k in svc.EDITABLE} | {"version": task.version}
    form = PlanTaskForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            svc.task_update(
                task=task,
                actor=request.user,
                version=form.cleaned_data["version"] or 0,
                data=form.cleaned_data,
                request=request,
            )
        except ConflictError as exc:
            conflict = exc.current
            form.add_error(None, _error_text(exc))
        except ApplicationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "任务已保存。")
            return redirect("ledgers:task_detail", pk=task.pk)
    context = {"form": form, "task": task, "conflict": conflict, "year": task.year}
    return render(request, "ledgers/task_form.html", context, status=409 if conflict else 200)


def _task_transition(request, pk, service, done):
    task, _ = sel.access_task_by_id(request.user, pk, need=Side.REVIEWER, request=request)
    form = TaskReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写原因。")
        return redirect("ledgers:task_detail", pk=task.pk)
    try:
        service(task=task, actor=request.user, reason=form.cleaned_data["reason"], request=request)
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done)
    return redirect("ledgers:task_detail", pk=task.pk)


@require_cap(Cap.TASKS_MANAGE)
@require_POST
def task_close(request, pk):
    return _task_transition(request, pk, svc.task_close, "任务已关闭。")


@require_cap(Cap.TASKS_MANAGE)
@require_POST
def task_reopen(request, pk):
    return _task_transition(request, pk, svc.task_reopen, "任务已重新打开。")


@require_cap(Cap.TASKS_VIEW)
@require_http_methods(["GET"])
def task_export(request):
    """The township's task list of a year in the import layout (re-importing it gives the same tasks)."""
    import io

    from django.http import HttpResponse

    from ..tasks_excel import export_task_workbook

    township = request.GET.get("township", "")
    year = request.GET.get("year", "")
    if not (township.isdigit() and year.isdigit()):
        raise Http404
    tasks = list(
        sel.task_list_for_user(request.user)
        .filter(township_id=int(township), year=int(year))
        .order_by("number")
    )
    if not tasks:
        raise Http404
    out = io.BytesIO()
    name = f"{tasks[0].township.name}{year}年任务清单"
    export_task_workbook(tasks, out, title=name)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.xlsx"
    return response


@require_cap(Cap.SUBTASKS_REPORT)
@require_http_methods(["GET"])
def subtask_list(request):
    """本村（本党总支）分解任务: a village's share of the township's tasks, to report on monthly."""
    subtasks = sel.subtask_list_for_user(request.user)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        subtasks = subtasks.filter(Q(task__task__icontains=q) | Q(task__measures__icontains=q))
    status = request.GET.get("status", "")
    if status in PlanTask.Status.values:
        subtasks = subtasks.filter(status=status)
    subtasks = subtasks.annotate(overdue=task_overdue_case(prefix="task__")).order_by(
        "-task__year", "task__number", "pk"
    )
    page = Paginator(subtasks, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "q": q, "status": status, "statuses": PlanTask.Status.choices}
    return render(request, "ledgers/subtask_list.html", context)


@require_cap(Cap.SUBTASKS_REPORT)
@require_http_methods(["GET", "POST"])
def subtask_progress(request, pk):
    subtask = sel.subtask_get_for_user(request.user, pk)
    today = timezone.localdate()
    form = TaskProgressForm(request.POST or None, initial={"year": today.year, "month": today.month})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                svc.subtask_progress_report(
                    subtask=subtask,
                    actor=request.user,
                    year=data["year"],
                    month=data["month"],
                    text=data["text"],
                    status=data["status"],
                    files=request.FILES.getlist("files"),
                    request=request,
                )
            except (ValidationError, ApplicationError) as exc:
                messages.error(request, _error_text(exc))
            else:
                messages.success(request, f"已填报{data['year']}年{data['month']}月进展。")
                return redirect("ledgers:subtask_progress", pk=subtask.pk)
        else:
            messages.error(request, "填报内容不完整，请检查年、月、进展情况和状态。")
    context = {"subtask": subtask, "task": subtask.task, "form": form, "today": today}
    return render(request, "ledgers/subtask_progress.html", context)


@require_http_methods(["GET"])
def task_evidence_download(request, evidence_pk):
    from audit.services import audit_log
    from common.storage import download_response

    if not (scope_for(request.user).can(Cap.TASKS_VIEW) or scope_for(request.user).can(Cap.SUBTASKS_REPORT)):
        raise Http404
    evidence = sel.task_evidence_get_for_user(request.user, evidence_pk)
    if not evidence.file.storage.exists(evidence.file.name):
        raise Http404
    task = evidence.progress.task
    audit_log(
        action="tasks.evidence_download",
        request=request,
        obj=task,
        township_id=task.township_id,
        message=evidence.original_name,
    )
    try:
        return download_response(
            evidence.file.name, filename=evidence.original_name, content_type=evidence.content_type
        )
    except (FileNotFoundError, OSError):
        raise Http404 from None


def _month_args(request):
    today = timezone.localdate()
    year, month, township = (request.GET.get(k, "") for k in ("year", "month", "township"))
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today.year
    month = int(month) if month.isdigit() and 1 <= int(month) <= 12 else today.month
    return township, year, month


@require_cap(Cap.TASKS_VIEW)
@require_http_methods(["GET"])
def task_monthly(request):
    """每月调度: a township's tasks with their state and the month's reports; ?format=xlsx|docx exports."""
    import io
    from urllib.parse import quote

    from django.http import HttpResponse

    from .. import tasks_monthly

    township, year, month = _month_args(request)
    townships = list(
        Township.objects.filter(sel.task_townships_q(scope_for(request.user))).order_by("name")[:200]
    )
    if not township.isdigit():
        if not townships:
            raise Http404
        township = str(townships[0].pk)
    sheet = sel.monthly_sheet(request.user, int(township), year, month)
    fmt = request.GET.get("format", "")
    if fmt in ("xlsx", "docx"):
        out = io.BytesIO()
        if fmt == "xlsx":
            tasks_monthly.monthly_xlsx(sheet, out)
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            tasks_monthly.monthly_docx(sheet, out)
            ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        response = HttpResponse(out.getvalue(), content_type=ctype)
        name = quote(f"{tasks_monthly.title(sheet)}.{fmt}")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return response
    context = {
        "sheet": sheet,
        "townships": townships,
        "months": range(1, 13),
        "summary": [(label, sheet["counts"][key]) for key, label in tasks_monthly.SUMMARY],
    }
    return render(request, "ledgers/task_monthly.html", context)


def _list_url():
    from django.urls import reverse

    return reverse("ledgers:task_list")
