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


def _settings_value(env_extra, expression):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QL_STORAGE", "QL_S3_", "REDIS_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.local", **env_extra})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings as s; {expression}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_files_stay_on_the_local_disk_by_default_and_ql_storage_s3_selects_a_private_bucket():
    out = _settings_value({}, "print(s.STORAGES['default']['BACKEND'])")
    assert out.stdout.strip() == "django.core.files.storage.FileSystemStorage", out.stderr
    out = _settings_value(
        {
            "QL_STORAGE": "s3",
            "QL_S3_BUCKET": "qinglian",
            "QL_S3_ENDPOINT_URL": "http://minio:9000",
            "QL_S3_ACCESS_KEY": "ak",
            "QL_S3_SECRET_KEY": "sk",
            "QL_S3_REGION": "cn-east-1",
        },
        "import json; from django.core.files.storage import default_storage as d; "
        "print(json.dumps([s.STORAGES['default']['BACKEND'], d.__class__.__name__, "
        "d.bucket_name, d.endpoint_url, d.default_acl, d.querystring_auth, d.querystring_expire, "
        "d.file_overwrite, d.addressing_style, d.region_name, s.QL_S3_PRESIGNED_DOWNLOADS]))",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        '["storages.backends.s3.S3Storage", "S3Storage", "qinglian", "http://minio:9000", "private", true, 60, '
        'false, "path", "cn-east-1", false]'
    )
    out = _settings_value({"QL_STORAGE": "nfs"}, "print(1)")
    assert out.returncode != 0 and "QL_STORAGE must be 'local' or 's3'" in out.stderr


def test_check_deploy_warns_when_redis_is_on_another_machine_but_files_are_on_the_local_disk():
    prod = {"DJANGO_ALLOWED_HOSTS": "example.invalid", "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}
    args = ("check", "--deploy", "--fail-level", "WARNING")
    remote = {"REDIS_URL": "redis://redis.internal:6379/0", "QL_STORAGE": "local"}
    result = _run({**prod, **remote}, *args)
    assert result.returncode != 0 and "qinglian.W016" in result.stderr + result.stdout
    assert _run({**prod, **remote, "QL_MEDIA_ROOT_SHARED": "true"}, *args).returncode == 0
    s3 = {"QL_STORAGE": "s3", "QL_S3_BUCKET": "qinglian", "QL_S3_ENDPOINT_URL": "http://minio:9000"}
    result = _run({**prod, **remote, **s3}, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        _run({**prod, "REDIS_URL": "redis://127.0.0.1:6379/0", "QL_STORAGE": "local"}, *args).returncode == 0
    )
