"""Reopening one village after the self-assessment deadline (the township reviewer, with a reason)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import Assessment, AssessmentEvent, Campaign
from assessments.services.transitions import guard_problems, self_window_open
from assessments.workflow import Guard
from tests.factories import user_with_role


@pytest.fixture
def closed(cycle):
    """The self-assessment deadline was yesterday."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Campaign.objects.filter(pk=cycle.campaign.pk).update(
        self_deadline=yesterday, submission_deadline=yesterday + datetime.timedelta(days=5)
    )
    return cycle


def _reopen(client, assessment, **data):
    return client.post(reverse("assessments:assessment_reopen", args=[assessment.pk]), data)


def test_reopen_lets_that_one_village_edit_again_and_records_the_reason(client, closed):
    dong, xi = closed.a["东村"], closed.a["西村"]
    assert not self_window_open(Assessment.objects.select_related("campaign").get(pk=dong.pk))
    client.force_login(closed.reviewer)
    detail = client.get(reverse("assessments:campaign_detail", args=[closed.campaign.pk]))
    assert all(a.can_reopen for a in detail.context["page_obj"])
    until = timezone.localdate() + datetime.timedelta(days=3)
    response = _reopen(client, dong, until=until.isoformat(), reason="村书记住院，材料延后提交")
    assert response.status_code == 302
    dong = Assessment.objects.select_related("campaign").get(pk=dong.pk)
    assert self_window_open(dong)
    assert guard_problems(dong, [Guard.SELF_WINDOW_OPEN]) == []
    assert not self_window_open(Assessment.objects.select_related("campaign").get(pk=xi.pk))
    event = AssessmentEvent.objects.get(assessment=dong, action="reopen")
    assert (event.reason, event.to_value, event.actor) == (
        "村书记住院，材料延后提交",
        until.isoformat(),
        closed.reviewer,
    )
    page = client.get(reverse("assessments:campaign_detail", args=[closed.campaign.pk])).content.decode()
    assert f"已延期至 {until.year}年{until.month}月{until.day}日 23:59" in page


def test_reopen_needs_a_reason_and_a_future_date(client, closed):
    client.force_login(closed.reviewer)
    dong = closed.a["东村"]
    _reopen(client, dong, until=(timezone.localdate() + datetime.timedelta(days=3)).isoformat(), reason="")
    _reopen(
        client, dong, until=(timezone.localdate() - datetime.timedelta(days=3)).isoformat(), reason="补材料"
    )
    assert Assessment.objects.get(pk=dong.pk).reopened_until is None
    assert not AssessmentEvent.objects.filter(action="reopen").exists()


def test_reopen_form_is_offered_only_after_the_deadline_and_to_the_reviewer(client, cycle, closed):
    client.force_login(closed.leader)
    detail = client.get(reverse("assessments:campaign_detail", args=[closed.campaign.pk]))
    assert not any(a.can_reopen for a in detail.context["page_obj"])
    Campaign.objects.filter(pk=cycle.campaign.pk).update(self_deadline=timezone.localdate())
    client.force_login(closed.reviewer)
    detail = client.get(reverse("assessments:campaign_detail", args=[closed.campaign.pk]))
    assert not any(a.can_reopen for a in detail.context["page_obj"])


@pytest.mark.parametrize("who", ["leader", "city", "secretary", "committee"])
def test_others_cannot_reopen(client, closed, who):
    client.force_login(getattr(closed, who))
    until = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert _reopen(client, closed.a["东村"], until=until, reason="x").status_code == 404
    assert Assessment.objects.get(pk=closed.a["东村"].pk).reopened_until is None


def test_reviewer_of_another_township_gets_404_on_reopen(client, closed):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, closed.org.other_town))
    until = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert _reopen(client, closed.a["东村"], until=until, reason="x").status_code == 404


def test_reopen_returns_to_the_same_page_of_the_table(client, closed):
    client.force_login(closed.reviewer)
    until = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = _reopen(
        client, closed.a["东村"], until=until, reason="补材料", back_query="status=draft&page=1"
    )
    detail = reverse("assessments:campaign_detail", args=[closed.campaign.pk])
    assert response["Location"] == f"{detail}?status=draft&page=1"
    response = _reopen(
        client, closed.a["西村"], until=until, reason="补材料", back_query="https://evil.example/"
    )
    assert response["Location"].startswith(f"{detail}?")
