"""One INSERT per bulk_create, on SQLite too.

Django 5.2 assumes SQLite's historical limit of 999 host parameters per statement and splits a
bulk_create into batches of 999 // fields rows: 66 audit rows, 111 assessment events. SQLite has
allowed 32,766 since 3.32 (and lets a connection report its own limit); Django 6.0 reads that limit
(ticket #36143). Until then `bulk_insert` lifts the assumption for its own call only, so a
campaign-wide step makes the same number of queries for 10 villages as for 1,000. Other backends are
untouched: PostgreSQL already inserts any number of rows in one statement.
"""

import sqlite3

from django.db import connections, router

_UNSET = object()


def bulk_insert(model, objs):
    """`model.objects.bulk_create(objs)` in as few statements as the database allows; returns the objects
    (with their primary keys, as bulk_create does on SQLite and PostgreSQL)."""
    objs = list(objs)
    if not objs:
        return objs
    connection = connections[router.db_for_write(model)]
    manager = model._default_manager.db_manager(connection.alias)
    if connection.vendor != "sqlite":
        return manager.bulk_create(objs)
    connection.ensure_connection()
    features = connection.features
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    saved = features.__dict__.get("max_query_params", _UNSET)
    # The features object belongs to this thread's connection: nothing else sees the change.
    features.max_query_params = max(limit, type(features).max_query_params)
    try:
        return manager.bulk_create(objs)
    finally:
        if saved is _UNSET:
            del features.max_query_params
        else:
            features.max_query_params = saved
