import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_log, audit_verify_chain


@pytest.mark.django_db
def test_audit_rows_form_a_verifiable_hash_chain():
    for i in range(5):
        audit_log(action="test.event", username="someone", message=f"事件{i}")
    assert audit_verify_chain() is None
    rows = list(AuditEvent.objects.order_by("id"))
    assert rows[0].prev_hash == ""
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))


@pytest.mark.django_db
def test_editing_one_row_directly_is_detected_and_named():
    for i in range(4):
        audit_log(action="test.event", username="someone", message=f"事件{i}")
    third = AuditEvent.objects.order_by("id")[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET message = %s WHERE id = %s", ["篡改", third.pk])
    assert audit_verify_chain().pk == third.pk


@pytest.mark.django_db
def test_control_characters_are_encoded_so_an_event_is_one_line():
    event = audit_log(action="auth.login_failed", username="evil\r\nadmin", message="a\nb")
    assert "\n" not in event.actor_username and "\r" not in event.actor_username
    assert event.actor_username == "evil\\x0d\\x0aadmin"


@pytest.mark.django_db
def test_rows_appended_in_bulk_chain_on_from_single_rows_and_single_rows_chain_on_from_them(
    django_assert_num_queries,
):
    from audit.models import AuditChainHead
    from audit.services import audit_log_many

    audit_log(action="test.event", username="someone", message="前")
    entries = [
        {"action": "test.bulk", "message": f"批量\n{i}", "object_id": str(i), "username": "someone"}
        for i in range(150)
    ]
    # The head lock, one INSERT for all 150 rows (SQLite too), the head update, and the savepoint.
    with django_assert_num_queries(5):
        events = audit_log_many(entries)
    audit_log(action="test.event", username="someone", message="后")
    assert audit_verify_chain() is None
    rows = list(AuditEvent.objects.order_by("id"))
    assert [r.action for r in rows] == ["test.event"] + ["test.bulk"] * 150 + ["test.event"]
    assert [r.pk for r in rows[1:-1]] == [e.pk for e in events]
    assert rows[1].prev_hash == rows[0].hash and rows[-1].prev_hash == rows[-2].hash
    assert (rows[1].message, rows[1].object_id, rows[1].actor_username) == ("批量\\x0a0", "0", "someone")
    assert AuditChainHead.objects.get().last_hash == rows[-1].hash
    assert audit_log_many([]) == []


@pytest.mark.django_db
def test_bulk_insert_uses_one_statement_on_sqlite_and_leaves_the_batch_size_alone_afterwards(
    django_assert_num_queries,
):
    from audit.bulk import bulk_insert

    now = timezone.now()
    rows = [AuditEvent(at=now, action="x", hash=f"{i:064d}", message="m") for i in range(300)]
    before = connection.features.max_query_params
    with django_assert_num_queries(1):
        saved = bulk_insert(AuditEvent, rows)
    assert all(r.pk for r in saved) and AuditEvent.objects.count() == 300
    assert connection.features.max_query_params == before
