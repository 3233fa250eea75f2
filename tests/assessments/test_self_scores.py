"""Self scores through the autosaving blocks: rules give the score, refusals store nothing, concurrent edits
never overwrite each other, and ids of other assessments are 404.

Sample standard, V1.1 (max 3): "无年度学习计划" −1 (once), "每缺少1个月的学习记录" −0.5 per month.
"""

from decimal import Decimal as D

import pytest

from accounts.models import Role
from assessments.models import AssessmentEvent, IndicatorScore
from audit.models import AuditEvent
from tests.factories import user_with_role

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def score_of(a, code):
    return a.scores.select_related("indicator").get(indicator__code=code)


def rules_of(score):
    return list(score.indicator.rules.order_by("sort_order", "pk"))


def url(a, score):
    return f"/assessments/a/{a.pk}/self/score/{score.pk}/"


def post_score(client, a, score, data, xhr=True):
    payload = {"version": score.version, **data}
    return client.post(url(a, score), payload, **(XHR if xhr else {}))


@pytest.fixture
def east(cycle, client):
    client.force_login(cycle.committee)
    return cycle.a["东村"]


def test_deduction_ticks_give_the_score_and_the_running_totals(client, cycle, east):
    v11 = score_of(east, "V1.1")
    once, per_month = rules_of(v11)
    response = post_score(
        client,
        east,
        v11,
        {"rules": "1", f"count_{once.pk}": "1", f"count_{per_month.pk}": "2", "note": "缺2个月"},
    )
    assert response.status_code == 200
    body = response.json()
    # 3 − 1 − 2 × 0.5 = 1
    assert body["ok"] is True
    assert body["score"] == "1"
    assert body["version"] == 2
    assert body["totals"]["self_total"] == "1"
    assert body["totals"]["dimensions"][str(v11.indicator.dimension_id)] == "1"
    v11.refresh_from_db()
    assert v11.self_score == D("1.00")
    assert v11.self_rules == {str(once.pk): 1, str(per_month.pk): 2}
    assert v11.self_note == "缺2个月"
    assert v11.updated_by == cycle.committee
    # V1.2 (max 4) with no deduction ticked is full marks: the total becomes 1 + 4 = 5.
    v12 = score_of(east, "V1.2")
    body = post_score(client, east, v12, {"rules": "1"}).json()
    assert body["score"] == "4"
    assert body["totals"]["self_total"] == "5"
    east.refresh_from_db()
    assert east.self_total == D("5.00")
    event = AssessmentEvent.objects.filter(assessment=east, action="self_score").first()
    assert (event.subject, event.from_value, event.to_value, event.actor) == (
        "V1.1 自评分",
        "未评",
        "1",
        cycle.committee,
    )
    assert response["Cache-Control"] == "no-store"


def test_tiered_and_checklist_indicators_follow_the_chosen_rules(client, east):
    v34 = score_of(east, "V3.4")  # tiers 4 / 3 / 2 / 0
    tiers = rules_of(v34)
    assert post_score(client, east, v34, {"rules": "1", "tier": tiers[1].pk}).json()["score"] == "3"
    v41 = score_of(east, "V4.1")  # items 2 + 1 + 1, max 4
    items = rules_of(v41)
    body = post_score(client, east, v41, {"rules": "1", "check": [items[0].pk, items[2].pk]}).json()
    assert body["score"] == "3"
    assert body["totals"]["self_total"] == "6"


def test_a_one_off_deduction_cannot_be_counted_twice(client, east):
    v11 = score_of(east, "V1.1")
    once = rules_of(v11)[0]
    response = post_score(client, east, v11, {"rules": "1", f"count_{once.pk}": "2"})
    assert response.status_code == 400
    assert response.json()["errors"] == ["V1.1：“无年度学习计划”不按次累计，只能扣一次。"]
    v11.refresh_from_db()
    assert (v11.self_score, v11.version) == (None, 1)


def test_a_rule_of_another_indicator_is_refused(client, east):
    v11, v12 = score_of(east, "V1.1"), score_of(east, "V1.2")
    foreign_rule = rules_of(v12)[0]
    response = post_score(client, east, v11, {"rules": "1", f"count_{foreign_rule.pk}": "1"})
    assert response.json()["errors"] == ["V1.1：所选扣分规则不属于该指标。"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3.5", "得分不能超过该指标满分 3 分。"),
        ("1.3", "得分须为 0.5 分的整数倍。"),
        ("-1", "得分不能为负数。"),
        ("abc", "请输入数字。"),
    ],
)
def test_direct_values_are_checked_and_a_refusal_stores_nothing(client, east, value, message):
    v11 = score_of(east, "V1.1")
    response = post_score(client, east, v11, {"value": value}, xhr=False)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert f"V1.1：{message}" in page.content.decode()
    v11.refresh_from_db()
    assert (v11.self_score, v11.version) == (None, 1)
    assert not AssessmentEvent.objects.filter(assessment=east).exists()


def test_a_valid_direct_value_is_stored(client, east):
    v11 = score_of(east, "V1.1")
    assert post_score(client, east, v11, {"value": "2.5"}).json()["score"] == "2.5"


def test_a_township_only_indicator_is_refused(client, east):
    v55 = score_of(east, "V5.5")
    tier = rules_of(v55)[0]
    response = post_score(client, east, v55, {"rules": "1", "tier": tier.pk})
    assert response.status_code == 400
    assert response.json()["errors"] == ["V5.5：V5.5 由镇街评分，村（社区）不自评。"]
    v55.refresh_from_db()
    assert v55.self_score is None


def test_two_members_editing_at_once_never_overwrite_each_other(client, cycle, east):
    from django.test import Client

    a_client, b_client = client, Client()
    b_client.force_login(cycle.supervisor)
    v11 = score_of(east, "V1.1")
    per_month = rules_of(v11)[1]
    # Both load the sheet at version 1.
    for c in (a_client, b_client):
        page = c.get(f"/assessments/a/{east.pk}/self/")
        row = next(s for d in page.context["dims"] for s in d.rows if s.pk == v11.pk)
        assert row.version == 1
    first = a_client.post(url(east, v11), {"version": 1, "rules": "1", f"count_{per_month.pk}": "2"}, **XHR)
    assert first.json()["score"] == "2"
    second = b_client.post(url(east, v11), {"version": 1, "rules": "1", f"count_{per_month.pk}": "4"}, **XHR)
    assert second.status_code == 409
    body = second.json()
    assert body["conflict"] is True
    assert body["current"]["score"] == "2"
    assert body["current"]["version"] == 2
    assert body["message"].startswith("他人已修改为 2 分，您的输入为 1 分。")
    v11.refresh_from_db()
    assert (v11.self_score, v11.version, v11.updated_by) == (D("2.00"), 2, cycle.committee)
    assert AssessmentEvent.objects.filter(assessment=east, action="self_score").count() == 1


def test_a_conflict_without_javascript_redirects_with_both_values(client, cycle, east):
    v11 = score_of(east, "V1.1")
    IndicatorScore.objects.filter(pk=v11.pk).update(self_score=D("2"), version=5)
    response = post_score(client, east, v11, {"value": "3"}, xhr=False)
    page = client.get(response["Location"]).content.decode()
    assert "他人已修改为 2 分，您的输入为 3 分。" in page
    v11.refresh_from_db()
    assert (v11.self_score, v11.version) == (D("2.00"), 5)


def test_a_score_id_of_another_assessment_is_404_and_changes_nothing(client, cycle, east):
    west_row = score_of(cycle.a["西村"], "V1.1")
    response = client.post(
        f"/assessments/a/{east.pk}/self/score/{west_row.pk}/", {"version": 1, "value": "1"}
    )
    assert response.status_code == 404
    west_row.refresh_from_db()
    assert (west_row.self_score, west_row.version) == (None, 1)
    assert not AssessmentEvent.objects.exists()


def test_another_villages_member_gets_404(client, cycle):
    west = cycle.a["西村"]
    v11 = score_of(west, "V1.1")
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, cycle.org.cousin))
    assert post_score(client, west, v11, {"value": "1"}).status_code == 404
    v11.refresh_from_db()
    assert v11.self_score is None


@pytest.mark.parametrize("who", ["leader", "secretary", "reviewer"])
def test_sides_other_than_self_cannot_write_a_self_score(client, cycle, who):
    east = cycle.a["东村"]
    v11 = score_of(east, "V1.1")
    client.force_login(getattr(cycle, who))
    assert post_score(client, east, v11, {"value": "1"}).status_code == 403
    v11.refresh_from_db()
    assert v11.self_score is None
    assert AuditEvent.objects.filter(action="access.denied", actor=getattr(cycle, who)).count() == 1


def test_saving_the_same_content_again_writes_nothing(client, east):
    v11 = score_of(east, "V1.1")
    post_score(client, east, v11, {"value": "2"})
    again = client.post(url(east, v11), {"version": 2, "value": "2"}, **XHR).json()
    assert again["version"] == 2
    assert AssessmentEvent.objects.filter(assessment=east).count() == 1


def test_a_note_alone_is_saved_without_a_score(client, east):
    v34 = score_of(east, "V3.4")
    body = post_score(client, east, v34, {"rules": "1", "note": "台账整理中"}).json()
    assert (body["score"], body["version"]) == (None, 2)
    event = AssessmentEvent.objects.get(assessment=east)
    assert (event.subject, event.to_value) == ("V3.4 自评说明", "台账整理中")


def test_the_score_form_only_accepts_post(client, east):
    assert client.get(url(east, score_of(east, "V1.1"))).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_parallel_saves_of_the_same_version_have_exactly_one_winner(cycle):
    import threading

    from django.db import connection, connections

    from assessments.services.self_assessment import score_save_self
    from common.errors import ConflictError

    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel writers need PostgreSQL")
    east = cycle.a["东村"]
    v11 = score_of(east, "V1.1")
    results = []
    barrier = threading.Barrier(10)

    def save(i):
        try:
            barrier.wait()
            user = cycle.committee if i % 2 else cycle.supervisor
            score_save_self(assessment=east, score=v11, actor=user, expected_version=1, value=str(i % 3))
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
    v11.refresh_from_db()
    assert sorted(results) == ["conflict"] * 9 + ["ok"]
    assert v11.version == 2
    assert AssessmentEvent.objects.filter(assessment=east, action="self_score").count() == 1


def test_a_self_note_with_a_zero_width_space_is_refused_and_nothing_is_stored(client, east):
    """issue 15: typed explanations are cleaned like every other text (common.text)."""
    v11 = score_of(east, "V1.1")
    response = post_score(client, east, v11, {"value": "2.5", "note": "已\u200b整改"}, xhr=False)
    page = client.get(response["Location"])
    assert "自评说明含有不可见的零宽空格（U+200B），请删除后重新输入。" in page.content.decode()
    v11.refresh_from_db()
    assert (v11.self_score, v11.self_note, v11.version) == (None, "", 1)
