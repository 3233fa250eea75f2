"""Deny by default (SECURITY.md AC-1, WEB-1): every route is walked, anonymously and without CSRF tokens."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from access.roles import ANONYMOUS
from access.table import CAPS
from accounts.models import Role
from tests.factories import user_with_role


def _walk(patterns, prefix="", callbacks=False):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), callbacks)
        elif isinstance(p, URLPattern):
            yield (prefix + str(p.pattern), p.callback) if callbacks else prefix + str(p.pattern)


def _concrete(route):
    """Turn a route pattern into a path: every parameter becomes 1."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = route.replace("\\", "")
    if any(c in route for c in "()[]?*+|"):
        return None
    return "/" + route


def _published(path):
    """Whether the path is a page for the anonymous reader: marked public with a capability it holds."""
    try:
        cap = getattr(resolve(path).func, "ql_public_cap", None)
    except Resolver404:  # an id route whose converter takes no "1" (uuids)
        return False
    return cap is not None and cap in CAPS[ANONYMOUS]


ROUTES = sorted({r for r in (_concrete(x) for x in _walk(get_resolver().url_patterns)) if r is not None})
# Views marked `public_view(cap)` while the table's anonymous row holds `cap` (villagers' pages).
PUBLIC_VIEWS = {
    _concrete(route)
    for route, callback in _walk(get_resolver().url_patterns, callbacks=True)
    if getattr(callback, "ql_public_cap", None) in CAPS[ANONYMOUS]
}
PUBLIC = {"/accounts/login/", "/healthz"} | PUBLIC_VIEWS


def test_the_walk_covers_the_app_routes():
    assert "/" in ROUTES
    assert "/org/villages/1/" in ROUTES
    assert "/standards/1/" in ROUTES
    assert len(ROUTES) > 20
    assert {p for p in ROUTES if _published(p)} == {
        "/public/t/1/1/",
        "/public/v/1/",
        "/public/v/1/poster.pdf",
        "/public/feedback/1/",
        "/public/feedback-token/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_requests_never_reach_a_page(client, path):
    if path in PUBLIC:
        return
    if _published(path):
        # the public pages (access.checks.public_view, granted to the anonymous row) are read without a
        # login; nothing is published here, so they answer like a missing page, and refuse a POST
        assert (client.get(path).status_code, client.post(path).status_code) == (404, 405), path
        return
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code in (301, 302), f"{path} answered {response.status_code}"
        assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(PUBLIC_VIEWS))
def test_public_views_with_a_forged_id_never_fail_and_never_ask_for_a_login(client, path):
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code in (200, 400, 404, 405), f"{path} answered {response.status_code}"


def test_the_public_views_are_found():
    assert "/public/feedback/1/" in PUBLIC_VIEWS


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in ROUTES if not p.startswith("/admin/")])
def test_post_without_csrf_token_is_refused(path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True))
    response = client.post(path, {})
    assert response.status_code in (403, 404, 405), f"{path} answered {response.status_code}"


def test_no_view_is_csrf_exempt():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = [
        str(p)
        for app in (
            "accounts",
            "audit",
            "villages",
            "indices",
            "assessments",
            "ledgers",
            "reports",
            "portal",
            "config",
        )
        for p in (root / app).rglob("*.py")
        if "csrf_exempt" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
