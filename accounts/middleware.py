import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.crypto import salted_hmac

from access.scope import scope_for
from audit.services import client_ip
from common import throttle

# Routes reachable without logging in: the login page itself, static files and the health check.
PUBLIC_PREFIXES = ("/accounts/login/", "/static/", "/healthz")

SESSION_LOGIN_AT = "ql_login_at"
SESSION_SEEN_AT = "ql_seen_at"


def _public_for_anonymous(request):
    """A view marked `access.checks.public_view(cap)`, while the table's anonymous row holds `cap`."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    cap = getattr(match.func, "ql_public_cap", None)
    return cap is not None and scope_for(None).can(cap)


PUBLIC_WINDOW_SECONDS = 60


def _public_over_limit(request):
    """Whether this anonymous client has read more public pages this minute than the setting allows.

    The pages are cached, but a scraper or a loop must not be able to take the server's workers from
    the villagers; the limit is generous because a village's phones may share one carrier address.
    """
    limit = settings.QL_PUBLIC_REQUESTS_PER_MINUTE
    if limit <= 0:
        return False
    who = salted_hmac("public.client", client_ip(request) or "", algorithm="sha256").hexdigest()[:32]
    return not throttle.take(f"public:{who}", limit=limit, window=PUBLIC_WINDOW_SECONDS)


def _throttled(request):
    response = render(request, "throttled.html", status=429)
    response["Retry-After"] = str(PUBLIC_WINDOW_SECONDS)
    return response


class LoginRequiredMiddleware:
    """Deny by default (SECURITY.md AC-1): anything not on the allowlist needs a logged-in user.

    An anonymous request reaches a public view (access.checks.public_view) only while the table's
    anonymous row holds its capability, and only within the per-client rate of public pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated or request.path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        if _public_for_anonymous(request):
            if _public_over_limit(request):
                return _throttled(request)
            return self.get_response(request)
        if request.path.startswith("/admin/"):
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")


class SessionLifetimeMiddleware:
    """Absolute session lifetime on top of the idle timeout that SESSION_COOKIE_AGE gives, and the idle
    timeout's renewal: the session is saved (its expiry moved) when the user was last seen more than
    QL_SESSION_RENEW_SECONDS ago, so most requests write nothing to the session table."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            login_at = request.session.get(SESSION_LOGIN_AT)
            now = time.time()
            if login_at is None:
                request.session[SESSION_LOGIN_AT] = now
            elif now - login_at > settings.QL_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{reverse('accounts:login')}?expired=1")
            seen_at = request.session.get(SESSION_SEEN_AT, 0)
            if now - seen_at >= settings.QL_SESSION_RENEW_SECONDS:
                request.session[SESSION_SEEN_AT] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Accounts created with a one-time password must change it before doing anything else."""

    ALLOWED = ("/accounts/password/", "/accounts/logout/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.must_change_password and not request.path.startswith(self.ALLOWED):
            return redirect("accounts:password_change")
        return self.get_response(request)
