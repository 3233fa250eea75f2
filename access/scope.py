"""A user's reach, compiled from their memberships and the access table: once per request, or once per
change of memberships or of the tree where the cache is shared (scope_for)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from common.dataversion import ACCESS, access_version_key, data_version
from common.prefetch import get_many as prefetched_get_many

from .roles import ANONYMOUS, ROLE_NODE, Cap, Role
from .table import ANYWHERE, CAPS, SIDES

NOTHING = Q(pk__in=[])
# Not `Q()`: an empty Q vanishes when OR-ed with another (`Q() | q` is `q`), which would turn "every row"
# into "only q". Django drops this condition from the SQL altogether.
EVERYTHING = ~Q(pk__in=[])


@dataclass(frozen=True)
class Grant:
    """One membership: a role held at a node, with the township and region the node lies in."""

    role: str
    node: int | None
    township: int | None = None
    region: int | None = None
    supervised: frozenset = frozenset()  # a unit's villages


def _node_id(obj, path):
    if path == ANYWHERE:
        return ANYWHERE
    for alternative in path if isinstance(path, tuple) else (path,):
        value = obj
        for part in alternative.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if value is not None:
            return value
    return None


@dataclass(frozen=True)
class Scope:
    grants: tuple = ()
    superuser: bool = False
    anonymous: bool = False
    _held: dict = field(default_factory=dict, compare=False, repr=False)

    # ---- capabilities -------------------------------------------------------------------------

    @property
    def everywhere(self):
        """An administrator: every capability on every node."""
        return self.superuser or any(g.role == Role.ADMIN for g in self.grants)

    def _grants(self, cap):
        if self.anonymous:
            return ()
        return tuple(g for g in self.grants if cap in CAPS[g.role])

    def can(self, cap):
        """Whether any of the user's roles has `cap` (somewhere)."""
        if self.anonymous:
            return cap in CAPS[ANONYMOUS]
        return self.everywhere or bool(self._grants(cap))

    def held(self, cap, kind):
        """Ids of the nodes of `kind` where the user holds a role with `cap` (not those below them)."""
        key = (cap, kind)
        if key not in self._held:
            self._held[key] = frozenset(
                g.node for g in self._grants(cap) if ROLE_NODE.get(g.role) == kind and g.node is not None
            )
        return self._held[key]

    def whole_regions_only(self, cap):
        """The regions where `cap` is held, when it reaches whole regions and nothing narrower (a city
        office): what such a user sees of `cap` is the same for everyone with those regions, and changes
        with their data versions. Empty for narrower reaches and for the administrator's."""
        if self.everywhere or self.anonymous:
            return frozenset()
        if any(self.held(cap, kind) for kind in ("township", "branch", "village", "unit")):
            return frozenset()
        return self.held(cap, "region")

    def held_regions(self, cap, kind):
        """Ids of the regions in which lie the nodes of `kind` where `cap` is held."""
        return frozenset(
            g.region for g in self._grants(cap) if ROLE_NODE.get(g.role) == kind and g.region is not None
        )

    # ---- reach over the tree ------------------------------------------------------------------

    def node_q(self, cap, kind, prefix=""):
        """Q over nodes of `kind` where `cap` is held (every node for the administrator)."""
        if self.anonymous:
            return NOTHING
        if self.everywhere:
            return EVERYTHING
        return Q(**{f"{prefix}pk__in": self.held(cap, kind)})

    def reaches_a_township(self, cap):
        """Whether `cap` covers at least one township whole (a township or city role, or everywhere)."""
        if self.anonymous:
            return False
        return self.everywhere or bool(self.held(cap, "township") or self.held(cap, "region"))

    def reaches_township(self, cap, township):
        """Whether `cap` covers the whole township: held at it, at its region, or everywhere."""
        if self.everywhere and not self.anonymous:
            return True
        return township.pk in self.held(cap, "township") or township.region_id in self.held(cap, "region")

    def reaches_region(self, cap, region_id):
        if self.everywhere and not self.anonymous:
            return True
        return region_id in self.held(cap, "region")

    def township_q(self, cap, prefix=""):
        """Q over townships (or, with `prefix`, rows pointing at one) that `cap` covers whole."""
        if self.anonymous:
            return NOTHING
        if self.everywhere:
            return EVERYTHING
        q = NOTHING
        if towns := self.held(cap, "township"):
            q |= Q(**{f"{prefix}id__in": towns})
        if regions := self.held(cap, "region"):
            q |= Q(**{f"{prefix}region_id__in": regions})
        return q

    def touched_township_ids(self, cap):
        """Townships containing a node where `cap` is held (a village member's own township)."""
        return frozenset(g.township for g in self._grants(cap) if g.township is not None)

    def touched_township_q(self, cap, prefix=""):
        """Q over townships inside or under the nodes where `cap` is held (for township-level rows)."""
        if self.anonymous:
            return NOTHING
        if self.everywhere:
            return EVERYTHING
        q = NOTHING
        if towns := self.touched_township_ids(cap):
            q |= Q(**{f"{prefix}id__in": towns})
        if regions := self.held(cap, "region"):
            q |= Q(**{f"{prefix}region_id__in": regions})
        return q

    def touched_region_ids(self, cap):
        """Regions containing a node where `cap` is held."""
        return frozenset(g.region for g in self._grants(cap) if g.region is not None)

    def village_q(self, cap, prefix=""):
        """Q over villages (or, with `prefix`, rows pointing at one) below the nodes where `cap` is held."""
        if self.anonymous:
            return NOTHING
        if self.everywhere:
            return EVERYTHING
        p = prefix
        q = NOTHING
        if regions := self.held(cap, "region"):
            q |= Q(**{f"{p}township__region_id__in": regions})
        if towns := self.held(cap, "township"):
            q |= Q(**{f"{p}township_id__in": towns})
        return q | self.below_township_q(cap, prefix)

    def below_township_q(self, cap, prefix=""):
        """The part of village_q below whole townships (branches, villages, supervised villages): with
        township_q over a row's own township it is village_q without joining the village when the row
        carries its village's township (a village-level assessment does)."""
        if self.anonymous or self.everywhere:
            return NOTHING
        p = prefix
        q = NOTHING
        if branches := self.held(cap, "branch"):
            q |= Q(**{f"{p}branch_id__in": branches})
        villages = set(self.held(cap, "village"))
        for g in self._grants(cap):
            villages |= g.supervised
        if villages:
            q |= Q(**{f"{p}id__in": sorted(villages)})
        return q

    def unit_q(self, cap, prefix=""):
        """Q over responsible units: every unit of a township covered whole, and the user's own units."""
        if self.anonymous:
            return NOTHING
        if self.everywhere:
            return EVERYTHING
        q = self.township_q(cap, prefix=f"{prefix}township__")
        if units := self.held(cap, "unit"):
            q |= Q(**{f"{prefix}id__in": units})
        return q

    # ---- sides --------------------------------------------------------------------------------

    def sides(self, entity, obj):
        """The sides (access.roles.Side) the user is of `obj`, an instance of `entity` in the table."""
        if self.anonymous:
            return frozenset()
        held = {(g.role, g.node) for g in self.grants}
        roles = {g.role for g in self.grants}
        if self.superuser:
            roles.add(Role.ADMIN)
        found = set()
        for side, rules in SIDES[entity].items():
            for role, path in rules:
                node = _node_id(obj, path)
                if (node == ANYWHERE and role in roles) or (node is not None and (role, node) in held):
                    found.add(side)
                    break
        return frozenset(found)

    # ---- what the page header shows -----------------------------------------------------------

    @property
    def role_labels(self):
        return [Role(r).label for r in sorted({g.role for g in self.grants})]

    @property
    def role_values(self):
        """The user's roles, for display (hints on the home page); never for deciding access."""
        return frozenset(g.role for g in self.grants)


EMPTY = Scope()
ANONYMOUS_SCOPE = Scope(anonymous=True)

MEMBERSHIP_FIELDS = (
    "role",
    "region_id",
    "township_id",
    "branch_id",
    "village_id",
    "unit_id",
    "township__region_id",
    "branch__township_id",
    "branch__township__region_id",
    "village__township_id",
    "village__township__region_id",
    "unit__township_id",
    "unit__township__region_id",
    "unit__villages",
)


def compile_scope(rows, *, superuser=False):
    """Build a Scope from membership rows (dicts with MEMBERSHIP_FIELDS; a unit's row repeats once per
    supervised village)."""
    merged = {}
    for r in rows:
        kind = ROLE_NODE.get(r["role"])
        node = r[f"{kind}_id"] if kind else None
        if kind == "region":
            township, region = None, node
        elif kind == "township":
            township, region = node, r["township__region_id"]
        elif kind:
            township, region = r[f"{kind}__township_id"], r[f"{kind}__township__region_id"]
        else:
            township = region = None
        key = (r["role"], node)
        grant = merged.get(key) or Grant(r["role"], node, township, region)
        if r.get("unit__villages") is not None and kind == "unit":
            grant = Grant(grant.role, node, township, region, grant.supervised | {r["unit__villages"]})
        merged[key] = grant
    return Scope(grants=tuple(merged.values()), superuser=superuser)


# A compiled scope is kept in the cache under the access token (common.dataversion), which every write to
# memberships or to the tree renews: reading it costs one cache round trip instead of the membership
# query (a seven-table join, the heaviest part of a small page). The lifetime bounds what a write that
# renews no token (a raw SQL fix) can leave behind; revoking a role through the services takes effect
# at the next request. Only where every process shares the cache (settings.QL_SHARED_CACHE).
SCOPE_CACHE_SECONDS = 300


def _scope_key(user_id):
    # the database's name too: several databases may share one Redis (staging, the benchmarks)
    db = settings.DATABASES["default"]["NAME"]
    return f"scope:v2:{db}:{user_id}"


def scope_cache_keys(user_id):
    """The cache keys scope_for reads for this user (accounts.usercache fetches them with the user)."""
    return [_scope_key(user_id), access_version_key()]


def _compiled(user):
    rows = user.memberships.values(*MEMBERSHIP_FIELDS)
    return compile_scope(rows, superuser=user.is_superuser)


def scope_for(user):
    """The user's scope: cached on the user object for the request, and across requests in the cache
    under the access token (with the superuser flag it was compiled for). At most one query (none while
    the cache holds it); no cache round trip of its own when the user was loaded with it."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS_SCOPE
    if not user.is_active:
        return EMPTY
    cached = getattr(user, "_ql_scope", None)
    if cached is not None:
        return cached
    if not settings.QL_SHARED_CACHE:
        user._ql_scope = scope = _compiled(user)
        return scope
    key, version_key = scope_cache_keys(user.pk)
    found = prefetched_get_many(user, [key, version_key])
    version = data_version(*ACCESS, token=found.get(version_key))
    superuser = bool(user.is_superuser)
    entry = found.get(key)
    if entry is not None and entry[0] == version and entry[1] == superuser:
        scope = entry[2]
    else:
        scope = _compiled(user)
        cache.set(key, (version, superuser, scope), SCOPE_CACHE_SECONDS)
    user._ql_scope, user._ql_scope_version = scope, version
    return scope


def scope_version(user):
    """What the user's scope was compiled under (the access token, or the scope itself where there is
    no shared cache): a part of the key of anything cached that depends on the user's reach."""
    scope = scope_for(user)
    return getattr(user, "_ql_scope_version", None) or repr(scope)


__all__ = [
    "ANONYMOUS_SCOPE",
    "EMPTY",
    "EVERYTHING",
    "NOTHING",
    "Cap",
    "Grant",
    "Scope",
    "compile_scope",
    "scope_for",
    "scope_version",
]
