"""The village record (档案): every year of one village, in scope only, in a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse

from assessments.models import Assessment, IndicatorScore, VetoEvent
from assessments.services.campaigns import campaign_create
from ledgers.models import Rectification
from reports.data.record import village_record


def _campaign(cycle, year):
    today = datetime.date.today()
    return campaign_create(
        actor=None,
        township=cycle.org.town,
        year=year,
        standard=cycle.standard,
        self_deadline=today + datetime.timedelta(days=10),
        submission_deadline=today + datetime.timedelta(days=15),
        city_deadline=today + datetime.timedelta(days=25),
    )


@pytest.fixture
def record_world(confirmed):
    """东村 2024 confirmed as 示范村, the city recognised it only as 达标村; one review change with its
    reason, a veto event and a rectification of 2024."""
    east = confirmed.a["东村"]
    score = IndicatorScore.objects.filter(assessment=east, self_score__isnull=False).select_related(
        "indicator"
    )[0]
    IndicatorScore.objects.filter(pk=score.pk).update(
        review_score=score.self_score - 1, review_note="会议记录缺少签名"
    )
    confirmed.changed = score
    Assessment.objects.filter(pk=east.pk).update(
        city_candidate=True, city_decision="other", city_grade="DABIAO", city_reason="品牌特色不突出"
    )
    item = confirmed.standard.veto_items.first()
    VetoEvent.objects.create(
        assessment=east, veto_item=item, occurred_on=datetime.date(2024, 9, 1), description="村干部违纪",
        grade_before="SHIFAN", grade_after="CUJIN",
    )  # fmt: skip
    Rectification.objects.create(
        township=confirmed.org.town, village=confirmed.org.village, source="review", assessment=east,
        problem="三资台账不全", requirement="补齐台账", deadline=datetime.date(2025, 3, 1),
    )  # fmt: skip
    return confirmed


def _get(client, user, village):
    client.force_login(user)
    return client.get(reverse("reports:village_record", args=[village.pk]))


def test_the_record_shows_each_year_grades_changes_with_reasons_bonus_vetoes_rectifications_evidence(
    client, record_world
):
    c = record_world
    html = _get(client, c.reviewer, c.org.village).content.decode()
    assert "东村 · 档案" in html and "2024年" in html
    # the township's confirmed grade, the city's decision and the grade in force
    assert "（达标村）" in html
    assert f"{c.changed.indicator.code} {c.changed.indicator.name}" in html and "会议记录缺少签名" in html
    assert "获市级表彰" in html and "材料齐全" in html
    assert "村干部违纪" in html
    assert "三资台账不全" in html and "未整改" in html
    assert "市级表彰文件.pdf" in html
    ev = c.bonus_evidence
    assert reverse("assessments:evidence_download", args=[ev.pk]) in html
    # only the authenticated download view is linked, never the storage path
    assert ev.file.name not in html


def test_the_record_data_states_the_grade_in_force_and_the_honest_state(record_world):
    c = record_world
    rec = village_record(c.org.village, confirmed_only=False, review_visible=True)
    (y,) = rec.years
    assert (y.year, y.grade_state, y.township_grade, y.city_grade, y.grade_in_force) == (
        2024, "定级", "示范村", "达标村", "达标村",
    )  # fmt: skip
    assert y.city_reason == "品牌特色不突出"
    assert [ch[4] for ch in y.changes] == ["会议记录缺少签名"]
    assert [r.problem for r in y.rectifications] == ["三资台账不全"]


def test_an_unconfirmed_year_is_not_called_定级_and_the_village_does_not_see_it(client, record_world):
    c = record_world
    later = _campaign(c, 2025)
    a = Assessment.objects.get(campaign=later, village=c.org.village)
    Assessment.objects.filter(pk=a.pk).update(
        status="reviewed", final_grade="SHIFAN", proposed_grade="SHIFAN"
    )
    rec = village_record(c.org.village, confirmed_only=False, review_visible=True)
    assert [(y.year, y.grade_state, y.grade_in_force) for y in rec.years] == [
        (2025, "拟定", ""), (2024, "定级", "达标村"),
    ]  # fmt: skip
    html = _get(client, c.committee, c.org.village).content.decode()
    assert "2024年度" in html and "2025年度" not in html and "仅显示已确认定级的年度" in html
    html = _get(client, c.reviewer, c.org.village).content.decode()
    assert "2025年度" in html and "（拟定，未确认）" in html


@pytest.mark.parametrize("who", ["committee", "reviewer", "city"])
def test_out_of_scope_villages_answer_404(client, record_world, who):
    c = record_world
    user = getattr(c, who)
    assert _get(client, user, c.org.far).status_code == 404
    assert _get(client, user, c.org.village).status_code == 200
    if who == "committee":
        assert _get(client, user, c.org.sibling).status_code == 404


def test_the_record_query_count_does_not_grow_with_the_number_of_years(
    client, record_world, django_assert_num_queries
):
    c = record_world
    client.force_login(c.reviewer)
    url = reverse("reports:village_record", args=[c.org.village.pk])
    client.get(url)  # warm the session and the scope
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for year in (2021, 2022, 2023):
        _campaign(c, year)
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert response.content.decode().count('<section class="card mb-3" id="year-') == 4
    assert len(four.captured_queries) == len(one.captured_queries)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(url)
