"""Who may manage a campaign and who sees review scores: small predicates for the campaign pages."""

from access.checks import deny
from access.roles import Cap, Side
from access.scope import scope_for
from villages.models import Region, Township

from ...selectors import campaign_get_for_user


def campaign_entity(campaign):
    return f"campaign.{campaign.level}"


def can_manage_campaign(user, campaign):
    """The township reviewer runs its township's village campaign; the city office runs the township-level
    campaign of its region (they are the REVIEWER side there); administrators both."""
    scope = scope_for(user)
    return scope.can(Cap.CAMPAIGN_MANAGE) and Side.MANAGER in scope.sides(campaign_entity(campaign), campaign)


def can_create_campaigns(user):
    """Whether the create page has anything to offer, without a query (for the button on the list)."""
    return scope_for(user).reaches_a_township(Cap.CAMPAIGN_MANAGE)


def creatable_townships(user):
    """Townships whose village campaign the user may create: held at the township itself (the city
    office runs township-level campaigns, not its townships' village ones)."""
    scope = scope_for(user)
    if not scope.can(Cap.CAMPAIGN_MANAGE):
        return Township.objects.none()
    qs = Township.objects.filter(scope.node_q(Cap.CAMPAIGN_MANAGE, "township"))
    return qs.select_related("region").order_by("region__name", "name")


def creatable_regions(user):
    scope = scope_for(user)
    if not scope.can(Cap.CAMPAIGN_MANAGE):
        return Region.objects.none()
    return Region.objects.filter(scope.node_q(Cap.CAMPAIGN_MANAGE, "region")).order_by("name")


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
    if campaign.level == "township" or wide is None:
        return Side.VIEWER in scope.sides(campaign_entity(campaign), campaign)
    return wide
