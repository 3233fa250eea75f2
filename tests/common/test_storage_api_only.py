"""Issue 16: app code reaches stored files only through Django's storage API, so that the S3 backend
(several machines) works everywhere the local disk does. A file path computed from MEDIA_ROOT, a
FileField's `.path` or an os.replace into the media folder would work on one machine and break on two."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "accounts", "access", "assessments", "audit", "common", "dashboards", "feedback", "indices", "ledgers",
    "portal", "publication", "reminders", "reports", "villages", "config",
]  # fmt: skip
FORBIDDEN = re.compile(
    r"settings\.MEDIA_ROOT|getattr\(settings,\s*['\"]MEDIA_ROOT|\.file\.path\b|\bos\.replace\(|\bshutil\.move\("
)


def test_no_app_code_does_path_arithmetic_on_the_media_folder():
    hits = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel or rel.startswith("config/settings/"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if FORBIDDEN.search(line):
                    hits.append(f"{rel}:{number}: {line.strip()}")
    assert hits == []


def test_the_check_itself_finds_what_it_forbids():
    for line in (
        "root = Path(settings.MEDIA_ROOT) / 'exports'",
        "if Path(job.file.path).exists():",
        "os.replace(tmp, final)",
    ):
        assert FORBIDDEN.search(line), line
    assert not FORBIDDEN.search("default_storage.save(name, File(fh))")
