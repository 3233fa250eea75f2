"""Task-oriented homes in a browser (issue 12): the village's result on a phone after grading, the
监委会 member's 待您签署 jumping to the signing block, and the leader's dashboard headline. Screenshots
in test-artifacts/."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Assessment, Campaign, Signoff
from tests.assessments.conftest import fill_self
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone(browser):
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
        device_scale_factor=2, is_mobile=True, has_touch=True,
    )  # fmt: skip
    return context, context.new_page()


def test_the_village_home_on_a_phone_shows_its_result_after_grading(live_server, browser, shot, cycle):
    a = cycle.a["东村"]
    Assessment.objects.filter(pk=a.pk).update(
        status=Assessment.Status.CONFIRMED, final_grade="DABIAO", final_score=Decimal("86.5"),
        self_total=Decimal("92"),
    )  # fmt: skip
    Campaign.objects.filter(pk=cycle.campaign.pk).update(grades_confirmed_at=timezone.now())
    context, page = phone(browser)
    login(page, live_server, "cw_dong", TEST_PASSWORD)
    result = page.locator(".home-result")
    assert result.locator(".home-figure").inner_text() == "达标村"
    assert "总分 86.5 分（自评 92 分）" in result.inner_text()
    box = result.bounding_box()
    assert box["y"] < 844 and box["x"] >= 0 and box["x"] + box["width"] <= 390  # on the first screen
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot(page, "home-village-result-390x844")
    result.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/assessments/a/{a.pk}/#review-result")
    context.close()


def test_the_supervisor_taps_待您签署_and_lands_on_the_signing_block(live_server, browser, shot, cycle):
    a = cycle.a["东村"]
    fill_self(a, cycle.committee, cycle.supervisor)
    Signoff.objects.filter(assessment=a).delete()
    Campaign.objects.filter(pk=cycle.campaign.pk).update(self_deadline=datetime.date(2099, 6, 25))
    context, page = phone(browser)
    login(page, live_server, "jw_dong", TEST_PASSWORD)
    assert "并在2099年6月25日前对自评结果签署意见。" in page.locator(".role-hint").inner_text()
    sign = page.locator(".home-sign")
    assert sign.locator("h2").inner_text() == "待您签署：东村2024年度自评"
    shot(page, "home-supervisor-sign-390x844")
    sign.locator("a", has_text="去签署").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("#signoff")
    # Bootstrap scrolls smoothly: wait until the signing block has arrived on screen.
    page.wait_for_function(
        "() => { const r = document.getElementById('signoff').getBoundingClientRect();"
        " return r.top >= 0 && r.top < innerHeight; }"
    )
    context.close()


def test_the_leader_sees_the_dashboard_headline_first(live_server, page, shot, cycle):
    login(page, live_server, "leader_jia", TEST_PASSWORD)
    headline = page.locator(".home-headline")
    assert headline.locator("h2").inner_text() == "数据看板 · 甲镇 2024年"
    assert headline.bounding_box()["y"] < 300
    shot(page, "home-leader-1366x900")
    headline.locator("a", has_text="打开完整数据看板").click()
    page.wait_for_load_state("networkidle")
    assert "/dashboard/township/" in page.url
