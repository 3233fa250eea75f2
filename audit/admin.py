from django.contrib import admin

from .admin_mixins import ReadOnlyAdminMixin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit trail is append-only (SECURITY.md LOG-3)."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "result", "ip", "message"]
    list_filter = ["action", "result"]
    search_fields = ["actor_username", "action", "message", "object_id"]
