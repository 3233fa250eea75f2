"""Admin for the supervision ledgers: read-only. Submissions, entries and the confirmation of deductions
(which changes assessment scores) go through ledgers.services, which recompute the scores and write the
audit rows."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdminMixin

from .models import LedgerEntry, LedgerSubmission


class LedgerEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
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
class LedgerSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "year", "month", "status", "zero_report", "source", "submitted_at"]
    list_filter = ["status", "source", "zero_report", "year", "unit__township"]
    search_fields = ["unit__name"]
    list_select_related = ["unit"]
    raw_id_fields = ["unit", "submitted_by"]
    # Submission time and the uploaded file's hash are evidence for compliance: not edited by hand.
    readonly_fields = ["submitted_at", "submitted_by", "source_sha256", "version"]
    inlines = [LedgerEntryInline]
