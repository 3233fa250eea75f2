"""A user's place in the organisation tree, computed once per request from their memberships."""

from dataclasses import dataclass

from .models import ROLE_NODE, Membership, Role
from .roles import ROLE_CAPS, Cap


@dataclass(frozen=True)
class Scope:
    is_admin: bool
    roles: frozenset
    region_ids: frozenset
    township_ids: frozenset  # townships where the user holds a township-level role
    branch_ids: frozenset
    village_ids: frozenset
    unit_ids: frozenset
    member_township_ids: frozenset  # every township any membership lies in (for navigation)
    role_nodes: frozenset = frozenset()  # (role, node id) pairs: which node each role is held at

    def nodes(self, role):
        """Ids of the nodes where the user holds `role` (village ids for village roles, and so on)."""
        return frozenset(node for r, node in self.role_nodes if r == role)

    def holds(self, role, node_id):
        return (role, node_id) in self.role_nodes

    def can(self, cap):
        return self.is_admin or any(cap in ROLE_CAPS[role] for role in self.roles)

    def can_in_township(self, cap, township):
        """May the user do `cap` for this township: by a role held at the township or above it."""
        if self.is_admin:
            return True
        for role in self.roles:
            if cap not in ROLE_CAPS[role]:
                continue
            if role in (Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_LEADER) and self.holds(role, township.pk):
                return True
            if role == Role.CITY_OFFICE and self.holds(role, township.region_id):
                return True
        return False

    @property
    def role_labels(self):
        return [Role(r).label for r in sorted(self.roles)]


EMPTY = Scope(False, *(frozenset() for _ in range(8)))


def scope_for(user):
    """The user's scope, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY
    cached = getattr(user, "_ql_scope", None)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.filter(user=user).values(
            "role",
            "region_id",
            "township_id",
            "branch_id",
            "village_id",
            "unit_id",
            "branch__township_id",
            "village__township_id",
            "unit__township_id",
        )
    )
    roles = frozenset(r["role"] for r in rows)

    def ids(key, *only):
        return frozenset(r[key] for r in rows if r[key] is not None and (not only or r["role"] in only))

    member_townships = set()
    for key in ("township_id", "branch__township_id", "village__township_id", "unit__township_id"):
        member_townships |= ids(key)
    role_nodes = set()
    for r in rows:
        field = ROLE_NODE.get(r["role"])
        if field:
            role_nodes.add((r["role"], r[f"{field}_id"]))
    scope = Scope(
        role_nodes=frozenset(role_nodes),
        is_admin=Role.ADMIN in roles or user.is_superuser,
        roles=roles,
        region_ids=ids("region_id"),
        township_ids=ids("township_id"),
        branch_ids=ids("branch_id"),
        village_ids=ids("village_id"),
        unit_ids=ids("unit_id"),
        member_township_ids=frozenset(member_townships),
    )
    user._ql_scope = scope
    return scope


def require_cap(cap):
    """View decorator: a role without the capability gets the same 404 as a missing page."""
    from functools import wraps

    from django.http import Http404

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not scope_for(request.user).can(cap):
                from audit.services import audit_log

                audit_log(
                    action="access.denied",
                    request=request,
                    result="failure",
                    message=f"缺少权限 {cap}",
                    detail={"path": request.path, "method": request.method},
                )
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


__all__ = ["EMPTY", "Cap", "Scope", "require_cap", "scope_for"]
