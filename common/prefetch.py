"""Cache reads answered from one earlier round trip.

A logged-in request reads several small entries of the shared cache: the user, the user's scope and the
access token it was compiled under, the unread count. Loading the user (accounts.usercache) asks for all
of them in one `get_many`; the readers then ask `get_many(holder, keys)` here, which answers from that
round trip while nothing has been written since, and asks the cache otherwise.

"Written since" is coarse on purpose: every invalidation of the cached entries (data versions, the
access token, a user, unread counts) calls `written()`, which retires every prefetch of this process.
A request that writes and then reads sees what is in the cache, as it would without the prefetch.
"""

from django.core.cache import cache

_generation = [0]


def written():
    """Some cached entry was invalidated in this process: earlier prefetches answer nothing more."""
    _generation[0] += 1


class Prefetched:
    """The result of one cache.get_many(keys): missing keys are known to be missing."""

    __slots__ = ("found", "generation", "keys")

    def __init__(self, keys, found):
        self.keys = frozenset(keys)
        self.found = found
        self.generation = _generation[0]

    def answers(self, keys):
        return self.generation == _generation[0] and self.keys.issuperset(keys)


def prefetch(keys):
    """cache.get_many(keys) as a Prefetched, to be kept on its holder (the request's user) as
    `_ql_prefetched` for the readers that follow."""
    return Prefetched(keys, cache.get_many(keys))


def get_many(holder, keys):
    """cache.get_many(keys), from what was prefetched for `holder` where that still answers."""
    pre = getattr(holder, "_ql_prefetched", None)
    if pre is not None and pre.answers(keys):
        return {k: pre.found[k] for k in keys if k in pre.found}
    return cache.get_many(keys)
