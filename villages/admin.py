"""The organisation tree in the Django admin, kept by the system administrators.

Every save and delete writes its audit row (AuditedAdminMixin). Nodes that roles are held at (市县区, 镇街,
党总支, 村, 责任单位) are not deleted here: deleting one would silently revoke the roles held at it (and
take its ledgers and plans with it); a village leaves the assessments by unticking 参与建设.
"""

from django.contrib import admin

from audit.admin_mixins import AuditedAdminMixin

from .models import (
    AnnualTarget,
    AnnualTargetGrade,
    CreationBatch,
    PartyBranch,
    Region,
    ResponsibleUnit,
    Township,
    Village,
    WorkingGroupMember,
)


class OrgAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass


class OrgNodeAdmin(OrgAdmin):
    """A node roles are held at: added and edited, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(OrgNodeAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class PartyBranchInline(admin.TabularInline):
    model = PartyBranch
    extra = 0
    fields = ["name", "sort_order"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Township)
class TownshipAdmin(OrgNodeAdmin):
    list_display = ["name", "kind", "region", "ledger_due_day", "reminder_days"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "region__name"]
    list_select_related = ["region"]
    inlines = [PartyBranchInline]


@admin.register(PartyBranch)
class PartyBranchAdmin(OrgNodeAdmin):
    list_display = ["name", "township", "sort_order"]
    list_filter = ["township"]
    search_fields = ["name", "township__name"]
    list_select_related = ["township"]


@admin.register(Village)
class VillageAdmin(OrgNodeAdmin):
    list_display = ["name", "kind", "code", "township", "branch", "sort_order", "is_active"]
    list_filter = ["kind", "is_active", "township__region", "township"]
    search_fields = ["name", "code", "township__name", "branch__name"]
    list_select_related = ["township", "branch"]
    autocomplete_fields = ["branch"]
    ordering = ["township__name", "sort_order", "name"]


@admin.register(ResponsibleUnit)
class ResponsibleUnitAdmin(OrgNodeAdmin):
    list_display = ["name", "township", "leader_name", "contact_name", "phone", "sort_order"]
    list_filter = ["township"]
    search_fields = ["name", "leader_name", "contact_name", "township__name"]
    list_select_related = ["township"]
    filter_horizontal = ["villages"]


@admin.register(WorkingGroupMember)
class WorkingGroupMemberAdmin(OrgAdmin):
    list_display = ["name", "position", "group_role", "unit", "township", "sort_order"]
    list_filter = ["group_role", "township"]
    search_fields = ["name", "position"]
    list_select_related = ["township", "unit"]


class AnnualTargetGradeInline(admin.TabularInline):
    model = AnnualTargetGrade
    extra = 0
    fields = ["grade_code", "grade_name", "count", "sort_order"]


@admin.register(AnnualTarget)
class AnnualTargetAdmin(OrgAdmin):
    list_display = ["township", "year", "kind", "mode", "share_percent", "cumulative"]
    list_filter = ["kind", "mode", "year", "township"]
    list_select_related = ["township"]
    inlines = [AnnualTargetGradeInline]


@admin.register(CreationBatch)
class CreationBatchAdmin(OrgAdmin):
    list_display = ["village", "township", "year", "is_benchmark"]
    list_filter = ["year", "is_benchmark", "township"]
    search_fields = ["village__name"]
    list_select_related = ["village", "township"]
    autocomplete_fields = ["village"]
