"""工作任务 pages: the plan's task list, a task with its monthly progress, the import and the report."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from access.checks import require_cap
from access.roles import Cap
from access.scope import scope_for
from common.errors import ApplicationError
from common.xlsx import WorkbookRefused
from villages.models import ResponsibleUnit, Township

from .. import selectors as sel
from ..forms_rectification import TaskImportForm, TaskProgressForm
from ..models import PlanTask
from ..services import tasks as svc

PAGE_SIZE = 50


@require_cap(Cap.TASKS_VIEW)
@require_http_methods(["GET"])
def task_list(request):
    tasks = sel.task_list_for_user(request.user)
    years = sorted(set(tasks.values_list("year", flat=True)), reverse=True)
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else (years[0] if years else None)
    if year:
        tasks = tasks.filter(year=year)
    key_points = list(dict.fromkeys(tasks.order_by("number").values_list("key_point", flat=True)))
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
        tasks = tasks.filter(deadline__lt=timezone.localdate()).exclude(
            status__in=[PlanTask.Status.DONE, PlanTask.Status.ONGOING]
        )
    tasks = tasks.order_by("township__name", "year", "number")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    units = (
        ResponsibleUnit.objects.filter(
            plan_tasks__in=sel.task_list_for_user(request.user).filter(year=year).values("pk")
        )
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
        "statuses": PlanTask.Status.choices,
        "today": timezone.localdate(),
    }
    return render(request, "ledgers/task_list.html", context)


@require_cap(Cap.TASKS_VIEW)
@require_http_methods(["GET"])
def task_detail(request, pk):
    task = sel.task_get_for_user(request.user, pk)
    today = timezone.localdate()
    mine = sel.reporting_units(request.user, task)
    form = TaskProgressForm(initial={"year": today.year, "month": today.month})
    context = {"task": task, "my_units": mine, "form": form, "today": today}
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
    problems = []
    if request.method == "POST" and form.is_valid():
        chosen = request.POST.get("township", "")
        township = next(
            (t for t in townships if str(t.pk) == chosen), townships[0] if len(townships) == 1 else None
        )
        if township is None:
            form.add_error(None, "请选择镇街。")
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
    context = {"form": form, "townships": townships, "problems": problems}
    return render(request, "ledgers/task_import.html", context)


def _list_url():
    from django.urls import reverse

    return reverse("ledgers:task_list")
