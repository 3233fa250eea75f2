"""Computed township indicators: each formula of the sample 镇街 standard against a hand calculation on
data built here, the empty township, the city's override with a reason surviving recomputation, and a
query count that does not grow with the number of villages."""

import datetime as dt
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from assessments.models import Assessment, AssessmentEvent, Campaign, IndicatorScore, VetoEvent
from assessments.services.campaigns import campaign_create_township_level
from assessments.services.computed import computed_scores_fill
from audit.models import AuditEvent
from indices.services import standard_import
from ledgers.models import LedgerSubmission, Rectification
from tests.factories import UnitFactory, VillageFactory, user_with_role
from villages.models import AnnualTarget, AnnualTargetGrade

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "standards"
TZ = ZoneInfo("Asia/Shanghai")
AS_OF = dt.date(2025, 3, 1)  # every 2024 ledger month (Dec due 2 Jan 2025) and 2024 deadline has passed
S = Assessment.Status


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def standards(db):
    village = standard_import(
        source=(FIXTURES / "village_index_standard.sample.yaml").read_bytes(), fmt="yaml", actor=None
    )
    township = standard_import(
        source=(FIXTURES / "township_index_standard.sample.yaml").read_bytes(),
        fmt="yaml",
        actor=None,
        year=2024,
    )
    return village, township


def village_campaign(org, standard, year, township=None):
    return Campaign.objects.create(
        level=Campaign.Level.VILLAGE,
        region=org.city,
        township=township or org.town,
        year=year,
        standard=standard,
        name=f"{year}",
        self_deadline=dt.date(year, 6, 30),
        city_deadline=dt.date(year, 9, 30),
    )


def village_row(campaign, village, **fields):
    return Assessment.objects.create(campaign=campaign, village=village, township=village.township, **fields)


@pytest.fixture
def town_data(org, standards):
    """甲镇 in 2024: 东村, 西村, 南村; 2 responsible units; rectifications. Figures in the test below."""
    village_std, _ = standards
    c = village_campaign(org, village_std, 2024)
    dong = village_row(
        c, org.village, status=S.CONFIRMED, final_grade="SHIFAN", city_grade="SHIFAN",
        submitted_at=at(2024, 6, 30, 23, 30), reviewed_at=at(2024, 9, 10, 10),
        city_candidate=True, city_decision=Assessment.CityDecision.CONFIRMED,
    )  # fmt: skip
    xi = village_row(
        c, org.sibling, status=S.REVIEWED, final_grade="DABIAO",
        submitted_at=at(2024, 7, 1, 0, 10), reviewed_at=at(2024, 10, 8, 9),
    )  # fmt: skip
    nan = village_row(
        c, org.cousin, status=S.REVIEWED, final_grade="CUJIN", submitted_at=None,
        reviewed_at=at(2024, 9, 20, 9), city_candidate=True, city_decision=Assessment.CityDecision.OTHER,
    )  # fmt: skip
    for _ in range(2):
        AssessmentEvent.objects.create(assessment=xi, action="return", reason="材料不全")
    AssessmentEvent.objects.filter(assessment=xi).update(at=at(2024, 7, 5, 9))
    veto_item = c.standard.veto_items.first()
    VetoEvent.objects.create(
        assessment=nan, veto_item=veto_item, occurred_on=dt.date(2024, 11, 1), description="查实",
        grade_before="CUJIN", grade_after="CUJIN",
    )  # fmt: skip
    # 2023: 南村 was 促进村 already (a repeat), 东村 was 促进村 and has moved up (not a repeat).
    c23 = village_campaign(org, village_std, 2023)
    village_row(c23, org.cousin, status=S.CONFIRMED, final_grade="CUJIN")
    village_row(c23, org.village, status=S.CONFIRMED, final_grade="CUJIN")
    target = AnnualTarget.objects.create(township=org.town, year=2024, mode=AnnualTarget.Mode.COUNTS)
    AnnualTargetGrade.objects.create(target=target, grade_code="SHIFAN", grade_name="示范村", count=3)
    AnnualTargetGrade.objects.create(target=target, grade_code="DABIAO", grade_name="达标村", count=20)
    # Ledgers: 经管站 all of Apr–Dec, June late (3 Jul > 2 Jul); 民政科 Apr–Oct, Sept late, Nov a draft.
    for m in range(4, 13):
        nxt = (2024, m + 1) if m < 12 else (2025, 1)
        day = 3 if m == 6 else 1
        LedgerSubmission.objects.create(
            unit=org.unit, year=2024, month=m, status="submitted", submitted_at=at(*nxt, day, 9)
        )
    for m in range(4, 11):
        when = at(2024, 10, 5, 9) if m == 9 else at(2024, m + 1, 2, 23, 30)  # 23:30 on the due day: on time
        LedgerSubmission.objects.create(
            unit=org.other_unit, year=2024, month=m, status="submitted", submitted_at=when
        )
    LedgerSubmission.objects.create(unit=org.other_unit, year=2024, month=11, status="draft")
    foreign_unit = UnitFactory(township=org.other_town, name="乙镇经管站")
    LedgerSubmission.objects.create(unit=foreign_unit, year=2024, month=4, submitted_at=at(2024, 8, 1, 9))
    # Rectifications due in 2024: 4 closed by their deadline (one on the day), 1 still open.
    rect = {
        "township": org.town,
        "village": org.village,
        "source": "ledger",
        "problem": "问题",
        "requirement": "整改",
    }
    for deadline, closed in (
        ((2024, 3, 31), (2024, 3, 20)),
        ((2024, 5, 31), (2024, 5, 1)),
        ((2024, 7, 31), (2024, 7, 30)),
        ((2024, 8, 31), (2024, 8, 31)),
    ):
        Rectification.objects.create(
            **rect, deadline=dt.date(*deadline), status="closed", closed_on=dt.date(*closed)
        )
    Rectification.objects.create(**rect, deadline=dt.date(2024, 10, 31), status="open")
    Rectification.objects.create(**rect, deadline=dt.date(2025, 2, 1), status="open")  # not a 2024 item
    Rectification.objects.create(
        **{**rect, "township": org.other_town, "village": org.foreign},
        deadline=dt.date(2024, 5, 1),
        status="open",
    )
    return {"dong": dong, "xi": xi, "nan": nan}


@pytest.fixture
def township_review(org, standards):
    _, township_std = standards
    campaign = campaign_create_township_level(actor=None, region=org.city, year=2024, standard=township_std)
    Assessment.objects.filter(campaign=campaign).update(status=S.FORWARDED)
    city = user_with_role(Role.CITY_OFFICE, org.city, username="city_reviewer")
    return campaign, city


def scores(assessment):
    return {
        s.indicator.code: s
        for s in IndicatorScore.objects.filter(
            assessment=assessment, indicator__computed=True
        ).select_related("indicator")
    }


def test_each_computed_indicator_matches_the_hand_calculation(org, town_data, township_review):
    campaign, city = township_review
    ours = campaign.assessments.get(township=org.town)

    computed_scores_fill(assessment=ours, actor=city, as_of=AS_OF)

    got = scores(ours)
    # T2.1 (6, deductions): self-assessment due 30 Jun. 东村 23:30 on the day (on time); 西村 00:10 on
    # 1 Jul (late); 南村 never submitted (late) → 2 × 1 = 2. 西村 returned twice → 2 × 0.5 = 1. 6 − 3 = 3.
    # T2.2 (8): review due 30 Sep; 西村 reviewed 8 Oct → late, counted once (max_count 1) → 2; 南村 has
    # a veto found later → 1 × 3. 8 − 5 = 3.
    # T2.3 (8, tiers): (示范 东村 + 达标 西村) / 3 graded = 66.67 % → the ≥ 60 % tier → 4.
    # T2.4 (4, checklist): candidates 东村, 南村 = 2 of the 示范 target 3 = 66.67 % < 100 % → 0;
    # city confirmed 1 of 2 = 50 % ≥ 50 % → 2. Total 2.
    # T2.5 (4): 南村 促进 in 2023 and 2024 → 1 × 1; 东村 moved up from 促进 (not counted). 4 − 1 = 3.
    # T3.1 (8): 2 units × 9 months (Apr–Dec) = 18 due. Submitted 9 + 7 = 16 (the draft does not count,
    # 乙镇's unit is not ours) → missing 2 × 1 = 2; late 经管站 Jun and 民政科 Sep → 2 × 0.5 = 1. 8 − 3 = 5.
    # T3.2 (7, tiers): due in 2024: 5 items (the 2025 one and 乙镇's are out); closed by the deadline 4
    # → 80 % → the ≥ 70 % tier → 3.
    expected = {"T2.1": "3", "T2.2": "3", "T2.3": "4", "T2.4": "2", "T2.5": "3", "T3.1": "5", "T3.2": "3"}
    assert {code: s.computed_score for code, s in got.items()} == {k: D(v) for k, v in expected.items()}
    assert {code: s.review_score for code, s in got.items()} == {k: D(v) for k, v in expected.items()}
    t23 = got["T2.3"].computed_detail
    assert t23["lines"][0]["figure"] == {
        "numerator": 2,
        "denominator": 3,
        "period": "2024年1月1日至12月31日",
        "text": "所列等次村数 2 / 参评村数 3 = 66.67%",
    }
    assert t23["lines"][0]["outcome"] == "评定为所列等次的村占参评村比例 ≥ 60% → 4 分"
    t31 = got["T3.1"].computed_detail["lines"]
    assert [(line["figure"]["numerator"], line["figure"]["denominator"]) for line in t31] == [
        (2, 18),
        (2, 18),
    ]
    assert t31[0]["figure"]["period"] == "2024年4–12月台账"
    assert [line["figure"]["text"] for line in t31] == [
        "逾期单位·月 2（应报单位·月 18）",
        "未报单位·月 2（应报单位·月 18）",
    ]
    assert [line["outcome"] for line in t31] == ["2 × 0.5 分 = 扣 1 分", "2 × 1 分 = 扣 2 分"]
    t32 = got["T3.2"].computed_detail["lines"][0]["figure"]
    assert (t32["numerator"], t32["denominator"]) == (4, 5)
    event = ours.events.get(action="computed_fill")
    assert event.actor == city and "系统计算指标 7 项" in event.subject


def test_a_township_with_nothing_to_count_gets_a_defined_score(org, standards, township_review):
    """乙镇: no village campaign, no responsible units, no rectifications."""
    campaign, city = township_review
    theirs = campaign.assessments.get(township=org.other_town)

    computed_scores_fill(assessment=theirs, actor=city, as_of=AS_OF)

    got = scores(theirs)
    # Nothing late or missing: the deductions keep the maximum (6, 8, 4, 8). No villages graded: 认定率
    # has no denominator → the formula's empty_points 0; no target and no candidates: both checklist
    # items unmet → 0; no rectification due → empty_points 7.
    expected = {"T2.1": "6", "T2.2": "8", "T2.3": "0", "T2.4": "0", "T2.5": "4", "T3.1": "8", "T3.2": "7"}
    assert {code: s.computed_score for code, s in got.items()} == {k: D(v) for k, v in expected.items()}
    line = got["T2.3"].computed_detail["lines"][0]
    assert line["figure"]["denominator"] == 0
    assert line["outcome"] == "无可统计对象（分母为 0），按公式得 0 分"


def test_the_review_page_fills_on_opening_and_shows_the_figures(client, org, town_data, township_review):
    campaign, city = township_review
    ours = campaign.assessments.get(township=org.town)
    client.force_login(city)

    page = client.get(f"/assessments/a/{ours.pk}/review/").content.decode()

    assert IndicatorScore.objects.filter(assessment=ours, computed_at__isnull=False).count() == 7
    assert "系统计算指标" in page and "重新计算" in page
    assert "所列等次村数 2 / 参评村数 3" in page
    ours.refresh_from_db()
    assert ours.status == S.FORWARDED  # opening the page does not start the review


def test_an_override_needs_a_reason_and_survives_recomputation(client, org, town_data, township_review):
    campaign, city = township_review
    ours = campaign.assessments.get(township=org.town)
    client.force_login(city)
    client.get(f"/assessments/a/{ours.pk}/review/")
    t23 = IndicatorScore.objects.get(assessment=ours, indicator__code="T2.3")
    url = f"/assessments/a/{ours.pk}/review/score/{t23.pk}/"

    client.post(url, {"value": "6", "version": t23.version})
    t23.refresh_from_db()
    assert (t23.review_score, t23.override_reason) == (D("4"), "")

    client.post(url, {"value": "6", "version": t23.version, "reason": "西村整改后市级复核升为提升村"})
    client.post(f"/assessments/a/{ours.pk}/review/computed/")

    t23.refresh_from_db()
    assert (t23.review_score, t23.computed_score) == (D("6"), D("4"))
    assert t23.override_reason == "西村整改后市级复核升为提升村"
    override = ours.events.get(action="computed_override")
    assert override.actor == city
    assert (override.subject, override.from_value, override.to_value, override.reason) == (
        "T2.3 清廉村居认定率（调整系统计算分）",
        "4",
        "6",
        "西村整改后市级复核升为提升村",
    )
    audit = AuditEvent.objects.get(action="assessment.computed_override")
    assert audit.detail == {"reason": "西村整改后市级复核升为提升村"}
    assert AuditEvent.objects.filter(action="assessment.computed_fill").count() == 2
    assert ours.events.filter(action="computed_fill").count() == 2
    page = client.get(f"/assessments/a/{ours.pk}/review/").content.decode()
    assert "人工调整" in page and "西村整改后市级复核升为提升村" in page

    client.post(f"/assessments/a/{ours.pk}/review/computed/{t23.pk}/restore/", {"version": t23.version})
    t23.refresh_from_db()
    assert (t23.review_score, t23.override_reason) == (D("4"), "")


def test_a_village_reviewer_cannot_recompute_a_township(client, org, town_data, township_review):
    campaign, _ = township_review
    ours = campaign.assessments.get(township=org.town)
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei"))
    assert client.post(f"/assessments/a/{ours.pk}/review/computed/").status_code == 404
    assert not IndicatorScore.objects.filter(assessment=ours, computed_at__isnull=False).exists()


def _fill_queries(assessment, city):
    with CaptureQueriesContext(connection) as ctx:
        computed_scores_fill(assessment=assessment, actor=city, as_of=AS_OF)
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_villages_or_ledgers(org, town_data, township_review):
    campaign, city = township_review
    ours = campaign.assessments.get(township=org.town)
    _fill_queries(ours, city)  # warms the caches the first audit row fills (content types)
    small = _fill_queries(ours, city)
    village_campaign_2024 = town_data["dong"].campaign
    for n in range(12):
        v = VillageFactory(township=org.town, name=f"新村{n}")
        village_row(
            village_campaign_2024, v, status=S.REVIEWED, final_grade="DABIAO", submitted_at=at(2024, 6, 1)
        )
        unit = UnitFactory(township=org.town, name=f"单位{n}")
        LedgerSubmission.objects.create(unit=unit, year=2024, month=5, submitted_at=at(2024, 6, 1, 9))
    large = _fill_queries(ours, city)
    assert small == large == 37


def test_early_in_the_year_only_what_is_already_due_counts(org, town_data, township_review):
    campaign, city = township_review
    ours = campaign.assessments.get(township=org.town)

    computed_scores_fill(assessment=ours, actor=city, as_of=dt.date(2024, 5, 1))

    got = scores(ours)
    # 1 May: April's ledger is due 2 May, so no month is due yet → 0 of 0 expected, nothing deducted.
    t31 = got["T3.1"].computed_detail["lines"]
    assert [(line["figure"]["numerator"], line["figure"]["denominator"]) for line in t31] == [(0, 0), (0, 0)]
    assert t31[0]["figure"]["period"] == "2024年（尚无到期月份）"
    assert got["T3.1"].computed_score == D("8")
    # Rectifications due by 30 Apr: only the one due 31 Mar, closed 20 Mar → 1 / 1 = 100 % → 7.
    t32 = got["T3.2"].computed_detail["lines"][0]["figure"]
    assert (t32["numerator"], t32["denominator"], got["T3.2"].computed_score) == (1, 1, D("7"))
    assert got["T3.2"].computed_detail["period"] == "2024年1月1日至5月1日"
