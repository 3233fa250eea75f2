"""The party-branch board and the batch forward (DOMAIN.md: villages are submitted per 党总支).

甲镇: 东村 and 西村 in 第一党总支 (secretary zz_1), 南村 in 第二党总支.
"""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import (
    Assessment,
    AssessmentEvent,
    Campaign,
    Evidence,
    IndicatorScore,
    Signoff,
    VetoCheck,
)
from assessments.services.campaigns import campaign_create
from assessments.services.transitions import assessment_transition, guard_problems
from assessments.workflow import Side
from assessments.workflow import get as transition_of
from audit.models import AuditEvent
from common.dates import cn_date
from tests.assessments.conftest import PDF_BYTES, fill_self
from tests.factories import BranchFactory, TownshipFactory, user_with_role
from villages.models import Village

S = Assessment.Status
SUBMIT_GUARDS = transition_of("submit").guards


def _board(cycle, branch=None):
    return reverse("assessments:branch_board", args=[cycle.campaign.pk, (branch or cycle.org.branch).pk])


def _forward_url(cycle, branch=None):
    return reverse("assessments:branch_forward", args=[cycle.campaign.pk, (branch or cycle.org.branch).pk])


def _submit(cycle, name):
    fill_self(cycle.a[name], cycle.committee, cycle.supervisor)
    # The fixture's committee member belongs to 东村; act as each village's own side.
    return assessment_transition(
        assessment=cycle.a[name], action="submit", actor=cycle.committee, sides={Side.SELF}
    )


def _status(cycle, name):
    return Assessment.objects.get(pk=cycle.a[name].pk).status


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _fresh(a):
    return Assessment.objects.select_related("campaign", "village").get(pk=a.pk)


# --- Who sees the board ----------------------------------------------------------------------------


def test_secretary_sees_the_branch_villages_only_with_checkboxes_and_forward_button(client, cycle):
    _submit(cycle, "东村")
    _submit(cycle, "南村")  # another branch: never on this board
    client.force_login(cycle.secretary)
    response = client.get(_board(cycle))
    assert response.status_code == 200
    assert [a.village.name for a in response.context["ready"]] == ["东村"]
    assert [a.village.name for a in response.context["pending"]] == ["西村"]
    page = response.content.decode()
    assert "南村" not in page
    assert f'name="assessment" value="{cycle.a["东村"].pk}"' in page
    assert _forward_url(cycle) in page
    assert reverse("assessments:transition", args=[cycle.a["东村"].pk, "branch_return"]) in page


@pytest.mark.parametrize("who", ["reviewer", "leader", "city"])
def test_township_roles_see_the_board_read_only(client, cycle, who):
    _submit(cycle, "东村")
    client.force_login(getattr(cycle, who))
    response = client.get(_board(cycle))
    assert response.status_code == 200
    assert response.context["own"] is False
    page = response.content.decode()
    assert _forward_url(cycle) not in page
    assert 'name="assessment"' not in page
    assert "branch_return" not in page


@pytest.mark.parametrize("who", ["reviewer", "leader", "city"])
def test_read_only_viewers_cannot_forward(client, cycle, who):
    _submit(cycle, "东村")
    client.force_login(getattr(cycle, who))
    response = client.post(_forward_url(cycle), {"assessment": [cycle.a["东村"].pk]})
    assert response.status_code == 404
    assert _status(cycle, "东村") == S.SUBMITTED
    assert AuditEvent.objects.filter(action="access.denied", result="failure").exists()


def test_secretary_of_another_branch_village_members_and_units_get_404(client, cycle):
    for user in (
        user_with_role(Role.BRANCH_SECRETARY, cycle.org.other_branch),
        cycle.committee,
        cycle.supervisor,
        user_with_role(Role.UNIT_STAFF, cycle.org.unit),
        user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.other_town),
    ):
        client.force_login(user)
        assert client.get(_board(cycle)).status_code == 404, user
        assert client.post(_forward_url(cycle), {"assessment": [cycle.a["东村"].pk]}).status_code == 404


def test_the_secretary_of_branch_2_sees_its_own_board_but_not_branch_1(client, cycle):
    client.force_login(user_with_role(Role.BRANCH_SECRETARY, cycle.org.other_branch))
    response = client.get(_board(cycle, cycle.org.other_branch))
    assert [a.village.name for a in response.context["pending"]] == ["南村"]
    assert client.get(_board(cycle)).status_code == 404


def test_a_branch_of_another_township_or_a_township_level_campaign_is_404(client, cycle):
    client.force_login(cycle.reviewer)
    stranger = BranchFactory(township=cycle.org.other_town)
    assert client.get(_board(cycle, stranger)).status_code == 404
    Campaign.objects.filter(pk=cycle.campaign.pk).update(level="township", township=None)
    # (a township-level campaign has no branches; the check constraint allows this shape)
    assert client.get(_board(cycle)).status_code == 404


# --- Why a village is not ready --------------------------------------------------------------------


def test_not_started_village_lists_what_is_missing_exactly_as_the_submit_guard_says(client, cycle):
    client.force_login(cycle.secretary)
    response = client.get(_board(cycle))
    (xi,) = [a for a in response.context["pending"] if a.village.name == "西村"]
    assert xi.state == "未开始"
    expected = guard_problems(_fresh(cycle.a["西村"]), SUBMIT_GUARDS)
    assert xi.reasons == expected
    assert xi.reasons[-3:] == [
        "请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。",
        "本轮提交尚须村“两委”成员签署确认。",
        "本轮提交尚须村务监督委员会成员签署确认。",
    ]
    assert xi.reasons[0].startswith("还有 ") and xi.reasons[0].endswith("等。")
    assert xi.reasons[1] == "负面清单自查还有 7 项未作答。"


def test_partly_filled_village_shows_the_remaining_codes_and_the_missing_signoff(client, cycle):
    a = cycle.a["西村"]
    village_scored = IndicatorScore.objects.filter(assessment=a, indicator__scored_by="village_and_township")
    keep = list(village_scored.order_by("indicator__dimension__sort_order", "indicator__sort_order")[:2])
    village_scored.exclude(pk__in=[s.pk for s in keep]).update(self_score=1)
    VetoCheck.objects.filter(assessment=a).update(self_answer=False)
    Evidence.objects.create(
        assessment=a,
        kind=Evidence.Kind.APPLICATION_FORM,
        file=ContentFile(PDF_BYTES, name="form.pdf"),
        original_name="申请表.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
        uploaded_by=cycle.committee,
    )
    Signoff.objects.create(assessment=a, side="committee", round=1, user=cycle.committee)
    client.force_login(cycle.secretary)
    (xi,) = [a for a in client.get(_board(cycle)).context["pending"] if a.village.name == "西村"]
    codes = "、".join(s.indicator.code for s in keep)
    assert xi.state == "填报中"
    assert xi.reasons == [f"还有 2 项指标未自评：{codes}。", "本轮提交尚须村务监督委员会成员签署确认。"]
    assert xi.reasons == guard_problems(_fresh(a), SUBMIT_GUARDS)


def test_returned_village_shows_the_return_reason_and_what_the_new_round_needs(client, cycle):
    _submit(cycle, "西村")
    assessment_transition(
        assessment=cycle.a["西村"], action="branch_return", actor=cycle.secretary, reason="申请表未盖章"
    )
    client.force_login(cycle.secretary)
    response = client.get(_board(cycle))
    (xi,) = [a for a in response.context["pending"] if a.village.name == "西村"]
    assert xi.state == "已退回"
    assert (xi.returned_by, xi.return_reason) == ("党总支退回", "申请表未盖章")
    assert xi.reasons == ["本轮提交尚须村“两委”成员签署确认。", "本轮提交尚须村务监督委员会成员签署确认。"]
    assert xi.reasons == guard_problems(_fresh(cycle.a["西村"]), SUBMIT_GUARDS)
    assert "党总支退回理由：申请表未盖章" in response.content.decode()


def test_after_the_deadline_the_reason_says_so(client, cycle):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Campaign.objects.filter(pk=cycle.campaign.pk).update(self_deadline=yesterday)
    client.force_login(cycle.secretary)
    dong = client.get(_board(cycle)).context["pending"][0]
    assert dong.reasons[0] == f"自评截止日（{cn_date(yesterday)}）已过，如需修改请联系镇纪委延期。"
    assert dong.reasons == guard_problems(_fresh(cycle.a["东村"]), SUBMIT_GUARDS)


# --- Forward ---------------------------------------------------------------------------------------


def test_forward_sends_the_selected_ready_villages_as_one_batch(client, cycle):
    _submit(cycle, "东村")
    _submit(cycle, "西村")
    client.force_login(cycle.secretary)
    ids = [cycle.a["东村"].pk, cycle.a["西村"].pk]
    response = client.post(_forward_url(cycle), {"assessment": ids}, follow=True)
    assert response.redirect_chain == [(_board(cycle), 302)]
    assert _messages(response) == ["已向镇街报送 2 个村：东村、西村。"]
    for name in ("东村", "西村"):
        a = Assessment.objects.get(pk=cycle.a[name].pk)
        assert a.status == S.FORWARDED and a.forwarded_at is not None
        event = AssessmentEvent.objects.get(assessment=a, action="forward")
        assert (event.actor, event.from_value, event.to_value) == (cycle.secretary, "村已提交", "已报镇街")
    batch = AuditEvent.objects.get(action="branch.forward")
    assert batch.result == "success" and batch.detail["count"] == 2
    assert batch.message == "第一党总支向镇街报送2个村：东村、西村"
    assert [a.village.name for a in response.context["sent"]] == ["东村", "西村"]


def test_a_forged_id_of_another_branch_refuses_the_whole_batch(client, cycle):
    _submit(cycle, "东村")
    _submit(cycle, "南村")
    client.force_login(cycle.secretary)
    nan = cycle.a["南村"].pk
    response = client.post(_forward_url(cycle), {"assessment": [cycle.a["东村"].pk, nan]}, follow=True)
    assert _messages(response) == [
        f"未报送，本批没有任何村被报送：编号 {nan} 不是第一党总支在本年度测评中的村，不能报送。"
    ]
    assert _status(cycle, "东村") == S.SUBMITTED
    assert _status(cycle, "南村") == S.SUBMITTED
    assert not AssessmentEvent.objects.filter(action="forward").exists()
    assert not AuditEvent.objects.filter(action="branch.forward", result="success").exists()
    assert AuditEvent.objects.filter(action="branch.forward", result="failure").count() == 1


def test_an_id_of_another_campaign_is_refused_too(client, cycle):
    town = cycle.org.town
    other = campaign_create(actor=None, township=town, year=2023, standard=cycle.standard)
    old = other.assessments.get(village=cycle.org.village)
    Assessment.objects.filter(pk=old.pk).update(status=S.SUBMITTED)
    client.force_login(cycle.secretary)
    response = client.post(_forward_url(cycle), {"assessment": [old.pk]}, follow=True)
    assert _messages(response) == [
        f"未报送，本批没有任何村被报送：编号 {old.pk} 不是第一党总支在本年度测评中的村，不能报送。"
    ]
    assert Assessment.objects.get(pk=old.pk).status == S.SUBMITTED


def test_a_village_not_yet_submitted_refuses_the_whole_batch(client, cycle):
    _submit(cycle, "东村")
    client.force_login(cycle.secretary)
    ids = [cycle.a["东村"].pk, cycle.a["西村"].pk]
    response = client.post(_forward_url(cycle), {"assessment": ids}, follow=True)
    assert _messages(response) == [
        "未报送，本批没有任何村被报送：西村当前状态为“填报中”，尚未提交，不能报送。"
    ]
    assert _status(cycle, "东村") == S.SUBMITTED


def test_double_post_forwards_nothing_the_second_time_and_says_so(client, cycle):
    _submit(cycle, "东村")
    client.force_login(cycle.secretary)
    data = {"assessment": [cycle.a["东村"].pk]}
    client.post(_forward_url(cycle), data, follow=True)
    response = client.post(_forward_url(cycle), data, follow=True)
    assert _messages(response) == ["所选的村此前已报送镇街，本次没有重复报送：东村。"]
    assert AssessmentEvent.objects.filter(action="forward").count() == 1
    assert AuditEvent.objects.filter(action="branch.forward", result="success").count() == 1
    assert _status(cycle, "东村") == S.FORWARDED


def test_empty_or_garbage_selection_is_refused(client, cycle):
    _submit(cycle, "东村")
    client.force_login(cycle.secretary)
    assert _messages(client.post(_forward_url(cycle), {}, follow=True)) == [
        "未报送，本批没有任何村被报送：请选择要报送镇街的村。"
    ]
    response = client.post(_forward_url(cycle), {"assessment": [cycle.a["东村"].pk, "1 or 1=1"]}, follow=True)
    assert _messages(response) == ["未报送，本批没有任何村被报送：所选内容有误，请刷新页面后重新选择。"]
    assert _status(cycle, "东村") == S.SUBMITTED


def test_forward_requires_post(client, cycle):
    client.force_login(cycle.secretary)
    assert client.get(_forward_url(cycle)).status_code == 405


def test_branch_return_from_the_board_goes_through_the_generic_transition(client, cycle):
    _submit(cycle, "西村")
    client.force_login(cycle.secretary)
    url = reverse("assessments:transition", args=[cycle.a["西村"].pk, "branch_return"])
    response = client.post(url, {"reason": "评分表缺页", "next": _board(cycle)})
    assert response.status_code == 302 and response["Location"] == _board(cycle)
    assert _status(cycle, "西村") == S.RETURNED
    assert AssessmentEvent.objects.get(action="branch_return").reason == "评分表缺页"


# --- Query budget ----------------------------------------------------------------------------------


def _branch_of(standard, n):
    """A township with one branch of n villages in a campaign, in every state the board explains."""
    town = TownshipFactory(name=f"规模镇{n}")
    branch = BranchFactory(township=town, name="规模党总支")
    Village.objects.bulk_create(
        Village(township=town, branch=branch, name=f"村{i:03d}", sort_order=i) for i in range(n)
    )
    today = timezone.localdate()
    campaign = campaign_create(
        actor=None,
        township=town,
        year=2024,
        standard=standard,
        self_deadline=today + datetime.timedelta(days=3),
    )
    rows = list(campaign.assessments.order_by("village__sort_order"))
    ready = [a.pk for i, a in enumerate(rows) if i % 4 == 0]
    returned = [a.pk for i, a in enumerate(rows) if i % 4 == 1]
    partial = [a.pk for i, a in enumerate(rows) if i % 4 == 2]
    IndicatorScore.objects.filter(assessment_id__in=ready + returned + partial).update(self_score=1)
    VetoCheck.objects.filter(assessment_id__in=ready + returned).update(self_answer=False)
    Assessment.objects.filter(pk__in=ready).update(status=S.SUBMITTED, round=1)
    Assessment.objects.filter(pk__in=returned).update(status=S.RETURNED, round=1)
    AssessmentEvent.objects.bulk_create(
        AssessmentEvent(assessment_id=pk, action="branch_return", reason="补充材料", round=1)
        for pk in returned
    )
    return campaign, branch


def test_board_query_count_is_the_same_for_10_and_200_villages(client, standard):
    counts = []
    for n in (10, 200):
        campaign, branch = _branch_of(standard, n)
        client.force_login(user_with_role(Role.BRANCH_SECRETARY, branch))
        url = reverse("assessments:branch_board", args=[campaign.pk, branch.pk])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["ready"]) == len(range(0, n, 4))
        assert response.context["total"] == n
        returned = [a for a in response.context["pending"] if a.state == "已退回"]
        assert returned and all(a.return_reason == "补充材料" for a in returned)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    # session, user, memberships, unread notifications, campaign, branch, rows, missing codes, plus the
    # first request's session save; then the standard's grades and two reads for the self estimates
    assert counts[1] <= 14


def test_a_village_returned_by_the_township_says_who_returned_it(client, cycle):
    _submit(cycle, "东村")
    assessment_transition(assessment=cycle.a["东村"], action="forward", actor=cycle.secretary)
    assessment_transition(
        assessment=cycle.a["东村"], action="return", actor=cycle.reviewer, reason="第3项佐证不全"
    )
    client.force_login(cycle.secretary)
    (dong,) = [a for a in client.get(_board(cycle)).context["pending"] if a.village.name == "东村"]
    assert (dong.state, dong.returned_by, dong.return_reason) == ("已退回", "镇街退回", "第3项佐证不全")


def test_home_has_no_branch_card_before_a_campaign_exists(client, org):
    client.force_login(user_with_role(Role.BRANCH_SECRETARY, org.branch))
    page = client.get("/").content.decode()
    assert "本党总支报送" not in page
    assert "测评年度" in page
