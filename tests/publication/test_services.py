"""publication_publish / publication_withdraw: the guards, versioning of corrections, withdrawal, the
frozen payload and one audit row per write."""

import pytest

from assessments.models import Assessment
from audit.models import AuditEvent
from common.errors import ConflictError, InvalidInputError, NotPermittedError
from publication.models import Publication
from publication.services import publication_publish, publication_withdraw


def _audits(action):
    return AuditEvent.objects.filter(action=action).count()


def test_publishing_is_refused_before_the_grades_are_confirmed(cycle):
    with pytest.raises(InvalidInputError, match="本年度等次尚未确认，不能公开结果。"):
        publication_publish(campaign=cycle.campaign, actor=cycle.reviewer)
    assert not Publication.objects.exists()
    assert _audits("publication.publish") == 0


def test_publishing_waits_for_the_citys_decision_on_every_candidate(confirmed):
    with pytest.raises(
        InvalidInputError, match="示范村候选对象尚待市级认定，认定后才能公开结果：东村、南村。"
    ):
        publication_publish(campaign=confirmed.campaign, actor=confirmed.reviewer)
    assert not Publication.objects.exists()


def test_only_the_townships_manager_publishes(decided):
    for user in (decided.leader, decided.city, decided.committee):
        with pytest.raises(NotPermittedError):
            publication_publish(campaign=decided.campaign, actor=user)
    assert not Publication.objects.exists()


def test_the_snapshot_holds_the_grade_in_force_dimensions_and_lost_points_and_nothing_internal(decided):
    pub = publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    assert (pub.version, pub.status, pub.year, pub.reason) == (1, "published", 2024, "")
    assert _audits("publication.publish") == 1
    p = pub.payload
    by_name = {v["name"]: v for v in p["villages"]}
    assert list(by_name) == ["东村", "南村", "西村"]
    # 南村 was a 示范村 candidate; the city recognised it as 达标村 only, and that is what is published
    assert (by_name["南村"]["grade"], by_name["南村"]["grade_by_city"]) == ("达标村", True)
    assert (by_name["东村"]["grade"], by_name["东村"]["grade_by_city"]) == ("示范村", True)
    assert by_name["西村"]["grade_by_city"] is False
    # 东村 has an accepted bonus point over 南村's full marks
    assert [(v["rank"], v["score"]) for v in p["villages"]] == [
        (1, "101"),
        (2, "100"),
        (3, by_name["西村"]["score"]),
    ]
    assert {g["name"]: g["count"] for g in p["grades"]}["示范村"] == 1
    assert {g["name"]: g["count"] for g in p["grades"]}["达标村"] == 1
    assert sum(g["count"] for g in p["grades"]) == 3
    assert by_name["东村"]["lost"] == []
    west = decided.a["西村"]
    assert by_name["西村"]["score"] == f"{west.final_score.normalize():f}"
    assert by_name["西村"]["lost"] and all(float(x["lost"]) > 0 for x in by_name["西村"]["lost"])
    assert [d["name"] for d in by_name["西村"]["dimensions"]] == [d["name"] for d in p["dimensions"]]
    assert by_name["东村"]["key"] == decided.org.village.public_key
    text = str(p)
    assert "张三丰" not in text
    assert "'id'" not in text and "pk" not in text and "evidence" not in text.lower()
    assert "村居清廉指数" in p["explanation"]


def test_the_snapshot_does_not_follow_later_changes(decided):
    pub = publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    before = pub.payload
    Assessment.objects.filter(campaign=decided.campaign).update(final_score=1, city_grade="")
    pub.refresh_from_db()
    assert pub.payload == before


def test_a_published_snapshot_cannot_be_rewritten_through_the_model(decided):
    pub = publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    pub.payload = {"villages": []}
    for kwargs in ({}, {"update_fields": ["payload"]}, {"update_fields": ["status", "reason"]}):
        with pytest.raises(ValueError, match="immutable"):
            pub.save(**kwargs)
    pub.refresh_from_db()
    assert len(pub.payload["villages"]) == 3


def test_a_correction_needs_a_reason_and_supersedes_the_version_in_force(decided):
    first = publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    with pytest.raises(InvalidInputError, match="更正已公开的结果须填写理由。"):
        publication_publish(campaign=decided.campaign, actor=decided.reviewer, reason="  ")
    second = publication_publish(campaign=decided.campaign, actor=decided.reviewer, reason="西村得分录入有误")
    first.refresh_from_db()
    assert (first.status, second.status, second.version, second.reason) == (
        "superseded",
        "published",
        2,
        "西村得分录入有误",
    )
    assert first.superseded_at is not None
    assert _audits("publication.publish") == 1
    assert _audits("publication.correct") == 1


def test_a_double_submit_is_refused_instead_of_publishing_twice(decided):
    publication_publish(campaign=decided.campaign, actor=decided.reviewer, expected_version=0)
    with pytest.raises(ConflictError, match="公开结果已被他人更新"):
        publication_publish(campaign=decided.campaign, actor=decided.reviewer, expected_version=0, reason="x")
    assert Publication.objects.count() == 1


def test_withdrawal_needs_a_reason_and_is_audited(decided):
    pub = publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    with pytest.raises(InvalidInputError, match="撤回公开结果须填写理由。"):
        publication_withdraw(publication=pub, actor=decided.reviewer, reason="")
    with pytest.raises(NotPermittedError):
        publication_withdraw(publication=pub, actor=decided.leader, reason="错误")
    publication_withdraw(publication=pub, actor=decided.reviewer, reason="等次有误，暂停公开")
    pub.refresh_from_db()
    assert (pub.status, pub.withdraw_reason, pub.withdrawn_by) == (
        "withdrawn",
        "等次有误，暂停公开",
        decided.reviewer,
    )
    assert _audits("publication.withdraw") == 1
    with pytest.raises(ConflictError):
        publication_withdraw(publication=pub, actor=decided.reviewer, reason="再撤一次")
    assert _audits("publication.withdraw") == 1
    # publishing again after a withdrawal is a new version, with a reason
    with pytest.raises(InvalidInputError, match="撤回后重新公开须填写理由。"):
        publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    again = publication_publish(campaign=decided.campaign, actor=decided.reviewer, reason="核实后重新公开")
    assert (again.version, again.status) == (2, "published")
