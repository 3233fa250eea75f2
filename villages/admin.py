from django.contrib import admin

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


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class PartyBranchInline(admin.TabularInline):
    model = PartyBranch
    extra = 0
    fields = ["name", "sort_order"]


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "ledger_due_day"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "region__name"]
    list_select_related = ["region"]
    inlines = [PartyBranchInline]


@admin.register(PartyBranch)
class PartyBranchAdmin(admin.ModelAdmin):
    list_display = ["name", "township", "sort_order"]
    list_filter = ["township"]
    search_fields = ["name", "township__name"]
    list_select_related = ["township"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "township", "branch", "sort_order", "is_active"]
    list_filter = ["kind", "is_active", "township__region", "township"]
    search_fields = ["name", "code", "township__name", "branch__name"]
    list_select_related = ["township", "branch"]
    autocomplete_fields = ["branch"]
    ordering = ["township__name", "sort_order", "name"]


@admin.register(ResponsibleUnit)
class ResponsibleUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "township", "leader_name", "contact_name", "phone", "sort_order"]
    list_filter = ["township"]
    search_fields = ["name", "leader_name", "contact_name", "township__name"]
    list_select_related = ["township"]
    filter_horizontal = ["villages"]


@admin.register(WorkingGroupMember)
class WorkingGroupMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "group_role", "unit", "township", "sort_order"]
    list_filter = ["group_role", "township"]
    search_fields = ["name", "position"]
    list_select_related = ["township", "unit"]


class AnnualTargetGradeInline(admin.TabularInline):
    model = AnnualTargetGrade
    extra = 0
    fields = ["grade_code", "grade_name", "count", "sort_order"]


@admin.register(AnnualTarget)
class AnnualTargetAdmin(admin.ModelAdmin):
    list_display = ["township", "year", "mode", "share_percent", "cumulative"]
    list_filter = ["mode", "year", "township"]
    list_select_related = ["township"]
    inlines = [AnnualTargetGradeInline]


@admin.register(CreationBatch)
class CreationBatchAdmin(admin.ModelAdmin):
    list_display = ["village", "township", "year", "is_benchmark"]
    list_filter = ["year", "is_benchmark", "township"]
    search_fields = ["village__name"]
    list_select_related = ["village", "township"]
    autocomplete_fields = ["village"]
