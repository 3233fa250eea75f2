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
        if scope.holds(Role.VILLAGE_COMMITTEE, village.pk) or scope.holds(
            Role.VILLAGE_SUPERVISOR, village.pk
        ):
            sides.add(Side.SELF)
        if village.branch_id and scope.holds(Role.BRANCH_SECRETARY, village.branch_id):
            sides.add(Side.BRANCH)
        if scope.holds(Role.TOWNSHIP_REVIEWER, assessment.township_id):
            sides.add(Side.REVIEWER)
        if scope.holds(Role.CITY_OFFICE, campaign.region_id):
            sides.add(Side.CITY)
    else:
        if scope.holds(Role.TOWNSHIP_REVIEWER, assessment.township_id):
            sides.add(Side.SELF)
        if scope.holds(Role.CITY_OFFICE, campaign.region_id):
            sides.add(Side.REVIEWER)
    return frozenset(sides)


def signoff_sides(user, assessment):
    """Which 签署 the user may give: a 两委 member signs for the committee, a 监委会 member for supervision."""
    from .models import Signoff

    scope = scope_for(user)
    if assessment.village_id is None:
        return set()
    sides = set()
    if scope.holds(Role.VILLAGE_COMMITTEE, assessment.village_id):
        sides.add(Signoff.Side.COMMITTEE)
    if scope.holds(Role.VILLAGE_SUPERVISOR, assessment.village_id):
        sides.add(Signoff.Side.SUPERVISOR)
    return sides
