"""Admin for the assessment cycle: for system administrators to look, not to bypass the workflow.

Campaigns are created on the 新建测评 page (that builds every assessment's lines); here only their name
and deadlines change, through the same service as the campaign settings page (campaign_update, which
writes the audit row). Assessments and their lines are read-only: scores, states and grades change only
through the services, which write the event and audit rows. Evidence files are not linked: they are
served only through the authorising download view (SECURITY.md AC-6).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from audit.admin_mixins import ReadOnlyAdminMixin

from .models import (
    Assessment,
    AssessmentEvent,
    BonusClaim,
    Campaign,
    Evidence,
    IndicatorScore,
    Signoff,
    VetoCheck,
    VetoEvent,
)
from .services.campaigns import _check_dates, campaign_update
from .services.common import WorkflowError


class _Inline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = False
    select = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.select)


class IndicatorScoreInline(_Inline):
    model = IndicatorScore
    fields = ["indicator", "self_score", "self_note", "review_score", "review_note", "reviewed_by", "version"]
    select = ("indicator", "reviewed_by")


class BonusClaimInline(_Inline):
    model = BonusClaim
    fields = ["bonus_item", "claimed_points", "explanation", "status", "accepted_points", "review_reason"]
    select = ("bonus_item",)


class VetoCheckInline(_Inline):
    model = VetoCheck
    fields = ["veto_item", "self_answer", "self_note", "review", "review_reason"]
    select = ("veto_item",)


class EvidenceInline(_Inline):
    model = Evidence
    fields = [
        "kind",
        "original_name",
        "indicator",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    select = ("indicator", "uploaded_by")


class SignoffInline(_Inline):
    model = Signoff
    fields = ["side", "round", "user", "opinion", "signed_at"]
    select = ("user",)


class EventInline(_Inline):
    model = AssessmentEvent
    fields = ["at", "actor", "action", "subject", "from_value", "to_value", "reason", "round"]
    select = ("actor",)


class VetoEventInline(_Inline):
    model = VetoEvent
    fields = ["veto_item", "occurred_on", "description", "grade_before", "grade_after", "recorded_by"]
    select = ("veto_item", "recorded_by")


class CampaignAdminForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        try:
            _check_dates(*(data.get(f) for f in ("self_deadline", "submission_deadline", "city_deadline")))
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = [
        "name",
        "level",
        "kind",
        "year",
        "township",
        "region",
        "standard",
        "self_deadline",
        "submission_deadline",
        "city_deadline",
        "grades_confirmed_at",
    ]
    list_filter = ["level", "kind", "year", "region"]
    search_fields = ["name", "township__name", "region__name"]
    list_select_related = ["township", "region", "standard"]
    fields = [
        "name",
        "level",
        "kind",
        "region",
        "township",
        "year",
        "standard",
        "self_deadline",
        "submission_deadline",
        "city_deadline",
        "grades_confirmed_at",
        "grades_confirmed_by",
        "created_at",
        "created_by",
    ]
    readonly_fields = [
        "level",
        "kind",
        "region",
        "township",
        "year",
        "standard",
        "grades_confirmed_at",
        "grades_confirmed_by",
        "created_at",
        "created_by",
    ]

    def has_add_permission(self, request):
        return False  # the 新建测评 page builds the assessments with the campaign

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not obj.is_confirmed)

    def save_model(self, request, obj, form, change):
        """Through the settings page's service: the same checks and one audit row per change."""
        data = form.cleaned_data
        try:
            campaign_update(
                campaign=obj,
                actor=request.user,
                name=data["name"],
                self_deadline=data.get("self_deadline"),
                submission_deadline=data.get("submission_deadline"),
                city_deadline=data.get("city_deadline"),
                request=request,
            )
        except WorkflowError as exc:  # confirmed meanwhile
            raise PermissionDenied(str(exc)) from exc


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "campaign",
        "township",
        "village",
        "status",
        "round",
        "submitted_at",
        "self_total",
        "final_score",
        "final_grade",
    ]
    list_filter = ["campaign", "status", "campaign__level", "campaign__year"]
    search_fields = ["village__name", "township__name", "campaign__name"]
    list_select_related = ["campaign", "village", "township"]
    inlines = [
        IndicatorScoreInline,
        BonusClaimInline,
        VetoCheckInline,
        EvidenceInline,
        SignoffInline,
        EventInline,
        VetoEventInline,
    ]
