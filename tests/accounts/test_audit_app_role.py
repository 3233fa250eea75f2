"""SECURITY LOG-3 as the README deploys it: the app connects as a role that does not own the audit table.

The role gets exactly the README's grants. Everything runs inside the test's transaction (roles and grants
are transactional in PostgreSQL), so nothing outlives the test.
"""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import audit_log

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's")


def refused(sql, params=()):
    """Run one statement in a savepoint; the database's error message, or '' when it was allowed."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return str(error)
    return ""


@pytest.mark.django_db
def test_the_app_role_can_append_but_cannot_change_remove_or_unguard_audit_rows(org):
    audit_log(action="test.before", actor=None, message="行一")
    row = AuditEvent.objects.latest("id")
    role = f"ql_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        # the README's grants, word for word
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"SET ROLE {role}")
    try:
        audit_log(action="test.as_app", actor=None, message="应用角色写入")
        assert AuditEvent.objects.filter(action="test.as_app").exists()

        table = AuditEvent._meta.db_table
        assert "UPDATE refused" in refused(f"UPDATE {table} SET message = 'x' WHERE id = %s", [row.pk])
        assert "DELETE refused" in refused(f"DELETE FROM {table} WHERE id = %s", [row.pk])
        for sql in (
            f"ALTER TABLE {table} DISABLE TRIGGER audit_append_only",
            f"DROP TRIGGER audit_append_only ON {table}",
            f"TRUNCATE {table}",
            "SET session_replication_role = replica",  # what a superuser would use to pass triggers
        ):
            message = refused(sql)
            assert message, f"the app role may: {sql}"
            assert "must be owner" in message or "permission denied" in message, message
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    row.refresh_from_db()
    assert row.message == "行一"
