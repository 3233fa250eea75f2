"""The township's 初审: adjust or accept indicator scores (with reasons), bonus claims, veto checks, totals,
optimistic locking between reviewers, returns and resubmission (pages: test_review_pages.py)."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from assessments.models import Assessment, AssessmentEvent, BonusClaim, IndicatorScore, VetoCheck
from assessments.services import WorkflowError, assessment_transition
from assessments.services.review import bonus_claim_review, score_save_review, veto_check_review
from assessments.workflow import Side
from audit.models import AuditEvent
from common.errors import ConflictError
from indices.models import BonusItem
from tests.assessments.conftest import fill_self

S = Assessment.Status


# --- helpers shared with the grading and city tests ----------------------------------------------------


def submit_and_forward(cycle, name="东村"):
    """Fill the village's self-assessment with full marks, submit it and forward it to the township."""
    a = cycle.a[name]
    fill_self(a, cycle.committee, cycle.supervisor)
    assessment_transition(assessment=a, action="submit", actor=cycle.committee, sides={Side.SELF})
    if a.status == S.SUBMITTED:
        assessment_transition(assessment=a, action="forward", actor=cycle.secretary, sides={Side.BRANCH})
    a.refresh_from_db()
    return a


def score_of(a, code):
    return IndicatorScore.objects.select_related("indicator").get(assessment=a, indicator__code=code)


def review_everything(a, reviewer, *, value=None):
    """Review every line: accept each self score (or give `value` where it fits), take the
    township-only indicators at full marks, clear every veto check."""
    for s in IndicatorScore.objects.filter(assessment=a).select_related("indicator"):
        if s.indicator.scored_by == "township_only":
            score_save_review(
                assessment=a, score=s, actor=reviewer, expected_version=s.version, value=s.indicator.max_score
            )
        elif value is None:
            score_save_review(assessment=a, score=s, actor=reviewer, expected_version=s.version, accept=True)
        else:
            given = min(D(value), s.indicator.max_score)
            score_save_review(
                assessment=a,
                score=s,
                actor=reviewer,
                expected_version=s.version,
                value=given,
                reason="按实核定",
            )
    for v in VetoCheck.objects.filter(assessment=a):
        veto_check_review(
            assessment=a,
            check=v,
            expected_version=v.version,
            actor=reviewer,
            decision="cleared",
            reason="经核查不存在",
        )
    a.refresh_from_db()
    return a


def claim(a, code, points):
    item = BonusItem.objects.get(standard=a.campaign.standard, code=code)
    return BonusClaim.objects.create(
        assessment=a, bonus_item=item, claimed_points=D(points), explanation="获表彰"
    )


# --- indicator scores ----------------------------------------------------------------------------------


def test_adjusting_a_score_without_a_reason_is_refused_and_nothing_changes(cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    events = AssessmentEvent.objects.filter(assessment=a).count()
    with pytest.raises(WorkflowError) as err:
        score_save_review(assessment=a, score=s, actor=cycle.reviewer, expected_version=s.version, value="3")
    assert err.value.problems == ["V1.2 初审得分（3）与自评分（4）不一致，须填写调整理由。"]
    s.refresh_from_db()
    a.refresh_from_db()
    assert (s.review_score, s.version) == (None, 1)
    assert a.status == S.FORWARDED  # the automatic start of the review is rolled back with the refusal
    assert AssessmentEvent.objects.filter(assessment=a).count() == events


def test_adjusting_with_a_reason_records_from_to_and_reason_and_starts_the_review(cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    score_save_review(
        assessment=a, score=s, actor=cycle.reviewer, expected_version=1, value="3", reason="述责述廉记录不全"
    )
    s.refresh_from_db()
    a.refresh_from_db()
    assert (s.review_score, s.review_note, s.version, s.reviewed_by) == (
        D("3"),
        "述责述廉记录不全",
        2,
        cycle.reviewer,
    )
    assert a.status == S.IN_REVIEW
    start, change = AssessmentEvent.objects.filter(assessment=a).order_by("-id")[:2][::-1]
    assert (start.action, start.to_value) == ("start_review", "初审中")
    assert (change.action, change.from_value, change.to_value, change.reason) == (
        "review_score",
        "4",
        "3",
        "述责述廉记录不全",
    )
    assert change.actor == cycle.reviewer
    assert a.review_base == D("95")  # 96 self (V5.5 is township-only) − 1; V5.5 not yet scored
    assert AuditEvent.objects.filter(action="assessment.review_score", object_id=str(a.pk)).count() == 1


def test_accepting_copies_the_self_score_and_its_rules(cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.1")
    s.self_score, s.self_rules = D("2"), {str(s.indicator.rules.order_by("sort_order")[0].pk): 1}
    s.save()
    score_save_review(assessment=a, score=s, actor=cycle.reviewer, expected_version=s.version, accept=True)
    s.refresh_from_db()
    assert (s.review_score, s.review_rules) == (D("2"), s.self_rules)
    event = AssessmentEvent.objects.filter(assessment=a).last()
    assert (event.action, event.from_value, event.to_value, event.reason) == ("review_accept", "2", "2", "")


def test_rules_give_the_review_score_like_the_standard_method(cycle):
    a = submit_and_forward(cycle)
    v11, v34, v41 = score_of(a, "V1.1"), score_of(a, "V3.4"), score_of(a, "V4.1")
    half = v11.indicator.rules.get(points=D("0.5"))
    score_save_review(
        assessment=a,
        score=v11,
        actor=cycle.reviewer,
        expected_version=1,
        rules={half.pk: "2"},
        reason="缺2个月记录",
    )
    tier3 = v34.indicator.rules.get(points=3)
    score_save_review(
        assessment=a,
        score=v34,
        actor=cycle.reviewer,
        expected_version=1,
        rules=[str(tier3.pk)],
        reason="办结率92%",
    )
    two = v41.indicator.rules.get(points=2)
    score_save_review(
        assessment=a,
        score=v41,
        actor=cycle.reviewer,
        expected_version=1,
        rules=[str(two.pk)],
        reason="未更新",
    )
    for s in (v11, v34, v41):
        s.refresh_from_db()
    assert (v11.review_score, v11.review_rules) == (D("2"), {str(half.pk): 2})
    assert (v34.review_score, v34.review_rules) == (D("3"), [tier3.pk])
    assert (v41.review_score, v41.review_rules) == (D("2"), [two.pk])


def test_a_rule_of_another_indicator_or_a_bad_value_is_refused(cycle):
    a = submit_and_forward(cycle)
    v11, v12 = score_of(a, "V1.1"), score_of(a, "V1.2")
    foreign = v12.indicator.rules.first()
    with pytest.raises(WorkflowError, match="所选扣分规则不属于该指标"):
        score_save_review(
            assessment=a,
            score=v11,
            actor=cycle.reviewer,
            expected_version=1,
            rules={foreign.pk: 1},
            reason="x",
        )
    for bad, message in (
        ("2.3", "0.5 分的整数倍"),
        ("9", "满分 3 分"),
        ("-1", "不能为负数"),
        ("abc", "请输入数字"),
    ):
        with pytest.raises(WorkflowError, match=message):
            score_save_review(
                assessment=a, score=v11, actor=cycle.reviewer, expected_version=1, value=bad, reason="x"
            )
    v11.refresh_from_db()
    assert (v11.review_score, v11.version) == (None, 1)


def test_a_township_only_indicator_takes_a_direct_score_without_a_reason(cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V5.5")
    with pytest.raises(WorkflowError, match="没有村自评分"):
        score_save_review(assessment=a, score=s, actor=cycle.reviewer, expected_version=1, accept=True)
    score_save_review(assessment=a, score=s, actor=cycle.reviewer, expected_version=1, value="3")
    s.refresh_from_db()
    assert s.review_score == D("3")


def test_only_the_reviewer_side_may_review_and_only_while_in_review(cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    for user in (cycle.committee, cycle.secretary, cycle.leader, cycle.city):
        with pytest.raises(WorkflowError, match="您不能初审东村"):
            score_save_review(assessment=a, score=s, actor=user, expected_version=1, accept=True)
    draft = cycle.a["西村"]
    other = score_of(draft, "V1.2")
    with pytest.raises(WorkflowError, match="当前状态为“填报中”，不能修改初审内容"):
        score_save_review(assessment=draft, score=other, actor=cycle.reviewer, expected_version=1, value="4")
    with pytest.raises(WorkflowError, match="该指标不属于本测评"):
        score_save_review(assessment=a, score=other, actor=cycle.reviewer, expected_version=1, value="4")
    assert IndicatorScore.objects.filter(review_score__isnull=False).count() == 0


def test_two_reviewers_with_the_same_version_the_second_is_told_and_nothing_is_overwritten(cycle):
    from tests.factories import user_with_role

    second = user_with_role("township_reviewer", cycle.org.town, username="jiwei_jia2")
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    score_save_review(
        assessment=a, score=s, actor=cycle.reviewer, expected_version=1, value="3", reason="A 的理由"
    )
    events = AssessmentEvent.objects.filter(assessment=a).count()
    with pytest.raises(ConflictError) as err:
        score_save_review(
            assessment=a, score=s, actor=second, expected_version=1, value="2", reason="B 的理由"
        )
    assert (err.value.current.review_score, err.value.current.version) == (D("3"), 2)
    assert "已被他人修改" in str(err.value)
    s.refresh_from_db()
    assert (s.review_score, s.review_note, s.reviewed_by) == (D("3"), "A 的理由", cycle.reviewer)
    assert AssessmentEvent.objects.filter(assessment=a).count() == events


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_saves_with_the_same_version_have_exactly_one_winner(cycle):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel writers need PostgreSQL")
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    assessment_transition(assessment=a, action="start_review", actor=cycle.reviewer)
    results = []
    barrier = threading.Barrier(10)

    def save(i):
        from django.db import connections

        try:
            barrier.wait()
            score_save_review(
                assessment=a, score=s, actor=cycle.reviewer, expected_version=1, value="3", reason=f"第{i}人"
            )
            results.append("ok")
        except ConflictError:
            results.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s.refresh_from_db()
    assert sorted(results) == ["conflict"] * 9 + ["ok"]
    assert s.version == 2
    assert AssessmentEvent.objects.filter(assessment=a, action="review_score").count() == 1


# --- bonus claims, vetoes and totals -------------------------------------------------------------------


def test_bonus_claims_need_a_reason_stay_within_claim_and_cap_and_a_rejection_is_not_counted(cycle):
    a = submit_and_forward(cycle)
    c = claim(a, "B01", "2")
    with pytest.raises(WorkflowError, match="须填写理由"):
        bonus_claim_review(
            assessment=a, claim=c, expected_version=c.version, actor=cycle.reviewer, accept=False, reason=" "
        )
    with pytest.raises(WorkflowError, match="不能超过申报加分 2 分"):
        bonus_claim_review(
            assessment=a,
            claim=c,
            expected_version=c.version,
            actor=cycle.reviewer,
            accept=True,
            points="2.5",
            reason="x",
        )
    c3 = claim(a, "B03", "1")
    BonusClaim.objects.filter(pk=c3.pk).update(claimed_points=D("3"))  # more than the item's cap of 1
    c3.refresh_from_db()
    with pytest.raises(WorkflowError, match="单项上限 1 分"):
        bonus_claim_review(
            assessment=a,
            claim=c3,
            expected_version=c3.version,
            actor=cycle.reviewer,
            accept=True,
            points="2",
            reason="x",
        )
    bonus_claim_review(
        assessment=a,
        claim=c,
        expected_version=c.version,
        actor=cycle.reviewer,
        accept=False,
        reason="表彰级别不符",
    )
    c.refresh_from_db()
    a.refresh_from_db()
    assert (c.status, c.accepted_points, c.review_reason) == ("rejected", None, "表彰级别不符")
    assert a.bonus_accepted == D("0")
    event = AssessmentEvent.objects.filter(assessment=a, action="review_bonus").get()
    assert (event.from_value, event.to_value, event.reason) == ("待审核", "不予认定", "表彰级别不符")


def test_all_maximum_scores_are_100_and_accepted_bonus_2_plus_1_gives_103(cycle):
    a = submit_and_forward(cycle)
    b1, b3 = claim(a, "B01", "2"), claim(a, "B03", "1")
    review_everything(a, cycle.reviewer)
    bonus_claim_review(
        assessment=a,
        claim=b1,
        expected_version=b1.version,
        actor=cycle.reviewer,
        accept=True,
        reason="省级表彰",
    )
    bonus_claim_review(
        assessment=a,
        claim=b3,
        expected_version=b3.version,
        actor=cycle.reviewer,
        accept=True,
        points="1",
        reason="镇采纳",
    )
    a.refresh_from_db()
    assert (a.review_base, a.bonus_accepted, a.supervision_deduction, a.final_score) == (
        D("100"),
        D("3"),
        D("0"),
        D("103"),
    )
    assert (a.proposed_grade, a.final_grade, a.veto_confirmed) == ("SHIFAN", "SHIFAN", False)


def test_bonus_beyond_the_total_cap_is_capped_at_5(cycle):
    a = submit_and_forward(cycle)
    claims = [claim(a, code, pts) for code, pts in (("B01", "2"), ("B02", "2"), ("B03", "1"), ("B04", "1"))]
    for c in claims:
        bonus_claim_review(
            assessment=a,
            claim=c,
            expected_version=c.version,
            actor=cycle.reviewer,
            accept=True,
            reason="属实",
        )
    a.refresh_from_db()
    assert a.bonus_accepted == D("5")


def test_a_confirmed_veto_forces_the_lowest_grade_whatever_the_score(cycle):
    a = submit_and_forward(cycle)
    review_everything(a, cycle.reviewer)
    v = VetoCheck.objects.filter(assessment=a).first()
    with pytest.raises(WorkflowError, match="须填写核实说明"):
        veto_check_review(
            assessment=a,
            check=v,
            expected_version=v.version,
            actor=cycle.reviewer,
            decision="confirmed",
            reason="",
        )
    veto_check_review(
        assessment=a,
        check=v,
        expected_version=v.version,
        actor=cycle.reviewer,
        decision="confirmed",
        reason="镇纪委通报",
    )
    a.refresh_from_db()
    assert (a.final_score, a.veto_confirmed, a.proposed_grade, a.final_grade) == (
        D("100"),
        True,
        "CUJIN",
        "CUJIN",
    )
    event = AssessmentEvent.objects.filter(assessment=a, action="review_veto").last()
    assert (event.from_value, event.to_value, event.reason) == ("不属实", "属实", "镇纪委通报")


# --- return and resubmit -------------------------------------------------------------------------------


def test_a_return_with_reason_lets_the_village_fix_and_resubmit_as_round_2_and_keeps_both_rounds(cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    score_save_review(
        assessment=a, score=s, actor=cycle.reviewer, expected_version=1, value="3", reason="材料不全"
    )
    with pytest.raises(WorkflowError, match="须填写理由"):
        assessment_transition(assessment=a, action="return", actor=cycle.reviewer)
    assessment_transition(assessment=a, action="return", actor=cycle.reviewer, reason="请补充述责述廉材料")
    a.refresh_from_db()
    assert (a.status, a.round) == (S.RETURNED, 1)
    fill_self(a, cycle.committee, cycle.supervisor)  # signs round 2
    assessment_transition(assessment=a, action="submit", actor=cycle.committee)
    assessment_transition(assessment=a, action="forward", actor=cycle.secretary)
    a.refresh_from_db()
    assert (a.status, a.round) == (S.FORWARDED, 2)
    events = list(AssessmentEvent.objects.filter(assessment=a).values_list("round", "action"))
    assert events == [
        (1, "submit"),
        (1, "forward"),
        (1, "start_review"),
        (1, "review_score"),
        (1, "return"),
        (2, "submit"),
        (2, "forward"),
    ]
    assert AssessmentEvent.objects.get(assessment=a, action="return").reason == "请补充述责述廉材料"


def test_a_missing_version_is_refused_not_taken_as_a_conflict(cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    with pytest.raises(WorkflowError, match="页面已过期"):
        score_save_review(assessment=a, score=s, actor=cycle.reviewer, expected_version=None, accept=True)
