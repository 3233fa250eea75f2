"""Managing accounts and role grants (issue 11): who may do what comes from the access module and the
services' boundaries; these views only collect input, call a service and show its answer."""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook

from access.checks import deny, require_cap
from access.grants import TOWNSHIP_ADMIN_ROLE, creates_townships, grantable_roles, region_create_refusal
from access.roles import ROLE_NODE, Cap, Role
from access.scope import scope_for
from common import xlsx
from common.errors import ApplicationError
from villages.models import PartyBranch, Region, ResponsibleUnit, Township, Village
from villages.services import region_create, township_create

from .forms import GrantForm, RegionCreateForm, TownshipCreateForm, UserCreateForm, UserEditForm
from .models import Membership, User
from .selectors import (
    grant_nodes_for_user,
    townships_managed_by,
    user_list_for_user,
    user_manage_refusal,
)
from .services import (
    membership_grant,
    membership_revoke,
    user_create,
    user_password_reset,
    user_set_active,
    user_update,
)

NODE_MODELS = {
    "region": Region,
    "township": Township,
    "branch": PartyBranch,
    "village": Village,
    "unit": ResponsibleUnit,
}
NODE_LABELS = {
    "region": "市（县、区）",
    "township": "镇街",
    "branch": "党总支",
    "village": "村（社区）",
    "unit": "责任单位",
}


def _error_text(error):
    if isinstance(error, ApplicationError):
        return str(error)
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(error)


def _target(request, pk):
    """A user in the actor's list, or the same 404 as a missing one (with an audit row)."""
    try:
        return user_list_for_user(request.user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        deny(request, message="用户不存在或不在本人管理范围内")


def _one_time_page(request, target, password, *, created):
    response = render(
        request,
        "accounts/user_password_once.html",
        {"target": target, "password": password, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_cap(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def user_create_view(request):
    managed = townships_managed_by(request.user)
    townships = list(managed)
    form = UserCreateForm(request.POST or None, townships=managed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        township = data.get("township") or (townships[0] if len(townships) == 1 else None)
        try:
            user = user_create(
                username=data["username"],
                full_name=data["full_name"],
                phone=data["phone"],
                township=township,
                actor=request.user,
                request=request,
            )
        except (ApplicationError, ValidationError) as e:
            form.add_error(None, _error_text(e))
        else:
            return _one_time_page(request, user, user.one_time_password, created=True)
    return render(request, "accounts/user_form.html", {"form": form, "title": "新建用户"})


@require_cap(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def user_edit_view(request, pk):
    target = _target(request, pk)
    if message := user_manage_refusal(request.user, target):
        messages.error(request, message)
        return redirect("accounts:user_detail", pk=target.pk)
    initial = {"full_name": target.full_name, "phone": target.phone, "email": target.email}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_update(user=target, actor=request.user, request=request, **form.cleaned_data)
        except (ApplicationError, ValidationError) as e:
            form.add_error(None, _error_text(e))
        else:
            messages.success(request, "用户信息已保存。")
            return redirect("accounts:user_detail", pk=target.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "title": f"编辑用户 {target.username}", "target": target},
    )


@require_cap(Cap.USERS_MANAGE)
@require_POST
def user_active_view(request, pk):
    target = _target(request, pk)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(user=target, is_active=active, actor=request.user, request=request)
    except (ApplicationError, ValidationError) as e:
        messages.error(request, _error_text(e))
    else:
        messages.success(request, f"已{'启用' if active else '停用'}用户 {target.username}。")
    return redirect("accounts:user_detail", pk=target.pk)


@never_cache
@require_cap(Cap.USERS_MANAGE)
@require_POST
def user_password_reset_view(request, pk):
    target = _target(request, pk)
    try:
        password = user_password_reset(user=target, actor=request.user, request=request)
    except (ApplicationError, ValidationError) as e:
        messages.error(request, _error_text(e))
        return redirect("accounts:user_detail", pk=target.pk)
    return _one_time_page(request, target, password, created=False)


def _resolve_node(form, role, value):
    """The node object a grant names (looked up unscoped: the service decides whether it is the actor's)."""
    kind = ROLE_NODE[role]
    if kind is None:
        return None
    if value is None or value[0] != kind:
        form.add_error("node", f"“{role.label}”须关联到{NODE_LABELS[kind]}。")
        return False
    node = NODE_MODELS[kind].objects.filter(pk=value[1]).first()
    if node is None:
        form.add_error("node", "所选组织节点不存在。")
        return False
    return node


def _node_text(node):
    township = getattr(node, "township", None)
    return f"{township.name} {node.name}" if township is not None else node.name


@require_cap(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def user_grant_view(request, pk):
    target = _target(request, pk)
    roles = grantable_roles(scope_for(request.user))
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        role = Role(form.cleaned_data["role"])
        node = _resolve_node(form, role, form.cleaned_data["node"])
        if node is not False:
            try:
                membership_grant(user=target, role=role, node=node, actor=request.user, request=request)
            except (ApplicationError, ValidationError) as e:
                form.add_error(None, _error_text(e))
            else:
                messages.success(request, f"已授予 {target.display_name} “{role.label}”角色。")
                return redirect("accounts:user_detail", pk=target.pk)
    nodes = [
        (NODE_LABELS[kind], [(f"{kind}:{n.pk}", _node_text(n)) for n in qs])
        for kind, qs in grant_nodes_for_user(request.user).items()
        if any(ROLE_NODE[r] == kind for r in roles)
    ]
    return render(
        request,
        "accounts/user_grant.html",
        {
            "form": form,
            "target": target,
            "roles": [(r.value, r.label) for r in roles],
            "nodes": nodes,
            "chosen": request.POST.get("node", ""),
        },
    )


@require_cap(Cap.USERS_MANAGE)
@require_POST
def membership_revoke_view(request, pk):
    memberships = Membership.objects.filter(user__in=user_list_for_user(request.user)).select_related("user")
    try:
        membership = memberships.get(pk=pk)
    except (Membership.DoesNotExist, ValueError, TypeError):
        deny(request, message="角色授权不存在或不在本人管理范围内")
    try:
        membership_revoke(membership=membership, actor=request.user, request=request)
    except (ApplicationError, ValidationError) as e:
        messages.error(request, _error_text(e))
    else:
        messages.success(request, f"已撤销 {membership}。")
    return redirect("accounts:user_detail", pk=membership.user_id)


# ---- the user list as a workbook -------------------------------------------------------------------

EXPORT_HEADERS = ("登录名", "姓名", "手机号", "角色及组织节点", "状态", "最近登录")


def user_list_workbook(users):
    wb = Workbook()
    ws = wb.active
    ws.title = "用户"
    xlsx.header_row(ws, 1, EXPORT_HEADERS)
    for row, u in enumerate(users, start=2):
        roles = "；".join(
            f"{m.get_role_display()}（{m.node}）" if m.node else m.get_role_display()
            for m in u.memberships.all()
        )
        xlsx.text(ws, row, 1, u.username)
        xlsx.text(ws, row, 2, u.full_name)
        xlsx.text(ws, row, 3, u.phone)
        xlsx.text(ws, row, 4, roles or "未分配")
        xlsx.text(ws, row, 5, "启用" if u.is_active else "停用")
        xlsx.text(
            ws,
            row,
            6,
            timezone.localtime(u.last_login).strftime("%Y-%m-%d %H:%M") if u.last_login else "从未登录",
        )
    xlsx.widths(ws, [16, 12, 14, 48, 8, 18])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---- a new township and its administrator (the city office, in its own region) ----------------------


@never_cache
@require_cap(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def township_create_view(request):
    scope = scope_for(request.user)
    if not creates_townships(scope):
        deny(request, message="无权新建镇街")
    regions = Region.objects.filter(scope.node_q(Cap.USERS_MANAGE, "region"))
    form = TownshipCreateForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                township = township_create(
                    region=data["region"],
                    name=data["name"],
                    kind=data["kind"],
                    actor=request.user,
                    request=request,
                )
                admin = None
                if data["admin_full_name"]:
                    admin = user_create(
                        username=data["admin_username"],
                        full_name=data["admin_full_name"],
                        phone=data["admin_phone"],
                        township=township,
                        actor=request.user,
                        request=request,
                    )
                    membership_grant(
                        user=admin,
                        role=TOWNSHIP_ADMIN_ROLE,
                        node=township,
                        actor=request.user,
                        request=request,
                    )
        except (ApplicationError, ValidationError) as e:
            form.add_error(None, _error_text(e))
        else:
            if admin is None:
                messages.success(request, f"已新建镇街 {township.name}。")
                return redirect("accounts:user_list")
            response = render(
                request,
                "accounts/user_password_once.html",
                {"target": admin, "password": admin.one_time_password, "created": True, "township": township},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "accounts/township_create.html",
        {"form": form, "can_create_regions": region_create_refusal(scope) is None},
    )


@never_cache
@require_cap(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def region_create_view(request):
    """A new 市（县、区） node: the system administrator only (the access module says who)."""
    if region_create_refusal(scope_for(request.user)):
        deny(request, message="无权新建市（县、区）")
    form = RegionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            region = region_create(name=data["name"], kind=data["kind"], actor=request.user, request=request)
        except (ApplicationError, ValidationError) as e:
            form.add_error(None, _error_text(e))
        else:
            messages.success(request, f"已新建市（县、区）{region.name}。")
            return redirect("accounts:township_create")
    return render(request, "accounts/region_create.html", {"form": form})
