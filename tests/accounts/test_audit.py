import pytest
from django.db import connection

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
