"""Page fragments rendered once per data version and cached (issue 16): a board of a hundred rows with
a form in each costs far more to render than the rest of its request.

The fragment may depend only on what its key holds: the data versions of the townships and regions it
shows, the parts the caller names (who may edit, the user when the rows depend on the user's reach),
and the query string. Its forms carry a placeholder where each request puts its own CSRF token."""

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from .dataversion import versioned

CSRF_SLOT = "QLCSRFSLOT7f3a9c"


def cached_fragment(request, template, *, context, townships=(), regions=(), parts=()):
    """The HTML of `template` rendered with context() (called only when the cache has no entry)."""

    def build():
        values = context()
        # the sortable headers and pagers read the query string, which the key holds
        return render_to_string(template, {**values, "request": request, "csrf_token": CSRF_SLOT})

    body = versioned(
        townships=townships,
        regions=regions,
        parts=(template, *parts, request.GET.urlencode()),
        build=build,
    )
    # the template escaped everything when it rendered the fragment; only the token is put in here
    return mark_safe(body.replace(CSRF_SLOT, get_token(request)))
