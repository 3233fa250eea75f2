"""The dashboards on the seeded demo, as demo_city and demo_leader see them at a desktop and a phone width:
the city compares its two 滕州 townships; the township's 2025 has ledgers, tasks and rectifications
(not every unit red, not an empty task chart). Screenshots go to test-artifacts/demo-*.png."""

import pytest

from portal.demo import seed_demo
from tests.browser.conftest import login
from villages.models import Township

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Demo-Dashboards-2025"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _chart_texts(page):
    page.wait_for_selector(".ql-chart[data-rendered='1'] svg")
    return page.eval_on_selector_all(".ql-chart svg text", "els => els.map(e => e.textContent)")


def _watch(page):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # failed loads are checked by URL (the browser's own favicon request is no error of ours)
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
    return errors


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_demo_dashboards_compare_two_townships_and_show_every_years_ledgers_and_tasks(
    live_server, page, shot, size
):
    seed_demo(password=PASSWORD)
    baogou = Township.objects.get(name="鲍沟镇")
    page.set_viewport_size(SIZES[size])
    errors = _watch(page)

    login(page, live_server, "demo_city", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/city/{baogou.region_id}/2025/")
    texts = _chart_texts(page)
    assert any("鲍沟镇" in t for t in texts) and any("羊庄镇" in t for t in texts)
    shot(page, f"demo-dashboard-city-{size}")

    page.context.clear_cookies()
    login(page, live_server, "demo_leader", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/township/{baogou.pk}/2025/")
    texts = _chart_texts(page)
    for label in ("按时", "逾期", "未报", "已完成", "长期推进", "未整改", "已销号", "示范村"):
        assert any(label in t for t in texts), label
    shot(page, f"demo-dashboard-township-{size}")
    assert not errors, errors
