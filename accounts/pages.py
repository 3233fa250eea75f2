"""Whole pages cached for the user who asked (issue 16): the busiest read-only pages — the dashboards,
the grading board, the city's 示范村 board — are rendered once per data version and per what the page
shows of the user, and then cost a request no template rendering at all.

The key holds the data versions of what the page shows, the address and query string, the parts the
view names, and everything of the user the page draws: the account (id, name), the user's reach (the
access token their scope was compiled under: the menu, the role names) and the unread count. The page's
forms carry a placeholder where each request puts its own CSRF token (common.fragments).

Not cached: a page with messages to show (they are shown once); a query string with a parameter the
view does not name in `params`, or a long or repeated value (a search term, a made-up parameter: every
distinct address would be an entry of its own, and the cache shares Redis with the task queue); and
nothing at all without a shared cache (settings.QL_SHARED_CACHE).
"""

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string

from access.scope import scope_version
from common.dataversion import versioned
from common.fragments import CSRF_SLOT

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
    who = (user.pk, user.display_name, scope_version(user), unread_count(user))

    def build():
        return render_to_string(template, {**context(), "csrf_token": CSRF_SLOT}, request=request)

    body = versioned(
        townships=townships,
        regions=regions,
        parts=("page", template, request.path, sorted(request.GET.items()), *who, *parts),
        build=build,
    )
    return HttpResponse(body.replace(CSRF_SLOT, get_token(request)))
