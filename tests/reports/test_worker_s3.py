"""Two machines sharing files through the object store (issue 16): a real Celery worker with a disk of
its own builds an export and stores it in the loopback S3 bucket; this process, standing for a web
machine that never saw the worker's disk, serves the download through the authorising view.
Needs the machine's Redis (CI sets REDIS_TEST_URL); the S3 server is moto's, on 127.0.0.1."""

import hashlib
import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import openpyxl
import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.urls import reverse

from reports.models import ExportJob
from reports.services.fingerprint import export_fingerprint
from tests.assessments.conftest import cycle, standard  # noqa: F401  (fixtures)
from tests.common.test_s3_storage import KEY, s3, s3_server  # noqa: F401  (fixtures)
from tests.reports.conftest import confirmed  # noqa: F401  (fixture)
from tests.reports.test_package_worker import REAL_WORKERS, REDIS, ROOT, database_url


@REAL_WORKERS
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_another_machine_stores_the_export_in_the_bucket_and_the_web_side_serves_it(
    s3,  # noqa: F811
    s3_server,  # noqa: F811
    confirmed,  # noqa: F811
    client,
    tmp_path,
):
    c = confirmed
    kind = ExportJob.Kind.GRADE_ROSTER_XLSX
    job = ExportJob.objects.create(
        kind=kind,
        township=c.org.town,
        year=2024,
        campaign=c.campaign,
        created_by=c.reviewer,
        fingerprint=export_fingerprint(kind=kind, township=c.org.town, year=2024, campaign=c.campaign),
    )
    worker_disk, worker_tmp = tmp_path / "worker-media", tmp_path / "worker-tmp"
    worker_disk.mkdir()
    worker_tmp.mkdir()
    queue = f"ql-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        # the other machine: a disk of its own, the same bucket
        "QL_TEST_MEDIA_ROOT": str(worker_disk),
        "QL_TEST_TEMP_DIR": str(worker_tmp),
        "QL_STORAGE": "s3",
        "QL_S3_BUCKET": s3.name,
        "QL_S3_ENDPOINT_URL": s3_server,
        "QL_S3_ACCESS_KEY": KEY,
        "QL_S3_SECRET_KEY": KEY,
        "QL_S3_REGION": "us-east-1",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "-l", "warning", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        Celery(broker=REDIS).send_task("reports.export_build", args=[job.pk], queue=queue)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            connection.close()  # a fresh snapshot each time (tests.reports.test_package_worker.wait_for)
            job.refresh_from_db()
            if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        log = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert job.status == ExportJob.Status.DONE, (job.status, job.error, log[-2000:])
    assert job.runner.startswith(f"celery:{queue}@")
    assert job.file.name == f"exports/2024/job-{job.pk}/grade_roster_xlsx-1.xlsx"
    assert s3.keys().count(job.file.name) == 1
    # nothing on either machine's disk: not the worker's media folder, not its temporary folder
    assert [p for p in worker_disk.rglob("*") if p.is_file()] == []
    assert list(worker_tmp.glob("ql-export-*")) == []
    assert not Path(settings.MEDIA_ROOT).exists()

    client.force_login(c.reviewer)
    response = client.get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200
    payload = b"".join(response.streaming_content)
    assert (
        hashlib.sha256(payload).hexdigest() == job.sha256 and str(len(payload)) == response["Content-Length"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(payload)).active
    cells = {str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    assert {"东村", "西村", "南村"} <= cells
