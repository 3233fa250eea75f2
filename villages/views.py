"""Organisation pages. Every object comes through a scoped selector; out of scope is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from access.checks import deny, require_cap
from access.roles import Cap
from access.scope import scope_for
from common.downloads import attachment_response

from .exporting import template_bytes
from .forms import OrgImportForm
from .models import WorkingGroupMember
from .permissions import can_manage_org, unit_phone_visible
from .selectors import (
    batch_for_village,
    batches_for_user,
    branch_list_for_user,
    branches_in_township_for_user,
    targets_for_user,
    township_get_for_user,
    township_is_wide_for_user,
    township_list_for_user,
    unit_get_for_user,
    unit_list_for_user,
    units_in_township_for_user,
    units_of_village_for_user,
    village_get_for_user,
    village_list_for_user,
    villages_in_township_for_user,
    villages_of_unit_for_user,
    wide_township_ids_for_user,
    working_group_for_user,
)
from .services import org_export_excel, org_import_excel

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int_param(request, name):
    """A query-string id, or None when absent or not a number (a bad value filters nothing)."""
    value = request.GET.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _sorted(queryset, request, sorts, default):
    key = request.GET.get("sort", default)
    fields = sorts.get(key.lstrip("-"))
    if fields is None:
        key, fields = default, sorts[default]
    if key.startswith("-"):
        fields = ("-" + fields[0], *fields[1:])
    return queryset.order_by(*fields, "pk")


def _xlsx_response(data, filename, fallback):
    return attachment_response(data, filename, fallback=fallback, content_type=XLSX)


def _managed_township(request, pk):
    """The township, if the user may import/export it; otherwise the same 404 as a missing one."""
    township = township_get_for_user(request.user, pk)
    if not can_manage_org(scope_for(request.user), township):
        deny(request, township, f"缺少权限 {Cap.ORG_MANAGE}", township_id=township.pk)
    return township


@require_cap(Cap.ORG_VIEW)
@require_GET
def township_list(request):
    townships = township_list_for_user(request.user)
    page = Paginator(townships, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "villages/township_list.html", {"page_obj": page})


def _branch_groups(branches, villages, show_empty):
    """[(branch or None, [villages])]: branches in order, then the villages without a branch."""
    groups = {b.pk: (b, []) for b in branches}
    unassigned = []
    for village in villages:
        if village.branch_id is None:
            unassigned.append(village)
        else:
            groups.setdefault(village.branch_id, (village.branch, []))[1].append(village)
    result = [g for g in groups.values() if g[1] or show_empty]
    if unassigned:
        result.append((None, unassigned))
    return result


@require_cap(Cap.ORG_VIEW)
@require_GET
def township_detail(request, pk):
    user = request.user
    township = township_get_for_user(user, pk)
    scope = scope_for(user)
    wide = township_is_wide_for_user(user, township)
    villages = list(villages_in_township_for_user(user, township))
    branches = list(branches_in_township_for_user(user, township))
    units = list(units_in_township_for_user(user, township))
    wide_ids = {township.pk} if wide else set()
    for unit in units:
        unit.phone_visible = unit_phone_visible(scope, unit, wide_ids)
    members = list(working_group_for_user(user, township))
    roster = [
        (label, [m for m in members if m.group_role == value])
        for value, label in WorkingGroupMember.GroupRole.choices
    ]
    batches = list(batches_for_user(user, township))
    batch_years = {}
    for batch in batches:
        batch_years.setdefault(batch.year, []).append(batch)
    context = {
        "township": township,
        "wide": wide,
        "village_total": len(villages),
        "groups": _branch_groups(branches, villages, show_empty=wide),
        "units": units,
        "roster": [r for r in roster if r[1]],
        "targets": list(targets_for_user(user, township)),
        "batch_years": sorted(batch_years.items()),
        "can_manage": can_manage_org(scope, township),
    }
    return render(request, "villages/township_detail.html", context)


@require_cap(Cap.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def township_import(request, pk):
    township = _managed_township(request, pk)
    form = OrgImportForm(request.POST, request.FILES) if request.method == "POST" else OrgImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        result = org_import_excel(
            township=township, file=form.cleaned_data["file"], actor=request.user, request=request
        )
        if result.ok:
            messages.success(request, f"导入完成。{result.summary()}。")
            if result.repeated and not result.changed:
                messages.info(request, "该文件此前已导入过，本次没有产生变化。")
            if result.not_in_file:
                names = "、".join(result.not_in_file[:30]) + ("等" if len(result.not_in_file) > 30 else "")
                messages.info(
                    request,
                    f"本镇街另有 {len(result.not_in_file)} 个村（社区）未在文件中，保持不变：{names}。",
                )
            return redirect("villages:township_detail", pk=township.pk)
    return render(
        request, "villages/township_import.html", {"township": township, "form": form, "result": result}
    )


@require_cap(Cap.ORG_MANAGE)
@require_GET
def township_export(request, pk):
    township = _managed_township(request, pk)
    data = org_export_excel(township=township, actor=request.user, request=request)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _xlsx_response(data, f"{township.name}组织机构{stamp}.xlsx", f"org-{township.pk}-{stamp}.xlsx")


@require_cap(Cap.ORG_MANAGE)
@require_GET
def township_template(request, pk):
    _managed_township(request, pk)
    return _xlsx_response(template_bytes(), "组织机构导入模板.xlsx", "org-template.xlsx")


VILLAGE_SORTS = {
    "name": ("name",),
    "township": ("township__name", "sort_order", "name"),
    "branch": ("branch__name", "sort_order", "name"),
}


@require_cap(Cap.ORG_VIEW)
@require_GET
def village_list(request):
    user = request.user
    villages = village_list_for_user(user)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        villages = villages.filter(Q(name__icontains=q) | Q(code__icontains=q))
    township_id = _int_param(request, "township")
    if township_id is not None:
        villages = villages.filter(township_id=township_id)
    branch_id = _int_param(request, "branch")
    if branch_id is not None:
        villages = villages.filter(branch_id=branch_id)
    villages = _sorted(villages, request, VILLAGE_SORTS, "township")
    page = Paginator(villages, PAGE_SIZE).get_page(request.GET.get("page"))
    branches = branch_list_for_user(user).order_by("township__name", "sort_order", "name")
    if township_id is not None:
        branches = branches.filter(township_id=township_id)
    context = {
        "page_obj": page,
        "q": q,
        "township_id": township_id,
        "branch_id": branch_id,
        "townships": list(township_list_for_user(user)),
        "branches": list(branches),
    }
    return render(request, "villages/village_list.html", context)


@require_cap(Cap.ORG_VIEW)
@require_GET
def village_detail(request, pk):
    user = request.user
    village = village_get_for_user(user, pk)
    units = list(units_of_village_for_user(user, village))
    context = {"village": village, "units": units, "batch": batch_for_village(village)}
    return render(request, "villages/village_detail.html", context)


UNIT_SORTS = {
    "name": ("name",),
    "township": ("township__name", "sort_order", "name"),
    "villages": ("village_count", "sort_order", "name"),
}


@require_cap(Cap.UNITS_VIEW)
@require_GET
def unit_list(request):
    user = request.user
    units = unit_list_for_user(user)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        units = units.filter(
            Q(name__icontains=q) | Q(leader_name__icontains=q) | Q(contact_name__icontains=q)
        )
    township_id = _int_param(request, "township")
    if township_id is not None:
        units = units.filter(township_id=township_id)
    units = _sorted(units, request, UNIT_SORTS, "township")
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    scope = scope_for(user)
    wide_ids = wide_township_ids_for_user(user, {u.township_id for u in page.object_list})
    for unit in page.object_list:
        unit.phone_visible = unit_phone_visible(scope, unit, wide_ids)
    context = {
        "page_obj": page,
        "q": q,
        "township_id": township_id,
        "townships": list(township_list_for_user(user)),
    }
    return render(request, "villages/unit_list.html", context)


@require_cap(Cap.UNITS_VIEW)
@require_GET
def unit_detail(request, pk):
    user = request.user
    unit = unit_get_for_user(user, pk)
    unit.phone_visible = unit_phone_visible(
        scope_for(user), unit, wide_township_ids_for_user(user, {unit.township_id})
    )
    villages = list(villages_of_unit_for_user(user, unit))
    return render(request, "villages/unit_detail.html", {"unit": unit, "villages": villages})
