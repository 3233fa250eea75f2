"""The storage layer against a real S3-API server on loopback (issue 16: several machines share files
through an object store). moto's server mode listens on 127.0.0.1 in this process; django-storages'
S3Storage talks HTTP to it exactly as to MinIO or a cloud's object storage. Every test gets a bucket
of its own and asserts on the bucket's objects, never on MEDIA_ROOT, which stays empty throughout."""

# ruff: noqa: F811  (pytest fixtures imported from other test packages are parameters here)
import hashlib
import io
import logging
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Role
from assessments.models import Evidence
from assessments.services import self_assessment as svc
from audit.models import AuditEvent
from common.storage import atomic_with_file, orphan_cleanup, orphan_report, storage_files
from ledgers.models import RectificationEvidence
from reports.models import ExportJob
from reports.services import export_request
from tests.assessments.conftest import PDF_BYTES, cycle, standard  # noqa: F401  (fixtures)
from tests.common.hostile import png_bytes
from tests.factories import user_with_role
from tests.ledgers.test_rectification import make, people  # noqa: F401  (fixture)
from tests.reports.conftest import confirmed  # noqa: F401  (fixture)

KEY = "ql-test"


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Bucket:
    client: object
    name: str
    endpoint: str

    def keys(self):
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def read(self, key):
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def acl_grants(self, key):
        return self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]


@pytest.fixture
def s3(settings, s3_server, tmp_path):
    """The default storage is an S3 bucket of this test's own (the options of QL_STORAGE=s3)."""
    name = f"ql-{uuid.uuid4().hex[:16]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=KEY,
        aws_secret_access_key=KEY,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    settings.MEDIA_ROOT = str(tmp_path / "media-must-stay-empty")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_server,
                "access_key": KEY,
                "secret_key": KEY,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
                "signature_version": "s3v4",
                "addressing_style": "path",
                "max_memory_size": 8 * 1024 * 1024,
            },
        },
    }
    assert type(default_storage._wrapped).__name__ != "FileSystemStorage"  # reset by the setting change
    bucket = Bucket(client, name, s3_server)
    yield bucket
    assert not Path(settings.MEDIA_ROOT).exists(), "a file went to the local disk instead of the bucket"


def upload(client, a, files, kind="indicator"):
    target = {"indicator": a.scores.get(indicator__code="V1.1").indicator_id} if kind == "indicator" else {}
    return client.post(f"/assessments/a/{a.pk}/evidence/", {"kind": kind, "files": files, **target})


def test_evidence_uploaded_through_the_page_is_a_private_object_and_downloads_streamed_through_the_view(
    s3, client, cycle
):
    east = cycle.a["东村"]
    before = set(s3.keys())
    client.force_login(cycle.committee)
    response = upload(client, east, [SimpleUploadedFile("村务公开（三月）.pdf", PDF_BYTES)])
    assert response.status_code == 302
    ev = Evidence.objects.get(original_name="村务公开（三月）.pdf")
    assert set(s3.keys()) - before == {ev.file.name}
    assert s3.read(ev.file.name) == PDF_BYTES
    assert hashlib.sha256(PDF_BYTES).hexdigest() == ev.sha256
    # private: only the owner holds a grant (no AllUsers READ)
    assert all("URI" not in g["Grantee"] for g in s3.acl_grants(ev.file.name))

    client.force_login(cycle.leader)
    response = client.get(f"/assessments/evidence/{ev.pk}/")
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E6%9D%91%E5%8A%A1%E5%85%AC%E5%BC%80%EF%BC%88%E4%B8%89%E6%9C%88%EF%BC%89.pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert AuditEvent.objects.filter(action="evidence.download", object_id=str(ev.pk)).count() == 1


def test_with_presigned_downloads_the_view_redirects_to_a_one_minute_address_after_the_access_check(
    s3, settings, client, cycle
):
    settings.QL_S3_PRESIGNED_DOWNLOADS = True
    east = cycle.a["东村"]
    ev = svc.evidence_upload(
        assessment=east,
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=SimpleUploadedFile("申请表（盖章）.pdf", PDF_BYTES),
    )
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, cycle.org.sibling))
    assert client.get(f"/assessments/evidence/{ev.pk}/").status_code == 404  # no address for outsiders

    client.force_login(cycle.leader)
    response = client.get(f"/assessments/evidence/{ev.pk}/")
    assert response.status_code == 302
    url = response["Location"]
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert f"{parsed.scheme}://{parsed.netloc}" == s3.endpoint
    assert parsed.path == f"/{s3.name}/{ev.file.name}"
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query
    assert query["response-content-disposition"] == [
        "attachment; filename*=utf-8''%E7%94%B3%E8%AF%B7%E8%A1%A8%EF%BC%88%E7%9B%96%E7%AB%A0%EF%BC%89.pdf"
    ]
    with urlopen(url, timeout=10) as got:  # the store itself answers with the same name and type
        assert got.read() == PDF_BYTES
        assert got.headers["Content-Type"] == "application/pdf"
        assert "%E7%94%B3%E8%AF%B7%E8%A1%A8" in got.headers["Content-Disposition"]
    assert AuditEvent.objects.filter(action="evidence.download", object_id=str(ev.pk)).count() == 1


def test_a_missing_object_is_a_404_and_no_audited_download(s3, client, cycle):
    ev = svc.evidence_upload(
        assessment=cycle.a["东村"],
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=SimpleUploadedFile("申请表.pdf", PDF_BYTES),
    )
    s3.client.delete_object(Bucket=s3.name, Key=ev.file.name)
    client.force_login(cycle.leader)
    assert client.get(f"/assessments/evidence/{ev.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.download").exists()


def test_a_rollback_after_the_object_is_written_deletes_it_again(s3, cycle, people, monkeypatch):
    from ledgers.services import rectification as rect

    item = make(cycle.org, people)
    before = s3.keys()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rect, "_event", broken)
    with pytest.raises(RuntimeError):
        rect.rectification_evidence_upload(
            item=item, actor=people.committee, uploaded_file=SimpleUploadedFile("a.png", png_bytes())
        )
    assert not RectificationEvidence.objects.exists()
    assert s3.keys() == before

    # the same guarantee for any row: the object was written, then the block failed
    ev = Evidence(assessment=cycle.a["东村"], kind="application_form", original_name="x.pdf", size=1)
    with pytest.raises(ValueError), atomic_with_file(ev.file) as f:
        f.save("x.pdf", ContentFile(PDF_BYTES), save=False)
        assert ev.file.name in s3.keys()
        raise ValueError("validation failed after the write")
    assert s3.keys() == before


def test_the_orphan_sweep_walks_the_bucket_and_spares_young_objects_and_referenced_ones(s3, cycle):
    kept = svc.evidence_upload(
        assessment=cycle.a["东村"],
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=SimpleUploadedFile("申请表.pdf", PDF_BYTES),
    )
    s3.client.put_object(Bucket=s3.name, Key="evidence/2024/01/orphan.pdf", Body=b"%PDF-orphan")
    s3.client.put_object(Bucket=s3.name, Key="exports/2024/job-9/deep/left.zip", Body=b"PK")
    assert {"evidence/2024/01/orphan.pdf", "exports/2024/job-9/deep/left.zip", kept.file.name} <= set(
        storage_files()
    )
    # both were stored a moment ago: they may belong to a request that has not committed yet
    assert orphan_report().orphans == []

    out = io.StringIO()
    call_command("cleanup_orphan_files", "--min-age-hours", "0", stdout=out)
    assert "发现无主文件 evidence/2024/01/orphan.pdf" in out.getvalue()
    assert "发现无主文件 2 个（13 字节）" in out.getvalue()
    report = orphan_cleanup(delete=True, min_age=dt_zero())
    assert report.orphans == ["evidence/2024/01/orphan.pdf", "exports/2024/job-9/deep/left.zip"]
    remaining = s3.keys()
    assert kept.file.name in remaining
    assert "evidence/2024/01/orphan.pdf" not in remaining
    assert "exports/2024/job-9/deep/left.zip" not in remaining


def dt_zero():
    import datetime as dt

    return dt.timedelta(0)


def test_an_export_job_is_stored_in_the_bucket_and_downloads_through_the_view(
    s3,
    settings,
    client,
    django_capture_on_commit_callbacks,
    confirmed,
):
    c = confirmed
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = export_request(
            kind=ExportJob.Kind.CITY_PACKAGE,
            township=c.org.town,
            year=2024,
            campaign=c.campaign,
            actor=c.reviewer,
        )
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file.name == f"exports/2024/job-{job.pk}/city_package-1.zip"
    payload = s3.read(job.file.name)
    assert hashlib.sha256(payload).hexdigest() == job.sha256 and len(payload) == job.size
    assert not list(Path(settings.FILE_UPLOAD_TEMP_DIR).glob("ql-export-*"))  # the local part is gone
    # the package copied the evidence out of the bucket, hash-checked on the way
    with zipfile.ZipFile(io.BytesIO(payload)) as zf:
        copied = {hashlib.sha256(zf.read(i)).hexdigest() for i in zf.infolist()}
    assert c.bonus_evidence.sha256 in copied

    client.force_login(c.reviewer)
    response = client.get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Length"] == str(job.size)
    assert response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content) == payload


def test_evidence_verification_reads_the_bucket_and_reports_a_changed_object(s3, cycle):
    from reports.services.integrity import evidence_verify_all

    ev = svc.evidence_upload(
        assessment=cycle.a["东村"],
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=SimpleUploadedFile("申请表.pdf", PDF_BYTES),
    )
    assert evidence_verify_all()["problems"] == []
    s3.client.put_object(Bucket=s3.name, Key=ev.file.name, Body=PDF_BYTES + b"%tampered")
    assert ("测评佐证", str(ev.pk), "申请表.pdf", "已改动") in evidence_verify_all()["problems"]


def test_backup_copies_every_object_out_and_restore_puts_them_back_into_an_empty_bucket(
    s3, s3_server, settings, cycle, tmp_path
):
    from portal.backup import _copy_files, _restore_files

    svc.evidence_upload(
        assessment=cycle.a["东村"],
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=SimpleUploadedFile("申请表.pdf", PDF_BYTES),
    )
    s3.client.put_object(Bucket=s3.name, Key="exports/2024/job-1/city_package-1.zip", Body=b"PK\x05\x06")
    original = {k: s3.read(k) for k in s3.keys()}
    assert len(original) >= 2
    out = tmp_path / "backup"
    entries = _copy_files(out, progress=lambda line: None)
    assert sorted(e["path"] for e in entries) == sorted(original)
    for e in entries:
        assert e["sha256"] == hashlib.sha256(original[e["path"]]).hexdigest()

    empty = f"ql-{uuid.uuid4().hex[:16]}"
    s3.client.create_bucket(Bucket=empty)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": empty},
        },
    }
    assert storage_files() == []
    assert _restore_files(out, {"files": entries}, progress=lambda line: None) == []
    restored = Bucket(s3.client, empty, s3_server)
    assert {k: restored.read(k) for k in restored.keys()} == original
