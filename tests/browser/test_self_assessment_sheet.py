"""The sheet in a real browser: the live score, save-as-you-go under the CSP, and the conflict message."""

import pytest

from assessments.models import IndicatorScore
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_ticked_rule_is_saved_as_you_go_and_a_conflict_is_shown(live_server, page, cycle):
    east = cycle.a["东村"]
    v11 = east.scores.select_related("indicator").get(indicator__code="V1.1")
    per_month = v11.indicator.rules.get(per="月")
    problems = []
    # Script errors and CSP refusals; the browser also logs the 409 answer itself, which is expected.
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda err: problems.append(str(err)))

    login(page, live_server, cycle.committee.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/assessments/a/{east.pk}/self/")
    block = page.locator(f"#ind-{v11.pk}")
    block.locator(".js-open[data-panel=deduct]").click()  # the block opens collapsed: 有扣分情形
    count = block.locator(f"input[name=count_{per_month.pk}]")
    count.fill("2")
    assert block.locator(".js-computed").inner_text() == "2"  # 3 − 2 × 0.5, before saving
    count.blur()
    block.locator(".js-status", has_text="已保存").wait_for()
    assert block.locator(".js-stored").inner_text() == "2"
    assert page.locator("[data-total=self_total]").inner_text() == "2"
    assert page.locator(f"[data-dim-total='{v11.indicator.dimension_id}']").all_inner_texts() == ["2", "2"]
    v11.refresh_from_db()
    assert (str(v11.self_score), v11.version) == ("2.00", 2)

    # Someone else saves 1 meanwhile: the next save here is refused and both values are shown.
    IndicatorScore.objects.filter(pk=v11.pk).update(self_score=1, version=3)
    count.fill("3")
    count.blur()
    status = block.locator(".js-status", has_text="他人已修改为")
    status.wait_for()
    assert status.inner_text().startswith("他人已修改为 1 分，您的输入为 1.5 分。")
    v11.refresh_from_db()
    assert (str(v11.self_score), v11.version) == ("1.00", 3)
    ARTIFACTS.mkdir(exist_ok=True)
    block.screenshot(path=str(ARTIFACTS / "self-assessment-conflict.png"))
    assert problems == []
