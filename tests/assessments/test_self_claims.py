"""Bonus claims and the veto self-check. Sample caps: B01/B02 2 points, B03–B05 1 point, total 5;
precision 0.5."""

from decimal import Decimal as D

import pytest

from assessments.models import AssessmentEvent, BonusClaim, VetoCheck
from indices.models import BonusItem, IndexStandard

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def east(cycle, client):
    client.force_login(cycle.committee)
    return cycle.a["东村"]


def item(cycle, code):
    return cycle.standard.bonus_items.get(code=code)


def claim(client, a, bonus_item, points, explanation="获市级表彰", **extra):
    """Post a claim as the page does: with the claim's version, 0 while the page shows no claim."""
    data = {"bonus_item": bonus_item.pk, "points": points, "explanation": explanation, "version": 0, **extra}
    return client.post(f"/assessments/a/{a.pk}/self/bonus/", data, **XHR)


def test_a_bonus_claim_is_stored_and_counted_in_the_self_bonus(client, cycle, east):
    response = claim(client, east, item(cycle, "B02"), "1.5")
    body = response.json()
    assert body["ok"] is True
    assert body["points"] == "1.5"
    assert body["totals"]["self_bonus"] == "1.5"
    c = BonusClaim.objects.get(assessment=east)
    assert (c.claimed_points, c.explanation, c.status) == (D("1.50"), "获市级表彰", "claimed")
    event = AssessmentEvent.objects.get(assessment=east, action="bonus_claim")
    assert (event.subject, event.to_value) == ("B02 申报加分", "1.5")


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("1.5", "B03：申报加分不能超过该项单项上限 1 分。"),
        ("0", "B03：申报加分须大于 0 分。"),
        ("0.3", "B03：得分须为 0.5 分的整数倍。"),
        ("x", "B03：申报加分请输入数字。"),
    ],
)
def test_a_bonus_claim_outside_the_item_rules_is_refused(client, cycle, east, points, message):
    response = claim(client, east, item(cycle, "B03"), points)
    assert response.status_code == 400
    assert response.json()["errors"] == [message]
    assert not BonusClaim.objects.exists()


def test_a_bonus_claim_needs_an_explanation(client, cycle, east):
    response = claim(client, east, item(cycle, "B01"), "1", explanation="")
    assert response.json()["errors"] == ["加分事由：这个字段是必填项。"]


def test_a_bonus_item_of_another_standard_is_404(client, cycle, east):
    other = IndexStandard.objects.create(
        code="X", name="别的标准", level="village", year=2024, version="x", total_base_score=100
    )
    foreign = BonusItem.objects.create(standard=other, code="B01", name="别的加分项", per_item_cap=2)
    assert claim(client, east, foreign, "1").status_code == 404
    assert not BonusClaim.objects.exists()


def test_the_self_bonus_is_capped_by_the_standards_total(client, cycle, east):
    for code, points in (("B01", "2"), ("B02", "2"), ("B03", "1"), ("B04", "1")):
        body = claim(client, east, item(cycle, code), points).json()
    # 2 + 2 + 1 + 1 = 6 claimed; the total cap is 5.
    assert body["totals"]["self_bonus"] == "5"


def test_changing_a_reviewed_claim_puts_it_back_to_pending(client, cycle, east):
    claim(client, east, item(cycle, "B01"), "2")
    BonusClaim.objects.filter(assessment=east).update(status="rejected", accepted_points=D("0"))
    c = BonusClaim.objects.get(assessment=east)
    claim(client, east, item(cycle, "B01"), "1", version=c.version)
    c.refresh_from_db()
    assert (c.claimed_points, c.status, c.accepted_points, c.version) == (D("1.00"), "claimed", None, 2)


def test_a_stale_claim_version_is_a_conflict(client, cycle, east):
    claim(client, east, item(cycle, "B01"), "2")
    BonusClaim.objects.filter(assessment=east).update(version=3)
    response = claim(client, east, item(cycle, "B01"), "1", version=1)
    assert response.status_code == 409
    assert response.json()["current"]["points"] == "2"
    assert BonusClaim.objects.get(assessment=east).claimed_points == D("2.00")


def test_a_claim_can_be_withdrawn(client, cycle, east):
    claim(client, east, item(cycle, "B01"), "2")
    response = client.post(
        f"/assessments/a/{east.pk}/self/bonus/",
        {"bonus_item": item(cycle, "B01").pk, "delete": "1", "version": 1},
        **XHR,
    )
    assert response.json()["totals"]["self_bonus"] == "0"
    assert not BonusClaim.objects.exists()
    assert AssessmentEvent.objects.filter(assessment=east, action="bonus_claim_delete").count() == 1


# --- veto self-check ----------------------------------------------------------------------------


def veto(client, a, check, answer, note="", version=None):
    data = {"answer": answer, "note": note, "version": check.version if version is None else version}
    return client.post(f"/assessments/a/{a.pk}/self/veto/{check.pk}/", data, **XHR)


def test_the_veto_self_check_records_the_answer(client, east):
    check = east.veto_checks.select_related("veto_item").get(veto_item__code="N01")
    body = veto(client, east, check, "no").json()
    assert (body["ok"], body["version"]) == (True, 2)
    check.refresh_from_db()
    assert (check.self_answer, check.self_note) == (False, "")
    event = AssessmentEvent.objects.get(assessment=east, action="veto_self")
    assert (event.subject, event.from_value, event.to_value) == ("N01 负面清单自查", "未作答", "否")


def test_answering_yes_needs_an_explanation(client, east):
    check = east.veto_checks.get(veto_item__code="N04")
    response = veto(client, east, check, "yes")
    assert response.status_code == 400
    assert response.json()["errors"] == ["N04：选择“是”（存在该情形）时须说明具体情况。"]
    body = veto(client, east, check, "yes", note="2023年一名委员受警告处分").json()
    assert body["ok"] is True
    check.refresh_from_db()
    assert (check.self_answer, check.self_note) == (True, "2023年一名委员受警告处分")


def test_a_missing_answer_is_refused(client, east):
    check = east.veto_checks.get(veto_item__code="N01")
    assert veto(client, east, check, "").json()["errors"] == ["是否存在该情形：请选择“是”或“否”。"]


def test_a_stale_veto_version_is_a_conflict(client, east):
    check = east.veto_checks.get(veto_item__code="N01")
    VetoCheck.objects.filter(pk=check.pk).update(self_answer=False, version=2)
    response = veto(client, east, check, "yes", note="有", version=1)
    assert response.status_code == 409
    assert response.json()["message"].startswith("他人已修改为 否，您的输入为 是。")
    check.refresh_from_db()
    assert check.self_answer is False


def test_a_veto_check_of_another_assessment_is_404(client, cycle, east):
    west_check = cycle.a["西村"].veto_checks.first()
    response = client.post(
        f"/assessments/a/{east.pk}/self/veto/{west_check.pk}/", {"answer": "no", "version": 1}
    )
    assert response.status_code == 404
    west_check.refresh_from_db()
    assert west_check.self_answer is None
