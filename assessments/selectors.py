"""Reads of campaigns and assessments, scoped to the user. Out of scope answers 404 like missing."""

from django.db.models import Count, Q
from django.http import Http404

from accounts.scoping import scope_for
from villages.models import Township
from villages.selectors import township_wide_q, village_scope_q

from .models import Assessment, Campaign, Evidence

NOTHING = Q(pk__in=[])


def assessment_scope_q(user, prefix=""):
    """Village-level assessments follow the village scope; township-level ones the township's people and
    the city office."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    p = prefix
    village_level = Q(**{f"{p}campaign__level": "village"}) & village_scope_q(scope, prefix=f"{p}village__")
    townships = Township.objects.filter(township_wide_q(scope)).values("pk")
    township_level = Q(**{f"{p}campaign__level": "township", f"{p}township_id__in": townships})
    return village_level | township_level


def campaign_scope_q(user):
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    q = Q(level="village", township_id__in=scope.member_township_ids) | Q(region_id__in=scope.region_ids)
    q |= Q(level="township", township__isnull=True, region__townships__in=scope.township_ids)
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
