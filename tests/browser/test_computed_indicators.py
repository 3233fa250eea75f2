"""The city reviewer opens 甲镇's township review in Chromium at 1366×900: the computed indicators are
filled with the figures behind them; T2.3 认定率 (2 of 3 villages = 66.67 % → 4) is overridden with a
reason, shown as 人工调整, and stays so after 重新计算. Screenshots: test-artifacts/computed-*.png."""

import pytest

from assessments.models import IndicatorScore
from tests.assessments.test_computed_indicators import standards, town_data, township_review  # noqa: F401
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REASON = "西村整改后经市级复核认定为提升村"


def test_city_reviewer_sees_computed_figures_and_overrides_with_a_reason(
    page, live_server, shot, org, request
):
    request.getfixturevalue("town_data")
    campaign, city = request.getfixturevalue("township_review")
    ours = campaign.assessments.get(township=org.town)
    login(page, live_server, city.username, TEST_PASSWORD)

    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/review/")

    card = page.locator("#computed")
    assert card.is_visible()
    t23 = IndicatorScore.objects.get(assessment=ours, indicator__code="T2.3")
    row = page.locator(f"#score-{t23.pk}")
    figures = row.locator(".computed-figures")
    assert "所列等次村数 2 / 参评村数 3 = 66.67%" in figures.inner_text()
    assert "≥ 60% → 4 分" in figures.inner_text()
    assert row.locator(".computed-score").inner_text() == "4"
    shot(page, "computed-review")

    form = row.locator("form.computed-override-form")
    form.locator("input[name=value]").fill("6")
    form.locator("textarea[name=reason]").fill(REASON)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    row = page.locator(f"#score-{t23.pk}")
    override = row.locator(".computed-override")
    assert "人工调整" in override.inner_text() and REASON in override.inner_text()
    assert row.locator(".current-review").inner_text() == "6"

    page.locator("#computed button", has_text="重新计算").click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f"#score-{t23.pk}")
    assert REASON in row.locator(".computed-override").inner_text()
    assert row.locator(".computed-score").inner_text() == "4"
    assert "人工调整" in page.locator("#computed").inner_text()
    shot(page, "computed-override")
    t23.refresh_from_db()
    assert (str(t23.review_score), t23.override_reason) == ("6.00", REASON)
