from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["region", "township", "branch", "village", "unit"]


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
