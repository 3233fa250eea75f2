"""Standards pages: thin views over selectors (scope) and services (writes)."""

from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.checks import deny, require_cap
from access.roles import Cap
from audit.services import audit_log

from . import services
from .exporting import export_filename, standard_export_xlsx
from .forms import StandardCopyForm, StandardImportForm, StandardMetaForm, StandardReplaceForm
from .importing import format_for_name
from .models import IndexStandard
from .permissions import can_create_standards, can_manage_standard, manageable_targets, target_value
from .selectors import standard_get_for_user, standard_list_for_user, standard_scope_q, standard_tree
from .services import StandardCopyError, StandardImportError, StandardLockedError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SORTS = {
    "year": "year",
    "name": "name",
    "level": "level",
    "version": "version",
    "status": "status",
    "created": "created_at",
}
DECIDED_BY = {"city": "市级", "township": "镇街", "county": "县级"}


def _manageable_or_404(request, standard):
    if not can_manage_standard(request.user, standard):
        deny(request, standard, "无权管理该指数标准")
    return standard


@require_GET
@require_cap(Cap.STANDARDS_VIEW)
def standard_list(request):
    standards = standard_list_for_user(request.user)
    year = request.GET.get("year", "").strip()
    if year.isdigit():
        standards = standards.filter(year=int(year))
    level = request.GET.get("level", "")
    if level in IndexStandard.Level.values:
        standards = standards.filter(level=level)
    status = request.GET.get("status", "")
    if status in IndexStandard.Status.values:
        standards = standards.filter(status=status)
    q = request.GET.get("q", "").strip()[:60]
    if q:
        standards = standards.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(version__icontains=q))
    sort = request.GET.get("sort", "-year")
    field = SORTS.get(sort.lstrip("-"), "year")
    direction = "-" if sort.startswith("-") else ""
    standards = standards.order_by(f"{direction}{field}", "level", "code", "-pk")
    page = Paginator(standards, 20).get_page(request.GET.get("page"))
    years = (
        IndexStandard.objects.filter(standard_scope_q(request.user))
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    return render(
        request,
        "indices/standard_list.html",
        {
            "page_obj": page,
            "years": list(years),
            "year": year,
            "level": level,
            "status": status,
            "q": q,
            "levels": IndexStandard.Level.choices,
            "statuses": IndexStandard.Status.choices,
            "can_import": can_create_standards(request.user),
        },
    )


@require_GET
@require_cap(Cap.STANDARDS_VIEW)
def standard_detail(request, pk):
    standard = standard_get_for_user(request.user, pk, tree=True)
    dims = standard_tree(standard)
    grades = list(standard.grades.all())
    for i, grade in enumerate(grades):
        grade.upper = grades[i - 1].min_score if i else None
        grade.decided_by = DECIDED_BY.get(grade.final_decision_by, grade.final_decision_by)
    indicators = list(standard.indicators.all())
    return render(
        request,
        "indices/standard_detail.html",
        {
            "standard": standard,
            "dims": dims,
            "grades": grades,
            "bonus_items": list(standard.bonus_items.all()),
            "supervision_items": list(standard.supervision_items.all()),
            "veto_items": list(standard.veto_items.all()),
            "indicator_count": sum(1 for i in indicators if i.parent_id is None),
            "sub_item_count": sum(1 for i in indicators if i.parent_id is not None),
            "rule_count": sum(len(i.rules.all()) for i in indicators),
            "dimension_total": sum((d.max_score for d in dims), Decimal(0)),
            "max_total": standard.total_base_score + standard.bonus_total_cap,
            "scored_by_label": DECIDED_BY.get(standard.scored_by, standard.scored_by),
            "can_manage": can_manage_standard(request.user, standard),
            "can_copy": can_create_standards(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@require_cap(Cap.STANDARDS_MANAGE)
def standard_import(request):
    targets = manageable_targets(request.user)
    form = StandardImportForm(request.POST or None, request.FILES or None, targets=targets)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        region, township = form.targets[form.cleaned_data["target"]]
        try:
            standard = services.standard_import(
                source=upload,
                fmt=format_for_name(upload.name),
                actor=request.user,
                year=form.cleaned_data["year"],
                region=region,
                township=township,
                request=request,
            )
        except StandardImportError as exc:
            problems = exc.problems
        else:
            messages.success(request, f"已导入《{standard.name}》{standard.year}年 {standard.version}。")
            return redirect("indices:standard_detail", pk=standard.pk)
    return render(request, "indices/standard_import.html", {"form": form, "problems": problems})


@require_GET
@require_cap(Cap.STANDARDS_VIEW)
def standard_export(request, pk):
    standard = standard_get_for_user(request.user, pk, tree=True)
    content = standard_export_xlsx(standard)
    fallback, full = export_filename(standard)
    audit_log(
        action="standard.export",
        request=request,
        obj=standard,
        township_id=standard.township_id,
        message=f"导出指数标准《{standard.name}》{standard.year}年 {standard.version}",
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(full)}"
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@require_cap(Cap.STANDARDS_MANAGE)
def standard_copy(request, pk):
    standard = standard_get_for_user(request.user, pk)
    targets = manageable_targets(request.user)
    if not targets:
        raise Http404
    values = [t[0] for t in targets]
    own = target_value(standard)
    initial = {
        "year": standard.year + 1,
        "new_version": f"{standard.year + 1}-1",
        "target": own if own in values else values[0],
    }
    form = StandardCopyForm(request.POST or None, initial=initial, targets=targets)
    if request.method == "POST" and form.is_valid():
        region, township = form.targets[form.cleaned_data["target"]]
        try:
            copy = services.standard_copy(
                standard=standard,
                new_version=form.cleaned_data["new_version"],
                year=form.cleaned_data["year"],
                label=form.cleaned_data["label"],
                actor=request.user,
                request=request,
                region=region,
                township=township,
            )
        except StandardCopyError as exc:
            form.add_error("new_version", str(exc))
        else:
            messages.success(request, f"已新建版本《{copy.name}》{copy.year}年 {copy.version}（草稿）。")
            return redirect("indices:standard_detail", pk=copy.pk)
    return render(request, "indices/standard_copy.html", {"standard": standard, "form": form})


@require_http_methods(["GET", "POST"])
@require_cap(Cap.STANDARDS_MANAGE)
def standard_edit(request, pk):
    standard = _manageable_or_404(request, standard_get_for_user(request.user, pk))
    initial = {
        "name": standard.name,
        "label": standard.label,
        "status": standard.status,
        "notes": standard.notes,
    }
    form = StandardMetaForm(request.POST or None, initial=initial)
    locked_message = str(StandardLockedError(standard)) if standard.in_use else ""
    if request.method == "POST" and form.is_valid():
        try:
            services.standard_update_meta(
                standard=standard,
                actor=request.user,
                name=form.cleaned_data["name"],
                status=form.cleaned_data["status"],
                notes=form.cleaned_data["notes"],
                label=form.cleaned_data["label"],
                request=request,
            )
        except StandardLockedError as exc:
            locked_message = str(exc)
        else:
            messages.success(request, "基本信息已保存。")
            return redirect("indices:standard_detail", pk=standard.pk)
    can_replace = not standard.in_use and standard.status == IndexStandard.Status.DRAFT
    return render(
        request,
        "indices/standard_edit.html",
        {
            "standard": standard,
            "form": form,
            "locked_message": locked_message,
            "replace_form": StandardReplaceForm() if can_replace else None,
        },
    )


@require_POST
@require_cap(Cap.STANDARDS_MANAGE)
def standard_replace(request, pk):
    standard = _manageable_or_404(request, standard_get_for_user(request.user, pk))
    form = StandardReplaceForm(request.POST, request.FILES)
    problems = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.standard_replace_from_file(
                standard=standard,
                source=upload,
                fmt=format_for_name(upload.name),
                actor=request.user,
                request=request,
            )
        except StandardLockedError as exc:
            messages.error(request, str(exc))
            return redirect("indices:standard_edit", pk=standard.pk)
        except StandardImportError as exc:
            problems = exc.problems
        else:
            messages.success(request, "已重新导入，原有内容已替换。")
            return redirect("indices:standard_detail", pk=standard.pk)
    meta_form = StandardMetaForm(
        initial={
            "name": standard.name,
            "label": standard.label,
            "status": standard.status,
            "notes": standard.notes,
        }
    )
    return render(
        request,
        "indices/standard_edit.html",
        {
            "standard": standard,
            "form": meta_form,
            "replace_form": form,
            "problems": problems,
            "locked_message": "",
        },
    )
