"""Reads of export jobs and the rights around them, scoped like the rest: out of scope is a 404."""

from django.db.models import Q
from django.http import Http404

from accounts.models import Role
from accounts.scoping import Cap, scope_for
from assessments.models import Campaign

from .models import ExportJob

LEDGER_KINDS = (ExportJob.Kind.COMPLIANCE_XLSX, ExportJob.Kind.RECTIFICATION_XLSX)


def export_job_list_for_user(user):
    scope = scope_for(user)
    qs = ExportJob.objects.select_related("township", "campaign", "created_by")
    if scope.is_admin:
        return qs
    reach = Q(township_id__in=scope.nodes(Role.TOWNSHIP_REVIEWER) | scope.nodes(Role.TOWNSHIP_LEADER))
    reach |= Q(township__region_id__in=scope.nodes(Role.CITY_OFFICE))
    return qs.filter(reach)


def export_job_get_for_user(user, pk):
    try:
        return export_job_list_for_user(user).get(pk=pk)
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def reports_campaign_for_user(user, pk):
    """A village-level campaign whose reports the user may see: the township's reviewers and leaders,
    the city office of its region, administrators."""
    from assessments.selectors import campaign_get_for_user

    campaign = campaign_get_for_user(user, pk)
    if campaign.level != Campaign.Level.VILLAGE:
        raise Http404
    if not scope_for(user).can_in_township(Cap.CAMPAIGN_VIEW, campaign.township):
        raise Http404
    return campaign


def can_build(user, campaign, kind):
    """Who may (re)build a document. The city package is the township 纪委's official submission."""
    scope = scope_for(user)
    if scope.is_admin:
        return True
    if kind == ExportJob.Kind.CITY_PACKAGE:
        return scope.holds(Role.TOWNSHIP_REVIEWER, campaign.township_id)
    if kind in LEDGER_KINDS:
        return scope.can_in_township(Cap.LEDGER_VIEW, campaign.township)
    return scope.can_in_township(Cap.CAMPAIGN_VIEW, campaign.township)


def can_edit_demonstration(user, assessment):
    scope = scope_for(user)
    return scope.is_admin or scope.holds(Role.TOWNSHIP_REVIEWER, assessment.township_id)
