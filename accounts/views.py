from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from access.checks import require_cap
from access.grants import creates_townships, grant_refusal, grantable_roles
from access.roles import Cap
from access.scope import scope_for
from common.downloads import attachment_response

from .forms import ChangePasswordForm, LoginForm
from .models import Role
from .selectors import user_filter_nodes, user_get_for_user, user_list_filtered, user_manage_refusal
from .services import notifications_mark_read, password_change
from .views_users import user_list_workbook


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    http_method_names = ["get", "post"]


@require_http_methods(["GET", "POST"])
def password_change_view(request):
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = password_change(
            user=request.user, new_password=form.cleaned_data["new_password1"], request=request
        )
        # Keeps this session; every other session of the user fails Django's password-hash check.
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改，其他设备上的登录已失效。")
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


USER_SORTS = {"username": "username", "full_name": "full_name", "last_login": "last_login"}
STATE_CHOICES = (("active", "启用"), ("inactive", "停用"))


def _int_or_none(value):
    return int(value) if value and value.isdigit() else None


def _user_filters(request):
    """The list page's filters, as user_list_filtered takes them (unknown values are ignored)."""
    role = request.GET.get("role", "")
    return {
        "q": request.GET.get("q", "").strip(),
        "role": role if role in Role.values else "",
        "state": request.GET.get("state", ""),
        "village": _int_or_none(request.GET.get("village", "")),
        "branch": _int_or_none(request.GET.get("branch", "")),
        "unit": _int_or_none(request.GET.get("unit", "")),
    }


@require_cap(Cap.USERS_VIEW)
@require_GET
def user_list(request):
    filters = _user_filters(request)
    users = user_list_filtered(request.user, **filters)
    sort = request.GET.get("sort", "username")
    field = USER_SORTS.get(sort.lstrip("-"), "username")
    users = users.order_by(("-" if sort.startswith("-") else "") + field, "pk")
    page = Paginator(users, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/user_list.html",
        {
            "page_obj": page,
            "filters": filters,
            "roles": Role.choices,
            "states": STATE_CHOICES,
            "nodes": user_filter_nodes(request.user),
            "query": query.urlencode(),
            "can_manage": scope_for(request.user).can(Cap.USERS_MANAGE),
            "can_create_townships": creates_townships(scope_for(request.user)),
        },
    )


@require_cap(Cap.USERS_VIEW)
@require_GET
def user_export(request):
    users = user_list_filtered(request.user, **_user_filters(request)).order_by("username", "pk")
    return attachment_response(user_list_workbook(users), "用户列表.xlsx", fallback="users.xlsx")


@require_cap(Cap.USERS_VIEW)
@require_GET
def user_detail(request, pk):
    target = user_get_for_user(request.user, pk)
    scope = scope_for(request.user)
    can_manage = scope.can(Cap.USERS_MANAGE) and user_manage_refusal(request.user, target) is None
    memberships = [
        (
            m,
            can_manage
            and grant_refusal(scope, role=m.role, node=m.node, actor=request.user, target=target) is None,
        )
        for m in target.memberships.all()
    ]
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "memberships": memberships,
            "can_manage": can_manage,
            "can_grant": can_manage and target.pk != request.user.pk and bool(grantable_roles(scope)),
            "is_self": target.pk == request.user.pk,
        },
    )


@require_GET
def notification_list(request):
    """The user's own notifications; opening the page marks them read."""
    notes = request.user.notifications.all()
    page = Paginator(notes, 30).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in page if n.read_at is None]
    response = render(request, "accounts/notification_list.html", {"page_obj": page})
    notifications_mark_read(user=request.user, ids=unread_ids)
    return response
