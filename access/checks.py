"""The building blocks of every access decision in a view: capability gates, one 404, audited denials.

Each app's selectors expose `access_<entity>_by_id(user, pk, *, need=…)`, built from `access_by_id`:
the object is fetched through the user's scoped queryset, the user's sides of it come from the table,
and "missing", "not yours" and "not your side" all answer the same Http404.
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.http import Http404

from audit.services import audit_log

from .scope import scope_for

LOOKUP_ERRORS = (ValueError, TypeError, ValidationError)


def audit_denied(request, message, obj=None):
    if request is None:
        return
    audit_log(
        action="access.denied",
        request=request,
        result="failure",
        obj=obj,
        message=message,
        detail={"path": request.path, "method": request.method},
    )


def deny(request, obj=None, message="无权访问"):
    """Refuse like a missing page, and leave an audit row."""
    audit_denied(request, message, obj)
    raise Http404


def require_cap(cap):
    """View decorator: a role without the capability gets the same 404 as a missing page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not scope_for(request.user).can(cap):
                deny(request, message=f"缺少权限 {cap}")
            return view(request, *args, **kwargs)

        wrapped.ql_cap = cap
        return wrapped

    return decorator


def public_view(cap):
    """Mark a view readable without a login, by the table's anonymous row holding `cap`.

    The login middleware lets an anonymous request through only to views marked so, and only while the
    table grants the anonymous reader that capability; today it grants nothing.
    """

    def decorator(view):
        view.ql_public_cap = cap
        return view

    return decorator


def get_or_404(queryset, pk, *, for_update=False):
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, *LOOKUP_ERRORS):
        raise Http404 from None


def access_by_id(user, queryset, pk, *, entity, need=None, request=None, for_update=False, subject=None):
    """(object, the user's sides of it) from a scoped queryset, or Http404.

    `entity`: the SIDES row (a string, or a function of the object for entities with variants, such
    as assessments by campaign level); `subject`: where the sides are read when they belong to another
    row (a task's or an export job's township); `need`: a side (or a set of sides, any of which will
    do) the user must be; without it, reading is enough.
    """
    obj = get_or_404(queryset, pk, for_update=for_update)
    name = entity(obj) if callable(entity) else entity
    sides = scope_for(user).sides(name, subject(obj) if subject else obj)
    if need is not None:
        wanted = {need} if isinstance(need, str) else set(need)
        if not sides & wanted:
            deny(request, obj, f"缺少权限 {'/'.join(sorted(wanted))}")
    return obj, sides
