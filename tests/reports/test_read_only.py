"""What the read-only 镇领导 may do with exports (issue 15, README 角色): read the reports pages and download
finished files, yes; create export jobs or retry anyone's job, no. Decided by the access table
(`Cap.EXPORT_REQUEST`): a leader's request answers 404 like a missing page, writes one access.denied row
and leaves no job; the township reviewer still builds and retries."""

import pytest
from django.urls import reverse

from access.roles import Cap, Role
from access.table import CAPS, READ_ONLY_ROLES
from audit.models import AuditEvent
from reports.models import ExportJob
from reports.services import export_run

K = ExportJob.Kind


def test_the_table_gives_building_exports_to_the_township_reviewer_city_and_admin_only():
    assert {role for role, caps in CAPS.items() if Cap.EXPORT_REQUEST in caps} == {
        Role.TOWNSHIP_REVIEWER,
        Role.CITY_OFFICE,
        Role.ADMIN,
    }
    assert not any(Cap.EXPORT_REQUEST in CAPS[role] for role in READ_ONLY_ROLES)


def _failed_job(c):
    return ExportJob.objects.create(
        kind=K.GRADE_ROSTER_XLSX,
        township=c.org.town,
        campaign=c.campaign,
        year=c.campaign.year,
        status=ExportJob.Status.FAILED,
        created_by=c.reviewer,
        error="构建失败",
    )


def _denied(user):
    return AuditEvent.objects.filter(action="access.denied", actor=user).count()


EXPORT_POSTS = {
    "roster": lambda c: (reverse("reports:export_create", args=[c.campaign.pk, K.GRADE_ROSTER_XLSX]), {}),
    "ledger": lambda c: (
        reverse("reports:export_create", args=[c.campaign.pk, K.COMPLIANCE_XLSX]),
        {},
    ),
    "record": lambda c: (reverse("reports:village_record_export", args=[c.org.village.pk]), {}),
    "summary": lambda c: (
        reverse("reports:year_summary_export", args=[c.org.town.pk, c.campaign.year]),
        {"format": "docx"},
    ),
}


@pytest.mark.parametrize("what", sorted(EXPORT_POSTS))
def test_the_leader_creates_no_export_job_and_the_reviewer_does(
    client, confirmed, what, django_capture_on_commit_callbacks
):
    url, data = EXPORT_POSTS[what](confirmed)
    client.force_login(confirmed.leader)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(url, data).status_code == 404
    assert not ExportJob.objects.exists()
    assert _denied(confirmed.leader) == 1
    client.force_login(confirmed.reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(url, data).status_code == 302
    assert ExportJob.objects.count() == 1


def test_the_leader_cannot_retry_another_users_job_and_the_reviewer_can(
    client, confirmed, django_capture_on_commit_callbacks
):
    job = _failed_job(confirmed)
    url = reverse("reports:job_retry", args=[job.pk])
    client.force_login(confirmed.leader)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(url).status_code == 404
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportJob.Status.FAILED, "构建失败")
    assert not AuditEvent.objects.filter(action="export.retry").exists()
    assert _denied(confirmed.leader) == 1
    client.force_login(confirmed.reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(url).status_code == 302
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED


def test_the_leader_reads_and_downloads_what_the_reviewer_built(
    client, confirmed, django_capture_on_commit_callbacks
):
    client.force_login(confirmed.reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("reports:export_create", args=[confirmed.campaign.pk, K.GRADE_ROSTER_XLSX]))
    job = ExportJob.objects.get()
    export_run(job_id=job.pk)
    client.force_login(confirmed.leader)
    page = client.get(reverse("reports:center", args=[confirmed.campaign.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("reports:job_download", args=[job.pk]) in html
    # no button to build or rebuild anything
    assert reverse("reports:export_create", args=[confirmed.campaign.pk, K.GRADE_ROSTER_XLSX]) not in html
    assert "重新生成" not in html and ">生成<" not in html
    assert client.get(reverse("reports:job_status", args=[job.pk])).status_code == 200
    response = client.get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_the_leader_sees_no_build_buttons_on_the_summary_and_the_record(client, confirmed):
    client.force_login(confirmed.leader)
    summary = client.get(
        reverse("reports:year_summary", args=[confirmed.org.town.pk, confirmed.campaign.year])
    )
    assert summary.status_code == 200
    assert reverse(
        "reports:year_summary_export", args=[confirmed.org.town.pk, confirmed.campaign.year]
    ) not in (summary.content.decode())
    record = client.get(reverse("reports:village_record", args=[confirmed.org.village.pk]))
    assert record.status_code == 200
    assert (
        reverse("reports:village_record_export", args=[confirmed.org.village.pk])
        not in record.content.decode()
    )
    client.force_login(confirmed.reviewer)
    record = client.get(reverse("reports:village_record", args=[confirmed.org.village.pk]))
    assert (
        reverse("reports:village_record_export", args=[confirmed.org.village.pk]) in record.content.decode()
    )
