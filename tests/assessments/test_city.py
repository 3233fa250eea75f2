"""The city's decision on 示范村 candidates, the city board, and a village's history across years."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import Assessment, AssessmentEvent, Campaign
from assessments.services import WorkflowError
from assessments.services.campaigns import campaign_create
from assessments.services.grading import campaign_confirm_grades, city_decide, veto_event_record
from tests.assessments.test_grading import grade, reviewed, township
from tests.factories import user_with_role

BOARD = "/assessments/city/"


def _confirmed(cycle):
    """东村 and 南村 at full marks (示范村 candidates), 西村 lower."""
    reviewed(cycle, "东村")
    reviewed(cycle, "西村", value="2")
    reviewed(cycle, "南村")
    campaign_confirm_grades(campaign=cycle.campaign, actor=cycle.reviewer)
    return {a.village.name: a for a in cycle.campaign.assessments.select_related("village")}


def test_the_city_confirms_a_candidate_or_gives_another_grade_with_a_reason(cycle):
    a = _confirmed(cycle)
    east, west, south = a["东村"], a["西村"], a["南村"]
    city_decide(assessment=east, expected_version=east.version, actor=cycle.city, decision="confirmed")
    east.refresh_from_db()
    assert (east.city_decision, east.city_grade, east.effective_grade) == ("confirmed", "SHIFAN", "SHIFAN")
    assert east.city_decided_at is not None
    with pytest.raises(WorkflowError, match="请选择示范村以外的等次"):
        city_decide(
            assessment=south,
            expected_version=south.version,
            actor=cycle.city,
            decision="other",
            grade_code="SHIFAN",
            reason="x",
        )
    with pytest.raises(WorkflowError, match="须填写评审意见"):
        city_decide(
            assessment=south,
            expected_version=south.version,
            actor=cycle.city,
            decision="other",
            grade_code="DABIAO",
        )
    city_decide(
        assessment=south,
        expected_version=south.version,
        actor=cycle.city,
        decision="other",
        grade_code="DABIAO",
        reason="特色不突出",
    )
    south.refresh_from_db()
    assert (south.city_decision, south.city_grade, south.city_reason, south.effective_grade) == (
        "other",
        "DABIAO",
        "特色不突出",
        "DABIAO",
    )
    assert south.final_grade == "SHIFAN"  # the township's grade stays on record
    e = AssessmentEvent.objects.filter(assessment=south, action="city_decide").get()
    assert (e.from_value, e.to_value, e.reason) == ("待评选", "达标村", "特色不突出")
    with pytest.raises(WorkflowError, match="不是已确认定级的报市评选对象"):
        city_decide(assessment=west, expected_version=west.version, actor=cycle.city, decision="confirmed")
    with pytest.raises(WorkflowError, match="您不能评选"):
        city_decide(
            assessment=east,
            expected_version=east.version,
            actor=cycle.reviewer,
            decision="other",
            grade_code="DABIAO",
            reason="x",
        )


def test_a_city_decision_can_be_changed_with_a_new_reason_and_both_are_logged(cycle):
    east = _confirmed(cycle)["东村"]
    city_decide(assessment=east, expected_version=east.version, actor=cycle.city, decision="confirmed")
    with pytest.raises(WorkflowError, match="变更市级认定结果须填写理由"):
        city_decide(assessment=east, expected_version=east.version, actor=cycle.city, decision="confirmed")
    city_decide(
        assessment=east,
        expected_version=east.version,
        actor=cycle.city,
        decision="other",
        grade_code="DABIAO",
        reason="复核材料不足",
    )
    events = list(
        AssessmentEvent.objects.filter(assessment=east, action="city_decide").values_list(
            "from_value", "to_value", "reason"
        )
    )
    assert events == [("待评选", "示范村", ""), ("示范村", "达标村", "复核材料不足")]


def test_a_vetoed_candidate_cannot_be_confirmed_by_the_city(cycle):
    east = _confirmed(cycle)["东村"]
    veto_event_record(
        assessment=east,
        actor=cycle.reviewer,
        veto_item=cycle.standard.veto_items.first(),
        occurred_on=datetime.date.today(),
        description="查实",
    )
    with pytest.raises(WorkflowError, match="存在负面清单情形，不能认定为示范村"):
        city_decide(assessment=east, expected_version=east.version, actor=cycle.city, decision="confirmed")


def test_candidates_are_not_marked_before_confirmation(cycle):
    east = reviewed(cycle)
    assert not east.city_candidate
    with pytest.raises(WorkflowError, match="不是已确认定级的报市评选对象"):
        city_decide(assessment=east, expected_version=east.version, actor=cycle.city, decision="confirmed")


# --- the board ----------------------------------------------------------------------------------------


def test_the_city_board_lists_the_candidates_of_its_region_grouped_and_decides_through_the_page(
    client, cycle
):
    a = _confirmed(cycle)
    client.force_login(cycle.city)
    response = client.get(BOARD)
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [(key, [x.subject_name for x in items]) for key, items in groups] == [
        (("甲镇", 2024), ["东村", "南村"])
    ]
    html = response.content.decode()
    assert reverse("assessments:city_decide", args=[a["东村"].pk]) in html and "西村" not in html
    r = client.post(
        reverse("assessments:city_decide", args=[a["南村"].pk]),
        {"decision": "other", "grade": "DABIAO", "reason": "亮点不足", "version": a["南村"].version},
    )
    assert r.status_code == 302
    assert Assessment.objects.get(pk=a["南村"].pk).city_grade == "DABIAO"
    r = client.post(
        reverse("assessments:city_decide", args=[a["西村"].pk]),
        {"decision": "confirmed", "version": a["西村"].version},
        follow=True,
    )
    assert "不是已确认定级的报市评选对象" in r.content.decode()


def test_the_city_board_and_decision_are_404_for_everyone_else(client, cycle):
    east = _confirmed(cycle)["东村"]
    other_city = user_with_role(Role.CITY_OFFICE, cycle.org.other_city, username="city_yi")
    for user in (cycle.committee, cycle.supervisor, cycle.secretary, cycle.reviewer, cycle.leader):
        client.force_login(user)
        assert client.get(BOARD).status_code == 404, user.username
        url = reverse("assessments:city_decide", args=[east.pk])
        assert client.post(url, {"decision": "confirmed"}).status_code == 404, user.username
    client.force_login(other_city)
    assert client.get(BOARD).context["groups"] == []
    assert (
        client.post(reverse("assessments:city_decide", args=[east.pk]), {"decision": "confirmed"}).status_code
        == 404
    )
    east.refresh_from_db()
    assert east.city_decision == ""


def test_the_city_board_makes_the_same_number_of_queries_for_few_and_many_candidates(client, cycle):
    counts = {}
    for n in (3, 60):
        _, campaign, _ = township(cycle.org.city, cycle.standard, n, f"候选{n}镇")
        grade(campaign, [("SHIFAN", n)], status=Assessment.Status.CONFIRMED)
        Campaign.objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
        campaign.assessments.update(city_candidate=True)
        client.force_login(cycle.city)
        client.get(BOARD)
        cache.clear()  # the board built afresh (the rows were written without a service)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(BOARD)
        with CaptureQueriesContext(connection) as warm:
            client.get(BOARD)  # the board from the cache
        counts[n] = (
            len(ctx.captured_queries),
            sum(len(items) for _, items in response.context["groups"]),
            len(warm.captured_queries),
        )
    assert counts[3][0] == counts[60][0], counts
    assert counts[60][1] == 63
    # none: the session, the user, the scope and the board come from the cache
    assert counts[3][2] == counts[60][2] == 0, counts


def test_the_city_board_links_the_township_level_campaigns_it_reviews(client, cycle):
    from pathlib import Path

    from assessments.services.campaigns import campaign_create_township_level
    from indices.services import standard_import

    sample = (
        Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "township_index_standard.sample.yaml"
    )
    with sample.open("rb") as fh:
        std = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
    campaign = campaign_create_township_level(actor=None, region=cycle.org.city, year=2024, standard=std)
    client.force_login(cycle.city)
    html = client.get(BOARD).content.decode()
    assert reverse("assessments:grading_board", args=[campaign.pk]) in html
    board = client.get(reverse("assessments:grading_board", args=[campaign.pk]))
    assert board.status_code == 200 and board.context["can_edit"]
    assert len(board.context["rows"]) == 2  # 甲镇 and 乙镇
    township = campaign.assessments.get(township=cycle.org.town)
    page = client.get(reverse("assessments:review_edit", args=[township.pk]))
    assert page.status_code == 200 and "逾期未报，直接初审" in page.content.decode()
    client.force_login(cycle.reviewer)  # the township's reviewer is the self side here
    assert client.get(reverse("assessments:grading_board", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("assessments:review_edit", args=[township.pk])).status_code == 404


# --- history ------------------------------------------------------------------------------------------


def test_history_shows_a_village_across_years_and_village_users_only_see_confirmed_years(client, cycle):
    east = _confirmed(cycle)["东村"]
    city_decide(assessment=east, expected_version=east.version, actor=cycle.city, decision="confirmed")
    veto_event_record(
        assessment=east,
        actor=cycle.reviewer,
        veto_item=cycle.standard.veto_items.first(),
        occurred_on=datetime.date.today(),
        description="村干部受处分",
    )
    c2025 = campaign_create(actor=None, township=cycle.org.town, year=2025, standard=cycle.standard)
    Assessment.objects.filter(campaign=c2025, village=cycle.org.village).update(
        final_grade="DABIAO", final_score=D("88")
    )
    url = reverse("assessments:village_history", args=[cycle.org.village.pk])
    client.force_login(cycle.reviewer)
    rows = client.get(url).context["rows"]
    assert [(a.campaign.year, a.final_grade_label) for a in rows] == [(2025, "达标村"), (2024, "促进村")]
    client.force_login(cycle.committee)
    response = client.get(url)
    rows = response.context["rows"]
    assert [(a.campaign.year, a.effective_grade_label, a.city_decision) for a in rows] == [
        (2024, "促进村", "confirmed")
    ]
    html = response.content.decode()
    assert "村干部受处分" in html and "仅显示已确认定级的年度" in html


def test_history_of_a_village_outside_the_scope_is_404(client, cycle):
    client.force_login(cycle.committee)
    for village in (cycle.org.sibling, cycle.org.cousin, cycle.org.foreign, cycle.org.far):
        assert client.get(reverse("assessments:village_history", args=[village.pk])).status_code == 404
    client.force_login(cycle.secretary)
    assert client.get(reverse("assessments:village_history", args=[cycle.org.sibling.pk])).status_code == 200
    assert client.get(reverse("assessments:village_history", args=[cycle.org.cousin.pk])).status_code == 404


def _candidates(cycle, name, year, n, decided=0):
    _, campaign, _ = township(cycle.org.city, cycle.standard, n, name, year=year)
    grade(campaign, [("SHIFAN", n)], status=Assessment.Status.CONFIRMED)
    Campaign.objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
    campaign.assessments.update(city_candidate=True)
    ids = list(campaign.assessments.order_by("village__sort_order").values_list("pk", flat=True))[:decided]
    Assessment.objects.filter(pk__in=ids).update(
        city_decision=Assessment.CityDecision.CONFIRMED, city_grade="SHIFAN"
    )
    return campaign


def _shown(response):
    return [(key, len(items)) for key, items in response.context["groups"]]


def test_the_city_board_shows_one_year_at_a_time_filters_and_pages(client, cycle):
    """The board opens on the latest year with candidates still to decide; older years, 全部年度, 待评选 /
    已认定 and a name search are one choice away; a page holds at most 100 candidates."""
    _candidates(cycle, "旧年镇", 2023, 4, decided=4)
    _candidates(cycle, "今年镇", 2025, 3, decided=1)
    _candidates(cycle, "全定镇", 2026, 2, decided=2)  # a later year, all decided: not the default
    client.force_login(cycle.city)
    response = client.get(BOARD)
    assert response.context["year"] == 2025 and _shown(response) == [(("今年镇", 2025), 3)]
    html = response.content.decode()
    assert "2025年（3 个候选，2 个待评选）" in html and "2023年（4 个候选）" in html
    assert _shown(client.get(BOARD, {"year": 2023})) == [(("旧年镇", 2023), 4)]
    assert _shown(client.get(BOARD, {"year": 2025, "status": "pending"})) == [(("今年镇", 2025), 2)]
    assert _shown(client.get(BOARD, {"year": 2025, "status": "decided"})) == [(("今年镇", 2025), 1)]
    everything = client.get(BOARD, {"year": "all"})
    assert sorted(_shown(everything)) == [(("今年镇", 2025), 3), (("全定镇", 2026), 2), (("旧年镇", 2023), 4)]
    assert _shown(client.get(BOARD, {"year": "all", "q": "旧年"})) == [(("旧年镇", 2023), 4)]
    assert _shown(client.get(BOARD, {"year": "1999"})) == [(("今年镇", 2025), 3)]  # unknown: the default
    empty = client.get(BOARD, {"year": 2025, "q": "没有这个村"})
    assert empty.status_code == 200 and "没有符合条件的候选村。" in empty.content.decode()
    _candidates(cycle, "大镇", 2025, 120)
    first = client.get(BOARD, {"year": 2025})
    assert first.context["page_obj"].paginator.count == 123
    assert sum(n for _, n in _shown(first)) == 100
    assert sum(n for _, n in _shown(client.get(BOARD, {"year": 2025, "page": 2}))) == 23
