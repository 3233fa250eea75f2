"""Per-sender and per-village limits on public messages, counted in the Django cache.

A window opens with the first message and lasts an hour; every accepted message in it counts. The
counter is the cache's atomic `incr`, so two requests at once cannot both slip under the limit.
"""

from django.core.cache import cache

WINDOW_SECONDS = 3600
PER_CLIENT = 20
PER_VILLAGE = 200


def _take(key, limit):
    """Count one more against `key`; False (and the count undone) once the limit is reached."""
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        n = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        n = 1
    if n > limit:
        cache.decr(key)
        return False
    return True


def _give_back(key):
    try:
        cache.decr(key)
    except ValueError:
        pass


def take(*, client_hash, village_id):
    """None when the message may be stored, else the Chinese reason it may not."""
    client_key = f"feedback:client:{client_hash}"
    village_key = f"feedback:village:{village_id}"
    if not _take(client_key, PER_CLIENT):
        return f"您在一小时内已提交 {PER_CLIENT} 条意见，请稍后再试。"
    if not _take(village_key, PER_VILLAGE):
        _give_back(client_key)
        return "本村（社区）近一小时收到的意见过多，请稍后再试。"
    return None


def give_back(*, client_hash, village_id):
    """Undo `take` when the message was not stored after all."""
    _give_back(f"feedback:client:{client_hash}")
    _give_back(f"feedback:village:{village_id}")
