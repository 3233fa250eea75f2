from .roles import Cap
from .scoping import scope_for


def scope(request):
    user = getattr(request, "user", None)
    return {"scope": scope_for(user), "Cap": {c.name: c.value for c in Cap}}
