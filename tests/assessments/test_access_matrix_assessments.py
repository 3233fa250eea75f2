"""Roles × (own, other) over the assessment pages and evidence downloads, against hand-written reach.

甲镇's campaign has 东村 and 西村 (branch 1) and 南村 (branch 2); 乙镇's campaign has 北村. The unit
经管站 supervises 东村 and 南村. Each assessment has one uploaded file.
"""

import datetime

import pytest
from django.core.files.base import ContentFile

from accounts.models import ROLE_NODE, Role
from assessments.models import Evidence
from assessments.services.campaigns import campaign_create
from audit.models import AuditEvent
from tests.assessments.conftest import PDF_BYTES
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

SEES = {  # assessments (by village) whose overview and files the role may open
    Role.VILLAGE_COMMITTEE: {"东村"},
    Role.VILLAGE_SUPERVISOR: {"东村"},
    Role.BRANCH_SECRETARY: {"东村", "西村"},
    Role.UNIT_STAFF: {"东村", "南村"},
    Role.TOWNSHIP_REVIEWER: {"东村", "西村", "南村"},
    Role.TOWNSHIP_LEADER: {"东村", "西村", "南村"},
    Role.CITY_OFFICE: {"东村", "西村", "南村", "北村"},
    Role.ADMIN: {"东村", "西村", "南村", "北村"},
}
REVIEWS = {Role.TOWNSHIP_REVIEWER: {"东村", "西村", "南村"}}  # review pages
GRADING = {Role.TOWNSHIP_REVIEWER: {"甲镇"}, Role.TOWNSHIP_LEADER: {"甲镇"}}  # grading boards
# Branch boards: the secretary of branch 1, and read-only for the township roles, the city and admin.
BRANCH_1 = {Role.BRANCH_SECRETARY, Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_LEADER, Role.CITY_OFFICE, Role.ADMIN}


@pytest.fixture
def two_campaigns(cycle):
    org = cycle.org
    other = campaign_create(
        actor=None,
        township=org.other_town,
        year=2024,
        standard=cycle.standard,
        self_deadline=datetime.date.today() + datetime.timedelta(days=3),
    )
    assessments = dict(cycle.a)
    assessments["北村"] = other.assessments.get()
    files = {}
    for name, a in assessments.items():
        files[name] = Evidence.objects.create(
            assessment=a,
            kind=Evidence.Kind.APPLICATION_FORM,
            file=ContentFile(PDF_BYTES, name="f.pdf"),
            original_name=f"{name}.pdf",
            content_type="application/pdf",
            size=len(PDF_BYTES),
            sha256="0" * 64,
        )
    return cycle, other, assessments, files


def _user(role, org):
    node = {
        "village": org.village,
        "branch": org.branch,
        "unit": org.unit,
        "township": org.town,
        "region": org.city,
    }
    field = ROLE_NODE[role]
    return user_with_role(role, node[field] if field else None)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_exactly_its_assessments_files_and_boards(client, two_campaigns, role):
    cycle, other, assessments, files = two_campaigns
    client.force_login(_user(role, cycle.org))
    for name, a in assessments.items():
        seen = name in SEES[role]
        assert client.get(f"/assessments/a/{a.pk}/").status_code == (200 if seen else 404), name
        response = client.get(f"/assessments/evidence/{files[name].pk}/")
        assert response.status_code == (200 if seen else 404), f"file of {name}"
        if seen:
            assert response["Content-Disposition"].startswith("attachment")
            assert response["X-Content-Type-Options"] == "nosniff"
        reviews = name in REVIEWS.get(role, set())
        status = client.get(f"/assessments/a/{a.pk}/review/").status_code
        assert (status == 200) == reviews, f"review of {name}: {status}"
        if not seen:
            assert status == 404
    for campaign, town in ((cycle.campaign, "甲镇"), (other, "乙镇")):
        status = client.get(f"/assessments/{campaign.pk}/grading/").status_code
        assert (status == 200) == (town in GRADING.get(role, set())), f"grading {town}: {status}"
    status = client.get(f"/assessments/{cycle.campaign.pk}/branch/{cycle.org.branch.pk}/").status_code
    assert (status == 200) == (role in BRANCH_1), f"branch board: {status}"
    status = client.get(f"/assessments/{cycle.campaign.pk}/branch/{cycle.org.other_branch.pk}/").status_code
    assert (status == 200) == (role in BRANCH_1 - {Role.BRANCH_SECRETARY}), f"other branch board: {status}"


def test_every_file_download_is_audited(client, two_campaigns):
    cycle, _, _, files = two_campaigns
    client.force_login(cycle.committee)
    client.get(f"/assessments/evidence/{files['东村'].pk}/")
    event = AuditEvent.objects.get(action="evidence.download")
    assert event.actor == cycle.committee and event.village_id == cycle.org.village.pk
