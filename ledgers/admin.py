from django.contrib import admin

from .models import LedgerEntry, LedgerSubmission


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    fields = [
        "seq",
        "village",
        "category",
        "method",
        "checked_on",
        "level",
        "proposed_deduction",
        "deduction_confirmed",
    ]
    raw_id_fields = ["village"]


@admin.register(LedgerSubmission)
class LedgerSubmissionAdmin(admin.ModelAdmin):
    list_display = ["unit", "year", "month", "status", "zero_report", "source", "submitted_at"]
    list_filter = ["status", "source", "zero_report", "year", "unit__township"]
    search_fields = ["unit__name"]
    list_select_related = ["unit"]
    raw_id_fields = ["unit", "submitted_by"]
    # Submission time and the uploaded file's hash are evidence for compliance: not edited by hand.
    readonly_fields = ["submitted_at", "submitted_by", "source_sha256", "version"]
    inlines = [LedgerEntryInline]
