"""The whole yearly cycle on the demo township (鲍沟镇), in Chromium, through the pages a user clicks.

village fills and submits → branch forwards → reviewer adjusts an indicator, rejects a bonus claim and
returns → village fixes and resubmits → branch forwards → reviewer completes the review → the grading
board shows the distribution against 7/33/13/13 → the township confirms → the city confirms the
示范村 → the village sees its result and the reasons.

Set-up in the database: the demo organisation and standards, and the other 65 villages already reviewed
(6 示范, 33 达标, 13 提升, 13 促进) so that ours completes the board. Our village's self scores are
pre-filled except V1.1, which the test scores in the browser; everything else is done on the pages.
"""

import datetime
import random
from decimal import Decimal as D

import pytest

from accounts.models import Role
from assessments.demo import _set_scores, _set_state
from assessments.models import Assessment, AssessmentEvent, BonusClaim, IndicatorScore, VetoCheck
from assessments.services.campaigns import campaign_create
from indices.demo import load_standards
from tests.assessments.conftest import PDF_BYTES
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD, user_with_role
from villages.demo import DEMO_TOWNSHIPS, FIXTURES, load_township

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Assessment.Status
OTHERS = [(6, 93, 97), (33, 82.5, 87.5), (13, 72.5, 77.5), (13, 58, 66)]


@pytest.fixture
def demo_cycle():
    township = load_township(FIXTURES / DEMO_TOWNSHIPS[0])
    standard = load_standards()[0]
    today = datetime.date.today()
    campaign = campaign_create(
        actor=None,
        township=township,
        year=2024,
        standard=standard,
        self_deadline=today + datetime.timedelta(days=5),
        submission_deadline=today + datetime.timedelta(days=10),
        city_deadline=today + datetime.timedelta(days=20),
    )
    ours = campaign.assessments.select_related("village").order_by("village__sort_order").first()
    rnd = random.Random(7)
    others = list(campaign.assessments.exclude(pk=ours.pk).order_by("village__sort_order"))
    targets = [rnd.uniform(low, high) for count, low, high in OTHERS for _ in range(count)]
    for a, target in zip(others, targets, strict=True):
        _set_scores(a, target, rnd, review=True)
        VetoCheck.objects.filter(assessment=a).update(self_answer=False, review=VetoCheck.Review.CLEARED)
        _set_state(a, S.REVIEWED)
    # Our village: every village-scored indicator at full marks except V1.1, left for the browser.
    for s in ours.scores.select_related("indicator"):
        if s.indicator.scored_by == "village_and_township" and s.indicator.code != "V1.1":
            IndicatorScore.objects.filter(pk=s.pk).update(
                self_score=s.indicator.max_score, self_note="已落实"
            )
    village = ours.village
    users = {
        "committee": user_with_role(Role.VILLAGE_COMMITTEE, village, username="cun_lw"),
        "supervisor": user_with_role(Role.VILLAGE_SUPERVISOR, village, username="cun_jw"),
        "secretary": user_with_role(Role.BRANCH_SECRETARY, village.branch, username="zongzhi"),
        "reviewer": user_with_role(Role.TOWNSHIP_REVIEWER, township, username="zhen_jiwei"),
        "city": user_with_role(Role.CITY_OFFICE, township.region, username="shi_ban"),
    }
    return campaign, ours, users


def _as(browser, live_server, username):
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts
    login(page, live_server, username, TEST_PASSWORD)
    return page


def _click(page, selector):
    page.locator(selector).first.click()
    page.wait_for_load_state("networkidle")


def _status(a):
    a.refresh_from_db()
    return a.status


def _sign_and_maybe_submit(browser, live_server, ours, username, submit):
    page = _as(browser, live_server, username)
    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/self/#signoff")  # opens the sign-off step
    _click(page, "#signoff button[type=submit]")
    if submit:
        _click(page, "form.transition-form[action$='/transition/submit/'] button")
    page.context.close()


def _forward(browser, live_server, campaign, ours):
    page = _as(browser, live_server, "zongzhi")
    page.goto(f"{live_server.url}/assessments/{campaign.pk}/branch/{ours.village.branch_id}/")
    page.check(f"#pick-{ours.pk}")
    _click(page, "#forward-form button[type=submit]")
    page.context.close()


def test_the_whole_cycle_on_the_demo_township(live_server, browser, shot, demo_cycle):
    campaign, ours, _users = demo_cycle
    v11 = ours.scores.get(indicator__code="V1.1")
    month_rule = v11.indicator.rules.get(per="月")

    # 1. The village fills V1.1 by ticking a rule, answers the negative list, claims a bonus item,
    #    uploads the stamped form and signs for the 两委.
    page = _as(browser, live_server, "cun_lw")
    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/self/")
    page.click(f"#ind-{v11.pk} .js-open[data-panel=deduct]")  # the block opens collapsed: 有扣分情形
    page.fill(f"#c-{month_rule.pk}", "1")
    page.fill(f"#n-{v11.pk}", "3月学习记录缺失")
    _click(page, f"#ind-{v11.pk} button.js-save")
    page.locator(f"#ind-{v11.pk} .js-stored", has_text="2.5").wait_for()  # saved in place
    v11.refresh_from_db()
    assert v11.self_score == D("2.50")  # 3 − 0.5 for one missing month
    page.click("[data-step-link=vetoes]")  # one step of the sheet at a time
    for check in list(VetoCheck.objects.filter(assessment=ours)):
        page.check(f"#vn-{check.pk}")
        page.wait_for_load_state("networkidle")
    page.locator("[data-step-count=vetoes].is-complete").wait_for()  # every answer saved (one at a time)
    assert not VetoCheck.objects.filter(assessment=ours, self_answer__isnull=True).exists()
    b04 = campaign.standard.bonus_items.get(code="B04")
    page.click("[data-step-link=bonus]")
    page.fill(f"#bp-{b04.pk}", "1")
    page.fill(f"#be-{b04.pk}", "打造“一村一品”清廉文化长廊")
    _click(page, f"#bonus-{b04.pk} form button[type=submit]")
    page.click("[data-step-link=paperwork]")
    form_upload = page.locator("#stamped form.evidence-upload")
    # Picking the file uploads it in place (with a progress bar); no 上传 button to press with JavaScript.
    form_upload.locator("input.js-pick").set_input_files(
        {"name": "申请表（盖章）.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#stamped .evidence-list a", has_text="申请表（盖章）.pdf").wait_for()
    _click(page, "#signoff button[type=submit]")
    shot(page, "cycle-1-self-assessment")
    page.context.close()
    assert BonusClaim.objects.get(assessment=ours).claimed_points == D("1")

    # 2. The supervision committee signs and submits; the branch forwards it to the township.
    _sign_and_maybe_submit(browser, live_server, ours, "cun_jw", submit=True)
    assert _status(ours) == S.SUBMITTED
    _forward(browser, live_server, campaign, ours)
    assert _status(ours) == S.FORWARDED

    # 3. The reviewer lowers V1.2 with a reason, rejects the bonus claim and returns the submission.
    page = _as(browser, live_server, "zhen_jiwei")
    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/review/")
    v12 = ours.scores.get(indicator__code="V1.2")
    page.fill(f"#v{v12.pk}", "3")
    page.locator(f"#score-{v12.pk} textarea[name=reason]").fill("述责述廉报告未经党员大会评议")
    _click(page, f"#score-{v12.pk} button.btn-danger")
    claim = BonusClaim.objects.get(assessment=ours)
    page.locator(f"#claim-{claim.pk} input[name=reason]").fill("品牌尚未经镇街认定")
    _click(page, f"#claim-{claim.pk} button[value=reject]")
    page.fill("#transitions textarea[name=reason]", "申请表扫描件缺少村务监督委员会意见，请补充后重新提交")
    _click(page, "#transitions form[action$='/transition/return/'] button")
    page.context.close()
    assert _status(ours) == S.RETURNED
    v12.refresh_from_db()
    assert (v12.review_score, v12.review_note) == (D("3.00"), "述责述廉报告未经党员大会评议")

    # 4. The village sees why, fixes the form, both sign again, it is resubmitted and forwarded.
    page = _as(browser, live_server, "cun_lw")
    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/")
    assert "申请表扫描件缺少村务监督委员会意见" in page.content()
    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/self/#stamped")
    page.locator("#stamped form.evidence-upload input.js-pick").set_input_files(
        {"name": "申请表（补充监委会意见）.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("#stamped .evidence-list a", has_text="申请表（补充监委会意见）.pdf").wait_for()
    _click(page, "#signoff button[type=submit]")
    page.context.close()
    _sign_and_maybe_submit(browser, live_server, ours, "cun_jw", submit=True)
    _forward(browser, live_server, campaign, ours)
    ours.refresh_from_db()
    assert (ours.status, ours.round) == (S.FORWARDED, 2)

    # 5. The reviewer accepts the rest, scores the township-only V5.5 and completes the review.
    page = _as(browser, live_server, "zhen_jiwei")
    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/review/")
    _click(page, "form[action$='/review/accept-remaining/'] button")
    v55 = ours.scores.get(indicator__code="V5.5")
    page.fill(f"#v{v55.pk}", "4")
    _click(page, f"#score-{v55.pk} button.btn-danger")
    _click(page, "#transitions form[action$='/transition/complete_review/'] button")
    assert _status(ours) == S.REVIEWED
    ours.refresh_from_db()
    # 100 − 0.5 (V1.1) − 1 (V1.2 adjusted) = 98.5, the bonus claim rejected: 示范村
    assert (ours.final_score, ours.final_grade) == (D("98.50"), "SHIFAN")

    # 6. The grading board shows the distribution against 7/33/13/13; the township confirms.
    page.goto(f"{live_server.url}/assessments/{campaign.pk}/grading/")
    distribution = page.locator("#distribution").inner_text()
    for name, count in (("示范村", "7"), ("达标村", "33"), ("提升村", "13"), ("促进村", "13")):
        cells = page.locator("#distribution tr", has_text=name).first.inner_text().split()
        numbers = [c for c in cells if c.lstrip("+-").isdigit()]
        assert numbers[:3] == [count, count, "0"], (name, cells, distribution)  # target, current, difference
    shot(page, "cycle-6-grading-board")
    _click(page, "#confirm-link")  # the confirmation step: the distribution meets the target, no reason
    assert "拟定等次分布与2024年度目标一致。" in page.locator("#confirm-ok").inner_text()
    _click(page, "#confirm-form button[type=submit]")
    page.context.close()
    campaign.refresh_from_db()
    ours.refresh_from_db()
    assert campaign.is_confirmed and ours.status == S.CONFIRMED and ours.city_candidate

    # 7. The city office confirms the 示范村.
    page = _as(browser, live_server, "shi_ban")
    page.goto(f"{live_server.url}/assessments/city/")
    page.select_option(f"#cand-{ours.pk} select[name=decision]", "confirmed")
    _click(page, f"#cand-{ours.pk} button[type=submit]")
    shot(page, "cycle-7-city")
    page.context.close()
    ours.refresh_from_db()
    assert (ours.city_decision, ours.city_grade) == ("confirmed", "SHIFAN")

    # 8. The village sees its result and why each score changed.
    page = _as(browser, live_server, "cun_lw")
    page.goto(f"{live_server.url}/assessments/a/{ours.pk}/")
    result = page.locator("#review-result").inner_text()
    assert "示范村" in result
    assert "98.5" in result
    assert "述责述廉报告未经党员大会评议" in result
    assert "品牌尚未经镇街认定" in result
    shot(page, "cycle-8-village-result")
    page.context.close()
    assert AssessmentEvent.objects.filter(assessment=ours, action="return").count() == 1
    assert AssessmentEvent.objects.filter(assessment=ours, action="submit").count() == 2


PDF = PDF_BYTES  # a real PDF: uploads are parsed
