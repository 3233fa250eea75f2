"""The dashboards make the same number of SQL queries whatever the number of villages or townships,
with a cold cache (the figures computed from the read models) and a warm one (the whole page, the
township's row, the session, the user, the user's scope and unread count all from the cache)."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from tests.dashboards.conftest import YEAR, build_township
from tests.factories import RegionFactory, TownshipFactory, user_with_role
from villages.models import Village

# Pinned: a change here means a figure started (or stopped) querying; the counts must stay equal
# between the sizes below. Cold: the figures computed; warm: read from the cache by data version.
TOWNSHIP_COLD = 23
TOWNSHIP_WARM = 0
BRANCH_COLD = 24
BRANCH_WARM = 1  # the branch named in the address
CITY_COLD = 19
CITY_WARM = 0


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def cold_and_warm(client, url):
    """(queries with an empty cache, queries once everything is cached), after one warm-up request that
    fills what every page caches (content types, the session). The second request after the cache was
    emptied caches the township's row (villages.selectors.township_row: not on the first, which finds
    no data version yet); the third is what every later request costs."""
    client.get(url)
    cache.clear()
    cold = count(client, url)
    count(client, url)
    return cold, count(client, url)


def township_url(town, **extra):
    return reverse("dashboards:township", args=[town.pk, YEAR]) + (
        f"?branch={extra['branch']}" if extra else ""
    )


def test_township_dashboard_queries_do_not_grow_from_5_to_60_villages(client, org, standard):
    small, big = TownshipFactory(region=org.city, name="小镇"), TownshipFactory(region=org.city, name="大镇")
    build_township(small, standard, 5, seed=3)
    build_township(big, standard, 60, seed=4)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    for town in (small, big):
        assert cold_and_warm(client, township_url(town)) == (TOWNSHIP_COLD, TOWNSHIP_WARM), town.name
        branch = town.branches.first().pk
        assert cold_and_warm(client, township_url(town, branch=branch)) == (BRANCH_COLD, BRANCH_WARM)


def test_the_lists_behind_the_figures_do_not_grow_from_5_to_60_villages(
    client, org, standard, django_assert_num_queries
):
    small, big = TownshipFactory(region=org.city, name="小镇"), TownshipFactory(region=org.city, name="大镇")
    build_township(small, standard, 5, seed=3)
    build_township(big, standard, 60, seed=4)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    for query in (
        "?figure=ranking",
        "?figure=dimension&dim=V2",
        "?figure=yoy&prev=&cur=",
        "?figure=progress",
    ):
        for town in (small, big):  # the township rows cached (villages.selectors.township_row)
            client.get(reverse("dashboards:township_list", args=[town.pk, YEAR]) + query)
        n = count(client, reverse("dashboards:township_list", args=[small.pk, YEAR]) + query)
        assert n <= 12, query
        with django_assert_num_queries(n):
            client.get(reverse("dashboards:township_list", args=[big.pk, YEAR]) + query)


def test_township_dashboard_makes_the_same_queries_at_66_and_at_1000_villages(client, org, standard):
    """The issue's figures: 鲍沟镇's 66 villages and a 1,000-village township."""
    build_township(org.town, standard, 66 - Village.objects.filter(township=org.town).count(), seed=5)
    build_township(
        org.other_town, standard, 1000 - Village.objects.filter(township=org.other_town).count(), seed=6
    )
    assert Village.objects.filter(township=org.town).count() == 66
    assert Village.objects.filter(township=org.other_town).count() == 1000
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    assert cold_and_warm(client, township_url(org.town)) == (TOWNSHIP_COLD, TOWNSHIP_WARM)
    assert cold_and_warm(client, township_url(org.other_town)) == (TOWNSHIP_COLD, TOWNSHIP_WARM)
    assert client.get(township_url(org.other_town), {"_": 1}).context["d"].ranking_total == 1000


def test_city_dashboard_queries_do_not_grow_from_2_to_6_townships(client, standard):
    for size, name in ((2, "二镇市"), (6, "六镇市")):
        region = RegionFactory(name=name)
        for k in range(size):
            build_township(
                TownshipFactory(region=region, name=f"{name}{k}镇"),
                standard,
                4 + 3 * k,
                seed=k,
                prefix=f"{k}",
            )
        client.force_login(user_with_role(Role.CITY_OFFICE, region))
        url = reverse("dashboards:city", args=[region.pk, YEAR])
        assert cold_and_warm(client, url) == (CITY_COLD, CITY_WARM), name
        assert len(client.get(url, {"_": 1}).context["c"].towns) == size  # (a page of its own: rendered)
