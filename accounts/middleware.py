import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from access.scope import scope_for

# Routes reachable without logging in: the login page itself, static files and the health check.
PUBLIC_PREFIXES = ("/accounts/login/", "/static/", "/healthz")

SESSION_LOGIN_AT = "ql_login_at"


def _public_for_anonymous(request):
    """A view marked `access.checks.public_view(cap)`, while the table's anonymous row holds `cap`."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    cap = getattr(match.func, "ql_public_cap", None)
    return cap is not None and scope_for(None).can(cap)


class LoginRequiredMiddleware:
    """Deny by default (SECURITY.md AC-1): anything not on the allowlist needs a logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not request.user.is_authenticated
            and not request.path.startswith(PUBLIC_PREFIXES)
            and not _public_for_anonymous(request)
        ):
            if request.path.startswith("/admin/"):
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """Absolute session lifetime on top of the idle timeout that SESSION_COOKIE_AGE gives."""

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
