"""A Celery worker killed with -9 in the middle of building the city package (real Redis, real worker):
the job is not left "running" for the broker's visibility timeout. The restarted worker queues it again at
once; it finishes within a minute of the restart, once, with a valid file, and no .part file is left."""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core.management import call_command

from assessments.models import Campaign
from audit.models import AuditEvent
from reports.models import ExportJob
from reports.services.fingerprint import export_fingerprint
from tests.reports.test_package_worker import REDIS, ROOT, database_url

S = ExportJob.Status


def start_worker(queue, env):
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "-l", "warning", "-n", f"{queue}@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wait_for(check, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return None


@pytest.mark.skipif(not REDIS, reason="REDIS_TEST_URL not set (CI sets it)")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_build_is_recovered_when_it_restarts():
    call_command("seed_demo", password="Demo-Passw0rd-2024", stdout=io.StringIO())
    campaign = Campaign.objects.get(township__name="鲍沟镇", year=2024, level="village")
    kind = ExportJob.Kind.CITY_PACKAGE
    job = ExportJob.objects.create(
        kind=kind,
        township=campaign.township,
        year=2024,
        campaign=campaign,
        fingerprint=export_fingerprint(kind=kind, township=campaign.township, year=2024, campaign=campaign),
    )
    queue = f"ql-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "QL_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "QL_TEST_TEMP_DIR": str(settings.FILE_UPLOAD_TEMP_DIR),  # both workers on one "machine"
    }
    # a half-built package lives on the worker machine's disk, never in the shared storage
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    first = start_worker(queue, env)
    second = None
    try:
        Celery(broker=REDIS).send_task("reports.export_build", args=[job.pk], queue=queue)

        def midway():
            job.refresh_from_db()
            return job.status == S.RUNNING and 0 < job.progress < 90

        assert wait_for(midway, 300), (job.status, job.progress, job.error)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        job.refresh_from_db()
        assert job.status == S.RUNNING and job.attempt == 1  # left behind by the dead worker
        assert list(spool.glob(f"ql-export-{job.pk}-1-*.part"))

        restarted = time.monotonic()
        second = start_worker(queue, env)

        def finished():
            job.refresh_from_db()
            return job.status in (S.DONE, S.FAILED)

        assert wait_for(finished, 120), (job.status, job.progress, job.step)
        took = time.monotonic() - restarted
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
    assert job.status == S.DONE, job.error
    assert took < 60, f"the job finished {took:.0f} s after the restart"
    assert job.attempt == 2
    assert not list(spool.glob(f"ql-export-{job.pk}-*.part"))
    built = Path(settings.MEDIA_ROOT) / job.file.name
    # one package: the second attempt's (the folder is the job's; other tests' jobs may share its id)
    assert [p.name for p in built.parent.glob("city_package-*")] == [built.name] == ["city_package-2.zip"]
    with zipfile.ZipFile(built) as zf:
        assert zf.testzip() is None
        assert any(name.endswith("01_定级名册.pdf") for name in zf.namelist())
    requeued = AuditEvent.objects.filter(action="export.requeue", object_id=str(job.pk))
    assert requeued.count() == 1 and requeued.get().detail["was"] == "running"
    assert (
        AuditEvent.objects.filter(action="export.build", object_id=str(job.pk), result="success").count() == 1
    )
