"""Standards pages: scope (404 outside), capabilities, import/copy/edit/export through the web."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from assessments.models import Campaign
from audit.models import AuditEvent
from indices.models import IndexStandard
from indices.permissions import can_manage_standard
from indices.selectors import standard_list_for_user
from indices.services import standard_import
from tests.factories import user_with_role

from .conftest import TOWNSHIP, VILLAGE, dump, nothing_written, row_counts, sample


def _std(code, *, region=None, township=None, version="2024-1"):
    data = sample()
    data["meta"]["code"] = code
    data["meta"]["name"] = f"标准{code}"
    data["meta"]["version"] = version
    return standard_import(source=dump(data), fmt="yaml", actor=None, region=region, township=township)


@pytest.fixture
def stds(org):
    class S:
        glob = _std("G")
        city = _std("CITY", region=org.city)
        far = _std("FAR", region=org.other_city)
        local = _std("LOCAL", township=org.town)
        other_local = _std("OTHER", township=org.other_town)

    return S


def _visible(user):
    return set(standard_list_for_user(user).values_list("code", flat=True))


@pytest.mark.parametrize(
    ("role", "node", "expected"),
    [
        (Role.ADMIN, None, {"G", "CITY", "FAR", "LOCAL", "OTHER"}),
        (Role.CITY_OFFICE, "city", {"G", "CITY", "LOCAL", "OTHER"}),
        (Role.TOWNSHIP_REVIEWER, "town", {"G", "CITY", "LOCAL"}),
        (Role.TOWNSHIP_LEADER, "other_town", {"G", "CITY", "OTHER"}),
        (Role.BRANCH_SECRETARY, "branch", {"G", "CITY", "LOCAL"}),
        (Role.VILLAGE_COMMITTEE, "village", {"G", "CITY", "LOCAL"}),
        (Role.VILLAGE_SUPERVISOR, "foreign", {"G", "CITY", "OTHER"}),
        (Role.UNIT_STAFF, "unit", {"G", "CITY", "LOCAL"}),
        (Role.TOWNSHIP_REVIEWER, "far_town", {"G", "FAR"}),
    ],
)
def test_each_role_sees_global_its_region_and_its_township_standards(org, stds, role, node, expected):
    user = user_with_role(role, getattr(org, node) if node else None)

    assert _visible(user) == expected


def test_a_user_without_memberships_sees_only_global_standards(org, stds):
    from tests.factories import UserFactory

    assert _visible(UserFactory()) == {"G"}


@pytest.mark.parametrize(
    ("role", "node", "manageable"),
    [
        (Role.ADMIN, None, {"G", "CITY", "FAR", "LOCAL", "OTHER"}),
        (Role.CITY_OFFICE, "city", {"CITY", "LOCAL", "OTHER"}),
        (Role.TOWNSHIP_REVIEWER, "town", {"LOCAL"}),
        (Role.TOWNSHIP_LEADER, "town", set()),
        (Role.VILLAGE_COMMITTEE, "village", set()),
    ],
)
def test_manage_rights_follow_role_and_owner(org, stds, role, node, manageable):
    user = user_with_role(role, getattr(org, node) if node else None)

    got = {s.code for s in IndexStandard.objects.all() if can_manage_standard(user, s)}

    assert got == manageable


def test_list_shows_only_standards_in_scope_with_badges(client, org, stds):
    Campaign.objects.create(
        township=org.town, region=org.city, year=2024, standard=stds.local, name="2024年测评"
    )
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, org.village))

    response = client.get(reverse("indices:standard_list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "标准CITY" in body and "标准LOCAL" in body and "标准G" in body
    assert "标准FAR" not in body and "标准OTHER" not in body
    assert "使用中" in body
    assert "导入标准" not in body


def test_list_filters_by_year_level_and_search(client, org, stds):
    standard_import(source=TOWNSHIP.read_bytes(), fmt="yaml", actor=None, region=org.city)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    url = reverse("indices:standard_list")

    township_only = client.get(url, {"level": "township"}).context["page_obj"].object_list
    searched = (
        client.get(url, {"q": "LOCAL", "year": "2024", "sort": "-name"}).context["page_obj"].object_list
    )

    assert [s.code for s in township_only] == ["QLCJ-TOWNSHIP"]
    assert [s.code for s in searched] == ["LOCAL"]
    assert client.get(url, {"year": "2030"}).context["page_obj"].paginator.count == 0


def test_detail_in_scope_shows_the_tree_and_out_of_scope_is_404(client, org, stds):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))

    ok = client.get(reverse("indices:standard_detail", args=[stds.city.pk]))
    other = client.get(reverse("indices:standard_detail", args=[stds.other_local.pk]))
    far = client.get(reverse("indices:standard_detail", args=[stds.far.pk]))
    missing = client.get(reverse("indices:standard_detail", args=[999999]))

    assert ok.status_code == 200
    body = ok.content.decode()
    expected = [
        "班子清廉",
        "政治学习与“第一议题”",
        "扣 0.5 分/月",
        "经验做法被上级推广或刊发",
        "加分总上限 5 分",
        "扣分上限 10 分",
        "force_grade_CUJIN",
        "近两年",
        "促进村",
        "认定为清廉村居",
        "基础分合计",
    ]
    for text in expected:
        assert text in body, text
    assert (other.status_code, far.status_code, missing.status_code) == (404, 404, 404)


def test_detail_query_count_does_not_grow_with_the_number_of_indicators(client, org):
    def synthetic(code, n):
        rules = [{"condition": "缺", "points": 1}, {"condition": "漏", "points": 1, "per": "次"}]
        indicators = [
            {
                "code": f"I{i}",
                "name": f"指标{i}",
                "max_score": 100 // n,
                "scoring_method": "deduction",
                "deductions": [dict(r) for r in rules],
            }
            for i in range(n)
        ]
        data = {
            "meta": {
                "code": code,
                "name": code,
                "level": "village",
                "version": "2024-1",
                "total_base_score": 100,
            },
            "grades": [
                {"code": "A", "name": "合格", "min_score": 60},
                {"code": "B", "name": "不合格", "min_score": 0},
            ],
            "dimensions": [{"code": "D1", "name": "维度", "max_score": 100, "indicators": indicators}],
        }
        return standard_import(source=dump(data), fmt="yaml", actor=None, region=org.city)

    small, large = synthetic("SMALL", 4), synthetic("LARGE", 50)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    client.get(reverse("indices:standard_detail", args=[small.pk]))  # warm the session

    counts = []
    for std in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("indices:standard_detail", args=[std.pk])).status_code == 200
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]


def test_detail_page_stays_within_its_query_budget(client, org, django_assert_max_num_queries):
    std = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None, region=org.city)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    client.get(reverse("indices:standard_detail", args=[std.pk]))

    with django_assert_max_num_queries(15):
        client.get(reverse("indices:standard_detail", args=[std.pk]))


@pytest.mark.parametrize(
    ("role", "node"),
    [(Role.VILLAGE_COMMITTEE, "village"), (Role.TOWNSHIP_LEADER, "town"), (Role.UNIT_STAFF, "unit")],
)
def test_import_page_refuses_roles_without_standards_manage_with_404(client, org, role, node):
    client.force_login(user_with_role(role, getattr(org, node)))

    assert client.get(reverse("indices:standard_import")).status_code == 404
    response = client.post(reverse("indices:standard_import"), {"file": io.BytesIO(VILLAGE.read_bytes())})
    assert response.status_code == 404
    assert nothing_written()


def _upload(content, name="standard.yaml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_city_office_imports_a_yaml_file_for_its_region(client, org):
    user = user_with_role(Role.CITY_OFFICE, org.city)
    client.force_login(user)

    response = client.post(
        reverse("indices:standard_import"),
        {"file": _upload(VILLAGE.read_bytes()), "target": f"r:{org.city.pk}"},
    )

    std = IndexStandard.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("indices:standard_detail", args=[std.pk])
    assert (std.region, std.township, std.created_by) == (org.city, None, user)
    assert AuditEvent.objects.get(action="standard.import").actor == user


def test_import_page_lists_every_problem_and_keeps_nothing(client, org):
    data = sample()
    data["meta"]["total_base_score"] = 95
    data["grades"][3]["min_score"] = 10
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))

    response = client.post(
        reverse("indices:standard_import"), {"file": _upload(dump(data)), "target": f"t:{org.town.pk}"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "未导入：发现 2 个问题。" in body
    assert "各维度分值合计 100 与基础分满分 95 不符" in body
    assert "没有最低分为 0 的等次" in body
    assert nothing_written()


def test_reviewer_cannot_import_for_the_city_or_another_township(client, org):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))

    for target in (f"r:{org.city.pk}", f"t:{org.other_town.pk}", "global"):
        response = client.post(
            reverse("indices:standard_import"), {"file": _upload(VILLAGE.read_bytes()), "target": target}
        )
        assert response.status_code == 200
        assert "target" in response.context["form"].errors
    assert nothing_written()


def test_import_page_refuses_other_file_types(client, org):
    client.force_login(user_with_role(Role.ADMIN))

    response = client.post(
        reverse("indices:standard_import"), {"file": _upload(b"a,b", name="standard.csv"), "target": "global"}
    )

    assert response.context["form"].errors["file"] == ["仅支持 YAML（.yaml、.yml）或 Excel（.xlsx）文件"]
    assert nothing_written()


def test_export_downloads_an_xlsx_with_an_rfc6266_filename(client, org, stds):
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, org.village))

    response = client.get(reverse("indices:standard_export", args=[stds.city.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"CITY-2024-2024-1.xlsx\"; filename*=UTF-8''")
    assert "%E6%A0%87%E5%87%86CITY-2024-2024-1.xlsx" in disposition  # 标准CITY-2024-2024-1.xlsx
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "基本信息"
    assert client.get(reverse("indices:standard_export", args=[stds.far.pk])).status_code == 404


def test_copy_page_asks_for_confirmation_and_creates_a_new_draft(client, org, stds):
    Campaign.objects.create(
        township=org.town, region=org.city, year=2024, standard=stds.city, name="2024年测评"
    )
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    url = reverse("indices:standard_copy", args=[stds.city.pk])

    page = client.get(url)
    response = client.post(url, {"new_version": "2025-1", "year": 2025, "target": f"r:{org.city.pk}"})

    assert 'data-confirm="确定以《标准CITY》2024-1 为基础新建版本吗？"' in page.content.decode()
    copy = IndexStandard.objects.get(code="CITY", version="2025-1")
    assert response.status_code == 302
    assert (copy.year, copy.status, copy.derived_from_id, copy.region) == (
        2025,
        "draft",
        stds.city.pk,
        org.city,
    )


def test_a_reviewer_copies_the_city_standard_as_a_local_version(client, org, stds):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))

    client.post(
        reverse("indices:standard_copy", args=[stds.city.pk]),
        {"new_version": "local-2025", "year": 2025, "target": f"t:{org.town.pk}"},
    )

    copy = IndexStandard.objects.get(version="local-2025")
    assert (copy.township, copy.region) == (org.town, org.city)


def test_copy_and_edit_are_404_for_roles_without_manage_and_out_of_scope(client, org, stds):
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, org.village))
    assert client.get(reverse("indices:standard_copy", args=[stds.city.pk])).status_code == 404
    assert client.get(reverse("indices:standard_edit", args=[stds.city.pk])).status_code == 404

    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    assert client.get(reverse("indices:standard_edit", args=[stds.city.pk])).status_code == 404
    assert client.get(reverse("indices:standard_edit", args=[stds.other_local.pk])).status_code == 404
    assert client.get(reverse("indices:standard_copy", args=[stds.far.pk])).status_code == 404
    assert client.get(reverse("indices:standard_edit", args=[stds.local.pk])).status_code == 200


def test_edit_saves_name_status_and_notes(client, org, stds):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))

    response = client.post(
        reverse("indices:standard_edit", args=[stds.local.pk]),
        {"name": "本镇标准", "status": "published", "notes": "试行"},
    )

    stds.local.refresh_from_db()
    assert response.status_code == 302
    assert (stds.local.name, stds.local.status, stds.local.notes) == ("本镇标准", "published", "试行")


def test_edit_of_a_used_standard_shows_the_lock_and_offers_a_copy(client, org, stds):
    Campaign.objects.create(
        township=org.town, region=org.city, year=2024, standard=stds.local, name="2024年测评"
    )
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    url = reverse("indices:standard_edit", args=[stds.local.pk])

    page = client.get(url)
    response = client.post(url, {"name": "改名", "status": "published", "notes": ""})

    for r in (page, response):
        body = r.content.decode()
        assert "《标准LOCAL》（2024-1）已被测评使用，不能修改；请“以此为基础新建版本”。" in body
        assert reverse("indices:standard_copy", args=[stds.local.pk]) in body
    stds.local.refresh_from_db()
    assert stds.local.name == "标准LOCAL"


def test_replace_is_post_only_and_rewrites_a_draft(client, org, stds):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    url = reverse("indices:standard_replace", args=[stds.local.pk])
    data = sample()
    data["meta"]["code"] = "LOCAL"
    data["bonus"]["items"] = data["bonus"]["items"][:1]

    assert client.get(url).status_code == 405
    response = client.post(url, {"file": _upload(dump(data))})

    assert response.status_code == 302
    assert stds.local.bonus_items.count() == 1


def test_unsafe_views_need_the_csrf_token(org, stds):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_role(Role.ADMIN))
    before = row_counts()

    response = client.post(
        reverse("indices:standard_copy", args=[stds.city.pk]),
        {"new_version": "2025-1", "year": 2025, "target": f"r:{org.city.pk}"},
    )

    assert response.status_code == 403
    assert row_counts() == before
