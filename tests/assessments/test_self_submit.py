"""Submitting the self-assessment through the transition view, and when the sheet stops being editable."""

import datetime

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentEvent, Signoff
from tests.assessments.conftest import fill_self

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def east(cycle, client):
    client.force_login(cycle.committee)
    return cycle.a["东村"]


def submit(client, a, **extra):
    return client.post(f"/assessments/a/{a.pk}/transition/submit/", extra)


def messages_of(client, response):
    return [str(m) for m in client.get(response["Location"]).context["messages"]]


def save_v11(client, a, value="2"):
    row = a.scores.get(indicator__code="V1.1")
    return client.post(
        f"/assessments/a/{a.pk}/self/score/{row.pk}/", {"version": row.version, "value": value}, **XHR
    )


def test_submit_is_refused_with_one_message_listing_every_guard(client, east):
    response = submit(client, east)
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/a/{east.pk}/"
    assert messages_of(client, response) == [
        "未能提交自评，还须完成以下 5 项："
        "1. 还有 25 项指标未自评：V1.1、V1.2、V1.3、V1.4、V1.5、V1.6、V2.1、V2.2、V2.3、V2.4等。"
        "2. 负面清单自查还有 7 项未作答。"
        "3. 请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。"
        "4. 本轮提交尚须村“两委”成员签署确认。"
        "5. 本轮提交尚须村务监督委员会成员签署确认。"
    ]
    east.refresh_from_db()
    assert (east.status, east.round) == ("draft", 0)
    assert not AssessmentEvent.objects.filter(assessment=east).exists()


def test_the_sheet_lists_what_is_missing_before_submitting(client, east):
    page = client.get(f"/assessments/a/{east.pk}/self/")
    assert page.context["submit_problems"][1:] == [
        "负面清单自查还有 7 项未作答。",
        "请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。",
        "本轮提交尚须村“两委”成员签署确认。",
        "本轮提交尚须村务监督委员会成员签署确认。",
    ]


def test_a_complete_signed_assessment_is_submitted_once(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    response = submit(client, east)
    assert messages_of(client, response) == ["已提交自评。东村当前状态：村已提交。"]
    east.refresh_from_db()
    assert (east.status, east.round) == ("submitted", 1)
    assert east.submitted_at is not None
    event = AssessmentEvent.objects.get(assessment=east)
    assert (event.action, event.from_value, event.to_value, event.actor, event.round) == (
        "submit",
        "填报中",
        "村已提交",
        cycle.committee,
        1,
    )


def test_a_double_submit_leaves_one_transition_and_one_event(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    submit(client, east)
    second = submit(client, east)  # a double click: no page load in between
    assert messages_of(client, second) == [
        "已提交自评。东村当前状态：村已提交。",
        "东村当前状态为“村已提交”，不能执行“提交自评”。",
    ]
    east.refresh_from_db()
    assert (east.status, east.round, east.version) == ("submitted", 1, 2)
    assert AssessmentEvent.objects.filter(assessment=east, action="submit").count() == 1


def test_after_submitting_the_sheet_is_read_only(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    submit(client, east)
    response = save_v11(client, east)
    assert response.status_code == 400
    assert response.json()["errors"] == ["V1.1：当前状态为“村已提交”，自评内容不能修改。"]
    page = client.get(f"/assessments/a/{east.pk}/self/")
    assert page.context["editable"] is False
    assert "当前状态为“村已提交”，自评内容不能修改。" in page.content.decode()
    assert Signoff.objects.filter(assessment=east).count() == 2  # the submitted round's sign-offs stay


def test_a_returned_assessment_is_editable_again(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    Assessment.objects.filter(pk=east.pk).update(status="returned", round=1)
    assert save_v11(client, east).status_code == 200


def test_after_the_self_deadline_editing_is_refused(client, cycle, east):
    cycle.campaign.self_deadline = timezone.localdate() - datetime.timedelta(days=1)
    cycle.campaign.save()
    deadline = cycle.campaign.self_deadline
    response = save_v11(client, east)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        f"V1.1：自评截止日（{deadline.year}年{deadline.month}月{deadline.day}日）已过，如需修改请联系镇纪委延期。"
    ]
    assert east.scores.get(indicator__code="V1.1").self_score is None


def test_a_reopened_assessment_is_editable_until_the_new_date(client, cycle, east):
    cycle.campaign.self_deadline = timezone.localdate() - datetime.timedelta(days=1)
    cycle.campaign.save()
    Assessment.objects.filter(pk=east.pk).update(reopened_until=timezone.now() + datetime.timedelta(days=2))
    assert save_v11(client, east).status_code == 200
    Assessment.objects.filter(pk=east.pk).update(
        reopened_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert save_v11(client, east, value="1").status_code == 400


def test_withdrawing_needs_new_signoffs_for_the_next_round(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    submit(client, east)
    withdrawn = client.post(f"/assessments/a/{east.pk}/transition/withdraw/")
    assert messages_of(client, withdrawn) == [
        "已提交自评。东村当前状态：村已提交。",
        "已撤回提交。东村当前状态：填报中。",
    ]
    east.refresh_from_db()
    assert (east.status, east.round) == ("draft", 1)
    response = submit(client, east)
    assert messages_of(client, response) == [
        "未能提交自评，还须完成以下 2 项：1. 本轮提交尚须村“两委”成员签署确认。2. 本轮提交尚须村务监督委员会成员签署确认。"
    ]


@pytest.mark.django_db(transaction=True)
def test_two_parallel_submits_make_one_transition(cycle):
    import threading

    from django.db import connection, connections

    from assessments.services import WorkflowError, assessment_transition

    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel writers need PostgreSQL")
    east = cycle.a["东村"]
    fill_self(east, cycle.committee, cycle.supervisor)
    results = []
    barrier = threading.Barrier(2)

    def submit_now(user):
        try:
            barrier.wait()
            assessment_transition(assessment=Assessment.objects.get(pk=east.pk), action="submit", actor=user)
            results.append("ok")
        except WorkflowError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit_now, args=(u,)) for u in (cycle.committee, cycle.supervisor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    east.refresh_from_db()
    assert sorted(results) == ["ok", "refused"]
    assert (east.status, east.round) == ("submitted", 1)
    assert AssessmentEvent.objects.filter(assessment=east, action="submit").count() == 1
