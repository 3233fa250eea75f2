"""The latency benchmark's settings: production as it is, plus the bare reference page (config.urls_bench),
which the deny-by-default login middleware lets through. Never deployed."""

from .production import *  # noqa: F403
from .production import MIDDLEWARE

ROOT_URLCONF = "config.urls_bench"
MIDDLEWARE = [
    "config.bench.BenchLoginRequiredMiddleware" if m == "accounts.middleware.LoginRequiredMiddleware" else m
    for m in MIDDLEWARE
]
