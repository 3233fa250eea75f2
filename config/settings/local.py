"""Developer / embedded default: SQLite file, tasks in-process, DEBUG on."""

from config.env import env

from .base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "local-development-only-key-not-for-production-use-0123456789abcdef"  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# With no worker (REDIS_URL unset), long exports run in a background thread of the web process so the
# page can show their progress; tests run them inline instead.
REPORTS_EAGER_IN_THREAD = True

# The audit checkpoints still go to their file (var/audit-checkpoints.log); the console of `make run`
# is for the people trying the app, not for a line a minute.
LOGGING["loggers"]["qinglian.audit.checkpoint"] = {"level": "WARNING"}  # noqa: F405
