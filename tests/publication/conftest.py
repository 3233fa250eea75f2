"""甲镇's confirmed 2024 campaign (东村 and 南村 at full marks, 示范村 candidates; 西村 促进村) and the
city's decisions: 东村 confirmed 示范村, 南村 recognised as 达标村 only."""

import pytest
from django.core.cache import cache

from assessments.models import Assessment
from assessments.services.grading import city_decide
from tests.assessments.conftest import cycle, standard  # noqa: F401
from tests.reports.conftest import confirmed  # noqa: F401

PERSON = "张三丰"  # a person's name planted in review notes and the 申请表: never published


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def decided(confirmed):  # noqa: F811
    c = confirmed
    city_decide(
        assessment=c.a["东村"], expected_version=c.a["东村"].version, actor=c.city, decision="confirmed"
    )
    city_decide(
        assessment=c.a["南村"],
        expected_version=c.a["南村"].version,
        actor=c.city,
        decision="other",
        grade_code="DABIAO",
        reason="特色不突出",
    )
    Assessment.objects.filter(campaign=c.campaign).update(secretary_name=PERSON, director_name=PERSON)
    c.campaign.assessments.get(village__name="西村").scores.update(review_note=f"{PERSON}未按时公开")
    c.a = {
        a.village.name: a for a in Assessment.objects.filter(campaign=c.campaign).select_related("village")
    }
    c.campaign.refresh_from_db()
    return c
