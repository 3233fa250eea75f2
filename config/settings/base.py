"""Settings shared by every environment. Infrastructure only: what users configure lives in the database."""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

VAR_DIR = Path(env("QL_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "accounts",
    "audit",
    "villages",
    "indices",
    "assessments",
    "ledgers",
    "reports",
    "reminders",
    "publication",
    "dashboards",
    "feedback",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # pages and JSON compressed (a dashboard's 35 kB of HTML is 6 kB); files and static are left alone
    "common.middleware.TextGZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # every 404 a view decides writes its one access.denied audit row
    "access.middleware.DeniedAuditMiddleware",
    # inside the session and message layers: a busy database becomes a 503 that says 繁忙，请重试
    "common.middleware.DatabaseBusyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # axes last: it turns a locked-out login attempt into its lockout response
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.scope",
            ],
        },
    },
]

# --- Database: embedded SQLite by default, PostgreSQL through DATABASE_URL -----------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions + a long busy timeout keep concurrent writers from failing with
    # "database is locked" on the embedded edition (SECURITY.md section G).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # JIT off for the app's connections: the region-wide pages' estimated costs cross PostgreSQL's JIT
        # threshold and compiling took seconds per request at province scale (issue 16), while the
        # queries themselves run in milliseconds; batch jobs gain nothing from it either.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = (_options.get("options", "") + " -c jit=off").strip()
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Authentication -------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.LoginNameOrPhoneBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("QL_PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.DomainWordValidator"},
    {
        "NAME": "accounts.validators.CharacterClassValidator",
        "OPTIONS": {"min_classes": env.int("QL_PASSWORD_MIN_CLASSES", default=3)},
    },
]

# Login lockout (等保 身份鉴别 b / ASVS 6.3.1): 5 failures, 15 minutes cool-off.
AXES_FAILURE_LIMIT = env.int("QL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("QL_LOGIN_COOLOFF_MINUTES", default=15))
# Per user name and per source address, as SECURITY.md AUTH-3 asks.
# Locked by the pair: wrong passwords for one account from one address. Behind a proxy that hides the
# address, or from a village's shared carrier address, one attacker cannot lock out everybody else.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "common.net.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# Sessions: idle timeout via a short cookie age, renewed by accounts.middleware.SessionLifetimeMiddleware
# at most once a minute (not on every request: a session write after the view committed that meets a
# busy database would report a kept save as failed), plus an absolute lifetime enforced there too
# (等保 登录连接超时自动退出, ASVS 7.3).
SESSION_COOKIE_AGE = env.int("QL_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
QL_SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
QL_SESSION_ABSOLUTE_SECONDS = env.int("QL_SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("QL_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Uploaded evidence is never served from a public URL: MEDIA_URL is deliberately unused, and files
# leave the server only through authorising views (SECURITY.md AC-6).
MEDIA_ROOT = Path(env("QL_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Where uploaded evidence and generated files live (issue 16). "local": MEDIA_ROOT on this machine's disk
# (the embedded default; several machines only with MEDIA_ROOT on a shared mount). "s3": an S3-API object
# store (MinIO, or a cloud's object storage) that every web and worker machine reaches; objects are
# private, never overwritten (a taken name gets a suffix) and reach browsers only through the app's
# authorising views. App code touches files only through the storage API (common/storage.py).
QL_STORAGE = env("QL_STORAGE", default="local")
if QL_STORAGE == "s3":
    _s3_endpoint = env("QL_S3_ENDPOINT_URL", default="") or None
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("QL_S3_BUCKET"),
            "endpoint_url": _s3_endpoint,
            "access_key": env("QL_S3_ACCESS_KEY", default="") or None,
            "secret_key": env("QL_S3_SECRET_KEY", default="") or None,
            "region_name": env("QL_S3_REGION", default="") or None,
            # a key prefix, so that one bucket can hold several installations (or a test run)
            "location": env("QL_S3_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("QL_S3_PRESIGNED_SECONDS", default=60),
            "file_overwrite": False,
            "signature_version": "s3v4",
            # MinIO and most self-hosted stores want bucket-in-path addresses; AWS takes either
            "addressing_style": env("QL_S3_ADDRESSING_STYLE", default="path" if _s3_endpoint else "") or None,
            # a file opened through the storage (not streamed) spools to disk beyond this, not to memory
            "max_memory_size": env.int("QL_S3_MAX_MEMORY_SIZE", default=8 * 1024 * 1024),
        },
    }
elif QL_STORAGE != "local":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"QL_STORAGE must be 'local' or 's3', not {QL_STORAGE!r}")
# Downloads: streamed through the app (default), or, on S3, a redirect to a signed address that expires
# after QL_S3_PRESIGNED_SECONDS, issued only after the view's access check (the app then does not carry
# the bytes). The store must be reachable by browsers at QL_S3_ENDPOINT_URL for that.
QL_S3_PRESIGNED_DOWNLOADS = env.bool("QL_S3_PRESIGNED_DOWNLOADS", default=False)
QL_S3_PRESIGNED_SECONDS = env.int("QL_S3_PRESIGNED_SECONDS", default=60)
# Set when MEDIA_ROOT is a folder every machine mounts (NFS and the like): silences the deploy check
# that warns about several machines on local file storage (common/checks.py).
QL_MEDIA_ROOT_SHARED = env.bool("QL_MEDIA_ROOT_SHARED", default=False)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The forms' smaller CJK font file, made once per machine from the system font (reports/pdf/fonts.py).
QL_FONT_CACHE_DIR = Path(env("QL_FONT_CACHE_DIR", default=str(VAR_DIR / "fonts")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20
QL_UPLOAD_MAX_BYTES = env.int("QL_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
QL_IMPORT_MAX_BYTES = env.int("QL_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
# The audit chain's head is checkpointed outside the database (audit/checkpoint.py): an append-only file
# and the `qinglian.audit.checkpoint` log, signed with a key that is not in the database.
QL_AUDIT_CHECKPOINT_FILE = env("QL_AUDIT_CHECKPOINT_FILE", default=str(VAR_DIR / "audit-checkpoints.log"))
QL_AUDIT_CHECKPOINT_KEY = env("QL_AUDIT_CHECKPOINT_KEY", default="")
QL_AUDIT_CHECKPOINT_SECONDS = env.int("QL_AUDIT_CHECKPOINT_SECONDS", default=60)
# Reverse proxies in front of the app that append to X-Forwarded-For (common/net.py): the login lockout,
# the audit log's 来源地址 and the public pages' limit take the client address from there. 0: none.
QL_TRUSTED_PROXY_COUNT = env.int("QL_TRUSTED_PROXY_COUNT", default=0)
# Public pages (no login) one client may read per minute; 0 turns the limit off. Generous: the phones of
# a whole village may reach the server from one carrier address.
QL_PUBLIC_REQUESTS_PER_MINUTE = env.int("QL_PUBLIC_REQUESTS_PER_MINUTE", default=300)

# --- Forms ----------------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security headers -----------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Celery ---------------------------------------------------------------------------------------
# With REDIS_URL unset (the embedded default) tasks run in-process; with it, a real worker takes them.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker's children are recycled so that no worker's memory grows with the work it has done (WeasyPrint
# and Pango keep caches per process): after this many tasks (a city package is one task per village), or
# once a child passes this resident size in KB after a task. The prefork pool only; `--pool=solo` ignores it.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("QL_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("QL_WORKER_MAX_MEMORY_PER_CHILD_KB", default=500_000)
CELERY_TASK_SOFT_TIME_LIMIT = 30 * 60
CELERY_TASK_TIME_LIMIT = 35 * 60
# Redis redelivers an unacknowledged message after the visibility timeout: longer than the longest task
# may run (else a running build is delivered twice), no longer than needed. A killed worker's jobs do
# not wait for it: reports.recover_jobs and the worker_ready recovery queue them again in seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
# Daily reminders (deadlines, missing ledgers, overdue rectifications) at 08:00 in CELERY_TIMEZONE
# (Asia/Shanghai); the task is safe to run twice. Without Redis, run `manage.py send_reminders` from cron.
CELERY_BEAT_SCHEDULE = {
    "reminders-daily": {"task": "reminders.daily", "schedule": crontab(hour=8, minute=0)},
    # the audit chain: committed rows are sealed right after their transaction; this catches up rows
    # whose sealing was skipped while another ran, within seconds
    "audit-seal": {"task": "audit.seal", "schedule": 10.0},
    # export jobs whose worker died (no heartbeat for 30 s) or whose message was lost: queued again
    "reports-recover-jobs": {"task": "reports.recover_jobs", "schedule": 15.0},
    # the whole chain against its head and the external checkpoints; administrators are notified
    "audit-verify-hourly": {"task": "audit.verify", "schedule": crontab(minute=17)},
    # SECURITY FILE-4: re-hash every stored evidence file weekly, at night
    "evidence-verify-weekly": {
        "task": "reports.evidence_verify",
        "schedule": crontab(hour=2, minute=30, day_of_week=0),
    },
    # issue 15: stored files without a row and temporary uploads older than a day, removed nightly
    "orphan-files-daily": {"task": "reports.cleanup_orphan_files", "schedule": crontab(hour=3, minute=15)},
}
# Absolute links in e-mails. QL_SITE_URL (below) is the older name of the same setting and still read.
SITE_URL = env("DJANGO_SITE_URL", default=env("QL_SITE_URL", default="http://127.0.0.1:8000"))

# --- Cache ----------------------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Whether every process serving the site sees one cache (Redis). Only then are sessions read from the
# cache (written through to the database) and each user's compiled scope kept across requests
# (access.scope): a logout or a revoked role in one process must reach the next request in any other.
# Without Redis each process has its own memory, so both stay in the database, read per request.
QL_SHARED_CACHE = env.bool("QL_SHARED_CACHE", default=bool(REDIS_URL))
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if QL_SHARED_CACHE else "django.contrib.sessions.backends.db"
)

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="noreply@qinglian.invalid")

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO; a package of 1,000 villages would drown the worker log
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Where the app is reached, printed by `make run` and used in e-mails.
QL_SITE_URL = env("QL_SITE_URL", default="http://127.0.0.1:8000")
