"""The dashboards make the same number of SQL queries whatever the number of villages or townships."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from tests.dashboards.conftest import YEAR, build_township
from tests.factories import RegionFactory, TownshipFactory, user_with_role
from villages.models import Village

# A ceiling for the township page: the count is pinned exactly between sizes below; this bound only
# catches a figure that starts issuing queries in a loop over branches, units or dimensions.
TOWNSHIP_MAX = 45
CITY_MAX = 35


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def township_url(town, **extra):
    return reverse("dashboards:township", args=[town.pk, YEAR]) + (
        f"?branch={extra['branch']}" if extra else ""
    )


def test_township_dashboard_queries_do_not_grow_from_5_to_60_villages(
    client, org, standard, django_assert_num_queries
):
    small, big = TownshipFactory(region=org.city, name="小镇"), TownshipFactory(region=org.city, name="大镇")
    build_township(small, standard, 5, seed=3)
    build_township(big, standard, 60, seed=4)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    client.get(township_url(small))  # warm caches (content types, sessions) out of the count
    n = count(client, township_url(small))
    assert n <= TOWNSHIP_MAX
    with django_assert_num_queries(n):
        client.get(township_url(big))
    # the branch filter and the lists behind the figures do not grow either
    branch_small = small.branches.first().pk
    branch_big = big.branches.first().pk
    n = count(client, township_url(small, branch=branch_small))
    with django_assert_num_queries(n):
        client.get(township_url(big, branch=branch_big))
    for query in ("?figure=ranking", "?figure=dimension&dim=V2", "?figure=yoy&prev=&cur="):
        n = count(client, reverse("dashboards:township_list", args=[small.pk, YEAR]) + query)
        with django_assert_num_queries(n):
            client.get(reverse("dashboards:township_list", args=[big.pk, YEAR]) + query)


def test_township_dashboard_makes_the_same_queries_at_66_and_at_1000_villages(
    client, org, standard, django_assert_num_queries
):
    """The issue's figures: 鲍沟镇's 66 villages and a 1,000-village township."""
    build_township(org.town, standard, 66 - Village.objects.filter(township=org.town).count(), seed=5)
    build_township(
        org.other_town, standard, 1000 - Village.objects.filter(township=org.other_town).count(), seed=6
    )
    assert Village.objects.filter(township=org.town).count() == 66
    assert Village.objects.filter(township=org.other_town).count() == 1000
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    client.get(township_url(org.town))
    n = count(client, township_url(org.town))
    assert n <= TOWNSHIP_MAX
    with django_assert_num_queries(n):
        response = client.get(township_url(org.other_town))
    assert response.context["d"].ranking_total == 1000


def test_city_dashboard_queries_do_not_grow_from_2_to_6_townships(
    client, standard, django_assert_num_queries
):
    regions = {}
    for size, name in ((2, "二镇市"), (6, "六镇市")):
        region = RegionFactory(name=name)
        for k in range(size):
            build_township(
                TownshipFactory(region=region, name=f"{name}{k}镇"), standard, 4, seed=k, prefix=f"{k}"
            )
        regions[size] = (region, user_with_role(Role.CITY_OFFICE, region))
    region, user = regions[2]
    client.force_login(user)
    client.get(reverse("dashboards:city", args=[region.pk, YEAR]))
    n = count(client, reverse("dashboards:city", args=[region.pk, YEAR]))
    assert n <= CITY_MAX
    region, user = regions[6]
    client.force_login(user)
    client.get(reverse("dashboards:city", args=[region.pk, YEAR]))  # same warm-up as the small city
    with django_assert_num_queries(n):
        response = client.get(reverse("dashboards:city", args=[region.pk, YEAR]))
    assert len(response.context["c"].towns) == 6
