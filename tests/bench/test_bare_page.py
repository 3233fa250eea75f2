"""The latency benchmark's bare reference page: 66 rows from one template, no database, no login, and
only under config.settings.bench (production's URLs do not hold it)."""

import importlib
import re
import sys

import pytest
from django.urls import Resolver404, resolve

BENCH_MIDDLEWARE = "config.bench.BenchLoginRequiredMiddleware"


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "config.urls_bench"
    settings.MIDDLEWARE = [
        BENCH_MIDDLEWARE if m == "accounts.middleware.LoginRequiredMiddleware" else m
        for m in settings.MIDDLEWARE
    ]
    return settings


@pytest.mark.django_db
def test_the_bare_page_renders_66_rows_anonymously_without_a_query(
    client, bench_urls, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/bench/bare/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "基准页面：66 个村" in body
    assert len(re.findall(r"<tr>", body)) == 67  # the header row and 66 villages
    assert "<td>东庄村</td>" in body and "<td>66</td>" in body


@pytest.mark.django_db
def test_the_bench_middleware_still_sends_anonymous_visitors_of_other_pages_to_the_login(client, bench_urls):
    response = client.get("/accounts/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_bare_page_answers_only_get(client, bench_urls):
    assert client.post("/bench/bare/").status_code == 405


def test_production_urls_do_not_hold_the_bare_page():
    with pytest.raises(Resolver404):
        resolve("/bench/bare/", urlconf="config.urls")
    assert resolve("/bench/bare/", urlconf="config.urls_bench").url_name == "bench-bare"


def test_bench_settings_are_production_with_the_bench_urls_and_login_middleware(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
    for name in ("config.settings.bench", "config.settings.production"):
        sys.modules.pop(name, None)
    try:
        bench = importlib.import_module("config.settings.bench")
        production = importlib.import_module("config.settings.production")
    finally:
        for name in ("config.settings.bench", "config.settings.production"):
            sys.modules.pop(name, None)
    assert bench.ROOT_URLCONF == "config.urls_bench" and production.ROOT_URLCONF == "config.urls"
    assert bench.DEBUG is False and bench.SESSION_COOKIE_SECURE is True
    position = production.MIDDLEWARE.index("accounts.middleware.LoginRequiredMiddleware")
    assert bench.MIDDLEWARE[position] == BENCH_MIDDLEWARE
    assert [m for m in bench.MIDDLEWARE if m != BENCH_MIDDLEWARE] == [
        m for m in production.MIDDLEWARE if m != "accounts.middleware.LoginRequiredMiddleware"
    ]
