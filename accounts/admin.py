"""Accounts in the Django admin: the one place administrators create users and grant roles.

Every write goes through accounts.services, which writes the audit row: creating a user (user_create),
changing account fields (user_update), enabling or disabling (user_set_active, which also ends the
sessions of a disabled user), setting a password (user_password_set), and granting or revoking a role
(membership_grant / membership_revoke). A role is never edited in place: it is revoked and granted anew.
Users are disabled, not deleted (their names stay on the records they signed).

django-axes' login records: the failure logs are read-only; deleting a lockout record (unlocking) goes
through login_attempts_clear, which writes an audit row per record.
"""

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.admin import AccessFailureLogAdmin as BaseAccessFailureLogAdmin
from axes.admin import AccessLogAdmin as BaseAccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters

from audit.admin_mixins import ReadOnlyAdminMixin
from common.errors import ApplicationError, NotPermittedError

from .models import Membership, User
from .services import (
    USER_FIELDS,
    login_attempts_clear,
    membership_grant,
    membership_revoke,
    user_create,
    user_password_set,
    user_set_active,
    user_update,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["region", "township", "branch", "village", "unit"]

    def has_change_permission(self, request, obj=None):
        return False  # revoke and grant anew: each is one audit row


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "is_active", "last_login"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("full_name", "phone", "email")}),
        (
            "状态",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "must_change_password",
                    "password_changed_at",
                )
            },
        ),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined", "password_changed_at"]
    inlines = [MembershipInline]
    actions = ["disable_users", "enable_users"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            usable = form.cleaned_data.get("set_usable_password", True)
            created = user_create(
                username=obj.username,
                full_name=obj.full_name,
                password=form.cleaned_data.get("password1") if usable else None,
                usable_password=bool(usable),
                # as the admin always did: the administrator ticks 首次登录须修改密码 on the next page
                must_change_password=obj.must_change_password,
                actor=request.user,
                request=request,
            )
            obj.__dict__.update(created.__dict__)
            return
        values = {f: form.cleaned_data[f] for f in form.changed_data if f in USER_FIELDS}
        if values:
            user_update(user=obj, actor=request.user, request=request, **values)
        if "is_active" in form.changed_data:
            user_set_active(
                user=obj, is_active=form.cleaned_data["is_active"], actor=request.user, request=request
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:  # pragma: no cover - the only inline
            raise PermissionDenied
        try:
            self._save_memberships(request, form, formset)
        except NotPermittedError as e:
            # e.g. an administrator changing their own roles: the whole change is refused
            raise PermissionDenied(str(e)) from e

    def _save_memberships(self, request, form, formset):
        user = form.instance
        added = formset.save(commit=False)
        for membership in formset.deleted_objects:
            membership_revoke(membership=membership, actor=request.user, request=request)
        for membership in added:
            if membership.pk is not None:
                raise PermissionDenied  # an edited grant: the inline offers none
            membership_grant(
                user=user, role=membership.role, node=membership.node, actor=request.user, request=request
            )

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        """Django's page; a valid submission is saved through user_password_set (with its audit row)."""
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        user = self.get_object(request, unquote(id))
        if user is None or not self.has_change_permission(request, user):
            return super().user_change_password(request, id, form_url)  # Django's 404 / 403
        form = self.change_password_form(user, request.POST)
        if not form.is_valid():
            return super().user_change_password(request, id, form_url)  # shows the errors
        usable = form.cleaned_data["set_usable_password"]
        if not (usable or "unset-password" in request.POST):
            return super().user_change_password(request, id, form_url)  # Django's "conflicting data"
        user_password_set(
            user=user,
            password=form.cleaned_data["password1"] if usable else None,
            actor=request.user,
            request=request,
        )
        self.log_change(request, user, self.construct_change_message(request, form, None))
        if usable:
            messages.success(request, gettext("Password changed successfully."))
        else:
            messages.success(request, gettext("Password-based authentication was disabled."))
        update_session_auth_hash(request, user)
        opts = user._meta
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=(user.pk,))
        )

    def _set_active(self, request, queryset, is_active):
        changed = 0
        for user in queryset.filter(is_active=not is_active):
            try:
                user_set_active(user=user, is_active=is_active, actor=request.user, request=request)
            except ApplicationError as e:
                self.message_user(request, f"{user.username}：{e}", level=messages.ERROR)
                continue
            changed += 1
        self.message_user(request, f"已{'启用' if is_active else '停用'} {changed} 个用户。")

    @admin.action(description="停用所选用户", permissions=["change"])
    def disable_users(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="启用所选用户", permissions=["change"])
    def enable_users(self, request, queryset):
        self._set_active(request, queryset, True)


# Roles are Memberships; Django's groups and permissions are not used. Shown, not edited.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdminMixin, BaseGroupAdmin):
    pass


if admin.site.is_registered(AccessAttempt):
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        admin.site.unregister(model)

    @admin.register(AccessAttempt)
    class AccessAttemptAdmin(BaseAccessAttemptAdmin):
        """Unlocking deletes the lockout record: through the service, with its audit row."""

        actions = []  # Django's "delete selected" stays, routed below

        def has_change_permission(self, request, obj=None):
            return False

        def delete_model(self, request, obj):
            login_attempts_clear(attempts=[obj], actor=request.user, request=request)

        def delete_queryset(self, request, queryset):
            login_attempts_clear(attempts=queryset, actor=request.user, request=request)

    @admin.register(AccessLog)
    class AccessLogAdmin(ReadOnlyAdminMixin, BaseAccessLogAdmin):
        pass

    @admin.register(AccessFailureLog)
    class AccessFailureLogAdmin(ReadOnlyAdminMixin, BaseAccessFailureLogAdmin):
        pass
