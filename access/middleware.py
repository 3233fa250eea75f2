"""Every 404 a view decides leaves exactly one `access.denied` audit row (SECURITY.md AC-3)."""

from django.http import Http404
from django.urls import Resolver404

from .checks import audit_denied


class DeniedAuditMiddleware:
    """Writes the audit row of a view's Http404, whoever raised it: `access.checks.deny`, `access_by_id`
    or a selector's "missing or out of reach". An unknown address (no route) is not a decision of
    access and is not written. Nothing runs on the allowed path: no query is added to any page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and not isinstance(exception, Resolver404):
            audit_denied(request, exception)
        return None  # Django answers the 404 itself
