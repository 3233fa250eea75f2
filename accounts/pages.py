"""Whole pages cached for the user who asked (issue 16): the busiest read-only pages — the dashboards,
the grading board, the city's 示范村 board, and a city office's campaign, ledger and task lists — are
rendered once per data version and per what the page shows of the user, and then cost a request no
template rendering at all.

The key holds the data versions of what the page shows, the address and query string, the parts the
view names, and everything of the user the page draws: the account (id, name), the user's reach (the
access token their scope was compiled under: the menu, the role names) and the unread count.

The entry is the compressed response itself, so a request for a cached page costs no compression either
(the city dashboard's 70 kB of HTML took longer to compress than the rest of its request). Its forms
carry a CSRF token masked once for the entry, and the key holds a fingerprint of the user's CSRF secret
(renewed at every login), so the token stays valid for exactly the browser it was rendered for. BREACH
needs one secret in many responses that differ by what the attacker puts in: every distinct page (a
different address, other data, another user) is a new entry with a new mask, and the same entry is
the same bytes every time, which tells nothing; the compressed bytes also carry Django's random-length
filename (Heal the Breach).

Not cached: a page with messages to show (they are shown once); a query string with a parameter the
view does not name in `params`, or a long or repeated value (a search term, a made-up parameter: every
distinct address would be an entry of its own, and the cache shares Redis with the task queue); and
nothing at all without a shared cache (settings.QL_SHARED_CACHE).
"""

import gzip
import hashlib

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string

from access.scope import scope_for, scope_version
from common.dataversion import versioned

from .unread import unread_count

# the longest query value a cached page's address may carry (a year, a page number, a sort key)
PARAM_LENGTH = 12


def _cacheable_query(request, params):
    query = request.GET
    return all(
        name in params and len(values) == 1 and len(values[0]) <= PARAM_LENGTH
        for name, values in query.lists()
    )


def cached_page(request, template, *, context, townships=(), regions=(), parts=(), params=()):
    """The response of `template` with context() (called only when the cache holds no page). `params`:
    the query parameters the page reads that may be part of a cached page's address."""
    if not settings.QL_SHARED_CACHE or len(get_messages(request)) or not _cacheable_query(request, params):
        return render(request, template, context())
    user = request.user
    token = get_token(request)  # creates the browser's CSRF secret if it has none yet
    secret = hashlib.sha256(request.META["CSRF_COOKIE"].encode()).hexdigest()[:16]
    who = (user.pk, user.display_name, scope_version(user), unread_count(user), secret)

    def build():
        body = render_to_string(template, {**context(), "csrf_token": token}, request=request)
        return compress_string(body.encode(), max_random_bytes=GZipMiddleware.max_random_bytes)

    compressed = versioned(
        townships=townships,
        regions=regions,
        parts=("page", template, request.path, sorted(request.GET.items()), *who, *parts),
        build=build,
    )
    return compressed_response(request, compressed)


def compressed_response(request, compressed):
    """A page response from its gzip bytes: sent as they are to a client that accepts gzip (the
    compression middleware leaves an encoded response alone), decompressed for one that does not."""
    if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        response = HttpResponse(compressed)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed))
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def region_page(request, template, *, cap, context, parts=(), params=()):
    """A list page that is the same for everyone who holds `cap` over whole regions (a city office):
    cached_page under those regions' data versions for such a user, rendered each time for narrower
    reaches (their pages depend on the user's own townships, branches, villages or units)."""
    regions = scope_for(request.user).whole_regions_only(cap)
    if not regions:
        return render(request, template, context())
    return cached_page(request, template, context=context, regions=regions, parts=parts, params=params)
