"""Reads of campaigns and assessments, scoped to the user. Out of scope answers 404 like missing."""

from django.db.models import Count, Q
from django.http import Http404

from access.checks import access_by_id
from access.roles import Cap
from access.scope import scope_for

from .models import Assessment, Campaign, Evidence

NOTHING = Q(pk__in=[])


def assessment_scope_q(user, prefix=""):
    """Village-level assessments follow the village scope; township-level ones the township's people and
    the city office."""
    scope = scope_for(user)
    if scope.everywhere:
        return Q()
    p = prefix
    cap = Cap.CAMPAIGN_VIEW
    village_level = Q(**{f"{p}campaign__level": "village"}) & scope.village_q(cap, prefix=f"{p}village__")
    township_level = Q(**{f"{p}campaign__level": "township"}) & scope.township_q(cap, prefix=f"{p}township__")
    return village_level | township_level


def campaign_scope_q(user):
    scope = scope_for(user)
    if scope.everywhere:
        return Q()
    cap = Cap.CAMPAIGN_VIEW
    q = Q(level="village", township_id__in=scope.touched_township_ids(cap))
    q |= Q(region_id__in=scope.held(cap, "region"))
    q |= Q(level="township", township__isnull=True, region__townships__in=scope.wide_township_ids(cap))
    return q


def campaign_list_for_user(user):
    visible = assessment_scope_q(user, prefix="assessments__")
    return (
        Campaign.objects.filter(campaign_scope_q(user))
        .distinct()
        .select_related("township", "region", "standard")
        .annotate(
            subject_count=Count("assessments", filter=visible, distinct=True),
        )
        .order_by("-year", "level", "township__name")
    )


def campaign_get_for_user(user, pk):
    try:
        return campaign_list_for_user(user).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def assessment_list_for_user(user):
    return (
        Assessment.objects.filter(assessment_scope_q(user))
        .select_related("campaign", "campaign__standard", "village", "village__branch", "township")
        .order_by("campaign_id", "village__sort_order", "township__name")
    )


def assessment_get_for_user(user, pk, *, for_update=False):
    qs = assessment_list_for_user(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def evidence_get_for_user(user, pk):
    try:
        return Evidence.objects.select_related("assessment").get(
            assessment_scope_q(user, prefix="assessment__"), pk=pk
        )
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# ---- access by id: the object and the user's sides of it, or one Http404 --------------------------


def _assessment_entity(assessment):
    return f"assessment.{assessment.campaign.level}"


def access_assessment_by_id(user, pk, *, need=None, request=None, for_update=False):
    """(assessment, sides): the assessment in the user's scope, with the sides the user is of it."""
    return access_by_id(
        user,
        assessment_list_for_user(user),
        pk,
        entity=_assessment_entity,
        need=need,
        request=request,
        for_update=for_update,
    )


def access_campaign_by_id(user, pk, *, need=None, request=None):
    """(campaign, sides): REVIEWER/CITY act on it; MANAGER runs it; VIEWER sees its township whole."""
    return access_by_id(
        user,
        campaign_list_for_user(user),
        pk,
        entity=lambda c: f"campaign.{c.level}",
        need=need,
        request=request,
    )


def access_evidence_by_id(user, pk, *, need=None, request=None):
    """(evidence, sides of its assessment)."""
    evidence = evidence_get_for_user(user, pk)
    _assessment, sides = access_assessment_by_id(user, evidence.assessment_id, need=need, request=request)
    return evidence, sides
