"""Organisation pages: who reaches what (own node 200, anything else 404), and what each page shows."""

from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Role
from audit.models import AuditEvent
from tests.factories import UnitFactory, user_with_role
from villages.models import AnnualTarget, AnnualTargetGrade, CreationBatch, Village, WorkingGroupMember

from .workbooks import build, row_counts, sheets, upload

# Role → the org fixture attribute holding the node it is granted at.
ROLE_NODES = {
    Role.VILLAGE_COMMITTEE: "village",
    Role.VILLAGE_SUPERVISOR: "village",
    Role.BRANCH_SECRETARY: "branch",
    Role.UNIT_STAFF: "unit",
    Role.TOWNSHIP_REVIEWER: "town",
    Role.TOWNSHIP_LEADER: "town",
    Role.CITY_OFFICE: "city",
    Role.ADMIN: None,
}
ALL_ROLES = list(ROLE_NODES)

VISIBLE_VILLAGES = {
    Role.VILLAGE_COMMITTEE: {"东村"},
    Role.VILLAGE_SUPERVISOR: {"东村"},
    Role.BRANCH_SECRETARY: {"东村", "西村"},
    Role.UNIT_STAFF: {"东村", "南村"},
    Role.TOWNSHIP_REVIEWER: {"东村", "西村", "南村"},
    Role.TOWNSHIP_LEADER: {"东村", "西村", "南村"},
    Role.CITY_OFFICE: {"东村", "西村", "南村", "北村"},
    Role.ADMIN: {"东村", "西村", "南村", "北村", "远村"},
}
VISIBLE_TOWNSHIPS = {role: {"甲镇"} for role in ALL_ROLES} | {
    Role.CITY_OFFICE: {"甲镇", "乙镇"},
    Role.ADMIN: {"甲镇", "乙镇", "丙镇"},
}
# None: the role lacks Cap.UNITS_VIEW, so every unit page is a 404.
VISIBLE_UNITS = {
    Role.VILLAGE_COMMITTEE: None,
    Role.VILLAGE_SUPERVISOR: None,
    Role.BRANCH_SECRETARY: None,
    Role.UNIT_STAFF: {"经管站"},
    Role.TOWNSHIP_REVIEWER: {"经管站", "民政科"},
    Role.TOWNSHIP_LEADER: {"经管站", "民政科"},
    Role.CITY_OFFICE: {"经管站", "民政科", "乙镇财政所"},
    Role.ADMIN: {"经管站", "民政科", "乙镇财政所", "丙镇财政所"},
}
MANAGERS = {Role.TOWNSHIP_REVIEWER, Role.ADMIN}


@pytest.fixture
def world(org):
    org.foreign_unit = UnitFactory(township=org.other_town, name="乙镇财政所", phone="0632-5550009")
    org.far_unit = UnitFactory(township=org.far_town, name="丙镇财政所")
    org.unit.phone = "0632-5550001"
    org.unit.areas = ["三资管理"]
    org.unit.save()
    WorkingGroupMember.objects.create(township=org.town, name="岳清风", position="镇长", group_role="leader")
    target = AnnualTarget.objects.create(township=org.town, year=2024, mode="counts", note="全镇目标说明")
    AnnualTargetGrade.objects.create(target=target, grade_code="demo", grade_name="示范村", count=7)
    AnnualTarget.objects.create(township=org.town, year=2025, mode="share", share_percent=80, cumulative=True)
    CreationBatch.objects.create(township=org.town, village=org.village, year=2024, is_benchmark=True)
    CreationBatch.objects.create(township=org.town, village=org.sibling, year=2025)
    return org


def login(client, org, role):
    node = ROLE_NODES[role]
    user = user_with_role(role, getattr(org, node) if node else None)
    client.force_login(user)
    return user


def villages_by_name():
    return {v.name: v for v in Village.objects.all()}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_township_detail_is_reachable_only_within_scope(client, world, role):
    login(client, world, role)
    for township in (world.town, world.other_town, world.far_town):
        response = client.get(reverse("villages:township_detail", args=[township.pk]))
        expected = 200 if township.name in VISIBLE_TOWNSHIPS[role] else 404
        assert response.status_code == expected, township.name


@pytest.mark.parametrize("role", ALL_ROLES)
def test_township_list_shows_townships_in_scope(client, world, role):
    login(client, world, role)
    response = client.get(reverse("villages:township_list"))
    assert response.status_code == 200
    assert {t.name for t in response.context["page_obj"]} == VISIBLE_TOWNSHIPS[role]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_village_list_contains_only_villages_in_scope(client, world, role):
    login(client, world, role)
    response = client.get(reverse("villages:village_list"))
    assert response.status_code == 200
    assert {v.name for v in response.context["page_obj"]} == VISIBLE_VILLAGES[role]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_village_detail_is_reachable_only_within_scope(client, world, role):
    login(client, world, role)
    for name, village in villages_by_name().items():
        response = client.get(reverse("villages:village_detail", args=[village.pk]))
        assert response.status_code == (200 if name in VISIBLE_VILLAGES[role] else 404), name


@pytest.mark.parametrize("role", ALL_ROLES)
def test_unit_list_needs_units_view_and_shows_units_in_scope(client, world, role):
    login(client, world, role)
    response = client.get(reverse("villages:unit_list"))
    if VISIBLE_UNITS[role] is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert {u.name for u in response.context["page_obj"]} == VISIBLE_UNITS[role]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_unit_detail_is_reachable_only_within_scope(client, world, role):
    login(client, world, role)
    visible = VISIBLE_UNITS[role] or set()
    for unit in (world.unit, world.other_unit, world.foreign_unit, world.far_unit):
        response = client.get(reverse("villages:unit_detail", args=[unit.pk]))
        assert response.status_code == (200 if unit.name in visible else 404), unit.name


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("name", ["township_import", "township_export", "township_template"])
def test_import_export_and_template_need_org_manage_in_that_township(client, world, role, name):
    login(client, world, role)
    for township in (world.town, world.other_town):
        response = client.get(reverse(f"villages:{name}", args=[township.pk]))
        allowed = role in MANAGERS and township.name in VISIBLE_TOWNSHIPS[role]
        assert response.status_code == (200 if allowed else 404), township.name


def test_refused_import_page_is_audited(client, world):
    login(client, world, Role.TOWNSHIP_LEADER)
    client.get(reverse("villages:township_import", args=[world.town.pk]))
    event = AuditEvent.objects.get(action="access.denied")
    assert event.result == AuditEvent.Result.FAILURE


def test_village_member_sees_own_village_and_no_units_roster_or_targets(client, world):
    login(client, world, Role.VILLAGE_COMMITTEE)
    page = client.get(reverse("villages:township_detail", args=[world.town.pk])).content.decode()
    assert "东村" in page
    for hidden in ("西村", "南村", "经管站", "0632-5550001", "岳清风", "全镇目标说明", "导入"):
        assert hidden not in page, hidden
    assert "标杆村" in page  # its own village's batch


def test_reviewer_sees_the_whole_township_tree_and_the_manage_buttons(client, world):
    login(client, world, Role.TOWNSHIP_REVIEWER)
    response = client.get(reverse("villages:township_detail", args=[world.town.pk]))
    page = response.content.decode()
    groups = {(b.name if b else None): [v.name for v in vs] for b, vs in response.context["groups"]}
    assert groups == {"第一党总支": ["东村", "西村"], "第二党总支": ["南村"]}
    for shown in (
        "经管站",
        "0632-5550001",
        "三资管理",
        "岳清风",
        "全镇目标说明",
        "示范村 7 个",
        "80%",
        "标杆村",
    ):
        assert shown in page, shown
    for url in ("township_import", "township_export", "township_template"):
        assert reverse(f"villages:{url}", args=[world.town.pk]) in page


def test_leader_sees_the_township_without_manage_buttons(client, world):
    login(client, world, Role.TOWNSHIP_LEADER)
    page = client.get(reverse("villages:township_detail", args=[world.town.pk])).content.decode()
    assert "经管站" in page
    assert reverse("villages:township_import", args=[world.town.pk]) not in page


def test_villages_without_a_branch_are_grouped_as_unassigned(client, world):
    login(client, world, Role.CITY_OFFICE)
    response = client.get(reverse("villages:township_detail", args=[world.other_town.pk]))
    assert [(b, [v.name for v in vs]) for b, vs in response.context["groups"]] == [(None, ["北村"])]
    assert "未划分党总支" in response.content.decode()


def test_unit_staff_sees_its_own_phone_and_villages(client, world):
    login(client, world, Role.UNIT_STAFF)
    response = client.get(reverse("villages:unit_detail", args=[world.unit.pk]))
    assert "0632-5550001" in response.content.decode()
    assert [v.name for v in response.context["villages"]] == ["东村", "南村"]


def test_village_detail_lists_supervising_units_only_for_unit_viewers(client, world):
    login(client, world, Role.TOWNSHIP_REVIEWER)
    response = client.get(reverse("villages:village_detail", args=[world.village.pk]))
    assert [u.name for u in response.context["units"]] == ["经管站"]
    assert response.context["batch"].is_benchmark is True
    client.logout()
    login(client, world, Role.VILLAGE_COMMITTEE)
    response = client.get(reverse("villages:village_detail", args=[world.village.pk]))
    assert response.context["units"] == []


def test_village_list_filters_ignore_ids_out_of_scope(client, world):
    login(client, world, Role.TOWNSHIP_REVIEWER)
    url = reverse("villages:village_list")

    def names(**params):
        return [v.name for v in client.get(url, params).context["page_obj"]]

    assert names(branch=world.other_branch.pk) == ["南村"]
    assert names(township=world.other_town.pk) == []
    assert names(township="abc") == ["东村", "南村", "西村"]
    assert names(q="东") == ["东村"]
    assert names(sort="-name") == sorted(["东村", "西村", "南村"], reverse=True)
    assert names(sort="branch") == ["东村", "西村", "南村"]


def test_village_list_query_count_does_not_grow_with_villages(client, world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import VillageFactory

    login(client, world, Role.CITY_OFFICE)
    client.get("/healthz")  # the session's first stamp (accounts.middleware) is not the page's
    url = reverse("villages:village_list")
    VillageFactory.create_batch(6, township=world.town, branch=world.branch)
    cache.clear()  # both measured with an empty cache: the villages created renewed the cached scopes
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    assert response.context["page_obj"].paginator.count == 10
    Village.objects.bulk_create(
        Village(township=world.town, branch=world.other_branch, name=f"新村{i}") for i in range(190)
    )
    cache.clear()
    with django_assert_num_queries(len(ten.captured_queries)):
        response = client.get(url)
    assert response.context["page_obj"].paginator.count == 200


def test_unit_list_query_count_does_not_grow_with_units(client, world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, world, Role.ADMIN)
    client.get("/healthz")  # the session's first stamp (accounts.middleware) is not the page's
    url = reverse("villages:unit_list")
    cache.clear()  # both measured with an empty cache: the units created renew the cached scopes
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(80):
        UnitFactory(township=world.other_town, name=f"单位{i}").villages.set([world.foreign])
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_import_view_imports_a_valid_file_and_redirects_with_counts(client, world):
    login(client, world, Role.TOWNSHIP_REVIEWER)
    url = reverse("villages:township_import", args=[world.town.pk])

    response = client.post(url, {"file": upload(build(sheets()))}, follow=True)

    assert response.redirect_chain == [(reverse("villages:township_detail", args=[world.town.pk]), 302)]
    texts = [str(m) for m in response.context["messages"]]
    assert texts[0].startswith("导入完成。党总支：新增 2、更新 0、未变 0；村（社区）：新增 4")
    assert texts[1] == "本镇街另有 3 个村（社区）未在文件中，保持不变：东村、南村、西村。"
    assert Village.objects.filter(township=world.town).count() == 7


def test_import_view_shows_every_problem_and_writes_nothing(client, world):
    login(client, world, Role.TOWNSHIP_REVIEWER)
    url = reverse("villages:township_import", args=[world.town.pk])
    bad = sheets()
    bad["村（社区）"][0][1] = "镇"
    bad["责任单位"][1][3] = "电话abc"
    before = row_counts()

    response = client.post(url, {"file": upload(build(bad))})

    assert response.status_code == 200
    page = response.content.decode()
    assert "文件有 2 个问题，未导入任何数据。" in page
    assert "须为“村”或“社区”，而不是“镇”。" in page
    assert "含有无效字符" in page
    assert row_counts() == before


def test_import_view_requires_a_file(client, world):
    login(client, world, Role.TOWNSHIP_REVIEWER)
    response = client.post(reverse("villages:township_import", args=[world.town.pk]), {})
    assert response.status_code == 200
    assert "请选择要导入的文件。" in response.content.decode()


def test_import_post_without_csrf_token_is_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    login(client, world, Role.TOWNSHIP_REVIEWER)
    before = row_counts()
    response = client.post(
        reverse("villages:township_import", args=[world.town.pk]), {"file": upload(build(sheets()))}
    )
    assert response.status_code == 403
    assert row_counts() == before


def test_export_view_downloads_an_attachment_with_a_chinese_file_name(client, world):
    login(client, world, Role.TOWNSHIP_REVIEWER)
    response = client.get(reverse("villages:township_export", args=[world.town.pk]))

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="org-')
    assert f"filename*=UTF-8''{quote('甲镇组织机构')}" in disposition
    assert response["Cache-Control"] == "no-store"
    assert response.content[:2] == b"PK"
    assert AuditEvent.objects.filter(action="org.export", township_id=world.town.pk).count() == 1
