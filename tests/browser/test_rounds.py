"""A 中期评估 round created from the campaign pages in Chromium at 1366×900, beside the year's annual
round (the cycle fixture's 甲镇 2024): the kind chosen, one village left out, the round's own target;
the round's page and the campaign list show it apart. Screenshots: test-artifacts/rounds-*.png."""

import pytest

from assessments.models import Campaign
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD
from villages.models import AnnualTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_creates_a_midterm_round_from_the_campaign_page(live_server, page, shot, cycle):
    login(page, live_server, cycle.reviewer.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/assessments/")
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="新建测评").click()
    page.wait_for_load_state("networkidle")
    page.fill("#id_year", "2024")
    page.select_option("#id_kind", "midterm")
    page.get_by_label("南村").uncheck()
    page.select_option("#id_target-mode", "share")
    page.fill("#id_target-share_percent", "40")
    shot(page, "rounds-create")
    page.get_by_role("button", name="创建测评").click()
    page.wait_for_load_state("networkidle")

    heading = page.locator("h1").inner_text()
    assert "甲镇2024年度“清廉村居”中期评估" in heading
    assert page.locator("#round-kind").inner_text() == "中期评估"
    assert "2024年度中期评估目标" in page.content()
    shot(page, "rounds-detail")
    midterm = Campaign.objects.get(township=cycle.org.town, year=2024, kind="midterm")
    assert sorted(midterm.assessments.values_list("village__name", flat=True)) == ["东村", "西村"]
    assert AnnualTarget.objects.get(township=cycle.org.town, year=2024, kind="midterm").share_percent == 40
    # the annual round of the year is still there, and the list tells the two apart
    page.goto(f"{live_server.url}/assessments/")
    page.wait_for_load_state("networkidle")
    rows = page.locator("tbody tr").all_inner_texts()
    assert any("中期评估" in r and "甲镇2024年度“清廉村居”中期评估" in r for r in rows)
    assert any("年度测评" in r and "甲镇2024年度“清廉村居”测评" in r for r in rows)
