"""Test settings: fast hashing, plain static storage, files in a temporary folder."""

import os
import tempfile

from .base import *  # noqa: F403

SECRET_KEY = "test-only-key-0123456789abcdef0123456789abcdef0123456789"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# A worker started by an integration test shares the test process's files through QL_TEST_MEDIA_ROOT.
MEDIA_ROOT = os.environ.get("QL_TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="ql-test-media-")
# Temporary uploads and export parts of this process (a machine's own disk): not the shared /tmp, which
# other test runs on this host use too, so that tests can see exactly what this process left.
# A worker started by a test may be given the test's folder through QL_TEST_TEMP_DIR (as if on one machine).
FILE_UPLOAD_TEMP_DIR = os.environ.get("QL_TEST_TEMP_DIR") or tempfile.mkdtemp(prefix="ql-test-tmp-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A file, not the in-memory shared cache: only a file database honours the busy timeout and WAL, so
# the live-server browser tests meet concurrent requests the way the embedded edition does.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _test_db = os.path.join(tempfile.gettempdir(), f"ql-test-{os.getpid()}.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _test_db}  # noqa: F405
# Pinned query counts must not depend on how slow the machine is: no session renewal within a test
# (tests/accounts/test_auth.py sets its own interval to test the renewal).
QL_SESSION_RENEW_SECONDS = 3600

# Each test process is the only one using its memory cache (live-server threads included), so the
# shared-cache paths (cached sessions, scopes kept across requests) are what the suite exercises;
# tests/access/test_scope_cache.py covers the setting off.
QL_SHARED_CACHE = True
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# The test database is thrown away: its commits need not wait for the write-ahead log to reach the disk
# (the live-server, worker and concurrency tests commit thousands of times).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = (_options.get("options", "") + " -c synchronous_commit=off").strip()
