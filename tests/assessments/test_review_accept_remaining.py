"""采纳其余自评: one click accepts every unreviewed self score, never overwriting a reviewed one."""

from decimal import Decimal as D

import pytest

from assessments.models import Assessment, AssessmentEvent, IndicatorScore
from assessments.services.review import scores_accept_remaining
from assessments.services.transitions import assessment_transition
from tests.assessments.conftest import fill_self

pytestmark = pytest.mark.django_db


@pytest.fixture
def forwarded(cycle):
    a = cycle.a["东村"]
    fill_self(a, cycle.committee, cycle.supervisor)
    assessment_transition(assessment=a, action="submit", actor=cycle.committee)
    assessment_transition(assessment=a, action="forward", actor=cycle.secretary)
    return a


def test_accepting_the_rest_keeps_scores_already_reviewed(cycle, forwarded):
    adjusted = forwarded.scores.get(indicator__code="V1.1")
    IndicatorScore.objects.filter(pk=adjusted.pk).update(review_score=D("1.5"), review_note="缺学习记录")
    count = scores_accept_remaining(assessment=forwarded, actor=cycle.reviewer)
    # 26 indicators: V5.5 is township-only (no self score) and V1.1 was already reviewed.
    assert count == 24
    adjusted.refresh_from_db()
    assert adjusted.review_score == D("1.5")
    assert (
        forwarded.scores.filter(review_score__isnull=True).values_list("indicator__code", flat=True).get()
        == "V5.5"
    )
    forwarded.refresh_from_db()
    assert forwarded.status == Assessment.Status.IN_REVIEW
    # 100 - 4 (V5.5 unscored) - 1.5 (V1.1 adjusted from 3) = 94.5
    assert forwarded.review_base == D("94.50")
    assert AssessmentEvent.objects.filter(assessment=forwarded, action="review_accept_remaining").count() == 1


def test_only_the_reviewer_may_accept_and_the_page_button_posts_it(client, cycle, forwarded):
    client.force_login(cycle.committee)
    assert client.post(f"/assessments/a/{forwarded.pk}/review/accept-remaining/").status_code in (403, 404)
    assert not forwarded.scores.filter(review_score__isnull=False).exists()
    client.force_login(cycle.reviewer)
    page = client.get(f"/assessments/a/{forwarded.pk}/review/").content.decode()
    assert "其余指标全部采纳自评" in page
    response = client.post(f"/assessments/a/{forwarded.pk}/review/accept-remaining/")
    assert response.status_code == 302
    assert forwarded.scores.filter(review_score__isnull=False).count() == 25
