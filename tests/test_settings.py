"""Production refuses to start without its secrets and passes `check --deploy` (SECURITY.md WEB-3, T14)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(env_extra, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _run({"DJANGO_ALLOWED_HOSTS": "example.invalid"}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _run({"DJANGO_ALLOWED_HOSTS": "example.invalid", "DJANGO_SECRET_KEY": "short"}, "check")
    assert result.returncode != 0


def test_production_settings_pass_check_deploy():
    result = _run(
        {"DJANGO_ALLOWED_HOSTS": "example.invalid", "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_embedded_default_runs_tasks_in_process_and_redis_url_switches_to_a_broker():
    code = "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == ["True", "memory://"]
    env["REDIS_URL"] = "redis://127.0.0.1:6379/3"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == ["False", "redis://127.0.0.1:6379/3"]
