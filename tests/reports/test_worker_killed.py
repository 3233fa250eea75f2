"""One of two Celery workers killed with -9 in the middle of the city package (real Redis, real
workers): the other goes on with the villages; the killed worker's village is not left for the broker's
visibility timeout: the restarted worker sends it again at once, and the package finishes once, with
every village exactly once in the zip, and no temporary file or part left behind."""

import os
import signal
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from audit.models import AuditEvent
from common.storage import storage_files
from reports.models import ExportJob, PackagePart
from tests.reports.test_package_worker import (
    REAL_WORKERS,
    REDIS,
    demo_package_job,
    read_package,
    start_worker,
    stop,
    wait_for,
    worker_env,
)

S = ExportJob.Status


@REAL_WORKERS
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_package_has_its_village_redone_and_the_package_holds_it_once():
    from celery import Celery

    job = demo_package_job()
    queue = f"ql-test-{uuid.uuid4().hex[:8]}"
    env = worker_env()
    # a half-built zip lives on the worker machine's disk, never in the shared storage
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    first, other = start_worker(queue, env, "a"), start_worker(queue, env, "b")
    restarted = None
    try:
        Celery(broker=REDIS).send_task("reports.export_build", args=[job.pk], queue=queue)

        def rendering_on_a():
            return (
                PackagePart.objects.filter(
                    job=job,
                    started_at__isnull=False,
                    finished_at__isnull=True,
                    runner__startswith=f"celery:{queue}-a@",
                )
                .values_list("pk", flat=True)
                .first()
            )

        killed_part = wait_for(rendering_on_a, 300, step=0.05)
        assert killed_part, (job.status, job.step)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)

        # the other worker finishes every other village; the killed one stays open
        assert wait_for(
            lambda: (
                list(PackagePart.objects.filter(job=job, finished_at__isnull=True))
                == [PackagePart.objects.get(pk=killed_part)]
            ),
            300,
            step=0.2,
        )
        job.refresh_from_db()
        assert job.status == S.RUNNING and job.attempt == 1
        restarted = start_worker(queue, env, "a")

        def finished():
            job.refresh_from_db()
            return job.status in (S.DONE, S.FAILED)

        assert wait_for(finished, 180), (job.status, job.progress, job.step)
    finally:
        stop(first, other, restarted)
    assert job.status == S.DONE, job.error
    assert job.attempt == 1  # the package was not started over: only the lost village was redone
    parts = list(PackagePart.objects.filter(job=job, attempt=1).order_by("position"))
    assert len(parts) == 1 + job.summary["villages"] == 8  # the township's roster and seven villages
    assert {p.pk: p.runs for p in parts} == {p.pk: 2 if p.pk == killed_part else 1 for p in parts}
    files = read_package(job)
    assert sum(1 for f in files if f.endswith("/01_定级名册.pdf")) == 1
    for p in parts[1:]:
        name = p.assessment.village.name
        assert sum(1 for f in files if f.endswith(f"_{name}/评分表.pdf")) == 1
    assert not list(spool.glob(f"ql-export-{job.pk}-*.part"))
    assert not storage_files(folder=f"exports/parts/{job.pk}")  # the parts went once the zip was stored
    requeued = AuditEvent.objects.filter(action="export.requeue", object_id=str(job.pk))
    assert requeued.count() == 1 and requeued.get().detail["parts"] == [killed_part]
    assert (
        AuditEvent.objects.filter(action="export.build", object_id=str(job.pk), result="success").count() == 1
    )
