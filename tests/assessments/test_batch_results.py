"""The creation-batch plan checked against the confirmed grades (assessments:batch_results)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import Assessment, Campaign
from assessments.selectors import batch_results_for_township
from assessments.services.campaigns import campaign_create
from tests.factories import user_with_role
from villages.services_setup import creation_plan_save

from .conftest import standard  # noqa: F401  (fixture)

D = dt.date


@pytest.fixture
def graded(org, standard):  # noqa: F811
    """甲镇 plans 东村 (标杆村) and 西村 for 2024, 南村 for 2025; 2024 is confirmed: 东村 in the top grade,
    西村 in the lowest (not 清廉村居); 2025's campaign is open."""
    creation_plan_save(
        township=org.town,
        actor=None,
        years=[(org.village.pk, 2024), (org.sibling.pk, 2024), (org.cousin.pk, 2025)],
        benchmarks=[(org.village.pk, 2024), (org.cousin.pk, 2025)],
    )
    grades = list(standard.grades.order_by("rank"))
    assert grades[0].counts_as_qinglian and not grades[-1].counts_as_qinglian
    deadlines = {
        "self_deadline": D(2024, 6, 1),
        "submission_deadline": D(2024, 6, 5),
        "city_deadline": D(2024, 6, 9),
    }
    c2024 = campaign_create(actor=None, township=org.town, year=2024, standard=standard, **deadlines)
    campaign_create(actor=None, township=org.town, year=2025, standard=standard, **deadlines)
    S = Assessment.Status
    Assessment.objects.filter(campaign=c2024, village=org.village).update(
        status=S.CONFIRMED, final_grade=grades[0].code
    )
    Assessment.objects.filter(campaign=c2024, village=org.sibling).update(
        status=S.CONFIRMED, final_grade=grades[-1].code
    )
    Assessment.objects.filter(campaign=c2024, village=org.cousin).update(
        status=S.CONFIRMED, final_grade=grades[0].code
    )
    Campaign.objects.filter(pk=c2024.pk).update(grades_confirmed_at=timezone.now())
    return org


def test_each_planned_year_is_checked_against_its_confirmed_campaign_in_4_queries(
    graded, django_assert_num_queries
):
    with django_assert_num_queries(4):
        rows = batch_results_for_township(graded.town)
    got = [
        (
            r["year"],
            [v.name for v in r["planned"]],
            r["benchmark"].name,
            r["reached"],
            [v.name for v in r["missing"]],
        )
        for r in rows
    ]
    # 南村 reached the top grade in 2024, but it is planned for 2025, whose grades are not confirmed yet
    assert got == [(2024, ["东村", "西村"], "东村", 1, ["西村"]), (2025, ["南村"], "南村", None, [])]


@pytest.mark.parametrize(
    ("role", "node", "status"),
    [
        (Role.TOWNSHIP_REVIEWER, "town", 200),
        (Role.TOWNSHIP_LEADER, "town", 200),
        (Role.CITY_OFFICE, "city", 200),
        (Role.VILLAGE_COMMITTEE, "village", 404),
        (Role.BRANCH_SECRETARY, "branch", 404),
        (Role.UNIT_STAFF, "unit", 404),
        (Role.TOWNSHIP_REVIEWER, "other_town", 404),
    ],
)
def test_the_results_page_is_for_those_who_see_the_townships_campaigns_whole(
    client, graded, role, node, status
):
    client.force_login(user_with_role(role, getattr(graded, node)))
    response = client.get(reverse("assessments:batch_results", args=[graded.town.pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "达标 1 / 2" in page and "未达标：西村" in page and "定级尚未确认" in page
