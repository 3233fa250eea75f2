"""The 申请表 fields (Assessment.version as the lock) and the 两委 / 监委会 sign-offs of a round."""

import pytest

from assessments.models import Assessment, AssessmentEvent, Signoff

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def east(cycle, client):
    client.force_login(cycle.committee)
    return cycle.a["东村"]


def form_data(a, **overrides):
    data = {
        "version": a.version,
        "secretary_name": "王书记",
        "director_name": "李主任",
        "supervisor_chair_name": "赵主任",
        "households": "420",
        "population": "1530",
        "party_members": "46",
        "committee_members": "7",
        "collective_income": "35.5",
        "applied_grade": "DABIAO",
        "achievements": "建立小微权力清单。",
        "problems": "档案管理仍需规范。",
    }
    data.update(overrides)
    return data


def save_form(client, a, **overrides):
    return client.post(f"/assessments/a/{a.pk}/self/form/", form_data(a, **overrides), **XHR)


def test_the_application_form_is_saved_with_its_version(client, cycle, east):
    body = save_form(client, east).json()
    assert (body["ok"], body["version"]) == (True, 2)
    east.refresh_from_db()
    assert (east.secretary_name, east.households, str(east.collective_income), east.applied_grade) == (
        "王书记",
        420,
        "35.50",
        "DABIAO",
    )
    event = AssessmentEvent.objects.get(assessment=east, action="application_form")
    assert event.to_value.startswith("修改：村党组织书记、村委会主任")


def test_achievements_over_1500_characters_are_refused(client, east):
    response = save_form(client, east, achievements="廉" * 1501)
    assert response.status_code == 400
    assert response.json()["errors"] == ["主要做法与成效不能超过 1,500 字（现为 1,501 字）。"]
    east.refresh_from_db()
    assert (east.achievements, east.version) == ("", 1)
    assert save_form(client, east, achievements="廉" * 1500).json()["ok"] is True


def test_the_applied_grade_must_be_a_grade_of_the_standard(client, east):
    response = save_form(client, east, applied_grade="GOLD")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("申报等次：")
    east.refresh_from_db()
    assert east.applied_grade == ""


def test_negative_counts_are_refused(client, east):
    response = save_form(client, east, households="-3")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("户数：")


def test_fields_outside_the_form_are_ignored(client, east):
    save_form(client, east, status="confirmed", final_grade="SHIFAN", self_total="100", round="9")
    east.refresh_from_db()
    assert (east.status, east.final_grade, east.round) == ("draft", "", 0)


def test_a_stale_form_version_is_a_conflict_and_keeps_the_stored_values(client, east):
    Assessment.objects.filter(pk=east.pk).update(households=400, version=4)
    response = client.post(
        f"/assessments/a/{east.pk}/self/form/", form_data(east, households="420", version=1), **XHR
    )
    assert response.status_code == 409
    body = response.json()
    assert body["current"]["households"] == 400
    stored, mine = body["message"].split("，您的输入为 ")
    assert stored.startswith("他人已修改为 ")
    assert "户数“400”" in stored
    assert "户数“420”" in mine
    east.refresh_from_db()
    assert (east.households, east.version) == (400, 4)


# --- sign-offs ----------------------------------------------------------------------------------


def sign(client, a, side, opinion=""):
    return client.post(f"/assessments/a/{a.pk}/self/signoff/", {"side": side, "opinion": opinion}, **XHR)


def test_each_side_signs_once_per_round(client, cycle, east):
    body = sign(client, east, "committee", "同意提交").json()
    assert body["ok"] is True
    s = Signoff.objects.get(assessment=east)
    assert (s.side, s.round, s.user, s.opinion) == ("committee", 1, cycle.committee, "同意提交")
    again = sign(client, east, "committee")
    assert again.status_code == 400
    assert again.json()["errors"] == [f"本轮村“两委”已由{cycle.committee.display_name}签署，无需重复签署。"]
    assert Signoff.objects.count() == 1


def test_signing_for_the_other_committee_is_refused(client, cycle, east):
    response = sign(client, east, "supervisor")
    assert response.json()["errors"] == ["您不是村务监督委员会成员，不能代表村务监督委员会签署。"]
    client.force_login(cycle.supervisor)
    assert sign(client, east, "committee").json()["errors"] == ["您不是村“两委”成员，不能代表村“两委”签署。"]
    assert not Signoff.objects.exists()


@pytest.mark.parametrize("who", ["leader", "secretary"])
def test_roles_outside_the_village_cannot_sign(client, cycle, who):
    client.force_login(getattr(cycle, who))
    assert sign(client, cycle.a["东村"], "committee").status_code == 403
    assert not Signoff.objects.exists()


def test_a_change_after_signing_voids_the_signoffs_of_the_round(client, cycle, east):
    sign(client, east, "committee")
    from django.test import Client

    other = Client()
    other.force_login(cycle.supervisor)
    sign(other, east, "supervisor")
    assert Signoff.objects.filter(assessment=east, round=1).count() == 2
    v11 = east.scores.get(indicator__code="V1.1")
    client.post(f"/assessments/a/{east.pk}/self/score/{v11.pk}/", {"version": 1, "value": "2"}, **XHR)
    assert not Signoff.objects.filter(assessment=east).exists()
    void = AssessmentEvent.objects.get(assessment=east, action="signoff_void")
    assert void.subject == "签署失效"
    assert void.reason == "签署后修改了指标 V1.1，须重新签署确认。"
    assert cycle.committee.display_name in void.from_value
    assert cycle.supervisor.display_name in void.from_value


def test_the_sheet_shows_who_signed_this_round(client, cycle, east):
    sign(client, east, "committee")
    page = client.get(f"/assessments/a/{east.pk}/self/").content.decode()
    assert f"已由 {cycle.committee.display_name} 于" in page
    assert "以村“两委”成员身份签署" not in page
    assert "以村务监督委员会成员身份签署" not in page  # the committee member cannot sign for supervision


def test_the_service_itself_refuses_what_the_form_would(cycle, east):
    from assessments.services import WorkflowError
    from assessments.services.self_assessment import application_form_save

    with pytest.raises(WorkflowError) as err:
        application_form_save(
            assessment=east,
            actor=cycle.committee,
            data={"achievements": "廉" * 1501, "applied_grade": "GOLD", "status": "confirmed"},
            expected_version=1,
        )
    assert err.value.problems == [
        "申报等次须为本年度指数标准中的等次。",
        "主要做法与成效不能超过 1,500 字（现为 1,501 字）。",
    ]
    with pytest.raises(WorkflowError, match="您没有填报该自评的权限"):
        application_form_save(assessment=east, actor=cycle.leader, data={"households": 3}, expected_version=1)
    east.refresh_from_db()
    assert (east.achievements, east.applied_grade, east.status, east.households) == ("", "", "draft", None)
