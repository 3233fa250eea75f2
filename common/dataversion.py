"""Data versions: one opaque token per township and per region, changed by every write that alters
what a dashboard shows, so that cached dashboard fragments keyed by the token are never served stale;
and one access token, changed by every write that alters who reaches what (memberships, the tree of
regions, townships, branches and villages, a unit's villages), which keys the cached scopes.

The token lives in the default cache (Redis in production, local memory in the embedded default).
A write changes it twice: at once, so that a later read in the same transaction (and every test that
runs inside one) sees the change; and again on commit, because a reader that ran between the first
change and the commit may have cached the old figures under the new token. A rolled-back write only
costs one needless recomputation. A token evicted from the cache reads as a new one, which is safe.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .prefetch import written

PREFIX = "dv"


def _key(kind, pk):
    return f"{PREFIX}:{kind}:{pk}"


ACCESS = ("a", 0)


def _keys(townships, regions, access=False):
    keys = [_key("t", pk) for pk in set(townships) if pk] + [_key("r", pk) for pk in set(regions) if pk]
    return [*keys, _key(*ACCESS)] if access else keys


def _renew(keys):
    cache.set_many({k: uuid.uuid4().hex for k in keys}, timeout=None)
    written()


def _scheduled(connection):
    """The renewal already queued for the current transaction, if any (one per transaction)."""
    for entry in connection.run_on_commit:
        func = entry[1]
        if getattr(func, "renews_data_versions", False):
            return func
    return None


def data_version_bump(*, townships=(), regions=(), access=False):
    """Mark the data of these townships and regions as changed (now, and once more on commit); with
    `access`, also every user's reach (the access token)."""
    keys = _keys(townships, regions, access)
    if not keys:
        return
    _renew(keys)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    queued = _scheduled(connection)
    if queued is None:
        pending = set()

        def queued():
            _renew(pending)

        queued.renews_data_versions = True
        queued.keys = pending
        transaction.on_commit(queued)
    queued.keys.update(keys)


def access_version_bump():
    """Every cached scope is stale: memberships or the tree changed (now, and once more on commit)."""
    data_version_bump(access=True)


def version_key(kind, pk):
    """The cache key of a token, for readers that fetch it with the entry it validates (one round trip)."""
    return _key(kind, pk)


def data_version(kind, pk, *, token=None, create=True):
    """The current token of one township ('t'), region ('r') or of access ('a', 0); created when
    missing (None instead without `create`). `token` is a value the caller already read under this key
    (None when it was missing)."""
    key = _key(kind, pk)
    token = token or cache.get(key)
    if token is None and not create:
        return None
    if token is None:
        token = uuid.uuid4().hex
        # add(), not set(): two first readers at once must agree on one token
        if not cache.add(key, token, timeout=None):
            token = cache.get(key) or token
    return token


def access_version_key():
    return _key(*ACCESS)


def versioned(*, townships=(), regions=(), access=False, parts=(), build, timeout=600, create=True):
    """build()'s value, cached under the data versions of these townships and regions (and `parts`,
    whatever else it depends on; with `access`, also under the access token, which renaming a region or
    changing the tree renews): recomputed after any write those versions announce, and at the latest
    after `timeout` seconds for the writes that announce none.

    The entry holds the tokens it was built under, beside the value, under a key of its own: one
    round trip reads the current tokens and the entry together.

    Without `create`, a township or region that has no token yet is not given one (build() is returned
    uncached): for lookups by an id from the address, which may name nothing, so that made-up ids
    cannot fill the cache with tokens that never expire.

    Only where every process shares the cache (settings.QL_SHARED_CACHE): these are working pages (a
    reviewer's board, a city's counts), and a process's own memory would not see another's writes."""
    if not settings.QL_SHARED_CACHE:
        return build()
    sources = [("t", pk) for pk in sorted(set(townships))] + [("r", pk) for pk in sorted(set(regions))]
    sources += [ACCESS] if access else []
    # the database's name too: several databases may share one Redis (staging, the benchmarks)
    raw = "|".join(str(p) for p in (settings.DATABASES["default"]["NAME"], *sources, "/", *parts))
    key = f"{PREFIX}:entry:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"
    found = cache.get_many([key, *(_key(*source) for source in sources)])
    tokens = tuple(data_version(*source, token=found.get(_key(*source)), create=create) for source in sources)
    if None in tokens:
        return build()
    entry = found.get(key)
    if entry is not None and entry[0] == tokens:
        return entry[1]
    value = build()
    cache.set(key, (tokens, value), timeout)
    return value
