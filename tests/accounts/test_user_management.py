"""Managing accounts and role grants (issue 11): privilege boundaries, one-time passwords, login with
the mobile number, and the user pages (filters, Excel export, disable/enable, grant, revoke)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Membership, Role, User
from accounts.selectors import users_managed_by
from accounts.services import (
    membership_grant,
    membership_revoke,
    user_create,
    user_password_reset,
    user_set_active,
    user_update,
)
from audit.models import AuditEvent
from common.errors import InvalidInputError, NotPermittedError
from tests.factories import UserFactory, user_with_role

LOGIN = "/accounts/login/"


@pytest.fixture
def town_admin(org):
    """甲镇's administrator (its 纪委 holds USERS_MANAGE)."""
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei")


@pytest.fixture
def villager(org):
    return user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="dongcun", phone="13800000001")


def _failures(action):
    return list(AuditEvent.objects.filter(action=action, result="failure").order_by("id"))


def _state():
    """What a refused attempt must leave unchanged."""
    return (
        sorted(Membership.objects.values_list("user_id", "role", "township_id", "village_id", "region_id")),
        sorted(User.objects.values_list("username", "is_active", "password", "full_name", "phone")),
    )


# ---- privilege boundaries in the services ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "node", "message"),
    [
        (Role.CITY_OFFICE, "city", "“市清廉村居办”只能由系统管理员授予。"),
        (Role.ADMIN, None, "“系统管理员”只能由系统管理员授予。"),
        (Role.VILLAGE_COMMITTEE, "foreign", "只能在本人管理的镇街范围内授予角色。"),
        (Role.TOWNSHIP_REVIEWER, "other_town", "只能在本人管理的镇街范围内授予角色。"),
    ],
)
def test_a_township_admin_cannot_grant_a_city_role_or_a_role_elsewhere(
    org, town_admin, villager, role, node, message
):
    before = _state()
    with pytest.raises(NotPermittedError) as refused:
        membership_grant(
            user=villager, role=role, node=getattr(org, node) if node else None, actor=town_admin
        )
    assert str(refused.value) == message
    assert _state() == before
    [row] = _failures("membership.grant")
    assert (row.actor, row.message, row.object_id) == (town_admin, message, str(villager.pk))


@pytest.mark.django_db
def test_nobody_edits_their_own_roles(org, town_admin):
    before = _state()
    with pytest.raises(NotPermittedError, match="不能修改自己的角色授权。"):
        membership_grant(user=town_admin, role=Role.VILLAGE_COMMITTEE, node=org.village, actor=town_admin)
    with pytest.raises(NotPermittedError, match="不能修改自己的角色授权。"):
        membership_revoke(membership=town_admin.memberships.get(), actor=town_admin)
    assert _state() == before
    assert len(_failures("membership.grant")) == len(_failures("membership.revoke")) == 1


@pytest.mark.django_db
def test_a_township_admin_never_touches_a_user_with_a_role_outside_its_township(org, town_admin):
    both = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="both")
    Membership.objects.create(user=both, role=Role.VILLAGE_COMMITTEE, village=org.foreign)
    city = user_with_role(Role.CITY_OFFICE, org.city, username="city")
    Membership.objects.create(user=city, role=Role.VILLAGE_SUPERVISOR, village=org.village)
    before = _state()
    for target in (both, city):
        with pytest.raises(NotPermittedError, match="只能管理本人所辖镇街的用户。"):
            membership_grant(user=target, role=Role.VILLAGE_SUPERVISOR, node=org.sibling, actor=town_admin)
        with pytest.raises(NotPermittedError, match="只能管理本人所辖镇街的用户。"):
            user_set_active(user=target, is_active=False, actor=town_admin)
        with pytest.raises(NotPermittedError, match="只能管理本人所辖镇街的用户。"):
            user_password_reset(user=target, actor=town_admin)
        with pytest.raises(NotPermittedError, match="只能管理本人所辖镇街的用户。"):
            user_update(user=target, actor=town_admin, full_name="改名")
    assert _state() == before
    for action in ("membership.grant", "user.disable", "user.password_reset", "user.update"):
        assert [r.actor for r in _failures(action)] == [town_admin, town_admin]


@pytest.mark.django_db
def test_users_managed_by_a_township_admin_are_those_of_its_township(org, town_admin, villager):
    fresh = user_create(username="fresh", full_name="新人", actor=town_admin)
    other_fresh = user_create(username="other", full_name="外镇新人", township=org.other_town)
    neighbour = user_with_role(Role.VILLAGE_COMMITTEE, org.foreign, username="beicun")
    superuser = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="root", is_superuser=True)
    managed = set(users_managed_by(town_admin))
    assert {villager, fresh, town_admin} <= managed
    assert not {other_fresh, neighbour, superuser} & managed
    assert fresh.created_in_township == org.town
    # the city office manages the townships of its region; the administrator everyone
    city = user_with_role(Role.CITY_OFFICE, org.city, username="city")
    assert {villager, neighbour, fresh} <= set(users_managed_by(city))
    assert city not in set(users_managed_by(city))
    admin = user_with_role(Role.ADMIN, None, username="sysadmin")
    assert set(users_managed_by(admin)) == set(User.objects.all())


@pytest.mark.django_db
def test_a_township_admin_creates_users_only_for_its_township(org, town_admin):
    with pytest.raises(NotPermittedError, match="只能为本人管理的镇街创建用户。"):
        user_create(username="x", full_name="外镇", township=org.other_town, actor=town_admin)
    assert not User.objects.filter(username="x").exists()
    assert _failures("user.create")[0].actor == town_admin


@pytest.mark.django_db
def test_a_township_admin_grants_and_revokes_inside_its_township(org, town_admin, villager):
    membership = membership_grant(
        user=villager, role=Role.VILLAGE_SUPERVISOR, node=org.sibling, actor=town_admin
    )
    membership_revoke(membership=membership, actor=town_admin)
    assert list(villager.memberships.values_list("role", flat=True)) == [Role.VILLAGE_COMMITTEE]
    actions = list(AuditEvent.objects.filter(actor=town_admin).order_by("id").values_list("action", "result"))
    assert actions == [("membership.grant", "success"), ("membership.revoke", "success")]


@pytest.mark.django_db
def test_only_the_administrator_sets_the_admin_flags(org, town_admin, villager):
    with pytest.raises(NotPermittedError, match="只有系统管理员可以设置管理后台权限。"):
        user_update(user=villager, actor=town_admin, is_staff=True)
    villager.refresh_from_db()
    assert villager.is_staff is False


# ---- phone numbers and one-time passwords -------------------------------------------------------------


@pytest.mark.django_db
def test_a_mobile_number_names_one_active_account(org, town_admin, villager):
    with pytest.raises(InvalidInputError, match="手机号 13800000001 已被其他在用账户使用。"):
        user_create(full_name="重号", phone="13800000001", actor=town_admin)
    other = user_create(full_name="另一人", phone="13800000002", actor=town_admin)
    assert other.username == "13800000002"
    with pytest.raises(InvalidInputError, match="已被其他在用账户使用"):
        user_update(user=other, actor=town_admin, phone="13800000001")
    # a disabled account frees its number; enabling it again while the number is taken is refused
    user_set_active(user=villager, is_active=False, actor=town_admin)
    user_update(user=other, actor=town_admin, phone="13800000001")
    with pytest.raises(InvalidInputError, match="已被其他在用账户使用"):
        user_set_active(user=villager, is_active=True, actor=town_admin)


@pytest.mark.django_db
def test_one_time_password_is_returned_once_and_only_its_hash_is_stored(org, town_admin):
    user = user_create(full_name="王五", phone="13900000009", actor=town_admin)
    password = user.one_time_password
    assert password and user.must_change_password
    user.refresh_from_db()
    assert user.check_password(password) and password not in user.password
    for event in AuditEvent.objects.all():
        assert password not in event.message and password not in str(event.detail)
    again = user_password_reset(user=user, actor=town_admin)
    user.refresh_from_db()
    assert again != password and user.check_password(again) and user.must_change_password
    assert AuditEvent.objects.filter(action="user.password_reset", actor=town_admin).count() == 1


@pytest.mark.django_db
def test_create_login_with_phone_forced_change_then_normal_page(client, org, town_admin):
    client.force_login(town_admin)
    response = client.post(reverse("accounts:user_create"), {"full_name": "赵六", "phone": "13700000007"})
    assert response.status_code == 200
    user = User.objects.get(phone="13700000007")
    password = response.context["password"]
    assert password in response.content.decode() and "no-store" in response["Cache-Control"]
    assert (user.username, user.created_in_township) == ("13700000007", org.town)
    # the fresh account, without a role yet, is in the township's list and opens for granting
    assert client.get(reverse("accounts:user_detail", args=[user.pk])).status_code == 200
    assert client.get(reverse("accounts:user_grant", args=[user.pk])).status_code == 200
    assert "13700000007" in client.get(reverse("accounts:user_list")).content.decode()
    client.logout()
    response = client.post(LOGIN, {"username": "13700000007", "password": password})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # sent to change the password first
    assert client.get("/").url.startswith(reverse("accounts:password_change"))
    new = "Harbor-lamp-7788!"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_login_with_phone_counts_lockout_per_the_name_typed(client, villager):
    for _ in range(5):
        client.post(LOGIN, {"username": "13800000001", "password": "Wrong-pass-123"})
    response = client.post(LOGIN, {"username": "13800000001", "password": "Zx9!kettle-lamp"})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="auth.locked_out", actor_username="13800000001").exists()


# ---- the pages --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_forged_node_id_of_another_township_is_refused_and_audited(client, org, town_admin, villager):
    client.force_login(town_admin)
    before = _state()
    response = client.post(
        reverse("accounts:user_grant", args=[villager.pk]),
        {"role": Role.VILLAGE_COMMITTEE, "node": f"village:{org.foreign.pk}"},
    )
    assert response.status_code == 200
    assert "只能在本人管理的镇街范围内授予角色。" in response.content.decode()
    response = client.post(
        reverse("accounts:user_grant", args=[villager.pk]),
        {"role": Role.CITY_OFFICE, "node": f"region:{org.city.pk}"},
    )
    assert "“市清廉村居办”只能由系统管理员授予。" in response.content.decode()
    assert _state() == before
    assert [r.actor for r in _failures("membership.grant")] == [town_admin, town_admin]


@pytest.mark.django_db
def test_forged_user_id_of_another_township_answers_404_and_is_audited(client, org, town_admin):
    neighbour = user_with_role(Role.VILLAGE_COMMITTEE, org.foreign, username="beicun")
    client.force_login(town_admin)
    before = _state()
    for name in ("accounts:user_active", "accounts:user_password_reset"):
        assert client.post(reverse(name, args=[neighbour.pk])).status_code == 404
    assert client.post(reverse("accounts:user_grant", args=[neighbour.pk])).status_code == 404
    membership = neighbour.memberships.get()
    assert client.post(reverse("accounts:membership_revoke", args=[membership.pk])).status_code == 404
    assert _state() == before
    assert AuditEvent.objects.filter(action="access.denied", actor=town_admin).count() == 4


@pytest.mark.django_db
def test_editing_own_roles_through_the_page_is_refused(client, org, town_admin):
    client.force_login(town_admin)
    membership = town_admin.memberships.get()
    response = client.post(reverse("accounts:membership_revoke", args=[membership.pk]), follow=True)
    assert "不能修改自己的角色授权。" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert _failures("membership.revoke")[0].actor == town_admin


@pytest.mark.django_db
def test_grant_page_grants_inside_the_township(client, org, town_admin, villager):
    client.force_login(town_admin)
    page = client.get(reverse("accounts:user_grant", args=[villager.pk])).content.decode()
    assert f"village:{org.sibling.pk}" in page and f"village:{org.foreign.pk}" not in page
    assert Role.CITY_OFFICE.label not in page
    response = client.post(
        reverse("accounts:user_grant", args=[villager.pk]),
        {"role": Role.VILLAGE_SUPERVISOR, "node": f"village:{org.sibling.pk}"},
    )
    assert response.status_code == 302
    assert villager.memberships.filter(role=Role.VILLAGE_SUPERVISOR, village=org.sibling).exists()


@pytest.mark.django_db
def test_disable_from_the_page_ends_sessions_and_enable_restores(client, org, town_admin, villager):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.test import Client

    theirs = Client()
    theirs.force_login(villager)
    assert theirs.get("/").status_code == 200
    client.force_login(town_admin)
    client.post(reverse("accounts:user_active", args=[villager.pk]), {"active": "0"})
    villager.refresh_from_db()
    assert villager.is_active is False
    # the session is gone from the database and from the cache that sessions are read from
    key = theirs.session.session_key
    assert not Session.objects.filter(session_key=key).exists()
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(key)
    assert theirs.get("/").status_code == 302
    client.post(reverse("accounts:user_active", args=[villager.pk]), {"active": "1"})
    villager.refresh_from_db()
    assert villager.is_active is True


@pytest.mark.django_db
def test_buttons_are_shown_only_when_allowed(client, org, town_admin, villager):
    leader = user_with_role(Role.TOWNSHIP_LEADER, org.town, username="leader")
    client.force_login(leader)
    page = client.get(reverse("accounts:user_detail", args=[villager.pk])).content.decode()
    assert "重置密码" not in page and "授予角色" not in page
    assert "新建用户" not in client.get(reverse("accounts:user_list")).content.decode()
    client.force_login(town_admin)
    page = client.get(reverse("accounts:user_detail", args=[villager.pk])).content.decode()
    assert "重置密码" in page and "授予角色" in page and "撤销" in page
    own = client.get(reverse("accounts:user_detail", args=[town_admin.pk])).content.decode()
    assert "授予角色" not in own and "撤销</button>" not in own


@pytest.mark.django_db
def test_filters_and_excel_export(client, org, town_admin, villager):
    user_with_role(Role.UNIT_STAFF, org.unit, username="jingguan", full_name="=HYPERLINK(1)")
    user_with_role(Role.VILLAGE_COMMITTEE, org.sibling, username="xicun", is_active=False)
    UserFactory(username="outsider")
    client.force_login(town_admin)

    def names(**params):
        page = client.get(reverse("accounts:user_list"), params)
        return [u.username for u in page.context["page_obj"]]

    assert names() == ["dongcun", "jingguan", "jiwei", "xicun"]
    assert names(village=org.village.pk) == ["dongcun"]
    assert names(unit=org.unit.pk) == ["jingguan"]
    assert names(role=Role.TOWNSHIP_REVIEWER) == ["jiwei"]
    assert names(state="inactive") == ["xicun"]
    assert names(state="active", q="1380000") == ["dongcun"]
    response = client.get(reverse("accounts:user_export"), {"state": "active"})
    assert response["Content-Disposition"].startswith('attachment; filename="users.xlsx"')
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("登录名", "姓名", "手机号", "角色及组织节点", "状态", "最近登录")
    assert [r[0] for r in rows[1:]] == ["dongcun", "jingguan", "jiwei"]
    assert rows[1][3] == "村两委成员（东村）" and rows[1][4] == "启用"
    formula_cell = ws.cell(3, 2)
    assert (
        formula_cell.value == "=HYPERLINK(1)" and formula_cell.data_type == "s" and formula_cell.quotePrefix
    )


# ---- a new township and its administrator ----------------------------------------------------------


@pytest.mark.django_db
def test_the_city_office_creates_a_township_and_names_its_administrator(client, org):
    from villages.models import Township

    city = user_with_role(Role.CITY_OFFICE, org.city, username="city")
    client.force_login(city)
    assert "新建镇街" in client.get(reverse("accounts:user_list")).content.decode()
    response = client.post(
        reverse("accounts:township_create"),
        {
            "region": org.city.pk,
            "name": "丁镇",
            "kind": Township.Kind.TOWN,
            "admin_full_name": "丁镇纪委",
            "admin_phone": "13600000006",
        },
    )
    assert response.status_code == 200
    town = Township.objects.get(name="丁镇")
    assert town.region == org.city
    admin = User.objects.get(phone="13600000006")
    assert admin.check_password(response.context["password"]) and admin.must_change_password
    assert list(admin.memberships.values_list("role", "township_id")) == [(Role.TOWNSHIP_REVIEWER, town.pk)]
    actions = AuditEvent.objects.filter(actor=city).exclude(action="auth.login").order_by("id")
    actions = actions.values_list("action", flat=True)
    assert list(actions) == ["township.create", "user.create", "membership.grant"]
    # the new administrator manages its own township only
    assert set(users_managed_by(admin)) == {admin}


@pytest.mark.django_db
def test_a_township_admin_cannot_create_townships(client, org, town_admin):
    from villages.models import Township
    from villages.services import township_create

    client.force_login(town_admin)
    assert "新建镇街" not in client.get(reverse("accounts:user_list")).content.decode()
    assert client.get(reverse("accounts:township_create")).status_code == 404
    with pytest.raises(NotPermittedError, match="只能在本人所在的市（县、区）新建镇街。"):
        township_create(region=org.city, name="戊镇", actor=town_admin)
    assert not Township.objects.filter(name="戊镇").exists()
    assert _failures("township.create")[0].actor == town_admin
    # nor does the city office in another region
    city = user_with_role(Role.CITY_OFFICE, org.city, username="city")
    with pytest.raises(NotPermittedError):
        township_create(region=org.other_city, name="戊镇", actor=city)


# ---- a new 市（县、区） (the system administrator only) ----------------------------------------------


@pytest.mark.django_db
def test_the_system_administrator_creates_a_region_from_the_township_page(client, org):
    from villages.models import Region

    admin = user_with_role(Role.ADMIN, None, username="sysadmin")
    client.force_login(admin)
    assert (
        reverse("accounts:region_create") in client.get(reverse("accounts:township_create")).content.decode()
    )
    response = client.post(reverse("accounts:region_create"), {"name": "临猗县", "kind": Region.Kind.COUNTY})
    assert response.status_code == 302 and response.url == reverse("accounts:township_create")
    region = Region.objects.get(name="临猗县")
    assert region.kind == Region.Kind.COUNTY
    event = AuditEvent.objects.get(action="region.create")
    assert (event.actor, event.result) == (admin, AuditEvent.Result.SUCCESS)
    # a second one of the same name is refused with a sentence on the form
    response = client.post(reverse("accounts:region_create"), {"name": "临猗县", "kind": Region.Kind.CITY})
    assert response.status_code == 200 and "已有名为“临猗县”的市（县、区）。" in response.content.decode()


@pytest.mark.django_db
def test_only_the_system_administrator_creates_regions(client, org, town_admin):
    from villages.models import Region
    from villages.services import region_create

    city = user_with_role(Role.CITY_OFFICE, org.city, username="city")
    client.force_login(city)
    page = client.get(reverse("accounts:township_create")).content.decode()
    assert reverse("accounts:region_create") not in page
    for user in (city, town_admin):
        client.force_login(user)
        assert client.get(reverse("accounts:region_create")).status_code == 404
        with pytest.raises(NotPermittedError, match="只有系统管理员可以新建市（县、区）。"):
            region_create(name="庚市", actor=user)
    assert not Region.objects.filter(name="庚市").exists()
    assert [e.actor for e in _failures("region.create")] == [city, town_admin]
