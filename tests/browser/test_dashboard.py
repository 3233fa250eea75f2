"""Township leadership opens the dashboard: the charts render (SVG with Chinese labels) and a click on
a figure lands on the list of villages behind it."""

import pytest

from accounts.models import Role
from tests.browser.conftest import login
from tests.dashboards.conftest import YEAR, build_township
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_sees_rendered_charts_and_clicks_through_to_a_list(live_server, page, shot, org, standard):
    build_township(org.town, standard, 40, seed=11)
    user_with_role(Role.TOWNSHIP_LEADER, org.town, username="leader_jia")
    errors = []
    # CSP violations and script errors show up as console errors; failed loads are checked by URL
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server, "leader_jia", TEST_PASSWORD)

    page.click("nav >> text=数据看板")
    page.wait_for_url(f"**/dashboard/township/{org.town.pk}/{YEAR}/")
    page.wait_for_selector(".ql-chart[data-rendered='1'] svg")
    charts = page.locator(".ql-chart[data-rendered='1']")
    assert charts.count() == 8
    assert page.locator("h1").first.inner_text() == f"甲镇 {YEAR}年数据看板"
    # Chinese labels rendered as SVG text by ECharts, in the charts themselves (not the page's HTML)
    texts = page.eval_on_selector_all(".ql-chart svg text", "els => els.map(e => e.textContent)")
    for label in ("已定级", "示范村", "班子清廉", "按时", "未整改", "6月"):
        assert any(label in t for t in texts), label
    progress_svg = page.locator("[data-chart='chart-progress'] svg")
    assert progress_svg.locator("path").count() > 10
    assert not errors, errors
    shot(page, "dashboard-township")

    # one bar of the score histogram → the villages in that score band
    bar = page.locator("[data-chart='chart-histogram'] svg path[fill='#6aa84f']").first
    bar.click()
    page.wait_for_url("**/list/?figure=score*")
    assert "得分分布" in page.locator("h1").inner_text()
    rows = page.locator("#figure-list tbody tr[data-village]")
    assert rows.count() == int(page.locator("#row-count").inner_text()) > 0
    shot(page, "dashboard-list")


def test_city_office_sees_its_townships_side_by_side(live_server, page, shot, org, standard):
    build_township(org.town, standard, 25, seed=12, prefix="甲")
    build_township(org.other_town, standard, 18, seed=13, prefix="乙")
    user_with_role(Role.CITY_OFFICE, org.city, username="city_jia")
    login(page, live_server, "city_jia", TEST_PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_url(f"**/dashboard/city/{org.city.pk}/{YEAR}/")
    page.wait_for_selector(".ql-chart[data-rendered='1'] svg")
    assert page.locator(".ql-chart[data-rendered='1']").count() == 9
    texts = page.eval_on_selector_all(".ql-chart svg text", "els => els.map(e => e.textContent)")
    assert any("甲镇" in t for t in texts) and any("乙镇" in t for t in texts)
    shot(page, "dashboard-city")
    page.click("#towns >> text=乙镇")
    page.wait_for_url(f"**/dashboard/township/{org.other_town.pk}/{YEAR}/")
    page.wait_for_selector(".ql-chart[data-rendered='1'] svg")
    assert "返回全市看板" in page.content()
