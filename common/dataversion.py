"""Data versions: one opaque token per township and per region, changed by every write that alters
what a dashboard shows, so that cached dashboard fragments keyed by the token are never served stale.

The token lives in the default cache (Redis in production, local memory in the embedded default).
A write changes it twice: at once, so that a later read in the same transaction (and every test that
runs inside one) sees the change; and again on commit, because a reader that ran between the first
change and the commit may have cached the old figures under the new token. A rolled-back write only
costs one needless recomputation. A token evicted from the cache reads as a new one, which is safe.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

PREFIX = "dv"


def _key(kind, pk):
    return f"{PREFIX}:{kind}:{pk}"


def _keys(townships, regions):
    return [_key("t", pk) for pk in set(townships) if pk] + [_key("r", pk) for pk in set(regions) if pk]


def _renew(keys):
    cache.set_many({k: uuid.uuid4().hex for k in keys}, timeout=None)


def _scheduled(connection):
    """The renewal already queued for the current transaction, if any (one per transaction)."""
    for entry in connection.run_on_commit:
        func = entry[1]
        if getattr(func, "renews_data_versions", False):
            return func
    return None


def data_version_bump(*, townships=(), regions=()):
    """Mark the data of these townships and regions as changed (now, and once more on commit)."""
    keys = _keys(townships, regions)
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


def data_version(kind, pk):
    """The current token of one township ('t') or region ('r'); created when missing."""
    key = _key(kind, pk)
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        # add(), not set(): two first readers at once must agree on one token
        if not cache.add(key, token, timeout=None):
            token = cache.get(key) or token
    return token
