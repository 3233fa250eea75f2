"""The audit trail: rows inserted without a lock, sealed into a hash chain after commit, append-only at the
database (PostgreSQL), checkpointed outside it; the verifier finds edits, deletions and rewritten tails."""

import json
import threading

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from audit import checkpoint
from audit.models import AuditChainHead, AuditEvent
from audit.services import _digest, _hashed_fields, audit_log, audit_seal, audit_verify, audit_verify_chain
from tests.factories import UserFactory

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")


def tamper(sql, params=()):
    """Change the table as a database superuser would: past the append-only trigger (replica mode)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def write(n, start=0):
    for i in range(start, start + n):
        audit_log(action="test.event", username="someone", message=f"事件{i}")


@pytest.mark.django_db
def test_rows_are_inserted_unchained_and_the_sealer_chains_them_in_order():
    write(5)
    assert AuditEvent.objects.filter(hash__isnull=True).count() == 5  # the transaction has not committed
    assert audit_seal() == 5
    assert audit_seal() == 0
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert [r.pk for r in rows] == sorted(r.pk for r in rows)
    assert rows[0].prev_hash == ""
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    assert rows[2].hash == _digest(rows[1].hash, _hashed_fields(rows[2]))
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, rows[-1].hash)
    assert audit_verify_chain() is None


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_is_sealed_right_after_its_transaction():
    with transaction.atomic():
        audit_log(action="test.event", username="someone", message="一")
        audit_log(action="test.event", username="someone", message="二")
        assert not AuditEvent.objects.filter(hash__isnull=False).exists()
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "message")) == [(1, "一"), (2, "二")]
    audit_log(action="test.event", username="someone", message="三")  # outside a transaction: at once
    assert AuditEvent.objects.get(message="三").seq == 3
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_log(action="test.event", username="someone", message="回滚")
        raise RuntimeError
    assert not AuditEvent.objects.filter(message="回滚").exists()
    assert audit_verify().ok


@pytest.mark.django_db
def test_editing_one_sealed_row_is_detected_and_named():
    write(4)
    audit_seal()
    third = AuditEvent.objects.get(seq=3)
    tamper("UPDATE audit_auditevent SET message = %s WHERE id = %s", ["篡改", third.pk])
    problem = audit_verify_chain()
    assert problem.seq == 3 and problem.event.pk == third.pk
    assert "第3条" in str(problem)


@pytest.mark.django_db
def test_deleting_a_middle_row_is_named():
    write(5)
    audit_seal()
    tamper("DELETE FROM audit_auditevent WHERE seq = 3")
    report = audit_verify()
    assert not report.ok
    assert "第3条审计记录缺失" in str(report.problems[0])


@pytest.mark.django_db
def test_deleting_the_last_rows_is_found_from_the_checkpoint_outside_the_database(settings):
    write(6)
    audit_seal()
    checkpoint.write(6, AuditEvent.objects.get(seq=6).hash, timezone.now())
    tamper("DELETE FROM audit_auditevent WHERE seq >= 5")
    # the attacker also puts the head back, so that head and last row agree
    AuditChainHead.objects.update(last_seq=4, last_hash=AuditEvent.objects.get(seq=4).hash)
    report = audit_verify()
    assert [str(p) for p in report.problems] == [
        "外部检查点记有第6条审计记录，数据库中已不存在（记录被删除）"
    ]


@pytest.mark.django_db
def test_a_chain_rewritten_from_some_row_on_is_found_from_the_checkpoint(settings):
    write(8)
    audit_seal()
    marks = dict(AuditEvent.objects.values_list("seq", "hash"))
    checkpoint.write(8, marks[8], timezone.now())
    # forge rows 4..8 and re-chain them so that every link verifies inside the database
    prev = marks[3]
    for event in AuditEvent.objects.filter(seq__gte=4).order_by("seq"):
        event.message = f"伪造{event.seq}"
        new = _digest(prev, _hashed_fields(event))
        tamper(
            "UPDATE audit_auditevent SET message = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.message, prev, new, event.pk],
        )
        prev = new
    AuditChainHead.objects.update(last_hash=prev)
    report = audit_verify()
    assert [str(p) for p in report.problems] == ["第8条审计记录与外部检查点不符（链从此处起被改写）"]


@pytest.mark.django_db
def test_a_forged_checkpoint_line_is_reported_and_not_trusted(settings):
    write(2)
    audit_seal()
    checkpoint.write(2, AuditEvent.objects.get(seq=2).hash, timezone.now())
    with open(settings.QL_AUDIT_CHECKPOINT_FILE, "a", encoding="utf-8") as f:
        f.write(json.dumps({"seq": 9, "hash": "0" * 64, "at": "2026-01-01T00:00:00", "mac": "0" * 64}) + "\n")
    report = audit_verify()
    assert [str(p) for p in report.problems] == ["外部检查点第2行签名无效（检查点文件被改动）"]


@pytest.mark.django_db
def test_a_head_that_disagrees_with_the_last_row_is_reported():
    write(3)
    audit_seal()
    AuditChainHead.objects.update(last_seq=7)
    assert "链头（第7条）与最后一条审计记录（第3条）不一致" in str(audit_verify_chain())


@pytest.mark.django_db
def test_an_account_with_audit_rows_cannot_be_deleted_so_the_chain_never_breaks():
    user = UserFactory(username="henry")
    audit_log(action="test.event", actor=user, message="他做过的事")
    audit_seal()
    with pytest.raises(ProtectedError):
        user.delete()
    assert audit_verify_chain() is None


@on_postgres
@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_of_audit_rows():
    write(2)
    audit_seal()
    row = AuditEvent.objects.get(seq=1)
    for sql in (
        "UPDATE audit_auditevent SET message = 'x' WHERE id = %s",
        "UPDATE audit_auditevent SET hash = NULL WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises((InternalError, ProgrammingError, IntegrityError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [row.pk])
    # an unsealed row: only its chain fields may be set (the sealer's one update)
    audit_log(action="test.event", username="someone", message="未封")
    pending = AuditEvent.objects.get(hash__isnull=True)
    with pytest.raises((InternalError, ProgrammingError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=pending.pk).update(message="改")
    assert audit_seal() == 1
    assert audit_verify_chain() is None


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_writers_write_audit_rows_in_parallel_and_the_chain_verifies():
    """Each writer holds its transaction open after its audit row until all 20 have written theirs: with
    a lock held across the transaction (the old chain head), the second writer would wait for the first
    to commit and the barrier would break."""
    n = 20
    barrier = threading.Barrier(n, timeout=20)
    errors = []

    def writer(i):
        try:
            with transaction.atomic():
                audit_log(action="test.parallel", username=f"writer{i}", message=f"并发{i}")
                barrier.wait()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    audit_seal()
    assert AuditEvent.objects.filter(action="test.parallel", hash__isnull=False).count() == n
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, n + 1))
    assert audit_verify_chain() is None


@pytest.mark.django_db
def test_control_characters_are_encoded_so_an_event_is_one_line():
    event = audit_log(action="auth.login_failed", username="evil\r\nadmin", message="a\nb")
    assert "\n" not in event.actor_username and "\r" not in event.actor_username
    assert event.actor_username == "evil\\x0d\\x0aadmin"


@pytest.mark.django_db
def test_rows_appended_in_bulk_chain_on_from_single_rows_and_single_rows_chain_on_from_them(
    django_assert_num_queries,
):
    from audit.services import audit_log_many

    audit_log(action="test.event", username="someone", message="前")
    entries = [
        {"action": "test.bulk", "message": f"批量\n{i}", "object_id": str(i), "username": "someone"}
        for i in range(150)
    ]
    # One INSERT for all 150 rows (SQLite too): no lock, no head update in the writer's transaction.
    with django_assert_num_queries(1):
        events = audit_log_many(entries)
    audit_log(action="test.event", username="someone", message="后")
    assert audit_verify_chain() is None
    rows = list(AuditEvent.objects.order_by("seq"))
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
    rows = [AuditEvent(at=now, action="x", message="m") for i in range(300)]
    before = connection.features.max_query_params
    with django_assert_num_queries(1):
        saved = bulk_insert(AuditEvent, rows)
    assert all(r.pk for r in saved) and AuditEvent.objects.count() == 300
    assert connection.features.max_query_params == before


@pytest.mark.django_db(transaction=True)
def test_the_sealer_checkpoints_once_its_sealing_commits_and_then_at_intervals(settings):
    settings.QL_AUDIT_CHECKPOINT_SECONDS = 3600
    write(2)  # outside a transaction: each is sealed at once; the first sealing checkpoints
    marks, bad = checkpoint.read()
    assert (marks, bad) == ({1: AuditEvent.objects.get(seq=1).hash}, [])
    settings.QL_AUDIT_CHECKPOINT_SECONDS = 0
    write(1, start=2)
    marks, _ = checkpoint.read()
    assert sorted(marks) == [1, 3]
    assert audit_verify().checkpoints == 2 and audit_verify().ok
