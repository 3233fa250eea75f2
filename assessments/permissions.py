"""Which workflow sides a user acts as for one assessment (see workflow.Side)."""

from accounts.models import Role
from accounts.scoping import scope_for

from .workflow import Side


def actor_sides(user, assessment):
    """The sides `user` may act as on `assessment`; empty for read-only viewers (leaders, admins)."""
    scope = scope_for(user)
    sides = set()
    campaign = assessment.campaign
    if campaign.level == "village":
        village = assessment.village
        if village.pk in scope.village_ids and scope.roles & {
            Role.VILLAGE_COMMITTEE,
            Role.VILLAGE_SUPERVISOR,
        }:
            sides.add(Side.SELF)
        if village.branch_id and village.branch_id in scope.branch_ids:
            sides.add(Side.BRANCH)
        if Role.TOWNSHIP_REVIEWER in scope.roles and assessment.township_id in scope.township_ids:
            sides.add(Side.REVIEWER)
        if Role.CITY_OFFICE in scope.roles and campaign.region_id in scope.region_ids:
            sides.add(Side.CITY)
    else:
        if Role.TOWNSHIP_REVIEWER in scope.roles and assessment.township_id in scope.township_ids:
            sides.add(Side.SELF)
        if Role.CITY_OFFICE in scope.roles and campaign.region_id in scope.region_ids:
            sides.add(Side.REVIEWER)
    return frozenset(sides)


def signoff_sides(user, assessment):
    """Which 签署 the user may give: a 两委 member signs for the committee, a 监委会 member for supervision."""
    from .models import Signoff

    scope = scope_for(user)
    if assessment.village_id is None or assessment.village_id not in scope.village_ids:
        return set()
    from accounts.models import Membership

    roles = set(
        Membership.objects.filter(user=user, village_id=assessment.village_id).values_list("role", flat=True)
    )
    sides = set()
    if Role.VILLAGE_COMMITTEE in roles:
        sides.add(Signoff.Side.COMMITTEE)
    if Role.VILLAGE_SUPERVISOR in roles:
        sides.add(Signoff.Side.SUPERVISOR)
    return sides
