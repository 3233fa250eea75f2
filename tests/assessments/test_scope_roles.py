"""A role counts only at the node where it is held (a leader of one township is not its reviewer)."""

import pytest

from access.roles import Cap
from access.scope import scope_for
from accounts.models import Membership, Role
from assessments.permissions import actor_sides
from assessments.workflow import Side
from tests.factories import user_with_role


@pytest.mark.django_db
def test_reviewing_one_township_and_leading_another_gives_review_rights_only_in_the_first(org):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town)
    Membership.objects.create(user=user, role=Role.TOWNSHIP_LEADER, township=org.town)
    scope = scope_for(user)
    assert scope.reaches_township(Cap.ORG_MANAGE, org.other_town) is True
    assert scope.reaches_township(Cap.ORG_MANAGE, org.town) is False
    assert scope.held(Cap.ORG_MANAGE, "township") == {org.other_town.pk}


@pytest.mark.django_db
def test_reviewer_side_follows_the_reviewer_membership_not_any_township_role(cycle):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.other_town)
    Membership.objects.create(user=user, role=Role.TOWNSHIP_LEADER, township=cycle.org.town)
    assert Side.REVIEWER not in actor_sides(user, cycle.a["东村"])
    assert actor_sides(cycle.reviewer, cycle.a["东村"]) == {Side.REVIEWER}
