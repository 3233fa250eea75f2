"""The generic transition endpoint: actions from the table only, a safe `next`, JSON for fetch()."""

import pytest

from accounts.models import Role
from assessments.models import Assessment, AssessmentEvent
from tests.assessments.conftest import fill_self
from tests.factories import user_with_role

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def url(a, action):
    return f"/assessments/a/{a.pk}/transition/{action}/"


@pytest.fixture
def east(cycle):
    return cycle.a["东村"]


def test_an_unknown_action_is_404(client, cycle, east):
    client.force_login(cycle.committee)
    assert client.post(url(east, "approve_everything")).status_code == 404


def test_a_transition_only_accepts_post(client, cycle, east):
    client.force_login(cycle.committee)
    assert client.get(url(east, "submit")).status_code == 405


def test_an_assessment_out_of_scope_is_404(client, cycle, east):
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, cycle.org.cousin))
    fill_self(east, cycle.committee, cycle.supervisor)
    assert client.post(url(east, "submit")).status_code == 404
    east.refresh_from_db()
    assert east.status == "draft"


def test_a_read_only_leader_gets_403(client, cycle, east):
    client.force_login(cycle.leader)
    fill_self(east, cycle.committee, cycle.supervisor)
    assert client.post(url(east, "submit")).status_code == 403
    east.refresh_from_db()
    assert east.status == "draft"


def test_a_side_without_the_action_is_refused_with_a_message(client, cycle, east):
    client.force_login(cycle.secretary)
    fill_self(east, cycle.committee, cycle.supervisor)
    response = client.post(url(east, "submit"))
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == ["您不能对东村执行“提交自评”。"]


def test_success_redirects_to_a_safe_next(client, cycle, east):
    client.force_login(cycle.committee)
    fill_self(east, cycle.committee, cycle.supervisor)
    response = client.post(url(east, "submit"), {"next": f"/assessments/a/{east.pk}/self/"})
    assert response["Location"] == f"/assessments/a/{east.pk}/self/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_an_unsafe_next_falls_back_to_the_overview(client, cycle, east, target):
    client.force_login(cycle.committee)
    response = client.post(url(east, "submit"), {"next": target})
    assert response["Location"] == f"/assessments/a/{east.pk}/"


def test_fetch_gets_json_answers(client, cycle, east):
    client.force_login(cycle.committee)
    refused = client.post(url(east, "submit"), **XHR)
    assert refused.status_code == 400
    assert "负面清单自查还有 7 项未作答。" in refused.json()["errors"]
    fill_self(east, cycle.committee, cycle.supervisor)
    done = client.post(url(east, "submit"), **XHR).json()
    assert done == {
        "ok": True,
        "status": "submitted",
        "status_display": "村已提交",
        "round": 1,
        "message": "已提交自评。东村当前状态：村已提交。",
    }


def test_a_reason_is_required_where_the_table_says_so(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    Assessment.objects.filter(pk=east.pk).update(status="submitted", round=1)
    client.force_login(cycle.secretary)
    refused = client.post(url(east, "branch_return"), **XHR)
    assert refused.json()["errors"] == ["“退回村修改”须填写理由。"]
    client.post(url(east, "branch_return"), {"reason": "申请表未盖章"})
    east.refresh_from_db()
    assert east.status == "returned"
    event = AssessmentEvent.objects.get(assessment=east, action="branch_return")
    assert (event.reason, event.actor) == ("申请表未盖章", cycle.secretary)


def test_the_branch_secretary_forwards_a_submitted_village(client, cycle, east):
    Assessment.objects.filter(pk=east.pk).update(status="submitted", round=1)
    client.force_login(cycle.secretary)
    client.post(url(east, "forward"))
    east.refresh_from_db()
    assert east.status == "forwarded"


def test_the_overview_draws_the_buttons_of_the_table(client, cycle, east):
    Assessment.objects.filter(pk=east.pk).update(status="submitted", round=1)
    client.force_login(cycle.secretary)
    page = client.get(f"/assessments/a/{east.pk}/")
    assert [t.action for t in page.context["transitions"]] == ["forward", "branch_return"]
    html = page.content.decode()
    assert f'action="/assessments/a/{east.pk}/transition/forward/"' in html
    assert 'data-confirm="确定将所选村的材料报送镇街吗？"' in html
    assert 'id="reason-branch_return" name="reason" rows="2" required' in html


def test_grades_are_not_confirmed_one_assessment_at_a_time(client, cycle, east):
    Assessment.objects.filter(pk=east.pk).update(status="reviewed", round=1)
    client.force_login(cycle.reviewer)
    page = client.get(f"/assessments/a/{east.pk}/")
    assert "confirm_grade" not in [t.action for t in page.context["transitions"]]
    response = client.post(url(east, "confirm_grade"))
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == ["“确认定级”须在“初审定级”页面对本年度全部测评统一进行。"]
    east.refresh_from_db()
    assert east.status == "reviewed"
    assert not AssessmentEvent.objects.filter(action="confirm_grade").exists()
