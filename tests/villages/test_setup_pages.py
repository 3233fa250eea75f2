"""The township's set-up pages: settings (ledger due day, reminder lead times) and the creation-batch
plan. Only ORG_MANAGE at the township opens them; every save is one audit row with old → new values;
refused input writes nothing and says why in Chinese."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from audit.models import AuditEvent
from tests.factories import VillageFactory, user_with_role
from villages.models import AnnualTarget, CreationBatch, Township, Village
from villages.services_setup import creation_plan_save

from .test_views import ALL_ROLES, MANAGERS, login

SANGUAN_PLAN = {
    2022: (["东姚庄村", "李卓村", "新庄村"], "东姚庄村"),
    2023: (["三管村", "师家庄村", "梁家庄村", "陆喜营村", "王家庄村"], "三管村"),
    2024: (["西姚村", "黄家庄村"], "西姚村"),
}


def settings_url(township):
    return reverse("villages:township_settings", args=[township.pk])


def plan_url(township):
    return reverse("villages:township_plan", args=[township.pk])


def settings_post(client, township, due_day, days, loaded=None):
    loaded = loaded or (township.ledger_due_day, township.reminder_days)
    return client.post(
        settings_url(township),
        {
            "ledger_due_day": due_day,
            "reminder_days": days,
            "loaded_ledger_due_day": loaded[0],
            "loaded_reminder_days": loaded[1],
        },
    )


def plan_data(years, benchmarks):
    """POST body: {village: year} and {year: [benchmark villages]} (lists allow forged duplicates)."""
    data = {}
    for village, year in years:
        data.setdefault(f"year_{village.pk}", []).append(str(year))
    for year, village in benchmarks:
        data.setdefault(f"benchmark_{year}", []).append(str(village.pk))
    return data


def reviewer(org, town=None):
    return user_with_role(Role.TOWNSHIP_REVIEWER, town or org.town)


# --- who opens them -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("name", ["township_settings", "township_plan"])
def test_set_up_pages_open_only_for_org_manage_at_that_township(client, org, role, name):
    login(client, org, role)
    for township in (org.town, org.other_town, org.far_town):
        allowed = role in MANAGERS and (role == Role.ADMIN or township == org.town)
        for method in ("get", "post"):
            response = getattr(client, method)(reverse(f"villages:{name}", args=[township.pk]))
            if allowed:
                assert response.status_code in (200, 302), (township.name, method)
            else:
                assert response.status_code == 404, (township.name, method)
    assert not CreationBatch.objects.exists()
    assert set(Township.objects.values_list("ledger_due_day", flat=True)) == {2}


def test_the_township_page_links_the_set_up_pages_for_the_reviewer_only(client, org):
    client.force_login(reviewer(org))
    page = client.get(reverse("villages:township_detail", args=[org.town.pk])).content.decode()
    assert settings_url(org.town) in page
    client.force_login(user_with_role(Role.TOWNSHIP_LEADER, org.town))
    page = client.get(reverse("villages:township_detail", args=[org.town.pk])).content.decode()
    assert settings_url(org.town) not in page and plan_url(org.town) not in page


def test_the_home_page_has_a_set_up_card_for_the_township_reviewer_only(client, org):
    client.force_login(reviewer(org))
    page = client.get(reverse("home")).content.decode()
    assert "镇街设置：甲镇" in page and settings_url(org.town) in page
    client.force_login(user_with_role(Role.TOWNSHIP_LEADER, org.town))
    assert "镇街设置" not in client.get(reverse("home")).content.decode()


def test_the_settings_page_links_the_campaign_deadlines(client, org):
    client.force_login(reviewer(org))
    page = client.get(settings_url(org.town)).content.decode()
    assert reverse("assessments:campaign_list") in page
    assert plan_url(org.town) in page


# --- settings -------------------------------------------------------------------------------------


def test_the_reviewer_saves_the_due_day_and_lead_times_with_one_audit_row(client, org):
    user = reviewer(org)
    client.force_login(user)
    assert client.get(settings_url(org.town)).status_code == 200
    response = settings_post(client, org.town, "5", "10，5、1")
    assert response.status_code == 302
    org.town.refresh_from_db()
    assert (org.town.ledger_due_day, org.town.reminder_days) == (5, "10,5,1")
    assert org.town.reminder_offsets == (10, 5, 1)
    event = AuditEvent.objects.get(action="township.settings")
    assert event.actor == user and event.township_id == org.town.pk
    assert event.detail == {"changes": {"ledger_due_day": [2, 5], "reminder_days": ["7,3,1,0", "10,5,1"]}}
    assert event.message == "修改甲镇镇街设置：台账报送截止日、截止日提醒"
    # saving the same values again writes nothing
    settings_post(client, org.town, "5", "10,5,1")
    assert AuditEvent.objects.filter(action="township.settings").count() == 1


@pytest.mark.parametrize(
    ("due_day", "days", "message"),
    [
        ("0", "7,3,1,0", "台账报送截止日须为 1 到 28 之间的整数。"),
        ("29", "7,3,1,0", "台账报送截止日须为 1 到 28 之间的整数。"),
        ("abc", "7,3,1,0", "台账报送截止日须为 1 到 28 之间的整数。"),
        ("", "7,3,1,0", "台账报送截止日须为 1 到 28 之间的整数。"),
        ("3", "", "请填写提醒提前天数。"),
        ("3", "7,x", "提醒提前天数须为 0 到 30 之间的整数，用逗号分隔，如 7,3,1,0。"),
        ("3", "31", "提醒提前天数须为 0 到 30 之间的整数，用逗号分隔，如 7,3,1,0。"),
        ("3", "-1", "提醒提前天数须为 0 到 30 之间的整数，用逗号分隔，如 7,3,1,0。"),
        ("3", "3,3", "提醒提前天数“3”重复。"),
        ("3", "1,2,3,4,5,6,7", "提醒提前天数最多 6 个。"),
    ],
)
def test_invalid_settings_are_refused_with_the_reason_and_nothing_written(
    client, org, due_day, days, message
):
    client.force_login(reviewer(org))
    response = settings_post(client, org.town, due_day, days)
    assert response.status_code == 200
    assert response.context["error"] == message
    assert message in response.content.decode()
    org.town.refresh_from_db()
    assert (org.town.ledger_due_day, org.town.reminder_days) == (2, "7,3,1,0")
    assert not AuditEvent.objects.filter(action="township.settings").exists()


def test_a_concurrent_change_is_refused_and_the_latest_values_are_shown(client, org):
    client.force_login(reviewer(org))
    loaded = (org.town.ledger_due_day, org.town.reminder_days)
    Township.objects.filter(pk=org.town.pk).update(ledger_due_day=9)  # someone else saved meanwhile
    response = settings_post(client, org.town, "5", "7,3,1,0", loaded=loaded)
    assert response.status_code == 200
    assert (
        response.context["error"] == "镇街设置已被他人修改，您的修改未保存。请核对下方的最新设置后重新保存。"
    )
    assert response.context["values"]["ledger_due_day"] == 9
    assert Township.objects.get(pk=org.town.pk).ledger_due_day == 9
    assert not AuditEvent.objects.filter(action="township.settings").exists()


# --- creation-batch plan --------------------------------------------------------------------------


def sanguan(org):
    town = Township.objects.create(region=org.city, name="三管镇")
    villages = {}
    for i, name in enumerate(n for year in sorted(SANGUAN_PLAN) for n in SANGUAN_PLAN[year][0]):
        villages[name] = VillageFactory(township=town, name=name, sort_order=i)
    for year, share in ((2022, 30), (2023, 80), (2024, 100)):
        AnnualTarget.objects.create(township=town, year=year, mode="share", share_percent=share)
    return town, villages


def test_the_sanguan_plan_3_5_2_is_entered_through_the_page_and_read_back(client, org):
    town, villages = sanguan(org)
    user = reviewer(org, town)
    client.force_login(user)
    page = client.get(plan_url(town))
    assert page.status_code == 200
    assert page.context["years"] == [2022, 2023, 2024]  # the targets' years
    data = plan_data(
        [(villages[n], year) for year, (names, _) in SANGUAN_PLAN.items() for n in names],
        [(year, villages[b]) for year, (_, b) in SANGUAN_PLAN.items()],
    )
    response = client.post(plan_url(town), data)
    assert response.status_code == 302
    stored = {}
    for b in CreationBatch.objects.filter(township=town).select_related("village"):
        stored.setdefault(b.year, [[], None])[0].append(b.village.name)
        if b.is_benchmark:
            assert stored[b.year][1] is None
            stored[b.year][1] = b.village.name
    assert {y: (sorted(n), b) for y, (n, b) in stored.items()} == {
        y: (sorted(n), b) for y, (n, b) in SANGUAN_PLAN.items()
    }
    event = AuditEvent.objects.get(action="township.batch_plan")
    assert event.actor == user and event.township_id == town.pk
    assert event.detail["old"] == {}
    assert event.detail["new"] == {
        str(y): {"villages": names, "benchmark": b} for y, (names, b) in SANGUAN_PLAN.items()
    }
    assert event.message == "修改三管镇创建批次计划：2022年 3 个；2023年 5 个；2024年 2 个"

    # read back: the page shows the plan with the counts against the share targets
    page = client.get(response.url)
    summaries = {
        s["year"]: (s["count"], s["cumulative"], s["wanted"], s["met"]) for s in page.context["summaries"]
    }
    assert summaries == {2022: (3, 3, 3, True), 2023: (5, 8, 8, True), 2024: (2, 10, 10, True)}
    rows = {r["village"].name: (r["year"], r["benchmark"]) for r in page.context["rows"]}
    assert rows["东姚庄村"] == (2022, True) and rows["王家庄村"] == (2023, False)
    html = page.content.decode()
    assert "目标 30%（3 个）已满足" in html
    detail = client.get(reverse("villages:township_detail", args=[town.pk])).content.decode()
    assert detail.count("标杆村</span>") == 3

    # a change (黄家庄村 moved to 2023) is one more audit row with old → new
    data[f"year_{villages['黄家庄村'].pk}"] = ["2023"]
    assert client.post(plan_url(town), data).status_code == 302
    event = AuditEvent.objects.filter(action="township.batch_plan").latest("id")
    assert event.detail["old"]["2024"]["villages"] == ["西姚村", "黄家庄村"]
    assert event.detail["new"]["2024"]["villages"] == ["西姚村"]
    assert "黄家庄村" in event.detail["new"]["2023"]["villages"]
    assert CreationBatch.objects.get(village=villages["黄家庄村"]).year == 2023


@pytest.fixture
def planned(org):
    """甲镇 with 东村 as 2024's 标杆村 and 西村 in 2025 (with its 标杆村 南村)."""
    creation_plan_save(
        township=org.town,
        actor=None,
        years=[(org.village.pk, 2024), (org.sibling.pk, 2025), (org.cousin.pk, 2025)],
        benchmarks=[(org.village.pk, 2024), (org.cousin.pk, 2025)],
    )
    return org


def _plan_state(town):
    return sorted(
        CreationBatch.objects.filter(township=town).values_list("village__name", "year", "is_benchmark")
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("two_benchmarks", "2024年只能有一个标杆村（现选了东村、西村）。"),
        ("no_benchmark", "2026年的创建批次须指定一个标杆村。"),
        ("foreign_village", "所选村（社区）不属于本镇街，请刷新页面后重试。"),
        ("foreign_benchmark", "所选村（社区）不属于本镇街，请刷新页面后重试。"),
        ("two_batches", "“西村”只能列入一个年度的创建批次。"),
        ("benchmark_elsewhere", "标杆村“西村”须列入2024年的创建批次。"),
        ("year_too_early", "计划完成年度须在 2015 到"),
        ("year_not_a_number", "计划完成年度须在 2015 到"),
    ],
)
def test_an_invalid_plan_is_refused_with_the_reason_and_nothing_written(client, planned, case, message):
    org = planned
    before = _plan_state(org.town)
    client.force_login(reviewer(org))
    v, s, c, f = org.village, org.sibling, org.cousin, org.foreign
    years = [(v, 2024), (s, 2024), (c, 2025)]
    benchmarks = [(2024, v), (2025, c)]
    if case == "two_benchmarks":
        benchmarks.append((2024, s))
    elif case == "no_benchmark":
        years.append((s, 2026))
        years.remove((s, 2024))
    elif case == "foreign_village":
        years.append((f, 2024))
    elif case == "foreign_benchmark":
        benchmarks = [(2024, f), (2025, c)]
    elif case == "two_batches":
        years.append((s, 2025))
    elif case == "benchmark_elsewhere":
        years = [(v, 2024), (s, 2025), (c, 2025)]
        benchmarks = [(2024, s), (2025, c)]
    data = plan_data(years, benchmarks)
    if case == "year_too_early":
        data[f"year_{s.pk}"] = ["1999"]
    elif case == "year_not_a_number":
        data[f"year_{s.pk}"] = ["二〇二四"]
    response = client.post(plan_url(org.town), data)
    assert response.status_code == 200
    assert response.context["error"].startswith(message)
    assert response.context["error"] in response.content.decode()
    assert _plan_state(org.town) == before
    assert AuditEvent.objects.filter(action="township.batch_plan").count() == 1  # the fixture's
    Village.objects.get(pk=org.foreign.pk)  # untouched


def test_an_empty_plan_clears_the_batches_with_an_audit_row(client, planned):
    org = planned
    client.force_login(reviewer(org))
    assert client.post(plan_url(org.town), {}).status_code == 302
    assert not CreationBatch.objects.filter(township=org.town).exists()
    event = AuditEvent.objects.filter(action="township.batch_plan").latest("id")
    assert event.detail["new"] == {} and set(event.detail["old"]) == {"2024", "2025"}
    assert event.message == "修改甲镇创建批次计划：清空"


def test_the_plan_page_shows_every_planned_year_and_can_widen(client, planned):
    org = planned
    client.force_login(reviewer(org))
    page = client.get(plan_url(org.town))
    assert page.context["years"] == [2024, 2025]
    assert client.get(plan_url(org.town) + "?from=2022&to=2027").context["years"] == list(range(2022, 2028))
    assert client.get(plan_url(org.town) + "?from=1900").context["years"] == [2024, 2025]


def test_the_admin_form_refuses_bad_lead_times_with_the_same_message(org):
    org.town.reminder_days = "3,3"
    with pytest.raises(ValidationError) as refused:
        org.town.full_clean()
    assert refused.value.message_dict == {"reminder_days": ["提醒提前天数“3”重复。"]}
    Township.objects.filter(pk=org.town.pk).update(reminder_days="garbled")
    org.town.refresh_from_db()
    assert org.town.reminder_offsets == (7, 3, 1, 0)  # a stored value that no longer parses: the default
