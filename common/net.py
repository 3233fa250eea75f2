"""The client's address, taken the same way for the login lockout, the audit log and throttling.

Behind reverse proxies, REMOTE_ADDR is the nearest proxy for every visitor. QL_TRUSTED_PROXY_COUNT says
how many proxies stand in front of the app (0: none, the app faces the network). Each proxy appends the
address it received the request from to X-Forwarded-For (nginx: `$proxy_add_x_forwarded_for`), so with
N proxies the client is the N-th entry from the right; entries further left were written by the client
and are never trusted. A missing or malformed header falls back to REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings


def _ip(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except (ValueError, AttributeError):
        return None


def client_address(request):
    """The visitor's IP address as a string, or None (no request, or nothing usable)."""
    if request is None:
        return None
    meta = request.META
    proxies = settings.QL_TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [h for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            found = _ip(hops[-proxies])
            if found:
                return found
    return _ip(meta.get("REMOTE_ADDR", ""))
