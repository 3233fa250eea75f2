"""A province's city dashboard pages its township table (30 a page) and can find a township by name; the
charts follow the page, the index ranks stay the city's (issue 16)."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.dashboards.conftest import YEAR, build_township
from tests.factories import RegionFactory, TownshipFactory, user_with_role


@pytest.fixture
def province(db, standard):
    region = RegionFactory(name="大市")
    towns = [TownshipFactory(region=region, name=f"{k:02d}号镇") for k in range(33)]
    build_township(towns[31], standard, 3, seed=1, prefix="卅")  # one with figures, on page 2
    return region, towns


def _rows(response):
    return re.findall(r'<tr data-town="([^"]+)">', response.content.decode())


def test_thirty_townships_a_page_in_name_order(client, province):
    region, towns = province
    client.force_login(user_with_role(Role.CITY_OFFICE, region))
    url = reverse("dashboards:city", args=[region.pk, YEAR])
    first = client.get(url)
    assert _rows(first) == [t.name for t in towns[:30]]
    html = first.content.decode()
    assert "共 33 个，本页第 1–30 个" in html and "第 1 / 2 页" in html and 'href="?tpage=2"' in html
    assert len(first.context["charts"]["scores"]["categories"]) == 30  # the charts follow the page
    second = client.get(url, {"tpage": 2})
    assert _rows(second) == [t.name for t in towns[30:]]
    ranked = {r.township.name: r.index_rank for r in second.context["c"].towns}
    assert ranked["31号镇"] == 1  # the only township with scores: first of the whole city
    assert _rows(client.get(url, {"tpage": "x"})) == _rows(first)  # a bad page number: the first
    assert _rows(client.get(url, {"tpage": 99})) == _rows(second)  # past the end: the last


def test_finding_a_township_by_name(client, province):
    region, _ = province
    client.force_login(user_with_role(Role.CITY_OFFICE, region))
    url = reverse("dashboards:city", args=[region.pk, YEAR])
    found = client.get(url, {"tq": "31号"})
    assert _rows(found) == ["31号镇"]
    assert "名称含“31号”的 1 个（共 33 个）" in found.content.decode()
    none = client.get(url, {"tq": "没有这个"}).content.decode()
    assert "没有名称含“没有这个”的镇（街道）" in none


def test_a_city_of_few_townships_shows_no_pager_nor_search(client, dash):
    client.force_login(dash.city)
    html = client.get(reverse("dashboards:city", args=[dash.org.city.pk, YEAR])).content.decode()
    assert "tpage=" not in html and 'name="tq"' not in html
