from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from access.checks import require_cap
from access.roles import Cap

from .forms import ChangePasswordForm, LoginForm
from .models import Role
from .selectors import user_get_for_user, user_list_for_user
from .services import password_change


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


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


@require_cap(Cap.USERS_VIEW)
def user_list(request):
    users = user_list_for_user(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    role = request.GET.get("role", "")
    if role in Role.values:
        users = users.filter(memberships__role=role).distinct()
    sort = request.GET.get("sort", "username")
    field = USER_SORTS.get(sort.lstrip("-"), "username")
    users = users.order_by(("-" if sort.startswith("-") else "") + field, "pk")
    page = Paginator(users, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {"page_obj": page, "q": q, "role": role, "roles": Role.choices},
    )


@require_cap(Cap.USERS_VIEW)
def user_detail(request, pk):
    target = user_get_for_user(request.user, pk)
    return render(request, "accounts/user_detail.html", {"target": target})


def notification_list(request):
    """The user's own notifications; opening the page marks them read."""
    from django.utils import timezone

    notes = request.user.notifications.all()
    page = Paginator(notes, 30).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in page if n.read_at is None]
    response = render(request, "accounts/notification_list.html", {"page_obj": page})
    if unread_ids:
        request.user.notifications.filter(pk__in=unread_ids).update(read_at=timezone.now())
    return response
