"""Admin for index standards. A standard in use is read-only here too (the models refuse writes anyway)."""

from django.contrib import admin

from .models import (
    BonusItem,
    Dimension,
    Grade,
    IndexStandard,
    Indicator,
    ScoringRule,
    SupervisionDeductionItem,
    VetoItem,
)


def _in_use(obj):
    standard = obj if isinstance(obj, IndexStandard) else getattr(obj, "standard", None)
    return standard is not None and standard.is_in_use()


class _LockedWhenInUse:
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _in_use(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _in_use(obj)


class _PartInline(_LockedWhenInUse, admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _in_use(obj)


class DimensionInline(_PartInline):
    model = Dimension
    fields = ["sort_order", "code", "name", "max_score", "description"]


class BonusItemInline(_PartInline):
    model = BonusItem
    fields = ["sort_order", "code", "name", "rule", "per_item_cap", "evidence", "note"]


class SupervisionItemInline(_PartInline):
    model = SupervisionDeductionItem
    fields = ["sort_order", "code", "condition", "points", "per", "multiplier", "note"]


class VetoItemInline(_PartInline):
    model = VetoItem
    fields = ["sort_order", "code", "description", "source"]


class GradeInline(_PartInline):
    model = Grade
    fields = [
        "rank",
        "code",
        "name",
        "min_score",
        "counts_as_qinglian",
        "requires_no_veto",
        "min_dimension_ratio",
        "extra_conditions",
        "final_decision_by",
    ]


@admin.register(IndexStandard)
class IndexStandardAdmin(_LockedWhenInUse, admin.ModelAdmin):
    list_display = ["name", "code", "level", "year", "version", "status", "region", "township", "created_at"]
    list_filter = ["level", "status", "year"]
    search_fields = ["name", "code", "version"]
    raw_id_fields = ["region", "township", "derived_from", "created_by"]
    readonly_fields = ["source_sha256", "created_at", "created_by", "derived_from"]
    inlines = [DimensionInline, BonusItemInline, SupervisionItemInline, VetoItemInline, GradeInline]


class ScoringRuleInline(_PartInline):
    model = ScoringRule
    fields = ["sort_order", "kind", "text", "points", "per"]


@admin.register(Indicator)
class IndicatorAdmin(_LockedWhenInUse, admin.ModelAdmin):
    list_display = ["code", "name", "standard", "dimension", "max_score", "scoring_method", "scored_by"]
    list_filter = ["scoring_method", "scored_by", "standard__year"]
    search_fields = ["code", "name", "standard__name"]
    raw_id_fields = ["standard", "dimension", "parent"]
    list_select_related = ["standard", "dimension"]
    inlines = [ScoringRuleInline]

    def save_formset(self, request, form, formset, change):
        # Rules belong to the indicator's standard; the inline does not ask for it.
        for rule in formset.save(commit=False):
            rule.standard_id = form.instance.standard_id
            rule.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()
