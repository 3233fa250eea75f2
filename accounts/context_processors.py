from access.roles import Cap
from access.scope import scope_for


def scope(request):
    user = getattr(request, "user", None)
    context = {"scope": scope_for(user), "Cap": {c.name: c.value for c in Cap}}
    if user is not None and user.is_authenticated:
        # Lazy: only pages that draw the navigation bar pay for the count.
        context["unread_notifications"] = lambda: user.notifications.filter(read_at__isnull=True).count()
    return context
