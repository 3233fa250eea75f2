"""Evaluation rounds (测评轮次, issue 14): a township holds several rounds a year (年度测评, 试点验收,
中期评估, 终期评估), at most one of each kind, each with its own villages, target and dates."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import Assessment, Campaign
from assessments.services.campaigns import annual_target_save, campaign_create
from assessments.services.grading import campaign_confirm_grades, grading_summary
from common.errors import ApplicationError
from publication.selectors import publication_blockers
from reminders.models import Reminder
from reminders.services import reminders_raise
from reports.data.record import village_record
from tests.assessments.test_campaign_settings import page_versions
from tests.factories import user_with_role
from villages.models import AnnualTarget

S = Assessment.Status
K = Campaign.Kind
CREATE = reverse("assessments:campaign_create")


def _grade(campaign, plan):
    """plan: {village name: grade code}; every assessment of the round becomes reviewed with that grade."""
    for a in campaign.assessments.select_related("village"):
        code = plan[a.village.name]
        Assessment.objects.filter(pk=a.pk).update(
            status=S.REVIEWED, final_grade=code, proposed_grade=code, final_score=D("85")
        )


def _counts_target(town, year, kind, counts, actor=None):
    names = {"SHIFAN": "示范村", "DABIAO": "达标村", "TISHENG": "提升村", "CUJIN": "促进村"}
    return annual_target_save(
        township=town,
        year=year,
        kind=kind,
        mode=AnnualTarget.Mode.COUNTS,
        counts=[(code, names[code], n) for code, n in counts.items()],
        actor=actor,
    )


@pytest.fixture
def midterm(cycle):
    """甲镇's 2024 中期评估 beside the annual round of the cycle fixture (all three villages)."""
    return campaign_create(
        actor=None, township=cycle.org.town, year=2024, standard=cycle.standard, kind=K.MIDTERM
    )


# --- several rounds a year, each against its own target ----------------------------------------------


def test_an_annual_and_a_midterm_round_of_one_year_are_each_graded_against_their_own_target(cycle, midterm):
    town = cycle.org.town
    annual = cycle.campaign
    assert (annual.kind, midterm.kind) == (K.ANNUAL, K.MIDTERM)
    assert midterm.name == "甲镇2024年度“清廉村居”中期评估"
    assert midterm.assessments.count() == annual.assessments.count() == 3
    # The same grades in both rounds: 2 示范村 and 1 达标村.
    plan = {"东村": "SHIFAN", "西村": "SHIFAN", "南村": "DABIAO"}
    _grade(annual, plan)
    _grade(midterm, plan)
    # The year's (annual) target asks for 1 示范村 and 2 达标村; the mid-term's for exactly what was reached.
    _counts_target(town, 2024, K.ANNUAL, {"SHIFAN": 1, "DABIAO": 2})
    _counts_target(town, 2024, K.MIDTERM, {"SHIFAN": 2, "DABIAO": 1})

    annual_summary, midterm_summary = grading_summary(annual), grading_summary(midterm)
    assert [(r.code, r.target) for r in annual_summary.rows[:2]] == [("SHIFAN", 1), ("DABIAO", 2)]
    assert [(r.code, r.target) for r in midterm_summary.rows[:2]] == [("SHIFAN", 2), ("DABIAO", 1)]
    assert annual_summary.differences == [
        "示范村：目标 1 个，拟定 2 个，多 1 个",
        "达标村：目标 2 个，拟定 1 个，少 1 个",
    ]
    assert midterm_summary.differences == []

    # Confirming: the mid-term's targets are met, no reason needed; the annual round's are broken.
    campaign_confirm_grades(campaign=midterm, actor=cycle.reviewer)
    midterm.refresh_from_db()
    assert midterm.is_confirmed
    # the city's 示范村 selection takes the annual round only: no candidate from the mid-term
    assert not midterm.assessments.filter(city_candidate=True).exists()
    with pytest.raises(ApplicationError) as err:
        campaign_confirm_grades(campaign=annual, actor=cycle.reviewer)
    assert str(err.value).startswith("拟定等次与2024年度目标不一致：示范村：目标 1 个，拟定 2 个，多 1 个")
    annual.refresh_from_db()
    assert not annual.is_confirmed
    campaign_confirm_grades(campaign=annual, actor=cycle.reviewer, reason="年中两村提前达到示范标准")
    assert annual.assessments.filter(city_candidate=True).count() == 2


def test_a_round_without_its_own_target_says_so_even_when_the_year_has_one(cycle, midterm):
    _counts_target(cycle.org.town, 2024, K.ANNUAL, {"SHIFAN": 1})
    assert "未设置2024年度中期评估目标，无法比对等次分布。" in grading_summary(midterm).warnings
    assert grading_summary(cycle.campaign).target.kind == K.ANNUAL


def test_a_second_round_of_the_same_kind_and_year_is_refused_in_chinese(client, cycle, midterm):
    town = cycle.org.town
    with pytest.raises(ValidationError) as err:
        campaign_create(actor=None, township=town, year=2024, standard=cycle.standard)
    assert err.value.messages == ["甲镇2024年度测评已存在。"]
    with pytest.raises(ValidationError) as err:
        campaign_create(actor=None, township=town, year=2024, standard=cycle.standard, kind=K.MIDTERM)
    assert err.value.messages == ["甲镇2024年度中期评估已存在。"]
    # the database holds the rule too
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(
            level="village", kind=K.ANNUAL, region=town.region, township=town, year=2024,
            standard=cycle.standard, name="重复",
        )  # fmt: skip
    # from the page
    client.force_login(cycle.reviewer)
    response = client.post(
        CREATE,
        {"year": 2024, "standard": cycle.standard.pk, "kind": "annual", "villages": [cycle.org.village.pk]},
    )
    assert response.status_code == 200
    assert list(response.context["form"].non_field_errors()) == ["甲镇2024年度测评已存在。"]
    assert Campaign.objects.filter(township=town, year=2024).count() == 2
    # a final evaluation of the same year is a round of its own
    final = campaign_create(actor=None, township=town, year=2024, standard=cycle.standard, kind=K.FINAL)
    assert final.name == "甲镇2024年度“清廉村居”终期评估"


def test_the_creation_page_makes_a_midterm_round_with_its_own_target(client, cycle):
    client.force_login(cycle.reviewer)
    page = client.get(CREATE)
    assert page.context["form"].fields["kind"].initial == K.ANNUAL
    assert "中期评估" in page.content.decode()
    response = client.post(
        CREATE,
        {
            "year": 2024,
            "standard": cycle.standard.pk,
            "kind": "midterm",
            "villages": [cycle.org.village.pk, cycle.org.sibling.pk],
            "target-mode": "share",
            "target-share_percent": "50",
        },
    )
    c = Campaign.objects.get(township=cycle.org.town, year=2024, kind=K.MIDTERM)
    assert response.status_code == 302 and response["Location"] == f"/assessments/{c.pk}/"
    assert c.name == "甲镇2024年度“清廉村居”中期评估"
    assert set(c.assessments.values_list("village__name", flat=True)) == {"东村", "西村"}
    target = AnnualTarget.objects.get(township=cycle.org.town, year=2024, kind=K.MIDTERM)
    assert target.share_percent == D("50.00")
    # the annual round's (the year's) target is untouched: there is none
    assert not AnnualTarget.objects.filter(township=cycle.org.town, year=2024, kind=K.ANNUAL).exists()
    detail = client.get(response["Location"]).content.decode()
    assert "2024年度中期评估目标" in detail and "中期评估" in detail


# --- a pilot round of one community --------------------------------------------------------------------


def test_a_pilot_round_of_one_village_queues_and_reminds_only_that_village(client, cycle):
    org = cycle.org
    today = timezone.localdate()
    self_deadline = today + dt.timedelta(days=3)
    pilot = campaign_create(
        actor=None, township=org.town, year=2024, standard=cycle.standard, kind=K.PILOT,
        villages=[org.sibling], self_deadline=self_deadline,
        submission_deadline=today + dt.timedelta(days=5),
    )  # fmt: skip
    assert pilot.name == "甲镇2024年度“清廉村居”试点验收"
    assert list(pilot.assessments.values_list("village__name", flat=True)) == ["西村"]
    # the queue of the pilot round lists only the pilot village
    client.force_login(cycle.reviewer)
    page = client.get(reverse("assessments:campaign_detail", args=[pilot.pk]))
    assert [a.village.name for a in page.context["page_obj"]] == ["西村"]
    assert page.context["totals"]["total"] == 1
    # reminders of the pilot's deadline go to the pilot village's committee only
    cw_xi = user_with_role(Role.VILLAGE_COMMITTEE, org.sibling, username="cw_xi")
    Campaign.objects.filter(pk=cycle.campaign.pk).update(
        self_deadline=today + dt.timedelta(days=60),
        submission_deadline=today + dt.timedelta(days=61),
        city_deadline=today + dt.timedelta(days=62),
    )
    reminders_raise(today=today)
    keys = set(Reminder.objects.values_list("user__username", "key"))
    submission = (today + dt.timedelta(days=5)).isoformat()
    assert keys == {
        ("cw_xi", f"campaign:{pilot.pk}:self_deadline:{self_deadline.isoformat()}:d3"),
        # the pilot village's branch secretary (东村 of the same branch is not in the round)
        ("zz_1", f"campaign:{pilot.pk}:submission_deadline:{submission}:d7"),
    }
    r = Reminder.objects.get(user=cw_xi)
    assert r.title.startswith("甲镇2024年度“清廉村居”试点验收：自评还有3天截止")


# --- the rounds shown apart ----------------------------------------------------------------------------


def test_the_village_record_and_the_dashboard_show_the_rounds_of_a_year_apart(client, cycle, midterm):
    _grade(cycle.campaign, {"东村": "SHIFAN", "西村": "DABIAO", "南村": "DABIAO"})
    _grade(midterm, {"东村": "DABIAO", "西村": "DABIAO", "南村": "CUJIN"})
    rec = village_record(cycle.org.village, confirmed_only=False, review_visible=True)
    assert [(y.short_title, y.township_grade) for y in rec.years] == [
        ("2024年", "示范村"),
        ("2024年 中期评估", "达标村"),
    ]
    client.force_login(cycle.reviewer)
    html = client.get(reverse("reports:village_record", args=[cycle.org.village.pk])).content.decode()
    assert 'id="year-2024"' in html and 'id="year-2024-midterm"' in html
    assert "2024年度 中期评估 · 初审完成" in html

    leader = cycle.leader
    client.force_login(leader)
    base = reverse("dashboards:township", args=[cycle.org.town.pk, 2024])
    annual_page = client.get(base)
    d = annual_page.context["d"]
    assert d.campaign == cycle.campaign
    rounds = {r.kind: (r.n_total, r.n_reviewed, r.n_qinglian) for r in d.rounds}
    # 清廉村居 grades of the sample standard: all but 促进村
    assert rounds == {"annual": (3, 3, 3), "midterm": (3, 3, 2)}
    html = annual_page.content.decode()
    assert 'data-round="annual"' in html and 'data-round="midterm"' in html
    mid_page = client.get(f"{base}?round=midterm")
    assert mid_page.context["d"].campaign == midterm
    assert mid_page.context["d"].grade_counts["CUJIN"] == 1
    assert "round=midterm&amp;figure=ranking" in mid_page.content.decode()
    listing = client.get(
        reverse("dashboards:township_list", args=[cycle.org.town.pk, 2024]) + "?round=midterm&figure=ranking"
    )
    assert listing.context["campaign"] == midterm


def test_publication_takes_the_annual_round_only(cycle, midterm):
    Campaign.objects.filter(pk=midterm.pk).update(grades_confirmed_at=timezone.now())
    midterm.refresh_from_db()
    assert publication_blockers(midterm) == ["只有年度测评的结果向村民公开，中期评估的结果不公开。"]


def test_the_settings_page_of_a_round_edits_that_rounds_target_only(client, cycle, midterm):
    town = cycle.org.town
    _counts_target(town, 2024, K.ANNUAL, {"SHIFAN": 1, "DABIAO": 2})
    client.force_login(cycle.reviewer)
    edit = reverse("assessments:campaign_edit", args=[midterm.pk])
    page = client.get(edit)
    assert page.context["target"] is None  # the year's target is not the mid-term's
    assert "2024年度中期评估目标" in page.content.decode()
    response = client.post(
        edit,
        {
            "name": midterm.name,
            "target-mode": "counts",
            "target-grade_0": "2",
            "target-grade_1": "1",
            **page_versions(client, edit),
        },
    )
    assert response.status_code == 302
    mid = AnnualTarget.objects.get(township=town, year=2024, kind=K.MIDTERM)
    assert [(g.grade_code, g.count) for g in mid.grade_counts.all()] == [("SHIFAN", 2), ("DABIAO", 1)]
    annual = AnnualTarget.objects.get(township=town, year=2024, kind=K.ANNUAL)
    assert [(g.grade_code, g.count) for g in annual.grade_counts.all()] == [("SHIFAN", 1), ("DABIAO", 2)]
