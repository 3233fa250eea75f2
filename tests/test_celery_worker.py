"""A real Celery worker against the machine's Redis (CI sets REDIS_TEST_URL)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("REDIS_TEST_URL")


@pytest.mark.skipif(not REDIS, reason="REDIS_TEST_URL not set (CI sets it)")
def test_a_real_worker_runs_a_task_sent_through_redis():
    env = {**os.environ, "REDIS_URL": REDIS, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("DATABASE_URL", None)
    celery = str(Path(sys.executable).with_name("celery"))
    worker = subprocess.Popen(
        [
            celery,
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-l",
            "warning",
            "-n",
            "ci-ping@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        code = (
            "import django; django.setup();"
            "from config.celery_app import app, ping;"
            "assert not app.conf.task_always_eager;"
            "print(ping.delay().get(timeout=60))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
        )
        assert out.stdout.strip() == "pong", out.stderr
    finally:
        worker.terminate()
        worker.wait(timeout=30)
