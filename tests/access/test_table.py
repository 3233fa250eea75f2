"""The access table drives every decision: these tests are generated from it (role × capability × own/other
node), and a grep-style test keeps role checks out of every module but `access/`."""

import re
from pathlib import Path

import pytest

from access.roles import ANONYMOUS, ROLE_NODE, Cap, Role, Side
from access.scope import ANONYMOUS_SCOPE, scope_for
from access.table import CAPS, SIDES
from tests.factories import user_with_role

ROOT = Path(__file__).resolve().parents[2]
ROLES = [r for r in CAPS if r != ANONYMOUS]


def _node(org, role, own=True):
    kind = ROLE_NODE[role]
    if kind is None:
        return None
    own_nodes = {"village": org.village, "branch": org.branch, "unit": org.unit, "township": org.town}
    other_nodes = {"village": org.far, "branch": None, "unit": None, "township": org.far_town}
    if kind == "region":
        return org.city if own else org.other_city
    return own_nodes[kind] if own else other_nodes[kind]


def test_the_table_has_a_row_for_every_role_and_the_anonymous_reader():
    assert set(CAPS) == {*Role, ANONYMOUS}
    assert CAPS[Role.ADMIN] == frozenset(Cap)
    # The anonymous reader holds exactly one capability: reading published results.
    assert CAPS[ANONYMOUS] == frozenset({Cap.PUBLISHED_VIEW})
    assert {cap for cap in Cap if ANONYMOUS_SCOPE.can(cap)} == {Cap.PUBLISHED_VIEW}


def test_every_side_rule_names_a_known_role_and_side():
    for entity, sides in SIDES.items():
        for side, rules in sides.items():
            assert side in set(Side), (entity, side)
            for role, _path in rules:
                assert role in set(Role), (entity, side, role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_holds_exactly_the_capabilities_of_its_row_at_its_own_node_only(org, role):
    user = user_with_role(role, _node(org, role))
    scope = scope_for(user)
    for cap in Cap:
        allowed = cap in CAPS[role]
        assert scope.can(cap) is allowed, cap
        # Whole-township reach: held at the township, at its region, or everywhere (the administrator).
        kind = ROLE_NODE[role]
        wide = allowed and (kind in ("township", "region") or role == Role.ADMIN)
        assert scope.reaches_township(cap, org.town) is wide, cap
        assert scope.reaches_township(cap, org.far_town) is (allowed and role == Role.ADMIN), cap
        # The other township of the same city: only city-level and administrator rows reach it.
        assert scope.reaches_township(cap, org.other_town) is (
            allowed and (kind == "region" or role == Role.ADMIN)
        ), cap


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_village_reach_follows_the_node_the_role_is_held_at(org, role):
    from villages.models import Village

    user = user_with_role(role, _node(org, role))
    scope = scope_for(user)
    expected = {
        Role.VILLAGE_COMMITTEE: {"东村"},
        Role.VILLAGE_SUPERVISOR: {"东村"},
        Role.BRANCH_SECRETARY: {"东村", "西村"},
        Role.UNIT_STAFF: {"东村", "南村"},
        Role.TOWNSHIP_REVIEWER: {"东村", "西村", "南村"},
        Role.TOWNSHIP_LEADER: {"东村", "西村", "南村"},
        Role.CITY_OFFICE: {"东村", "西村", "南村", "北村"},
        Role.ADMIN: {"东村", "西村", "南村", "北村", "远村"},
    }[role]
    for cap in Cap:
        reached = set(Village.objects.filter(scope.village_q(cap)).values_list("name", flat=True))
        assert reached == (expected if cap in CAPS[role] else set()), cap


@pytest.mark.django_db
@pytest.mark.parametrize("entity", ["township", "unit"])
@pytest.mark.parametrize("role", ROLES)
def test_sides_come_from_the_side_rules_at_the_own_node_and_never_at_another(org, role, entity):
    user = user_with_role(role, _node(org, role))
    scope = scope_for(user)
    objects = (org.town, org.other_town, org.far_town) if entity == "township" else (org.unit, org.other_unit)
    for obj in objects:
        expected = set()
        for side, rules in SIDES[entity].items():
            for rule_role, path in rules:
                if rule_role == role and (path == "*" or _held_at(org, role, obj, path)):
                    expected.add(side)
        assert scope.sides(entity, obj) == expected, obj


def _held_at(org, role, obj, path):
    node = _node(org, role)
    return node is not None and getattr(obj, path) == node.pk


def test_anonymous_requests_get_the_anonymous_row_not_a_membership():
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(AnonymousUser()) is ANONYMOUS_SCOPE
    assert scope_for(None) is ANONYMOUS_SCOPE


@pytest.mark.django_db
@pytest.mark.urls("tests.access.public_urls")
def test_a_view_marked_public_stays_behind_the_login_while_the_table_does_not_grant_the_anonymous_its_cap(
    client,
):
    response = client.get("/published/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.urls("tests.access.public_urls")
def test_a_view_marked_public_opens_without_login_once_the_anonymous_row_holds_its_capability(
    client, monkeypatch
):
    from access import table

    monkeypatch.setattr("access.scope.CAPS", {**table.CAPS, ANONYMOUS: frozenset({Cap.ORG_VIEW})})
    assert client.get("/published/").content == b"published"
    # Its capability only: a page marked with another one stays behind the login.
    assert client.get("/published-other/").status_code == 302


# ---- no role checks outside access/ -----------------------------------------------------------------

ROLE_CHECK = re.compile(
    r"\.holds\(|\.nodes\(|scope\.roles\b|\.is_admin\b|can_in_township|member_township_ids"
    r"|scope\.(township|region|village|branch|unit)_ids\b"
    r"|\bRole\.(VILLAGE_COMMITTEE|VILLAGE_SUPERVISOR|BRANCH_SECRETARY|UNIT_STAFF|TOWNSHIP_REVIEWER"
    r"|TOWNSHIP_LEADER|CITY_OFFICE|ADMIN)\b"
    r"|role__in=\[|\brole=Role\b"
)
# Only the administrator row is "everywhere"; views and services never ask.
EVERYWHERE = re.compile(r"\.everywhere\b")
# Modules that create memberships (the demo, the first administrator) name roles to grant them.
GRANTING = {"accounts/demo.py", "accounts/management/commands/create_admin.py"}


def _project_modules():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        top = rel.split("/", 1)[0]
        if top in {".venv", "tests", "bench", "scripts", "access", "static"} or "/migrations/" in rel:
            continue
        yield rel, path.read_text(encoding="utf-8")


def test_no_module_outside_access_holds_a_role_check():
    offenders = []
    for rel, text in _project_modules():
        if rel in GRANTING:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if ROLE_CHECK.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


def test_no_view_or_service_asks_whether_the_user_is_the_administrator():
    offenders = []
    for rel, text in _project_modules():
        if "/views" in rel or "/services" in rel:
            offenders += [
                f"{rel}:{n}" for n, line in enumerate(text.splitlines(), 1) if EVERYWHERE.search(line)
            ]
    assert offenders == []


def test_the_grep_finds_a_role_check_where_one_is_written():
    assert ROLE_CHECK.search("if scope.holds(Role.TOWNSHIP_REVIEWER, township.pk):")
    assert ROLE_CHECK.search("    if Role.CITY_OFFICE not in scope.roles:")
    assert ROLE_CHECK.search("Membership.objects.filter(role=Role.ADMIN)")
    assert not ROLE_CHECK.search("if Side.REVIEWER in scope.sides('township', township):")


def test_services_raise_domain_errors_never_http_answers():
    """A service refuses with an ApplicationError (common.errors); only views turn refusals into 404/403."""
    offenders = []
    for rel, text in _project_modules():
        if "/services" in rel:
            offenders += [
                f"{rel}:{n}"
                for n, line in enumerate(text.splitlines(), 1)
                if re.search(r"\b(Http404|PermissionDenied)\b", line)
            ]
    assert offenders == []
