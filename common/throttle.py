"""Fixed-window counters in the Django cache (Redis in production, local memory in the embedded default).

A window opens with the first hit on a key and lasts `window` seconds; every counted hit in it counts.
The counter is the cache's atomic `incr`, so two requests at once cannot both slip under the limit.
"""

from django.core.cache import cache


def take(key, *, limit, window):
    """Count one more hit on `key`; False (and the hit not counted) once `limit` is reached."""
    cache.add(key, 0, timeout=window)
    try:
        n = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.add(key, 1, timeout=window)
        n = 1
    if n > limit:
        give_back(key)
        return False
    return True


def give_back(key):
    """Undo one `take` (the hit turned out not to count)."""
    try:
        cache.decr(key)
    except ValueError:
        pass
