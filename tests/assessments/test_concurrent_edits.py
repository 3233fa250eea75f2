"""Two people saving the same thing from the same page (issue 15, optimistic locking): the grade override,
the bonus claim and the reviewer's bonus/veto decisions, and the city's decision. In every race the
first save wins, the second is told what is stored now (a 409 with the current value for JSON), and
nothing is lost."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from accounts.models import Role
from assessments.models import AssessmentEvent, BonusClaim, VetoCheck
from assessments.services.grading import city_decide, grade_override
from assessments.services.review import bonus_claim_review, veto_check_review
from assessments.services.self_assessment import bonus_claim_save
from common.errors import ConflictError
from tests.assessments.test_city import _confirmed
from tests.assessments.test_grading import reviewed
from tests.assessments.test_review import claim, submit_and_forward
from tests.factories import user_with_role

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
JSON = {"HTTP_ACCEPT": "application/json"}


def grade_names(a):
    return dict(a.campaign.standard.grades.values_list("code", "name"))


# --- the grade override on the grading board ------------------------------------------------------------


def test_two_grade_overrides_from_the_same_page_one_wins_the_other_is_told(cycle):
    a = reviewed(cycle)
    other = user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.town, username="jiwei_yi")
    seen = a.version
    grade_override(
        assessment=a, actor=cycle.reviewer, grade_code="DABIAO", reason="满意度偏低", expected_version=seen
    )
    with pytest.raises(ConflictError) as err:
        grade_override(
            assessment=a, actor=other, grade_code="TISHENG", reason="另有问题", expected_version=seen
        )
    name = grade_names(a)["DABIAO"]
    assert f"当前等次为“{name}”，理由：满意度偏低" in str(err.value)
    assert cycle.reviewer.display_name in str(err.value)
    a.refresh_from_db()
    assert (a.final_grade, a.grade_override_reason) == ("DABIAO", "满意度偏低")
    assert AssessmentEvent.objects.filter(assessment=a, action="grade_override").count() == 1
    # The loser, having seen the stored grade, saves again from the current version: kept.
    grade_override(
        assessment=a, actor=other, grade_code="TISHENG", reason="另有问题", expected_version=a.version
    )
    a.refresh_from_db()
    assert a.final_grade == "TISHENG"


def test_a_grade_override_without_a_version_is_refused(cycle):
    a = reviewed(cycle)
    from assessments.services import WorkflowError

    with pytest.raises(WorkflowError, match="页面已过期"):
        grade_override(
            assessment=a, actor=cycle.reviewer, grade_code="DABIAO", reason="x", expected_version=None
        )
    a.refresh_from_db()
    assert a.final_grade == "SHIFAN"


def test_two_grade_overrides_through_the_board(client, cycle):
    a = reviewed(cycle)
    other = user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.town, username="jiwei_yi")
    board = reverse("assessments:grading_board", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    assert f'name="version" value="{a.version}"' in client.get(board).content.decode()
    url = reverse("assessments:grade_override", args=[a.pk])
    first = {"grade": "DABIAO", "reason": "满意度偏低", "version": a.version}
    assert client.post(url, first).status_code == 302
    client.force_login(other)
    second = {"grade": "TISHENG", "reason": "整改不到位", "version": a.version}
    page = client.post(url, second, follow=True).content.decode()
    assert "已被他人修改，您的等次调整未保存" in page
    assert f"当前等次为“{grade_names(a)['DABIAO']}”" in page
    assert "您提交的理由：整改不到位" in page  # the loser's input is kept in the message
    a.refresh_from_db()
    assert (a.final_grade, a.grade_override_reason) == ("DABIAO", "满意度偏低")


# --- bonus claims (village) and bonus/veto decisions (township) ------------------------------------------


def _post_claim(client, a, item, points, version, explanation="获市级表彰"):
    data = {"bonus_item": item.pk, "points": points, "explanation": explanation, "version": version}
    return client.post(f"/assessments/a/{a.pk}/self/bonus/", data, **XHR)


def test_two_first_claims_of_the_same_item_one_wins_the_other_gets_a_409(client, cycle):
    a = cycle.a["东村"]
    item = cycle.standard.bonus_items.get(code="B01")
    client.force_login(cycle.committee)
    page = client.get(f"/assessments/a/{a.pk}/self/").content.decode()
    assert 'name="version" value="0"' in page  # the page says "no claim yet"
    assert _post_claim(client, a, item, "2", 0).json()["ok"] is True
    client.force_login(cycle.supervisor)
    response = _post_claim(client, a, item, "1", 0, explanation="另一事由")
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True
    assert (body["current"]["points"], body["current"]["version"]) == ("2", 1)
    assert "他人已修改为 申报 2 分" in body["message"] and "您的输入为 申报 1 分" in body["message"]
    c = BonusClaim.objects.get(assessment=a)
    assert (c.claimed_points, c.explanation, c.version) == (D("2.00"), "获市级表彰", 1)
    assert AssessmentEvent.objects.filter(assessment=a, action="bonus_claim").count() == 1


def test_a_claim_withdrawn_meanwhile_is_not_recreated_silently(client, cycle):
    a = cycle.a["东村"]
    item = cycle.standard.bonus_items.get(code="B01")
    client.force_login(cycle.committee)
    _post_claim(client, a, item, "2", 0)
    gone = client.post(
        f"/assessments/a/{a.pk}/self/bonus/", {"bonus_item": item.pk, "delete": "1", "version": 1}, **XHR
    )
    assert gone.json()["version"] == 0
    response = _post_claim(client, a, item, "1", 1)  # a page that still showed the claim
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 0
    assert not BonusClaim.objects.exists()


def test_a_claim_without_a_version_is_refused(client, cycle):
    a = cycle.a["东村"]
    item = cycle.standard.bonus_items.get(code="B01")
    client.force_login(cycle.committee)
    data = {"bonus_item": item.pk, "points": "2", "explanation": "获市级表彰"}
    response = client.post(f"/assessments/a/{a.pk}/self/bonus/", data, **XHR)
    assert response.status_code == 400
    assert response.json()["errors"] == ["页面已过期，请刷新后重试。"]
    assert not BonusClaim.objects.exists()


def test_a_parallel_first_claim_hitting_the_unique_constraint_is_a_conflict_not_a_5xx(cycle, monkeypatch):
    """The insert of a first claim another request committed meanwhile (the lookup missed it) breaks the
    unique constraint: the savepoint keeps the transaction usable and the user gets the conflict."""
    a = cycle.a["东村"]
    item = cycle.standard.bonus_items.get(code="B01")
    bonus_claim_save(
        assessment=a,
        bonus_item=item,
        actor=cycle.committee,
        points="2",
        explanation="获市级表彰",
        expected_version=0,
    )
    real_filter = BonusClaim.objects.filter
    blind = []

    def lookup_misses_once(*args, **kwargs):
        if not blind:
            blind.append(1)
            return BonusClaim.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(BonusClaim.objects, "filter", lookup_misses_once)
    with pytest.raises(ConflictError) as err:
        bonus_claim_save(
            assessment=a,
            bonus_item=item,
            actor=cycle.supervisor,
            points="1",
            explanation="另一事由",
            expected_version=0,
        )
    assert blind == [1]
    assert err.value.current["points"] == "2"
    monkeypatch.undo()
    assert BonusClaim.objects.get(assessment=a).claimed_points == D("2.00")


def test_two_bonus_decisions_from_the_same_page_one_wins(client, cycle):
    a = submit_and_forward(cycle)
    c = claim(a, "B01", "2")
    other = user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.town, username="jiwei_yi")
    url = reverse("assessments:review_bonus_save", args=[a.pk, c.pk])
    client.force_login(cycle.reviewer)
    first = {"decision": "accept", "points": "2", "reason": "市级表彰属实", "version": c.version}
    assert client.post(url, first, **JSON).json()["ok"] is True
    client.force_login(other)
    second = {"decision": "reject", "reason": "级别不符", "version": c.version}
    response = client.post(url, second, **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True and body["version"] == c.version + 1
    assert "当前保存的内容：认定 2 分" in body["errors"][0]
    c.refresh_from_db()
    assert (c.status, c.accepted_points, c.review_reason) == ("accepted", D("2.00"), "市级表彰属实")


def test_bonus_and_veto_decisions_refuse_a_stale_or_missing_version(cycle):
    from assessments.services import WorkflowError

    a = submit_and_forward(cycle)
    c = claim(a, "B01", "2")
    v = VetoCheck.objects.filter(assessment=a).first()
    seen_c, seen_v = c.version, v.version
    bonus_claim_review(
        assessment=a, claim=c, actor=cycle.reviewer, accept=False, reason="不符", expected_version=seen_c
    )
    veto_check_review(
        assessment=a, check=v, actor=cycle.reviewer, decision="cleared", reason="无", expected_version=seen_v
    )
    with pytest.raises(ConflictError):
        bonus_claim_review(
            assessment=a, claim=c, actor=cycle.reviewer, accept=True, reason="属实", expected_version=seen_c
        )
    with pytest.raises(ConflictError):
        veto_check_review(
            assessment=a,
            check=v,
            actor=cycle.reviewer,
            decision="confirmed",
            reason="属实",
            expected_version=seen_v,
        )
    with pytest.raises(WorkflowError, match="页面已过期"):
        veto_check_review(
            assessment=a,
            check=v,
            actor=cycle.reviewer,
            decision="confirmed",
            reason="属实",
            expected_version=None,
        )
    c.refresh_from_db()
    v.refresh_from_db()
    assert (c.status, v.review) == ("rejected", "cleared")


# --- the city's decision ----------------------------------------------------------------------------------


def test_two_city_decisions_from_the_same_page_one_wins_the_other_is_told(client, cycle):
    east = _confirmed(cycle)["东村"]
    other = user_with_role(Role.CITY_OFFICE, cycle.org.city, username="city_yi")
    seen = east.version
    city_decide(assessment=east, actor=cycle.city, decision="confirmed", expected_version=seen)
    with pytest.raises(ConflictError) as err:
        city_decide(
            assessment=east,
            actor=other,
            decision="other",
            grade_code="DABIAO",
            reason="亮点不足",
            expected_version=seen,
        )
    top = grade_names(east)["SHIFAN"]
    assert f"当前市级认定为“认定为示范村（{top}）”" in str(err.value)
    assert cycle.city.display_name in str(err.value)
    east.refresh_from_db()
    assert (east.city_decision, east.city_grade) == ("confirmed", "SHIFAN")
    # Through the board: the loser's page still carries the old version.
    client.force_login(other)
    url = reverse("assessments:city_decide", args=[east.pk])
    data = {"decision": "other", "grade": "DABIAO", "reason": "亮点不足", "version": seen}
    page = client.post(url, data, follow=True).content.decode()
    assert "您的市级认定未保存" in page and "您提交的意见：亮点不足" in page
    east.refresh_from_db()
    assert (east.city_decision, east.city_grade) == ("confirmed", "SHIFAN")
    assert AssessmentEvent.objects.filter(assessment=east, action="city_decide").count() == 1


# --- PostgreSQL: two threads racing the first claim ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_first_claims_have_exactly_one_winner(cycle):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel writers need PostgreSQL")
    a = cycle.a["东村"]
    item = cycle.standard.bonus_items.get(code="B01")
    results = {}
    barrier = threading.Barrier(2)

    def save(user, points):
        try:
            barrier.wait()
            bonus_claim_save(
                assessment=a,
                bonus_item=item,
                actor=user,
                points=points,
                explanation=f"事由{points}",
                expected_version=0,
            )
            results[points] = "ok"
        except ConflictError as err:
            results[points] = ("conflict", err.current["points"])
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(cycle.committee, "2")),
        threading.Thread(target=save, args=(cycle.supervisor, "1")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner = [p for p, r in results.items() if r == "ok"]
    assert len(winner) == 1, results
    loser = "1" if winner == ["2"] else "2"
    assert results[loser] == ("conflict", winner[0])
    c = BonusClaim.objects.get(assessment=a, bonus_item=item)
    assert (c.claimed_points, c.explanation, c.version) == (D(winner[0]), f"事由{winner[0]}", 1)
    assert AssessmentEvent.objects.filter(assessment=a, action="bonus_claim").count() == 1


# --- campaign settings and the round's target -------------------------------------------------------------


def test_two_saves_of_the_campaign_settings_from_the_same_page(client, cycle):
    from assessments.models import Campaign
    from tests.assessments.test_campaign_settings import page_versions

    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    other = user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.town, username="jiwei_yi")
    client.force_login(cycle.reviewer)
    seen = page_versions(client, url)
    base = {"self_deadline": "2024-06-28", "submission_deadline": "2024-07-02", "city_deadline": "2024-07-12"}
    assert client.post(url, {**base, "name": "第一人改的名称", **seen}).status_code == 302
    client.force_login(other)
    response = client.post(url, {**base, "name": "第二人改的名称", **seen})
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and "测评设置已被他人修改，您的修改未保存" in errors[0]
    assert "名称“第一人改的名称”" in errors[0] and cycle.reviewer.username in errors[0]
    assert 'value="第二人改的名称"' in response.content.decode()  # the user's input is kept
    assert Campaign.objects.get(pk=cycle.campaign.pk).name == "第一人改的名称"
    # The page now carries the stored version: saving again is a deliberate overwrite.
    again = {**base, "name": "第二人改的名称", "seen": response.context["form"]["seen"].value()}
    again["target-seen"] = response.context["target_form"]["seen"].value()
    assert client.post(url, again).status_code == 302
    assert Campaign.objects.get(pk=cycle.campaign.pk).name == "第二人改的名称"


def test_two_first_targets_from_the_same_page_one_wins(client, cycle):
    from tests.assessments.test_campaign_settings import page_versions
    from villages.models import AnnualTarget

    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    c = cycle.campaign
    base = {
        "name": c.name,
        "self_deadline": c.self_deadline,
        "submission_deadline": c.submission_deadline,
        "city_deadline": c.city_deadline,
    }
    client.force_login(cycle.reviewer)
    seen = page_versions(client, url)
    assert seen["target-seen"] == "none"
    first = {**base, **seen, "target-mode": "share", "target-share_percent": "80"}
    assert client.post(url, first).status_code == 302
    second = {**base, **seen, "target-mode": "share", "target-share_percent": "50"}
    response = client.post(url, second)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "年度目标已被他人修改，您的修改未保存。当前目标为达标比例80.00%" in errors[0]
    assert AnnualTarget.objects.get(township=cycle.org.town, year=2024).share_percent == 80


def test_a_reason_with_an_invisible_character_is_refused_at_the_door(cycle):
    """Reasons typed on the review and grading pages go through the same cleaner as forms and imports."""
    from common.text import TextRefused

    a = reviewed(cycle)
    with pytest.raises(TextRefused, match="理由"):
        grade_override(
            assessment=a,
            actor=cycle.reviewer,
            grade_code="DABIAO",
            reason="满意度\u200b偏低",
            expected_version=a.version,
        )
    a.refresh_from_db()
    assert (
        a.grade_override_reason == ""
        and not AssessmentEvent.objects.filter(assessment=a).filter(action="grade_override").exists()
    )
    grade_override(
        assessment=a,
        actor=cycle.reviewer,
        grade_code="DABIAO",
        reason="满意度偏低\r\n另附说明",
        expected_version=a.version,
    )
    a.refresh_from_db()
    assert a.grade_override_reason == "满意度偏低\n另附说明"
