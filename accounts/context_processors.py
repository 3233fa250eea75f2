from access.roles import Cap
from access.scope import scope_for

from .unread import unread_count


def scope(request):
    user = getattr(request, "user", None)
    context = {"scope": scope_for(user), "Cap": {c.name: c.value for c in Cap}}
    if user is not None and user.is_authenticated:
        # Lazy: only pages that draw the navigation bar pay for the count.
        context["unread_notifications"] = lambda: unread_count(user)
    return context
