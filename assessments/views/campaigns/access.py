"""Who may manage a campaign and who sees review scores: small predicates for the campaign pages."""

from django.http import Http404

from accounts.models import Role
from accounts.roles import Cap
from accounts.scoping import scope_for
from audit.services import audit_log
from villages.models import Region, Township
from villages.selectors import township_is_wide_for_user

from ...models import Campaign
from ...selectors import campaign_get_for_user


def _reviewer_township_ids(user):
    """Townships where the user is 镇纪委审核人员 (a 镇领导 membership elsewhere must not count)."""
    return scope_for(user).nodes(Role.TOWNSHIP_REVIEWER)


def can_manage_campaign(user, campaign):
    """The township reviewer runs its township's village campaign; the city office runs the township-level
    campaign of its region (they are the REVIEWER side there); administrators both."""
    scope = scope_for(user)
    if not scope.can(Cap.CAMPAIGN_MANAGE):
        return False
    if scope.is_admin:
        return True
    if campaign.level == Campaign.Level.VILLAGE:
        return campaign.township_id in _reviewer_township_ids(user)
    return Role.CITY_OFFICE in scope.roles and campaign.region_id in scope.region_ids


def can_create_campaigns(user):
    """Whether the create page has anything to offer, without a query (for the button on the list)."""
    scope = scope_for(user)
    if not scope.can(Cap.CAMPAIGN_MANAGE):
        return False
    return scope.is_admin or bool(scope.roles & {Role.CITY_OFFICE, Role.TOWNSHIP_REVIEWER})


def creatable_townships(user):
    scope = scope_for(user)
    if not scope.can(Cap.CAMPAIGN_MANAGE):
        return Township.objects.none()
    qs = (
        Township.objects.all()
        if scope.is_admin
        else Township.objects.filter(pk__in=_reviewer_township_ids(user))
    )
    return qs.select_related("region").order_by("region__name", "name")


def creatable_regions(user):
    scope = scope_for(user)
    if not scope.can(Cap.CAMPAIGN_MANAGE):
        return Region.objects.none()
    if scope.is_admin:
        return Region.objects.order_by("name")
    ids = scope.region_ids if Role.CITY_OFFICE in scope.roles else ()
    return Region.objects.filter(pk__in=ids).order_by("name")


def deny(request, obj, message):
    audit_log(
        action="access.denied",
        request=request,
        result="failure",
        obj=obj,
        message=message,
        detail={"path": request.path, "method": request.method},
    )
    raise Http404


def managed_campaign(request, pk):
    campaign = campaign_get_for_user(request.user, pk)
    if not can_manage_campaign(request.user, campaign):
        deny(request, campaign, f"缺少权限 {Cap.CAMPAIGN_MANAGE}")
    return campaign


def scores_visible(user, campaign, wide=None):
    """Review scores and grades reach the village side (village members, branch secretaries, unit staff;
    for a township-level campaign the township itself) only once the grades are confirmed.
    `wide`: whether the user sees the campaign's township whole, when the caller already knows."""
    if campaign.is_confirmed:
        return True
    scope = scope_for(user)
    if scope.is_admin:
        return True
    if campaign.level == Campaign.Level.TOWNSHIP:
        return Role.CITY_OFFICE in scope.roles and campaign.region_id in scope.region_ids
    return township_is_wide_for_user(user, campaign.township) if wide is None else wide
