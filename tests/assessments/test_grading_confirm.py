"""Guard rails on 确认定级: a distribution that breaks the year's target (counts per grade or a share) is
confirmed only with a reason, which goes into every village's history and the audit row; the page's
confirmation step lists the differences; a second confirmation and a stale page are refused."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from assessments.models import Assessment, AssessmentEvent, Campaign
from assessments.services.grading import campaign_confirm_grades, grading_summary
from audit.models import AuditEvent
from common.errors import ConflictError, InvalidInputError
from tests.assessments.test_grading import grade, target, township

S = Assessment.Status
# 鲍沟镇's 2025 target leaves 促进村 without a number (a grade without a target).
BAOGOU_2025 = {"SHIFAN": 10, "DABIAO": 43, "TISHENG": 13}
# The case: 28 示范村 proposed against a target of 10.
PROPOSED = [("SHIFAN", 28), ("DABIAO", 25), ("TISHENG", 13)]
DIFFERENCES = [
    "示范村：目标 10 个，拟定 28 个，多 18 个",
    "达标村：目标 43 个，拟定 25 个，少 18 个",
]


@pytest.fixture
def broken(cycle):
    town, campaign, reviewer = township(cycle.org.city, cycle.standard, 66, "鲍镇")
    target(town, 2024, BAOGOU_2025)
    grade(campaign, PROPOSED)
    return campaign, reviewer


def _written(campaign):
    return (
        AssessmentEvent.objects.filter(assessment__campaign=campaign).count(),
        AuditEvent.objects.filter(action="campaign.confirm_grades").count(),
        Assessment.objects.filter(campaign=campaign, status=S.CONFIRMED).count(),
    )


# --- the service ---------------------------------------------------------------------------------


def test_the_summary_lists_the_differences_per_grade_and_none_for_a_grade_without_target(broken):
    campaign, _ = broken
    summary = grading_summary(campaign)
    assert [(r.code, r.target, r.total, r.difference) for r in summary.rows] == [
        ("SHIFAN", 10, 28, 18),
        ("DABIAO", 43, 25, -18),
        ("TISHENG", 13, 13, 0),
        ("CUJIN", None, 0, None),
    ]
    assert summary.differences == DIFFERENCES


@pytest.mark.parametrize("reason", ["", "   "])
def test_confirming_against_the_target_without_a_reason_is_refused_and_writes_nothing(broken, reason):
    campaign, reviewer = broken
    with pytest.raises(InvalidInputError) as exc:
        campaign_confirm_grades(campaign=campaign, actor=reviewer, reason=reason)
    assert str(exc.value) == (
        "拟定等次与2024年度目标不一致：示范村：目标 10 个，拟定 28 个，多 18 个；"
        "达标村：目标 43 个，拟定 25 个，少 18 个。确认定级须说明理由。"
    )
    assert _written(campaign) == (0, 0, 0)
    assert not Campaign.objects.get(pk=campaign.pk).is_confirmed


def test_a_reason_confirms_and_is_kept_on_every_event_and_in_the_audit_row(broken):
    campaign, reviewer = broken
    reason = "经镇纪委会议研究，按得分确定示范村 28 个，报市择优认定。"
    campaign_confirm_grades(campaign=campaign, actor=reviewer, reason=f"  {reason}\n")
    assert Campaign.objects.get(pk=campaign.pk).is_confirmed
    events = AssessmentEvent.objects.filter(assessment__campaign=campaign, action="confirm_grade")
    assert events.count() == 66
    assert set(events.values_list("reason", flat=True)) == {reason}
    audit = AuditEvent.objects.get(action="campaign.confirm_grades")
    assert audit.detail["reason"] == reason
    assert audit.detail["differences"] == DIFFERENCES
    assert audit.detail["distribution"] == {"示范村": 28, "达标村": 25, "提升村": 13}
    assert "与年度目标不一致" in audit.message and "理由" in audit.message
    # each village's own audit row of the transition carries the reason too
    rows = AuditEvent.objects.filter(action="assessment.confirm_grade")
    assert rows.count() == 66 and all(r.detail == {"reason": reason} for r in rows)


def test_a_distribution_that_meets_the_target_needs_no_reason(cycle):
    town, campaign, reviewer = township(cycle.org.city, cycle.standard, 66, "合镇")
    target(town, 2024, BAOGOU_2025)
    # 促进村 has no target: any number of them is no difference
    grade(campaign, [("SHIFAN", 10), ("DABIAO", 33), ("TISHENG", 13), ("CUJIN", 10)])
    assert grading_summary(campaign).differences == [
        "达标村：目标 43 个，拟定 33 个，少 10 个",
    ]
    grade(campaign, [("SHIFAN", 10), ("DABIAO", 43), ("TISHENG", 13)])
    assert grading_summary(campaign).differences == []
    campaign_confirm_grades(campaign=campaign, actor=reviewer)
    audit = AuditEvent.objects.get(action="campaign.confirm_grades")
    assert "reason" not in audit.detail and "differences" not in audit.detail


def test_without_a_target_no_reason_is_needed(cycle):
    _town, campaign, reviewer = township(cycle.org.city, cycle.standard, 5, "无目标镇")
    grade(campaign, [("SHIFAN", 5)])
    assert grading_summary(campaign).differences == []
    campaign_confirm_grades(campaign=campaign, actor=reviewer)
    assert Campaign.objects.get(pk=campaign.pk).is_confirmed


def test_a_share_target_below_its_percentage_needs_a_reason(cycle):
    """三管镇: a share of the villages reaching the standard (促进村 does not count)."""
    town, campaign, reviewer = township(cycle.org.city, cycle.standard, 10, "三镇")
    target(town, 2024, share=D("80"))
    grade(campaign, [("DABIAO", 5), ("TISHENG", 2), ("CUJIN", 3)])
    summary = grading_summary(campaign)
    assert (summary.share, summary.share_gap) == (D("70.0"), D("10.0"))
    assert summary.differences == ["达到清廉村居标准的村：目标 80%，拟定 70.0%（7/10），低 10 个百分点"]
    with pytest.raises(InvalidInputError, match=re.escape("目标 80%，拟定 70.0%")):
        campaign_confirm_grades(campaign=campaign, actor=reviewer)
    campaign_confirm_grades(campaign=campaign, actor=reviewer, reason="两村整改未验收，明年纳入")
    assert (
        AuditEvent.objects.get(action="campaign.confirm_grades").detail["reason"]
        == "两村整改未验收，明年纳入"
    )


def test_a_share_target_that_is_met_or_exceeded_needs_no_reason(cycle):
    town, campaign, reviewer = township(cycle.org.city, cycle.standard, 10, "超镇")
    target(town, 2024, share=D("30"))
    grade(campaign, [("DABIAO", 8), ("CUJIN", 2)])
    assert grading_summary(campaign).differences == []
    campaign_confirm_grades(campaign=campaign, actor=reviewer)


def test_a_second_confirmation_is_refused_as_already_confirmed(broken):
    from assessments.services import WorkflowError

    campaign, reviewer = broken
    campaign_confirm_grades(campaign=campaign, actor=reviewer, reason="理由")
    before = _written(campaign)
    with pytest.raises(WorkflowError, match="不能重复确认"):
        campaign_confirm_grades(campaign=campaign, actor=reviewer, reason="理由")
    assert _written(campaign) == before


def test_a_confirmation_from_a_stale_page_is_refused(broken):
    campaign, reviewer = broken
    seen = grading_summary(campaign).fingerprint
    # meanwhile one 示范村 is set to 达标村 by hand
    first = campaign.assessments.order_by("village__sort_order").first()
    Assessment.objects.filter(pk=first.pk).update(final_grade="DABIAO")
    with pytest.raises(ConflictError, match="等次分布或年度目标已有变化"):
        campaign_confirm_grades(campaign=campaign, actor=reviewer, reason="理由", seen_distribution=seen)
    assert _written(campaign) == (0, 0, 0)
    fresh = grading_summary(campaign).fingerprint
    assert fresh != seen
    campaign_confirm_grades(campaign=campaign, actor=reviewer, reason="理由", seen_distribution=fresh)


def test_a_reason_longer_than_1000_characters_is_refused(broken):
    campaign, reviewer = broken
    with pytest.raises(InvalidInputError, match="不能超过 1000 字"):
        campaign_confirm_grades(campaign=campaign, actor=reviewer, reason="长" * 1001)


# --- the page -------------------------------------------------------------------------------------


def _url(campaign):
    return reverse("assessments:confirm_grades", args=[campaign.pk])


def test_the_board_warns_that_a_reason_will_be_needed_and_links_to_the_confirmation_page(client, broken):
    campaign, reviewer = broken
    client.force_login(reviewer)
    html = client.get(reverse("assessments:grading_board", args=[campaign.pk])).content.decode()
    assert "示范村：目标 10 个，当前 28 个，多 18 个。" in html
    assert 'id="reason-needed"' in html
    assert f'href="{_url(campaign)}">确认定级…</a>' in html


def test_the_confirmation_page_lists_target_proposed_and_difference_and_asks_for_a_reason(client, broken):
    campaign, reviewer = broken
    client.force_login(reviewer)
    response = client.get(_url(campaign))
    assert response.status_code == 200
    html = response.content.decode()
    rows = [(r.name, r.target, r.total, r.difference) for r in response.context["summary"].rows]
    assert rows == [
        ("示范村", 10, 28, 18),
        ("达标村", 43, 25, -18),
        ("提升村", 13, 13, 0),
        ("促进村", None, 0, None),
    ]
    assert '<th scope="col" class="text-end">目标</th>' in html and "差额" in html
    assert '<td class="score">+18</td>' in html and '<td class="score">-18</td>' in html
    assert "不设目标" in html  # 促进村
    for line in DIFFERENCES:
        assert f"<li>{line}</li>" in html
    assert "说明理由（必填）" in html and 'name="reason"' in html and "required" in html
    assert "拟定为示范村的 28 个村将列为报市评选候选。" in html
    assert "data-confirm" not in html


def test_posting_without_a_reason_shows_the_error_and_confirms_nothing(client, broken):
    campaign, reviewer = broken
    client.force_login(reviewer)
    seen = client.get(_url(campaign)).context["summary"].fingerprint
    response = client.post(_url(campaign), {"distribution": seen, "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="confirm-error"' in html and "确认定级须说明理由" in html
    assert _written(campaign) == (0, 0, 0)


def test_posting_with_a_reason_confirms_shows_the_reason_and_a_double_submit_is_refused(client, broken):
    campaign, reviewer = broken
    client.force_login(reviewer)
    seen = client.get(_url(campaign)).context["summary"].fingerprint
    data = {"distribution": seen, "reason": "按得分排序，报市择优"}
    response = client.post(_url(campaign), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:grading_board", args=[campaign.pk])
    assert Campaign.objects.get(pk=campaign.pk).is_confirmed
    html = client.get(response["Location"]).content.decode()
    assert "确认定级时说明的理由" in html and "按得分排序，报市择优" in html
    before = _written(campaign)
    again = client.post(_url(campaign), data, follow=True)
    assert again.status_code == 200
    assert "无需重复确认" in again.content.decode()
    assert _written(campaign) == before
    # the page itself, opened again, sends back to the board
    assert client.get(_url(campaign)).status_code == 302


def test_a_stale_page_is_sent_back_to_the_confirmation_step(client, broken):
    campaign, reviewer = broken
    client.force_login(reviewer)
    seen = client.get(_url(campaign)).context["summary"].fingerprint
    first = campaign.assessments.order_by("village__sort_order").first()
    Assessment.objects.filter(pk=first.pk).update(final_grade="DABIAO")
    response = client.post(_url(campaign), {"distribution": seen, "reason": "理由"}, follow=True)
    assert response.redirect_chain == [(_url(campaign), 302)]
    assert "等次分布或年度目标已有变化" in response.content.decode()
    assert "示范村：目标 10 个，拟定 27 个，多 17 个" in response.content.decode()
    assert _written(campaign) == (0, 0, 0)


def test_the_share_confirmation_page_shows_the_percentages(client, cycle):
    town, campaign, reviewer = township(cycle.org.city, cycle.standard, 10, "三镇")
    target(town, 2024, share=D("80"))
    grade(campaign, [("DABIAO", 5), ("TISHENG", 2), ("CUJIN", 3)])
    client.force_login(reviewer)
    html = client.get(_url(campaign)).content.decode()
    assert 'id="confirm-share"' in html
    assert "80%" in html and "70.0%（7/10）" in html and "−10 个百分点" in html
    assert "<li>达到清廉村居标准的村：目标 80%，拟定 70.0%（7/10），低 10 个百分点</li>" in html


def test_a_page_without_target_needs_no_reason(client, cycle):
    _town, campaign, reviewer = township(cycle.org.city, cycle.standard, 4, "空镇")
    grade(campaign, [("DABIAO", 4)])
    client.force_login(reviewer)
    page = client.get(_url(campaign))
    html = page.content.decode()
    assert "未设置2024年度目标，不作比对。" in html and "说明（可选）" in html and "必填" not in html
    response = client.post(_url(campaign), {"distribution": page.context["summary"].fingerprint})
    assert response.status_code == 302 and Campaign.objects.get(pk=campaign.pk).is_confirmed


def test_the_confirmation_page_is_refused_until_every_village_is_reviewed(client, broken):
    campaign, reviewer = broken
    last = campaign.assessments.order_by("village__sort_order").last()
    Assessment.objects.filter(pk=last.pk).update(status=S.IN_REVIEW)
    client.force_login(reviewer)
    html = client.get(_url(campaign)).content.decode()
    assert "尚有 1 个村未完成初审，须全部完成初审后才能确认定级。" in html
    assert 'id="confirm-form"' not in html
