"""The 镇街-level assessment runs on the same machinery: the township self-assesses against the 镇街
standard, the city office reviews and grades it, and the township then reads its result."""

from decimal import Decimal as D
from pathlib import Path

import pytest

from accounts.models import Role
from assessments.models import Assessment, IndicatorScore, VetoCheck
from assessments.services.campaigns import campaign_create_township_level
from indices.services import standard_import
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
SAMPLE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "township_index_standard.sample.yaml"
)
S = Assessment.Status


@pytest.fixture
def township_cycle(org):
    with SAMPLE.open("rb") as fh:
        standard = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
    campaign = campaign_create_township_level(actor=None, region=org.city, year=2024, standard=standard)
    ours = campaign.assessments.get(township=org.town)
    other = campaign.assessments.get(township=org.other_town)
    return campaign, ours, other


def test_township_self_assesses_and_the_city_reviews_and_grades(client, org, township_cycle):
    campaign, ours, other = township_cycle
    jiwei = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    city = user_with_role(Role.CITY_OFFICE, org.city)

    # The township's reviewer is the self side: scores every indicator through the sheet's endpoint.
    client.force_login(jiwei)
    assert client.get(f"/assessments/a/{ours.pk}/self/").status_code == 200
    assert client.get(f"/assessments/a/{other.pk}/self/").status_code == 404  # another township's
    t11 = ours.scores.get(indicator__code="T1.1")
    response = client.post(
        f"/assessments/a/{ours.pk}/self/score/{t11.pk}/",
        {"value": "4", "note": "包村责任人一村未明确", "version": t11.version},
    )
    assert response.status_code in (200, 302)
    t11.refresh_from_db()
    assert t11.self_score == D("4.00")
    for s in ours.scores.select_related("indicator").exclude(pk=t11.pk):
        IndicatorScore.objects.filter(pk=s.pk).update(self_score=s.indicator.max_score)
    VetoCheck.objects.filter(assessment=ours).update(self_answer=False)
    # No stamped 申请表 or village sign-offs at this level; submitting goes straight to the city.
    client.post(f"/assessments/a/{ours.pk}/transition/submit/")
    ours.refresh_from_db()
    assert ours.status == S.FORWARDED

    # The city office is the reviewer here.
    client.force_login(city)
    assert client.get(f"/assessments/a/{ours.pk}/review/").status_code == 200
    client.post(f"/assessments/a/{ours.pk}/review/accept-remaining/")
    client.post(f"/assessments/a/{ours.pk}/transition/complete_review/")
    ours.refresh_from_db()
    # Opening the review filled the computed indicators from 甲镇's data, which holds no graded villages
    # (T2.3 认定率 → 0 of 8), no 示范村 target or candidates (T2.4 → 0 of 4) and no ledgers from its two
    # units (T3.1: 18 unit·months missing → 0 of 8); the rest is accepted as self-assessed (T1.1: 4).
    # 100 − 1 − 8 − 4 − 8 = 79 → 合格.
    assert (ours.status, ours.final_score, ours.final_grade) == (S.REVIEWED, D("79.00"), "HEGE")
    # Grading needs every township reviewed: the other one is not, so confirmation is refused.
    client.post(f"/assessments/{campaign.pk}/confirm/")
    campaign.refresh_from_db()
    assert not campaign.is_confirmed
    Assessment.objects.filter(pk=other.pk).update(status=S.REVIEWED, final_grade="HEGE")
    assert client.get(f"/assessments/{campaign.pk}/grading/").status_code == 200
    # through the confirmation step (no target at the township level: no reason needed)
    seen = client.get(f"/assessments/{campaign.pk}/confirm/").context["summary"].fingerprint
    client.post(f"/assessments/{campaign.pk}/confirm/", {"distribution": seen})
    campaign.refresh_from_db()
    assert campaign.is_confirmed

    # The township reads its result, with the city's score.
    client.force_login(jiwei)
    page = client.get(f"/assessments/a/{ours.pk}/").content.decode()
    assert "合格" in page and "79" in page
    # ... and the figures behind each computed indicator.
    assert "未报单位·月 18（应报单位·月 18）：18 × 1 分 = 扣 18 分" in page
    # A township reviewer is not the reviewer of its own assessment.
    assert client.get(f"/assessments/a/{ours.pk}/review/").status_code in (403, 404)
