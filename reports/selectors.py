"""Reads of export jobs and the rights around them, scoped like the rest: out of scope is a 404."""

from django.http import Http404

from access.checks import access_by_id
from access.roles import Cap, Side
from access.scope import scope_for
from assessments.models import Campaign
from villages.models import Township

from .models import ExportJob

LEDGER_KINDS = (ExportJob.Kind.COMPLIANCE_XLSX, ExportJob.Kind.RECTIFICATION_XLSX)
SUMMARY_KINDS = (ExportJob.Kind.YEAR_SUMMARY_DOCX, ExportJob.Kind.YEAR_SUMMARY_PDF)


def export_job_list_for_user(user):
    qs = ExportJob.objects.select_related("township", "campaign", "created_by")
    return qs.filter(scope_for(user).township_q(Cap.CAMPAIGN_VIEW, prefix="township__"))


def export_job_get_for_user(user, pk):
    try:
        return export_job_list_for_user(user).get(pk=pk)
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_export_job_by_id(user, pk, *, need=None, request=None):
    """(job, sides of its township): a job is seen by those who see its township whole."""
    return access_by_id(
        user, export_job_list_for_user(user), pk, entity="township", subject=lambda j: j.township, need=need,
        request=request,
    )  # fmt: skip


def reports_campaign_for_user(user, pk):
    """A village-level campaign whose reports the user may see: the township's reviewers and leaders,
    the city office of its region, administrators."""
    from assessments.selectors import campaign_get_for_user

    campaign = campaign_get_for_user(user, pk)
    if campaign.level != Campaign.Level.VILLAGE:
        raise Http404
    if not scope_for(user).reaches_township(Cap.CAMPAIGN_VIEW, campaign.township):
        raise Http404
    return campaign


def can_build(user, campaign, kind):
    """Who may (re)build a document. The city package is the township 纪委's official submission."""
    scope = scope_for(user)
    if not scope.can(Cap.EXPORT_REQUEST):  # read-only roles download what others built
        return False
    if kind == ExportJob.Kind.CITY_PACKAGE:
        return Side.MANAGER in scope.sides("campaign.village", campaign)
    if kind in LEDGER_KINDS:
        return scope.reaches_township(Cap.LEDGER_VIEW, campaign.township)
    return scope.reaches_township(Cap.CAMPAIGN_VIEW, campaign.township)


def can_edit_demonstration(user, assessment):
    return Side.MANAGER in scope_for(user).sides("assessment.village", assessment)


def summary_township_for_user(user, pk):
    """A township whose 年度总结 the user may read and build: seen whole with SUMMARY_VIEW (its reviewers
    and leaders, the city office of its region, administrators); otherwise 404 like a missing one."""
    qs = Township.objects.select_related("region").filter(scope_for(user).township_q(Cap.SUMMARY_VIEW))
    try:
        return qs.get(pk=pk)
    except (Township.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_build_summary(user, township):
    return scope_for(user).reaches_township(Cap.SUMMARY_VIEW, township)
