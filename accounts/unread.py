"""The unread-notification count in every page's menu bar.

Where every process shares the cache (settings.QL_SHARED_CACHE), the count is kept there for a minute
per user, so that a page costs no query for it; the writes that create notifications or mark them read
forget the users' counts at once. A write that does neither shows within the minute.
"""

from django.conf import settings
from django.core.cache import cache

from common.prefetch import get_many, written

UNREAD_SECONDS = 60


def unread_key(user_id):
    # the database's name too: several databases may share one Redis (staging, the benchmarks)
    return f"unread:v1:{settings.DATABASES['default']['NAME']}:{user_id}"


def _count(user):
    return user.notifications.filter(read_at__isnull=True).count()


def unread_count(user):
    if not settings.QL_SHARED_CACHE:
        return _count(user)
    key = unread_key(user.pk)
    found = get_many(user, [key])  # fetched with the user (accounts.usercache) where it could be
    if key in found:
        return found[key]
    count = _count(user)
    cache.set(key, count, UNREAD_SECONDS)
    return count


def unread_changed(user_ids):
    """These users' notifications were created or read: count them afresh on their next page."""
    keys = [unread_key(pk) for pk in set(user_ids) if pk is not None]
    if keys:
        cache.delete_many(keys)
        written()
