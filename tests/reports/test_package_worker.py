"""The city package of the demo township, built by two real Celery workers through the machine's Redis
(CI sets REDIS_TEST_URL): village tasks run on both, the page's progress counts villages, the zip holds
every file once with the index's hashes, the PDFs read back with the right Chinese names and scores, the
Excel files with the right numbers."""

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from assessments.models import Assessment, Campaign
from common.storage import storage_files
from reports.models import ExportJob, PackagePart
from reports.services.fingerprint import export_fingerprint

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("REDIS_TEST_URL")
# Real worker processes run as deployed: on PostgreSQL, beside the web side, through Redis. The embedded
# SQLite edition has no workers (its tasks run in-process, tests/reports/test_jobs.py); worker processes
# polling one SQLite file is no configuration anyone runs, and it cost the SQLite run a minute.
REAL_WORKERS = pytest.mark.skipif(
    not REDIS or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="real workers run on PostgreSQL and Redis, as deployed (CI sets REDIS_TEST_URL)",
)


def database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def pdf_text(payload):
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=payload, capture_output=True, check=True
    ).stdout.decode()


def start_worker(queue, env, name, *, stdout=subprocess.DEVNULL):
    """One real Celery worker (solo pool: one task at a time) on a queue of this test's own, since the
    machine's Redis is shared."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "-l", "warning", "-n", f"{queue}-{name}@%h"],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def worker_env():
    return {
        **os.environ,
        "REDIS_URL": REDIS,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "QL_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "QL_TEST_TEMP_DIR": str(settings.FILE_UPLOAD_TEMP_DIR),  # the workers' disk is this process's
    }


def wait_for(check, timeout, step=0.1):
    """check() until it answers, each time on a fresh database connection, outside any transaction, so
    that it reads what the workers committed since (on SQLite, where these tests once ran, a connection
    left with a statement open kept its old snapshot and never saw them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert not connection.in_atomic_block  # the workers' commits are only seen outside a transaction
        connection.close()
        value = check()
        if value:
            return value
        time.sleep(step)
    return None


def stop(*workers):
    for worker in workers:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)


def demo_package_job():
    call_command("seed_demo", password="Demo-Passw0rd-2024", stdout=io.StringIO())
    campaign = Campaign.objects.get(township__name="鲍沟镇", year=2024, level="village")
    kind = ExportJob.Kind.CITY_PACKAGE
    return ExportJob.objects.create(
        kind=kind,
        township=campaign.township,
        year=2024,
        campaign=campaign,
        fingerprint=export_fingerprint(kind=kind, township=campaign.township, year=2024, campaign=campaign),
    )


def read_package(job):
    """The zip's members (each name once) checked against the index's SHA-256 column."""
    with default_storage.open(job.file.name, "rb") as stored, zipfile.ZipFile(stored) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert len(names) == len(set(names))
        files = {name: zf.read(name) for name in names}
    index_name = next(n for n in names if n.endswith("/00_目录.xlsx"))
    listed = {}
    for row in openpyxl.load_workbook(io.BytesIO(files[index_name])).active.iter_rows(values_only=True):
        path = next((c for c in row if isinstance(c, str) and c in files), None)
        if path:
            listed[path] = row
    assert set(listed) == set(files) - {index_name}
    for name, row in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() in row, name
    return files


@REAL_WORKERS
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_share_the_demo_townships_city_package_village_by_village():
    job = demo_package_job()
    candidates = list(
        Assessment.objects.filter(campaign=job.campaign, city_candidate=True)
        .select_related("village", "demonstration")
        .order_by("demonstration__recommendation_rank")
    )
    assert len(candidates) == 7
    queue = f"ql-test-{uuid.uuid4().hex[:8]}"
    env = worker_env()
    workers = [start_worker(queue, env, "a"), start_worker(queue, env, "b")]
    try:
        code = (
            "import django; django.setup();"
            "from config.celery_app import app; from reports.tasks import export_build;"
            "assert not app.conf.task_always_eager;"
            f"print(export_build.apply_async(args=[{job.pk}], queue={queue!r}).get(timeout=600))"
        )
        sender = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        # export_build only plans and fans out: the villages and the assembly follow on both workers
        assert sender.stdout.strip() == "running", sender.stderr
        seen = set()

        def finished():
            job.refresh_from_db()
            seen.add((job.status, job.progress, job.step))
            return job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED)

        assert wait_for(finished, 600, step=0.2), (job.status, job.step)
    finally:
        stop(*workers)
    assert job.status == ExportJob.Status.DONE, job.error
    steps = [step for status, progress, step in seen if status == "running" and 0 < progress < 100]
    assert any(
        step.startswith("已生成第") and step.endswith("）") and "/7个村（" in step for step in steps
    ), seen
    parts = list(PackagePart.objects.filter(job=job, attempt=1).order_by("position"))
    assert [p.assessment_id for p in parts] == [None] + [a.pk for a in candidates]  # the roster first
    nodes = {p.runner.split(":")[1] for p in parts}
    assert nodes == {f"{queue}-a@{socket.gethostname()}", f"{queue}-b@{socket.gethostname()}"}, nodes
    assert all(p.runs == 1 for p in parts)
    assert not storage_files(folder=f"exports/parts/{job.pk}")  # the parts went once the zip was stored
    files = read_package(job)
    root = "鲍沟镇2024年示范村报市材料"
    for n, a in enumerate(candidates, start=1):
        folder = f"{root}/{n:02d}_{a.village.name}"
        score = f"{a.final_score.normalize():f}"
        sheet = pdf_text(files[f"{folder}/评分表.pdf"])
        assert a.village.name in sheet and "鲍沟镇" in sheet and score in sheet
        form = pdf_text(files[f"{folder}/申请表.pdf"])
        assert a.village.name in form and a.secretary_name in form
        demo = pdf_text(files[f"{folder}/示范村申请表.pdf"])
        assert a.demonstration.brand_name in demo
        book = openpyxl.load_workbook(io.BytesIO(files[f"{folder}/评分表.xlsx"]))
        numbers = [
            c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, (int, float))
        ]
        assert float(a.final_score) in numbers
        assert sum(1 for name in files if name.startswith(f"{folder}/加分佐证/")) == 2
    roster = pdf_text(files[f"{root}/01_定级名册.pdf"])
    assert all(a.village.name in roster for a in candidates)
    assert job.summary["villages"] == 7
