"""The dashboards' figures cached under the data version of what they show.

A key holds everything the figures depend on: the township's (or region's) data version, which every
write that changes the figures renews (common.dataversion, through assessments.readmodels); the year,
branch and round; today's date (overdue counts and ledger months change with it); and the part of the
user's reach that changes the figures (the ledger units the user may read: the whole township, or
only the user's own units). Users whose visible data differ never share an entry; the access check
still runs on every request before the cache is asked.

Changes to the tree (a village renamed or moved, a branch, a unit's villages) renew the versions through
the signals in accounts/signals.py; writes that nothing announces (a standard's grade names) are caught
by the entries' lifetime.
"""

import functools
import hashlib

from django.conf import settings
from django.core.cache import cache

from access.roles import Cap
from common.dataversion import data_version, version_key

TTL = 600  # seconds: the bound on staleness for writes that renew no data version
# Renew when the cached payload changes shape: entries of the previous release live on in Redis.
PREFIX = "dash:v4"


def ledger_reach_township(scope, township):
    """The part of the user's ledger reach that the township figures depend on."""
    if scope.reaches_township(Cap.LEDGER_VIEW, township):
        return "all"
    return "u" + ",".join(str(pk) for pk in sorted(scope.held(Cap.LEDGER_VIEW, "unit")))


def ledger_reach_region(scope, region):
    if scope.reaches_region(Cap.LEDGER_VIEW, region.pk):
        return "all"
    towns = ",".join(str(pk) for pk in sorted(scope.held(Cap.LEDGER_VIEW, "township")))
    units = ",".join(str(pk) for pk in sorted(scope.held(Cap.LEDGER_VIEW, "unit")))
    return f"t{towns}u{units}"


def _key(kind, pk, parts):
    # the database's name too: several databases may share one Redis (staging, the benchmarks), and
    # a township of one must never be served the figures of the same id in another
    db = settings.DATABASES["default"]["NAME"]
    raw = "|".join(str(p) for p in (db, kind, pk, *parts))
    return f"{PREFIX}:{kind}:{pk}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def _read(kind, pk, key):
    """(current data version, the entry under key if it was built under that version), in one round
    trip: every entry holds the version it was built under."""
    vkey = version_key(kind, pk)
    found = cache.get_many([vkey, key])
    version = data_version(kind, pk, token=found.get(vkey))
    entry = found.get(key)
    return version, (entry[1] if entry is not None and entry[0] == version else None)


def cached_figures(kind, pk, parts, build):
    """(page, data) for `kind` 't' (township) or 'r' (region), built once per data version and key parts.

    build() returns both: `page` is what every request renders (the figures' HTML and the header's
    few values, small), `data` the figures themselves (the dashboard object and the chart dicts), kept
    beside it for whoever inspects them and loaded only when touched: `data` is a function.
    """
    key = _key(kind, pk, parts)
    version, page = _read(kind, pk, f"{key}:page")
    if page is None:
        page, data = build()
        cache.set_many({f"{key}:page": (version, page), f"{key}:data": (version, data)}, TTL)
        return page, lambda: data

    @functools.cache
    def data():
        found = cache.get(f"{key}:data")
        return found[1] if found is not None and found[0] == version else build()[1]

    return page, data


def cached_value(kind, pk, parts, build):
    """build()'s value, computed once per data version and key parts (for figures several pages share)."""
    key = f"{_key(kind, pk, parts)}:value"
    version, value = _read(kind, pk, key)
    if value is None:
        value = build()
        cache.set(key, (version, value), TTL)
    return value
