"""The city package of the demo township, built by a real Celery worker through the machine's Redis
(CI sets REDIS_TEST_URL): the page's progress moves, the PDFs read back with the right Chinese names
and scores, the Excel files with the right numbers."""

import io
import os
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from assessments.models import Assessment, Campaign
from reports.models import ExportJob
from reports.services.fingerprint import export_fingerprint

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("REDIS_TEST_URL")


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def pdf_text(payload):
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=payload, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.skipif(not REDIS, reason="REDIS_TEST_URL not set (CI sets it)")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_demo_townships_city_package():
    call_command("seed_demo", password="Demo-Passw0rd-2024", stdout=io.StringIO())
    campaign = Campaign.objects.get(township__name="鲍沟镇", year=2024, level="village")
    candidates = list(
        Assessment.objects.filter(campaign=campaign, city_candidate=True)
        .select_related("village", "demonstration")
        .order_by("demonstration__recommendation_rank")
    )
    assert len(candidates) == 7
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
    }
    bin_dir = Path(sys.executable).parent
    worker = subprocess.Popen(
        [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-l",
            "warning",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        code = (
            "import django; django.setup();"
            "from config.celery_app import app; from reports.tasks import export_build;"
            "assert not app.conf.task_always_eager;"
            f"print(export_build.apply_async(args=[{job.pk}], queue={queue!r}).get(timeout=600))"
        )
        sender = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen = set()
        deadline = time.monotonic() + 600
        while sender.poll() is None and time.monotonic() < deadline:
            job.refresh_from_db()
            seen.add((job.status, job.progress))
            time.sleep(0.2)
        out, err = sender.communicate(timeout=30)
        assert out.strip() == "done", err
    finally:
        worker.terminate()
        log = worker.communicate(timeout=30)[0]
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, (job.error, log)
    assert any(status == "running" and 0 < progress < 100 for status, progress in seen), seen
    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / job.file.name) as zf:
        names = zf.namelist()
        root = "鲍沟镇2024年示范村报市材料"
        for n, a in enumerate(candidates, start=1):
            folder = f"{root}/{n:02d}_{a.village.name}"
            score = f"{a.final_score.normalize():f}"
            sheet = pdf_text(zf.read(f"{folder}/评分表.pdf"))
            assert a.village.name in sheet and "鲍沟镇" in sheet and score in sheet
            form = pdf_text(zf.read(f"{folder}/申请表.pdf"))
            assert a.village.name in form and a.secretary_name in form
            demo = pdf_text(zf.read(f"{folder}/示范村申请表.pdf"))
            assert a.demonstration.brand_name in demo
            book = openpyxl.load_workbook(io.BytesIO(zf.read(f"{folder}/评分表.xlsx")))
            numbers = [
                c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, (int, float))
            ]
            assert float(a.final_score) in numbers
            assert sum(1 for name in names if name.startswith(f"{folder}/加分佐证/")) == 2
        roster = pdf_text(zf.read(f"{root}/01_定级名册.pdf"))
        assert all(a.village.name in roster for a in candidates)
    assert job.summary["villages"] == 7
