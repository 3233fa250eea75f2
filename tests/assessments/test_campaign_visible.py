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


def test_the_lists_counts_per_level_equal_the_assessment_scope_for_every_role(cycle):
    """assessment_status_counts_for_user applies each level's rule to its own campaigns, matching whole
    townships on the assessment's own township: the same numbers as assessment_scope_q's list."""
    from collections import Counter

    from assessments.models import Assessment
    from assessments.selectors import assessment_list_for_user, assessment_status_counts_for_user

    org = cycle.org
    village_level = Campaign.objects.get(pk=cycle.campaign.pk)
    township_level = _copy(
        Campaign.objects.get(pk=village_level.pk), level="township", township=None, name="镇街"
    )
    for town in (org.town, org.other_town):
        Assessment.objects.create(campaign=township_level, township=town)
    campaigns = [village_level, township_level]
    nodes = {
        "region": org.city,
        "township": org.town,
        "branch": org.branch,
        "village": org.village,
        None: None,
    }
    checked = 0
    for role in Role:
        kind = ROLE_NODE.get(role)
        if kind not in nodes:
            continue
        user = user_with_role(role, nodes[kind], username=f"n_{role.value}")
        expected = Counter(
            assessment_list_for_user(user).filter(campaign__in=campaigns).values_list("campaign_id", "status")
        )
        counted = assessment_status_counts_for_user(user, campaigns)
        assert {(c, s): n for c, by in counted.items() for s, n in by.items()} == dict(expected), role
        checked += sum(expected.values())
    assert checked > 10


# --- the row from the cache (selectors.campaign_row) ----------------------------------------------------


def test_the_row_from_the_cache_follows_every_kind_of_write(cycle):
    """The one-campaign pages read the campaign from the cache: a save, a bulk update, a rename of its
    region, a move to another township and a delete each show on the next read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.selectors import campaign_row
    from villages.models import Region

    pk = cycle.campaign.pk
    campaign_row(pk)
    with CaptureQueriesContext(connection) as ctx:
        assert campaign_row(pk).name == cycle.campaign.name
    assert ctx.captured_queries == []  # from the cache

    saved = Campaign.objects.get(pk=pk)
    saved.name = "改名后的测评"
    saved.save(update_fields=["name"])
    assert campaign_row(pk).name == "改名后的测评"
    Campaign.objects.filter(pk=pk).update(name="批量改名")
    assert campaign_row(pk).name == "批量改名"
    region = Region.objects.get(pk=cycle.campaign.region_id)
    region.name = "新的市名"
    region.save(update_fields=["name"])
    assert campaign_row(pk).region.name == "新的市名"
    Campaign.objects.filter(pk=pk).update(township=cycle.org.other_town)
    assert campaign_row(pk).township_id == cycle.org.other_town.pk
    Campaign.objects.filter(pk=pk).delete()
    assert campaign_row(pk) is None


def test_a_made_up_key_is_looked_up_every_time_and_never_remembered(cycle):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.selectors import campaign_row

    missing = Campaign.objects.order_by("-pk").first().pk + 1000
    before = set(cache._cache)  # the tests' local-memory cache
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert campaign_row(missing) is None
        assert len(ctx.captured_queries) == 1
    assert set(cache._cache) == before
    for nonsense in ("abc", None, "1; drop"):
        assert campaign_row(nonsense) is None
