"""Who reaches which dashboard: anything out of reach is the same 404 as a missing page."""

import pytest
from django.urls import reverse

from access.roles import Cap
from access.table import CAPS as ROLE_CAPS
from accounts.models import Role
from tests.dashboards.conftest import YEAR
from tests.factories import RegionFactory, user_with_role


def township_url(town, name="dashboards:township"):
    return reverse(name, args=[town.pk, YEAR])


def list_url(town):
    return reverse("dashboards:township_list", args=[town.pk, YEAR]) + "?figure=ranking"


def test_dashboard_capability_is_held_by_leadership_reviewers_and_city_office_only():
    holders = {role for role, caps in ROLE_CAPS.items() if Cap.DASHBOARD_VIEW in caps}
    assert holders == {Role.TOWNSHIP_LEADER, Role.TOWNSHIP_REVIEWER, Role.CITY_OFFICE, Role.ADMIN}


def test_township_leader_sees_own_township_and_not_a_neighbour(client, dash):
    client.force_login(dash.leader)
    assert client.get(township_url(dash.org.town)).status_code == 200
    assert client.get(list_url(dash.org.town)).status_code == 200
    assert client.get(township_url(dash.org.other_town)).status_code == 404
    assert client.get(list_url(dash.org.other_town)).status_code == 404
    assert client.get(reverse("dashboards:city", args=[dash.org.city.pk, YEAR])).status_code == 404
    response = client.get(reverse("dashboards:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:township_go", args=[dash.org.town.pk])
    assert client.get(response["Location"]).headers["Location"] == township_url(dash.org.town)


def test_township_reviewer_sees_own_township(client, dash):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, dash.org.town, username="jw"))
    assert client.get(township_url(dash.org.town)).status_code == 200
    assert client.get(township_url(dash.org.other_town)).status_code == 404


@pytest.mark.parametrize(
    "role,node",
    [
        (Role.VILLAGE_COMMITTEE, "village"),
        (Role.VILLAGE_SUPERVISOR, "village"),
        (Role.BRANCH_SECRETARY, "branch"),
        (Role.UNIT_STAFF, "unit"),
    ],
)
def test_village_branch_and_unit_roles_get_not_found(client, dash, role, node):
    client.force_login(user_with_role(role, getattr(dash.org, node)))
    for link in (
        reverse("dashboards:index"),
        township_url(dash.org.town),
        list_url(dash.org.town),
        reverse("dashboards:city", args=[dash.org.city.pk, YEAR]),
    ):
        assert client.get(link).status_code == 404, link
    assert "数据看板" not in client.get("/").content.decode()


def test_city_office_sees_its_city_and_its_townships_but_not_another_city(client, dash):
    client.force_login(dash.city)
    assert client.get(reverse("dashboards:city", args=[dash.org.city.pk, YEAR])).status_code == 200
    assert client.get(township_url(dash.org.town)).status_code == 200
    assert client.get(list_url(dash.org.town)).status_code == 200
    assert client.get(township_url(dash.org.far_town)).status_code == 404
    assert client.get(reverse("dashboards:city", args=[dash.org.other_city.pk, YEAR])).status_code == 404
    assert "数据看板" in client.get("/").content.decode()


def test_city_office_of_another_region_gets_not_found(client, dash):
    stranger = user_with_role(Role.CITY_OFFICE, RegionFactory(name="丁市"), username="city_ding")
    client.force_login(stranger)
    assert client.get(reverse("dashboards:city", args=[dash.org.city.pk, YEAR])).status_code == 404
    assert client.get(township_url(dash.org.town)).status_code == 404
    export = reverse("dashboards:township_list_export", args=[dash.org.town.pk, YEAR]) + "?figure=ranking"
    assert client.get(export).status_code == 404


def test_a_branch_of_another_township_is_not_found(client, dash):
    from villages.models import PartyBranch

    foreign = PartyBranch.objects.create(township=dash.org.other_town, name="外镇党总支")
    client.force_login(dash.leader)
    assert client.get(township_url(dash.org.town) + f"?branch={foreign.pk}").status_code == 404
