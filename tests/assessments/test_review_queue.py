"""The reviewer's queue (issue 12): progress per village counted in SQL with a flat query count, names that
open the review, 上一个村 / 下一个村 in the list's order and filter, in-place saves answered with JSON, the
negative list confirmed in one step, and the rule counts agreeing with the direct-score box."""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import Assessment, AssessmentEvent, BonusClaim, IndicatorScore, VetoCheck
from assessments.services import WorkflowError
from assessments.services.campaigns import campaign_create
from assessments.services.review import score_save_review, veto_check_review, veto_checks_clear_all
from assessments.services.transitions import assessment_transition
from audit.models import AuditEvent
from common.errors import ConflictError
from tests.assessments.test_review import claim, review_everything, score_of, submit_and_forward
from tests.factories import BranchFactory, TownshipFactory, user_with_role
from villages.models import Village

S = Assessment.Status
JSON = {"HTTP_ACCEPT": "application/json"}


def _url(name, *args):
    return reverse(f"assessments:{name}", args=args)


def _expected(a):
    return {v.pk: v.version for v in VetoCheck.objects.filter(assessment=a, review="")}


# --- the negative list in one step ---------------------------------------------------------------------


def test_clearing_the_negative_list_in_one_step_writes_every_item_one_event_and_one_audit_row(cycle):
    a = submit_and_forward(cycle)
    first = VetoCheck.objects.filter(assessment=a).order_by("veto_item__sort_order").first()
    veto_check_review(
        assessment=a,
        check=first,
        expected_version=first.version,
        actor=cycle.reviewer,
        decision="cleared",
        reason="已单独核查",
    )
    audits = AuditEvent.objects.count()
    count = veto_checks_clear_all(
        assessment=a, actor=cycle.reviewer, reason="经查阅信访、纪检台账，均未发现", expected=_expected(a)
    )
    assert count == 6
    checks = VetoCheck.objects.filter(assessment=a)
    assert set(checks.values_list("review", flat=True)) == {"cleared"}
    assert checks.filter(review_reason="经查阅信访、纪检台账，均未发现").count() == 6
    first.refresh_from_db()
    assert (first.review_reason, first.version) == ("已单独核查", 2)  # decided before: untouched
    event = AssessmentEvent.objects.filter(assessment=a).last()
    assert (event.action, event.subject, event.reason) == (
        "review_veto_clear_all",
        "负面清单 6 项全部未发现（确认）",
        "经查阅信访、纪检台账，均未发现",
    )
    assert AuditEvent.objects.count() == audits + 1
    assert AuditEvent.objects.filter(action="assessment.review_veto_clear_all").count() == 1


def test_the_bulk_check_refuses_items_the_village_reported_and_writes_nothing(cycle):
    a = submit_and_forward(cycle)
    found = VetoCheck.objects.filter(assessment=a).order_by("veto_item__sort_order")[2]
    VetoCheck.objects.filter(pk=found.pk).update(self_answer=True, self_note="村干部受党纪处分")
    events = AssessmentEvent.objects.filter(assessment=a).count()
    with pytest.raises(WorkflowError) as err:
        veto_checks_clear_all(assessment=a, actor=cycle.reviewer, reason="未发现", expected=_expected(a))
    assert found.veto_item.code in str(err.value) and "须逐项核实" in str(err.value)
    assert not VetoCheck.objects.filter(assessment=a).exclude(review="").exists()
    assert AssessmentEvent.objects.filter(assessment=a).count() == events
    a.refresh_from_db()
    assert a.status == S.FORWARDED  # the automatic start of the review is rolled back too
    # Decided on its own, the reported item no longer blocks the rest.
    veto_check_review(
        assessment=a,
        check=found,
        expected_version=found.version,
        actor=cycle.reviewer,
        decision="confirmed",
        reason="属实",
    )
    assert (
        veto_checks_clear_all(assessment=a, actor=cycle.reviewer, reason="未发现", expected=_expected(a)) == 6
    )


def test_the_bulk_check_is_refused_when_the_items_changed_since_the_page_was_loaded(cycle):
    a = submit_and_forward(cycle)
    seen = _expected(a)
    other = user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.town, username="jiwei_2")
    one = VetoCheck.objects.get(pk=next(iter(seen)))
    veto_check_review(
        assessment=a,
        check=one,
        expected_version=one.version,
        actor=other,
        decision="confirmed",
        reason="另一人核实属实",
    )
    with pytest.raises(ConflictError) as err:
        veto_checks_clear_all(assessment=a, actor=cycle.reviewer, reason="未发现", expected=seen)
    assert "已被他人核实或修改" in str(err.value)
    assert VetoCheck.objects.filter(assessment=a, review="cleared").count() == 0
    one.refresh_from_db()
    assert one.review == "confirmed"


def test_the_bulk_check_needs_a_note(cycle):
    a = submit_and_forward(cycle)
    with pytest.raises(WorkflowError) as err:
        veto_checks_clear_all(assessment=a, actor=cycle.reviewer, reason="  ", expected=_expected(a))
    assert "请填写核实说明" in str(err.value)


def test_the_bulk_form_posts_in_place_and_without_javascript(client, cycle):
    a = submit_and_forward(cycle)
    client.force_login(cycle.reviewer)
    page = client.get(_url("review_edit", a.pk)).content.decode()
    assert "全部未发现（确认）" in page
    form = {f"check_{pk}": str(version) for pk, version in _expected(a).items()}
    url = _url("review_veto_clear_all", a.pk)
    response = client.post(url, {**form, "reason": ""}, **JSON)
    assert response.status_code == 400 and "请填写核实说明" in response.json()["errors"][0]
    response = client.post(url, {**form, "reason": "均未发现"}, **JSON)
    body = response.json()
    assert response.status_code == 200 and body["ok"] and body["cleared"] == 7
    assert len([k for k in body["rows"] if k.startswith("veto-")]) == 7
    assert body["progress"]["vetoes"] == [7, 7]
    assert "全部未发现（确认）" not in body["parts"]["veto-bulk"]  # nothing left to confirm
    # The same form again (a double submit) finds nothing pending: refused, nothing written twice.
    response = client.post(url, {**form, "reason": "均未发现"}, **JSON)
    assert response.status_code == 400
    assert AssessmentEvent.objects.filter(assessment=a, action="review_veto_clear_all").count() == 1
    # Without JavaScript: a redirect back to the list, with the queue's filter kept.
    b = submit_and_forward(cycle, "西村")
    form = {f"check_{pk}": str(v) for pk, v in _expected(b).items()}
    response = client.post(
        _url("review_veto_clear_all", b.pk), {**form, "reason": "均未发现", "queue": "status=todo&x=<b>"}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("review_edit", b.pk) + "?status=todo#vetoes"


# --- in-place saves ------------------------------------------------------------------------------------


def test_a_score_saved_in_place_answers_with_its_row_totals_progress_and_buttons(client, cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    client.force_login(cycle.reviewer)
    url = _url("review_score_save", a.pk, s.pk)
    response = client.post(url, {"version": "1", "value": "3", "reason": "材料不全"}, **JSON)
    body = response.json()
    assert response.status_code == 200 and body["ok"]
    assert (body["score"], body["version"], body["status"]) == ("3", 2, "in_review")
    assert body["totals"]["review_base"] == "95"
    assert body["progress"]["scores"] == [1, 26]
    row = body["rows"][f"score-{s.pk}"]
    assert row.strip().startswith(f'<tr id="score-{s.pk}">') and 'name="version" value="2"' in row
    assert "已调整" in row
    assert 'id="review-totals"' in body["parts"]["totals"] and "95" in body["parts"]["totals"]
    # Now under review, the buttons offer 完成初审, closed with the reasons until every line is decided.
    transitions = body["parts"]["transitions"]
    assert "/transition/complete_review/" in transitions and "还有 25 项指标未初审打分" in transitions
    # A stale version: 409 with the stored value and its version (a second save is a deliberate overwrite).
    response = client.post(url, {"version": "1", "value": "2", "reason": "另一人"}, **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] and body["version"] == 2 and "初审得分 3" in body["errors"][0]
    s.refresh_from_db()
    assert s.review_score == D("3")


def test_the_last_decision_opens_complete_review_and_complete_and_next_goes_to_the_next_village(
    client, cycle
):
    a = submit_and_forward(cycle)
    b = submit_and_forward(cycle, "南村")
    review_everything(a, cycle.reviewer)
    last = VetoCheck.objects.filter(assessment=a).first()
    VetoCheck.objects.filter(pk=last.pk).update(review="")
    client.force_login(cycle.reviewer)
    response = client.post(
        _url("review_veto_save", a.pk, last.pk),
        {"version": str(last.version), "decision": "cleared", "reason": "未发现", "queue": "status=todo"},
        **JSON,
    )
    transitions = response.json()["parts"]["transitions"]
    assert re.search(r'<button type="submit" class="btn btn-sm btn-success">完成初审</button>', transitions)
    next_url = _url("review_edit", b.pk) + "?status=todo"
    assert f'name="next" value="{next_url}"' in transitions and "完成初审并进入下一个村" in transitions
    # The button posts the form's own `next` (this page) and its value (the next village) after it: the
    # last one wins, so the reviewer lands on the next village's review.
    response = client.post(
        _url("transition", a.pk, "complete_review"), {"next": [_url("review_edit", a.pk), next_url]}
    )
    a.refresh_from_db()
    assert a.status == S.REVIEWED
    assert response["Location"] == next_url  # the clicked button's value comes last and wins


# --- queue order, filter and navigation ----------------------------------------------------------------


def test_previous_and_next_follow_the_queue_order_and_filter(client, cycle):
    east, south = submit_and_forward(cycle), submit_and_forward(cycle, "南村")
    west = cycle.a["西村"]
    client.force_login(cycle.reviewer)
    # Unfiltered, by name: 东村, 南村, 西村.
    ctx = client.get(_url("review_edit", south.pk)).context
    assert (ctx["nav"].previous, ctx["nav"].next, ctx["nav"].position, ctx["nav"].total) == (
        east.pk,
        west.pk,
        2,
        3,
    )
    # Only those waiting for review: 西村 (a draft) is not in the list.
    ctx = client.get(_url("review_edit", south.pk), {"status": "todo"}).context
    assert (ctx["nav"].previous, ctx["nav"].next, ctx["nav"].total) == (east.pk, None, 2)
    assert ctx["prev_url"] == _url("review_edit", east.pk) + "?status=todo"
    # A village that dropped out of the filter (just completed) keeps its place: the walk goes on.
    review_everything(east, cycle.reviewer)
    assessment_transition(assessment=east, action="complete_review", actor=cycle.reviewer)
    ctx = client.get(_url("review_edit", east.pk), {"status": "todo"}).context
    assert (ctx["nav"].previous, ctx["nav"].next) == (None, south.pk)
    # Sorted by branch: 第一党总支 (东村, 西村) before 第二党总支 (南村).
    ctx = client.get(_url("review_edit", south.pk), {"sort": "branch"}).context
    assert (ctx["nav"].previous, ctx["nav"].next, ctx["nav"].position) == (west.pk, None, 3)


def test_the_queue_shows_review_progress_and_opens_the_review_for_the_reviewer_only(client, cycle):
    a = submit_and_forward(cycle)
    claim(a, "B01", "1")
    score_save_review(
        assessment=a, score=score_of(a, "V1.2"), actor=cycle.reviewer, expected_version=1, accept=True
    )
    client.force_login(cycle.reviewer)
    url = _url("campaign_detail", cycle.campaign.pk)
    response = client.get(url, {"status": "todo"})
    rows = response.context["page_obj"].object_list
    assert [r.village.name for r in rows] == ["东村"]
    assert rows[0].progress == {"scores": (1, 26), "claims": (0, 1), "vetoes": (0, 7)}
    html = response.content.decode()
    assert f'href="{_url("review_edit", a.pk)}?status=todo"' in html
    assert '指标 <span class="progress-scores">1/26</span>' in html
    # Sorted by progress, most reviewed first.
    names = [r.village.name for r in client.get(url, {"sort": "-progress"}).context["page_obj"].object_list]
    assert names[0] == "东村"
    # The leader sees progress but no review links; a branch secretary neither.
    client.force_login(cycle.leader)
    html = client.get(url).content.decode()
    assert _url("review_edit", a.pk) not in html and "progress-scores" in html
    client.force_login(cycle.secretary)
    html = client.get(url).content.decode()
    assert _url("review_edit", a.pk) not in html and "progress-scores" not in html
    assert _url("assessment_detail", a.pk) in html


def _town(standard, n):
    """A township with n villages, half of them forwarded with a bonus claim each, and its campaign."""
    town = TownshipFactory(name=f"队列镇{n}")
    branch = BranchFactory(township=town, name="队列党总支")
    Village.objects.bulk_create(
        Village(township=town, branch=branch, name=f"村{i:03d}", sort_order=i) for i in range(n)
    )
    today = timezone.localdate()
    campaign = campaign_create(
        actor=None,
        township=town,
        year=2024,
        standard=standard,
        self_deadline=today - datetime.timedelta(days=1),
        submission_deadline=today + datetime.timedelta(days=5),
    )
    forwarded = Assessment.objects.filter(campaign=campaign, village__sort_order__lt=n // 2)
    forwarded.update(status=S.FORWARDED)
    item = standard.bonus_items.first()
    BonusClaim.objects.bulk_create(
        BonusClaim(assessment=a, bonus_item=item, claimed_points=1) for a in forwarded
    )
    IndicatorScore.objects.filter(assessment__in=forwarded, indicator__code="V1.1").update(review_score=1)
    return town, campaign


def test_the_queue_query_count_is_the_same_for_3_and_12_villages(client, standard):
    counts = []
    for n in (3, 12):
        town, campaign = _town(standard, n)
        client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, town))
        url = _url("campaign_detail", campaign.pk)
        client.get(url)  # the first request saves the session
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"sort": "progress"})
        rows = response.context["page_obj"].object_list
        assert len(rows) == n
        forwarded = [r for r in rows if r.status == S.FORWARDED]
        assert len(forwarded) == n // 2
        assert all(r.progress == {"scores": (1, 26), "claims": (0, 1), "vetoes": (0, 7)} for r in forwarded)
        assert rows[-1].progress["scores"] == (1, 26)  # sorted by progress: reviewed ones last
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 15


def test_the_review_page_query_count_does_not_grow_with_the_queue(client, standard):
    counts = []
    for n in (3, 12):
        town, campaign = _town(standard, n)
        client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, town))
        a = campaign.assessments.get(village__sort_order=1)
        url = _url("review_edit", a.pk)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"status": "todo"}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- the rule counts and the direct-score box agree ----------------------------------------------------


def _inputs(html, score_pk):
    row = re.search(rf'<tr id="score-{score_pk}">(.*?)</tr>', html, re.S).group(1)
    counts = [int(v) for v in re.findall(r'name="rule_\d+" value="(\d+)"', row)]
    direct = re.search(r'name="value" id="v\d+"[^>]*value="([^"]*)"', row).group(1)
    current = re.search(r'class="score current-review">([^<]*)<', row).group(1)
    return counts, direct, current


def test_after_accepting_the_rest_the_rule_counts_say_the_same_score_as_the_review(client, cycle):
    """Before the fix 采纳其余自评 copied the score without the village's rules: the page showed zero
    deductions beside a direct score of 2.5, and saving the row untouched would have kept 2.5 while the
    counts said 3."""
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.1")
    month = s.indicator.rules.get(per="月")
    IndicatorScore.objects.filter(pk=s.pk).update(self_score=D("2.5"), self_rules={str(month.pk): 1})
    client.force_login(cycle.reviewer)
    client.post(_url("review_accept_remaining", a.pk))
    s.refresh_from_db()
    assert (s.review_score, s.review_rules) == (D("2.50"), {str(month.pk): 1})
    counts, direct, current = _inputs(client.get(_url("review_edit", a.pk)).content.decode(), s.pk)
    assert (sum(counts), direct, current) == (1, "", "2.5")
    # A direct score saved in place: the returned row shows no deductions beside it.
    response = client.post(
        _url("review_score_save", a.pk, s.pk),
        {"version": str(s.version), "value": "2", f"rule_{month.pk}": "1", "reason": "另有缺失"},
        **JSON,
    )
    counts, direct, current = _inputs(response.json()["rows"][f"score-{s.pk}"], s.pk)
    assert (sum(counts), direct, current) == (0, "2", "2")
