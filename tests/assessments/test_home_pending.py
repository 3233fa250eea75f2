"""The home page puts each role's waiting work first."""

import pytest
from django.utils import timezone

from access.scope import scope_for
from accounts.models import Role
from assessments.models import Assessment
from assessments.services.transitions import assessment_transition
from portal.home import pending_work
from tests.assessments.conftest import fill_self
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def _titles(user):
    return [title for title, _, _ in pending_work(user, scope_for(user))]


def test_a_village_member_is_sent_to_its_open_self_assessment(client, cycle):
    east = cycle.a["东村"]
    client.force_login(cycle.committee)
    page = client.get("/").content.decode()
    assert "填报东村2024年度自评" in page
    assert f"/assessments/a/{east.pk}/self/" in page
    Assessment.objects.filter(pk=east.pk).update(status=Assessment.Status.RETURNED)
    assert _titles(cycle.committee) == ["东村2024年度自评已退回"]


def test_the_reviewer_sees_how_many_villages_wait_for_review(cycle):
    east = cycle.a["东村"]
    fill_self(east, cycle.committee, cycle.supervisor)
    assessment_transition(assessment=east, action="submit", actor=cycle.committee)
    assessment_transition(assessment=east, action="forward", actor=cycle.secretary)
    assert _titles(cycle.reviewer) == ["1 个村待初审"]
    assert _titles(cycle.leader) == []  # the leader reviews nothing


def test_unit_staff_are_reminded_of_last_months_ledger(org):
    staff = user_with_role(Role.UNIT_STAFF, org.unit)
    today = timezone.localdate()
    titles = _titles(staff)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    assert titles == ([f"报送经管站{year}年{month}月台账"] if month >= 4 else [])


def test_the_home_page_query_count_does_not_grow_with_open_work(client, cycle, django_assert_max_num_queries):
    client.force_login(cycle.reviewer)
    with django_assert_max_num_queries(20):
        assert client.get("/").status_code == 200
