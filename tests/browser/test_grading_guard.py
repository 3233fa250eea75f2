"""确认定级 against the year's target, in Chromium at 1366×900, on the demo township (鲍沟镇, 2025 target
示范 10 / 达标 43 / 提升 13, 促进村 without a number).

Set-up in the database: 66 villages scored so that 28 come out 示范村 (the issue's case), two of them
still drafts at first. The board shows the drafts' grade only as 预估（按自评）; once they are reviewed the
board shows the target broken, the confirmation page lists 目标 / 拟定 / 差额 and refuses to go on
without a reason; with one the grades are confirmed and the reason is on the board and in every
village's history. Screenshots: test-artifacts/grading-*.png.
"""

import datetime
import random

import pytest

from accounts.models import Role
from assessments.demo import _set_scores, _set_state
from assessments.models import Assessment, AssessmentEvent, VetoCheck
from assessments.services.campaigns import campaign_create
from indices.demo import load_standards
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD, user_with_role
from villages.demo import DEMO_TOWNSHIPS, FIXTURES, load_township

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Assessment.Status
BANDS = [(28, 93, 97), (25, 82.5, 87.5), (13, 72.5, 77.5)]
REASON = "经镇纪委会议研究，28 个村得分均在 90 分以上，按得分全部拟定为示范村，由市级择优认定。"


@pytest.fixture
def broken_board():
    township = load_township(FIXTURES / DEMO_TOWNSHIPS[0])
    standard = load_standards()[0]
    today = datetime.date.today()
    campaign = campaign_create(
        actor=None,
        township=township,
        year=2025,
        standard=standard,
        self_deadline=today - datetime.timedelta(days=20),
        submission_deadline=today - datetime.timedelta(days=15),
        city_deadline=today + datetime.timedelta(days=10),
    )
    rnd = random.Random(12)
    assessments = list(campaign.assessments.select_related("village").order_by("village__sort_order"))
    targets = [rnd.uniform(low, high) for count, low, high in BANDS for _ in range(count)]
    drafts = assessments[:2]
    for a, target in zip(assessments, targets, strict=True):
        _set_scores(a, target, rnd, review=a not in drafts)
        VetoCheck.objects.filter(assessment=a).update(self_answer=False)
        if a in drafts:
            _set_state(a, S.DRAFT)
        else:
            VetoCheck.objects.filter(assessment=a).update(review=VetoCheck.Review.CLEARED)
            _set_state(a, S.REVIEWED)
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, township, username="zhen_jiwei")
    return campaign, drafts, reviewer


def _go(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")


def test_confirming_28_shifan_against_a_target_of_10_needs_a_reason(live_server, page, shot, broken_board):
    campaign, drafts, _ = broken_board
    login(page, live_server, "zhen_jiwei", TEST_PASSWORD)
    board = f"{live_server.url}/assessments/{campaign.pk}/grading/"

    # 1. Two villages are still drafts: their grade is an estimate, the confirmation is not offered yet.
    _go(page, board)
    for a in drafts:
        row = page.locator(f"#row-{a.pk}")
        assert "预估（按自评）" in row.inner_text()
        assert row.locator("td.grade-estimate").count() == 1
    assert page.locator("#confirm-link").count() == 0
    shot(page, "grading-1-board-with-estimates")

    # 2. Reviewed: the board shows the target broken and that a reason will be needed.
    for a in drafts:
        _set_scores(a, 94, random.Random(a.pk), review=True)
        VetoCheck.objects.filter(assessment=a).update(review=VetoCheck.Review.CLEARED)
        _set_state(a, S.REVIEWED)
    _go(page, board)
    assert "预估（按自评）" not in page.locator("#board").inner_text()
    row = page.locator("#distribution tr", has_text="示范村").first.inner_text().split()
    assert [c for c in row if c.lstrip("+-").isdigit()][:3] == ["10", "28", "+18"], row
    assert page.locator("#reason-needed").is_visible()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(_artifact("grading-2-board-target-broken")))  # the first screen, as seen

    # 3. The confirmation step lists the differences and asks for a reason.
    _click(page, "#confirm-link")
    assert page.url.endswith(f"/assessments/{campaign.pk}/confirm/")
    differences = page.locator("#confirm-differences").inner_text()
    assert "示范村：目标 10 个，拟定 28 个，多 18 个" in differences
    assert "达标村：目标 43 个，拟定 25 个，少 18 个" in differences
    assert (
        page.locator("#confirm-distribution tr", has_text="促进村").first.inner_text().split()[1]
        == "不设目标"
    )
    shot(page, "grading-3-confirmation-step")

    # The browser will not send the form without a reason (and the server would refuse it too).
    page.click("#confirm-form button[type=submit]")
    assert page.url.endswith("/confirm/")
    assert page.locator("#confirm-reason").evaluate("el => el.validity.valueMissing")
    campaign.refresh_from_db()
    assert not campaign.is_confirmed

    # 4. With a reason: confirmed, the reason shown on the board and kept in every village's history.
    page.fill("#confirm-reason", REASON)
    _click(page, "#confirm-form button[type=submit]")
    assert page.url.endswith(f"/assessments/{campaign.pk}/grading/")
    assert REASON in page.locator("#confirm-reason-shown").inner_text()
    campaign.refresh_from_db()
    assert campaign.is_confirmed
    events = AssessmentEvent.objects.filter(assessment__campaign=campaign, action="confirm_grade")
    assert events.count() == 66 and set(events.values_list("reason", flat=True)) == {REASON}
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(_artifact("grading-4-confirmed-with-reason")))


def _artifact(name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def _click(page, selector):
    page.locator(selector).first.click()
    page.wait_for_load_state("networkidle")
