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


class Denied(Http404):
    """A refusal decided by access code: a 404 like a missing page, carrying what its audit row says."""

    def __init__(self, message="无权访问", obj=None, *, township_id=None, village_id=None):
        super().__init__(message)
        self.message, self.obj = message, obj
        self.township_id, self.village_id = township_id, village_id


# The message of the audit row of a plain Http404 raised by a view or a selector: from outside, a
# missing object and one out of reach are the same answer, and so they are in the log.
NOT_FOUND = "对象不存在或不在访问范围内"


def audit_denied(request, refusal):
    """Write the one `access.denied` row of a request refused with a 404 (`refusal`: the Http404).

    Called once per request, by `access.middleware.DeniedAuditMiddleware`, after the view has returned
    and its transactions have rolled back (so the row survives them): the allowed path costs nothing.
    Requests without a login are not written: they reach only the public pages (`public_view`), whose
    404 means "not published", and an anonymous caller must not be able to grow the audit log at will.
    """
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return None
    if isinstance(refusal, Denied):
        message, obj = refusal.message, refusal.obj
        township_id, village_id = refusal.township_id, refusal.village_id
    else:
        message, obj, township_id, village_id = NOT_FOUND, None, None, None
    return audit_log(
        action="access.denied",
        request=request,
        result="failure",
        obj=obj,
        township_id=township_id,
        village_id=village_id,
        message=message,
        detail={"path": request.path, "method": request.method},
    )


def deny(request=None, obj=None, message="无权访问", *, township_id=None, village_id=None):
    """Refuse like a missing page; the request's audit row is written once the view has given up.

    `request` is not used any more (the middleware has it); it stays so that every refusal reads the same.
    """
    raise Denied(message, obj, township_id=township_id, village_id=village_id)


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
