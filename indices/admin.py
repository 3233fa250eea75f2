"""Admin for index standards: read-only. Standards are imported, versioned and copied on the 指数标准
pages (through indices.services, which validate the whole standard and write the audit row); a standard
in use is refused by the models anyway."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdminMixin

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


class _PartInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0


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
class IndexStandardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
class IndicatorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "standard", "dimension", "max_score", "scoring_method", "scored_by"]
    list_filter = ["scoring_method", "scored_by", "standard__year"]
    search_fields = ["code", "name", "standard__name"]
    raw_id_fields = ["standard", "dimension", "parent"]
    list_select_related = ["standard", "dimension"]
    inlines = [ScoringRuleInline]
