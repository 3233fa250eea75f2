"""campaign_visible (one campaign, in Python) answers as campaign_scope_q (the list, in SQL) for every role
held at every kind of node, over village- and township-level campaigns inside and outside the user's
reach: the one-campaign pages (the grading board, the campaign page) look the campaign up by its key."""

import pytest

from access.roles import ROLE_NODE, Role
from assessments.models import Campaign
from assessments.selectors import campaign_get_for_user, campaign_rows_for_user, campaign_visible
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def _copy(campaign, **changes):
    campaign.pk = None
    for field, value in changes.items():
        setattr(campaign, field, value)
    campaign.save()
    return campaign


def test_one_campaign_is_visible_exactly_when_the_list_holds_it(cycle):
    org = cycle.org
    base = Campaign.objects.get(pk=cycle.campaign.pk)
    campaigns = [
        base,
        _copy(Campaign.objects.get(pk=base.pk), township=org.other_town, name="乙镇"),
        _copy(Campaign.objects.get(pk=base.pk), township=org.far_town, region=org.other_city, name="丙镇"),
        _copy(Campaign.objects.get(pk=base.pk), level="township", township=None, name="甲市镇街"),
        _copy(
            Campaign.objects.get(pk=base.pk),
            level="township",
            township=None,
            region=org.other_city,
            name="乙市镇街",
        ),
    ]
    nodes = {
        "region": org.city,
        "township": org.town,
        "branch": org.branch,
        "village": org.village,
        "unit": org.unit,
        None: None,
    }
    checked = 0
    for role in Role:
        kind = ROLE_NODE.get(role)
        if kind not in nodes:
            continue
        user = user_with_role(role, nodes[kind], username=f"u_{role.value}")
        listed = set(campaign_rows_for_user(user).values_list("pk", flat=True))
        for campaign in campaigns:
            assert campaign_visible(user, campaign) == (campaign.pk in listed), (role, campaign.name)
            checked += 1
        visible = [c.pk for c in campaigns if c.pk in listed]
        for pk in visible:
            assert campaign_get_for_user(user, pk).pk == pk
    assert checked >= 5 * 8
    # the city office sees its own city's township-level round, not the other city's
    city = user_with_role(Role.CITY_OFFICE, org.city, username="u_city2")
    assert [c.name for c in campaigns if campaign_visible(city, c)] == [
        base.name,
        "乙镇",
        "甲市镇街",
    ]
    # a township role sees its city's township-level round (rule 3), not the other city's
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="u_rev2")
    assert {c.name for c in campaigns if campaign_visible(reviewer, c)} == {base.name, "甲市镇街"}
