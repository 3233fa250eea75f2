"""Roles × (own node, other nodes) over every page: each role sees exactly its scope (SECURITY.md AC-2/AC-3).

The expected reach of each role is written out by hand from the role definitions, not computed by the
code under test: east village (东村) and west village (西村) are in branch 1, south village (南村) in
branch 2 of 甲镇; 北村 is in 乙镇 (same city 甲市); 远村 is in 丙镇 of another city. The unit 经管站
supervises 东村 and 南村.
"""

import pytest

from accounts.models import ROLE_NODE, Role
from assessments.models import Campaign  # noqa: F401  (standards in use are covered in tests/indices)
from audit.models import AuditEvent
from tests.factories import UnitFactory, user_with_role

ALL_VILLAGES = ["东村", "西村", "南村", "北村", "远村"]
ALL_TOWNS = ["甲镇", "乙镇", "丙镇"]
ALL_UNITS = ["经管站", "民政科", "乙镇农办", "丙镇农办"]

# role -> (villages reached, townships reached, units reached, township where it may manage the org)
REACH = {
    Role.VILLAGE_COMMITTEE: (["东村"], ["甲镇"], [], []),
    Role.VILLAGE_SUPERVISOR: (["东村"], ["甲镇"], [], []),
    Role.BRANCH_SECRETARY: (["东村", "西村"], ["甲镇"], [], []),
    Role.UNIT_STAFF: (["东村", "南村"], ["甲镇"], ["经管站"], []),
    Role.TOWNSHIP_REVIEWER: (["东村", "西村", "南村"], ["甲镇"], ["经管站", "民政科"], ["甲镇"]),
    Role.TOWNSHIP_LEADER: (["东村", "西村", "南村"], ["甲镇"], ["经管站", "民政科"], []),
    Role.CITY_OFFICE: (
        ["东村", "西村", "南村", "北村"],
        ["甲镇", "乙镇"],
        ["经管站", "民政科", "乙镇农办"],
        [],
    ),
    Role.ADMIN: (ALL_VILLAGES, ALL_TOWNS, ALL_UNITS, ALL_TOWNS),
}
USERS_PAGE = {Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_LEADER, Role.CITY_OFFICE, Role.ADMIN}
AUDIT_PAGE = {Role.TOWNSHIP_REVIEWER, Role.ADMIN}


@pytest.fixture
def world(org):
    UnitFactory(township=org.other_town, name="乙镇农办").villages.set([org.foreign])
    UnitFactory(township=org.far_town, name="丙镇农办").villages.set([org.far])
    org.villages = {v.name: v for v in (org.village, org.sibling, org.cousin, org.foreign, org.far)}
    org.towns = {t.name: t for t in (org.town, org.other_town, org.far_town)}
    from villages.models import ResponsibleUnit

    org.units = {u.name: u for u in ResponsibleUnit.objects.all()}
    return org


def _user(role, org):
    node = {
        "village": org.village,
        "branch": org.branch,
        "unit": org.unit,
        "township": org.town,
        "region": org.city,
    }
    field = ROLE_NODE[role]
    return user_with_role(role, node[field] if field else None, is_staff=role == Role.ADMIN)


def _status(client, url):
    return client.get(url).status_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_its_scope_on_every_org_page(client, world, role):
    villages, towns, units, manage = REACH[role]
    client.force_login(_user(role, world))
    # Detail pages: 200 inside the scope, 404 (same as missing) outside.
    for name, village in world.villages.items():
        assert _status(client, f"/org/villages/{village.pk}/") == (200 if name in villages else 404), name
    for name, town in world.towns.items():
        assert _status(client, f"/org/townships/{town.pk}/") == (200 if name in towns else 404), name
        expected = 200 if name in manage else 404
        assert _status(client, f"/org/townships/{town.pk}/import/") == expected, f"import {name}"
        assert _status(client, f"/org/townships/{town.pk}/export/") == expected, f"export {name}"
    for name, unit in world.units.items():
        assert _status(client, f"/org/units/{unit.pk}/") == (200 if name in units else 404), name
    # Lists hold exactly the scope.
    listed = client.get("/org/villages/").context["page_obj"].object_list
    assert sorted(v.name for v in listed) == sorted(villages)
    towns_listed = client.get("/org/").context
    shown = towns_listed.get("townships") or towns_listed.get("page_obj").object_list
    assert sorted(t.name for t in shown) == sorted(towns)
    unit_page = client.get("/org/units/")
    if units:
        assert sorted(u.name for u in unit_page.context["page_obj"].object_list) == sorted(units)
    else:
        assert unit_page.status_code == 404
    # Missing ids answer exactly like foreign ones.
    assert _status(client, "/org/villages/999999/") == 404
    assert _status(client, "/org/townships/999999/") == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_users_and_audit_pages_follow_the_role_table(client, world, role):
    me = _user(role, world)
    stranger = user_with_role(Role.VILLAGE_COMMITTEE, world.far)
    neighbour = user_with_role(Role.VILLAGE_COMMITTEE, world.sibling)
    client.force_login(me)
    assert _status(client, "/accounts/users/") == (200 if role in USERS_PAGE else 404)
    assert _status(client, "/audit/") == (200 if role in AUDIT_PAGE else 404)
    if role in USERS_PAGE:
        reaches_far = role == Role.ADMIN
        assert _status(client, f"/accounts/users/{stranger.pk}/") == (200 if reaches_far else 404)
        assert _status(client, f"/accounts/users/{neighbour.pk}/") == 200


@pytest.mark.django_db
def test_a_refused_capability_is_audited(client, world):
    client.force_login(_user(Role.VILLAGE_COMMITTEE, world))
    client.get("/accounts/users/")
    event = AuditEvent.objects.get(action="access.denied")
    assert event.result == "failure"
    assert event.detail["path"] == "/accounts/users/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TOWNSHIP_LEADER, Role.CITY_OFFICE])
def test_read_only_roles_cannot_import_an_organisation(client, world, role):
    client.force_login(_user(role, world))
    before = world.town.villages.count()
    response = client.post(f"/org/townships/{world.town.pk}/import/", {})
    assert response.status_code == 404
    assert world.town.villages.count() == before


# role -> standards it sees, and those it may edit. "全局" is a global sample; "甲市标准" belongs to the city
# 甲市; "甲镇版本" is 甲镇's local version; "乙市标准" belongs to the other city.
STANDARD_REACH = {
    Role.VILLAGE_COMMITTEE: (["全局", "甲市标准", "甲镇版本"], []),
    Role.VILLAGE_SUPERVISOR: (["全局", "甲市标准", "甲镇版本"], []),
    Role.BRANCH_SECRETARY: (["全局", "甲市标准", "甲镇版本"], []),
    Role.UNIT_STAFF: (["全局", "甲市标准", "甲镇版本"], []),
    Role.TOWNSHIP_REVIEWER: (["全局", "甲市标准", "甲镇版本"], ["甲镇版本"]),
    Role.TOWNSHIP_LEADER: (["全局", "甲市标准", "甲镇版本"], []),
    Role.CITY_OFFICE: (["全局", "甲市标准", "甲镇版本"], ["甲市标准", "甲镇版本"]),
    Role.ADMIN: (["全局", "甲市标准", "甲镇版本", "乙市标准"], ["全局", "甲市标准", "甲镇版本", "乙市标准"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_its_standards(client, world, role):
    from indices.models import IndexStandard

    def make(version, **owner):
        return IndexStandard.objects.create(
            code="S", name=version, level="village", year=2024, version=version, total_base_score=100, **owner
        )

    standards = {
        "全局": make("全局"),
        "甲市标准": make("甲市标准", region=world.city),
        "甲镇版本": make("甲镇版本", township=world.town),
        "乙市标准": make("乙市标准", region=world.other_city),
    }
    visible, editable = STANDARD_REACH[role]
    client.force_login(_user(role, world))
    listed = client.get("/standards/").context["page_obj"].object_list
    assert sorted(s.version for s in listed) == sorted(visible)
    for name, standard in standards.items():
        assert _status(client, f"/standards/{standard.pk}/") == (200 if name in visible else 404), name
        assert _status(client, f"/standards/{standard.pk}/edit/") == (200 if name in editable else 404), name
