"""The logged-in user of every request, from the shared cache instead of the database.

Django loads the session's user on every request (one query). Where every process shares the cache
(settings.QL_SHARED_CACHE), the user's row is kept there for a few minutes and fetched in the same round
trip as the other small entries every page reads (the user's scope and the access token, the unread
count: common.prefetch), so that a page costs one cache round trip and no query for who is asking.

What is cached is every column but the password: the instance comes back with the password deferred
(read from the database only if something asks for it) and with the session hash Django checks on every
request precomputed (User.get_session_auth_hash). The key holds the database's name and a fingerprint
of the secret key the hash was made with.

Every save or delete of a user forgets the entry, at once and again on commit (so that a reader that
cached the row between the write and its commit does not keep it); bulk writes call `users_changed`. The
entry's lifetime (USER_SECONDS) bounds what anything else could miss, such as a reader that read the old
row just before the commit and stores it just after. Disabling a user also ends their sessions
(accounts.services.user_set_active), whatever the cache holds.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction

from access.scope import scope_cache_keys
from common.prefetch import prefetch, written

from .unread import unread_key

USER_SECONDS = 300


def _fields():
    return tuple(f.attname for f in get_user_model()._meta.concrete_fields if f.attname != "password")


def user_key(user_id):
    db = settings.DATABASES["default"]["NAME"]
    secret = hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest()[:12]
    return f"user:v1:{db}:{secret}:{user_id}"


def cached_user(user_id):
    """The user with this id (None when there is none), from the cache where it holds the row; the
    user's scope, access token and unread count are fetched in the same round trip."""
    User = get_user_model()
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    key = user_key(pk)
    fetched = prefetch([key, *scope_cache_keys(pk), unread_key(pk)])
    fields = _fields()
    entry = fetched.found.get(key)
    if entry is not None and entry[0] == fields:
        user = User.from_db(DEFAULT_DB_ALIAS, fields, entry[1])
        user._ql_auth_hash = entry[2]
    else:
        user = User._default_manager.filter(pk=pk).first()
        if user is None:
            return None
        values = tuple(getattr(user, name) for name in fields)
        cache.set(key, (fields, values, user.get_session_auth_hash()), USER_SECONDS)
    user._ql_prefetched = fetched
    return user


def _forget(keys):
    cache.delete_many(keys)
    written()


def users_changed(user_ids):
    """These users' rows changed: read them from the database on their next request (now, and once more
    on commit)."""
    keys = [user_key(pk) for pk in set(user_ids) if pk is not None]
    if not keys:
        return
    _forget(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _forget(keys))
