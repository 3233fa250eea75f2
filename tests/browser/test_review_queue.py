"""Issue 12, done-when: a reviewer reviews three villages in a row from the queue, saving scores without a
full page reload, and bulk-confirms a clean negative list with one note (desktop 1366×900).

甲镇's three villages are submitted and forwarded in the database; everything the reviewer does is done on
the pages. The test counts the clicks, the typed fields, the keys and the main-frame page loads, prints
them (they go into the README) and asserts that no save loaded a page.
"""

import pytest

from assessments.models import Assessment, AssessmentEvent, IndicatorScore, VetoCheck
from tests.assessments.test_review import score_of, submit_and_forward
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Assessment.Status


class Counter:
    def __init__(self, page):
        self.page = page
        self.clicks = self.fields = self.keys = self.loads = 0
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame):
        if frame == self.page.main_frame:
            self.loads += 1

    def click(self, selector):
        self.clicks += 1
        self.page.locator(selector).first.click()

    def fill(self, selector, text):
        self.fields += 1
        self.page.fill(selector, text)

    def press(self, selector, key):
        self.keys += 1
        self.page.press(selector, key)

    def saved(self, n):
        """Wait for the n-th in-place save of this page to be applied."""
        self.page.locator(f"body[data-review-saves='{n}']").wait_for(state="attached")


def test_a_reviewer_reviews_three_villages_in_a_row_from_the_queue(live_server, page, shot, cycle):
    villages = [submit_and_forward(cycle, name) for name in ("东村", "南村", "西村")]  # the queue's order
    page.on("dialog", lambda dialog: dialog.accept())  # 其余指标全部采纳自评 asks first
    login(page, live_server, cycle.reviewer.username, TEST_PASSWORD)
    count = Counter(page)

    # The queue: the campaign page filtered to those waiting for review, with each one's progress.
    page.goto(f"{live_server.url}/assessments/{cycle.campaign.pk}/")
    count.loads = 0
    count.click("a[href$='?status=todo#queue-filter']")
    page.wait_for_load_state("networkidle")
    queue = page.locator("table tbody").inner_text()
    assert "指标 0/26" in queue and "负面 0/7" in queue
    assert "党总支报送" not in page.content()  # the secretaries' buttons are not the reviewer's
    shot(page, "review-queue-desktop")
    count.click("a.queue-open")
    page.wait_for_load_state("networkidle")

    for i, a in enumerate(villages):
        assert page.url.endswith(f"/assessments/a/{a.pk}/review/?status=todo"), page.url
        loads_before = count.loads
        saves = 0
        # 1. Keyboard: the township-only V5.5 typed into its box, Enter saves and moves on.
        v55, v12 = score_of(a, "V5.5"), score_of(a, "V1.2")
        count.fill(f"#v{v55.pk}", "4")
        count.press(f"#v{v55.pk}", "Enter")
        saves += 1
        count.saved(saves)
        # 2. V1.2 lowered: Tab asks for the reason first, Enter in the reason saves.
        count.fill(f"#v{v12.pk}", "3")
        count.press(f"#v{v12.pk}", "Tab")
        reason = page.locator(f"#score-{v12.pk} textarea[name=reason]")
        assert reason.evaluate("field => field === document.activeElement")
        count.fill(f"#score-{v12.pk} textarea[name=reason]", "述责述廉报告未经党员大会评议")
        count.press(f"#score-{v12.pk} textarea[name=reason]", "Enter")
        saves += 1
        count.saved(saves)
        # 3. The other 24 take the village's own scores in one step.
        count.click("form[action$='/review/accept-remaining/'] button")
        saves += 1
        count.saved(saves)
        # 4. The negative list: nothing found, one note for all seven items.
        count.fill("#veto-clear-reason", "经查阅信访、纪检台账，均未发现负面清单所列情形")
        count.click("#veto-clear-all button[type=submit]")
        saves += 1
        count.saved(saves)
        assert count.loads == loads_before, "a save loaded the page"
        bar = page.locator("#review-progress").inner_text()
        assert "指标 26/26" in bar and "负面 7/7" in bar, bar
        if i == 0:
            page.locator("h1").scroll_into_view_if_needed()
            shot(page, "review-page-desktop")
        # 5. Complete and go on (the last one has no next village: 完成初审 only).
        if i < len(villages) - 1:
            count.click("#complete-and-next:not([disabled])")
        else:
            count.click("#transitions form[action$='/transition/complete_review/'] button.btn-success")
        page.wait_for_load_state("networkidle")
        assert count.loads == loads_before + 1

    for a in villages:
        a.refresh_from_db()
        assert a.status == S.REVIEWED
        assert IndicatorScore.objects.get(assessment=a, indicator__code="V1.2").review_score == 3
        assert set(VetoCheck.objects.filter(assessment=a).values_list("review", flat=True)) == {"cleared"}
        assert AssessmentEvent.objects.filter(assessment=a, action="review_veto_clear_all").count() == 1
    # 100 − 1 (V1.2) = 99: each village's total on the last page.
    assert villages[-1].final_score == 99
    print(
        f"\nreview queue, 3 villages: {count.clicks} clicks, {count.fields} typed fields, "
        f"{count.keys} keys (Enter/Tab), {count.loads} page loads "
        f"(the queue, 3 review pages, the last page after 完成初审; 0 for the {4 * 3} saves)"
    )
    assert count.loads == 5
