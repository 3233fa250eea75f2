"""The single way to write an audit row. Every important write calls audit_log inside its transaction.

Rows are inserted unchained, without a lock; `audit_seal` chains committed rows (see audit/models.py)
and writes a checkpoint outside the database at intervals (audit/checkpoint.py); `audit_verify` walks
the chain against both."""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from common.net import client_address

from . import checkpoint
from .bulk import bulk_insert
from .models import AuditChainHead, AuditEvent

_CONTROL = {i: f"\\x{i:02x}" for i in range(32)}


def _clean(text):
    """Encode CR/LF and control characters so one event is always one line (SECURITY.md LOG-5)."""
    return str(text).translate(_CONTROL) if text is not None else ""


def _digest(prev_hash, fields):
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _hashed_fields(event):
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_username": event.actor_username,
        "actor_roles": event.actor_roles,
        "ip": event.ip,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "township_id": event.township_id,
        "village_id": event.village_id,
        "result": event.result,
        "message": event.message,
        "detail": event.detail,
    }


def client_ip(request):
    """The client's address (common.net: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies)."""
    return client_address(request)


def _actor_and_roles(actor, request):
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    roles = ""
    if actor is not None:
        roles = ",".join(sorted({m.role for m in actor.memberships.all()}))
    return actor, roles


def _event(
    *,
    actor,
    roles,
    request,
    action,
    obj=None,
    object_type="",
    object_id="",
    township_id=None,
    village_id=None,
    result=AuditEvent.Result.SUCCESS,
    message="",
    detail=None,
    username="",
):
    """An unsaved, unchained audit row."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_username=_clean(actor.username if actor is not None else username)[:150],
        actor_roles=roles[:200],
        ip=client_ip(request),
        action=action,
        object_type=object_type,
        object_id=_clean(object_id)[:40],
        township_id=township_id,
        village_id=village_id,
        result=result,
        message=_clean(message)[:300],
        detail=detail or {},
    )


def _seal_soon():
    """Seal right after the current transaction commits (once per transaction), or now outside one."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        audit_seal()
        return
    if any(func is _seal_after_commit for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_seal_after_commit, robust=True)


def _seal_after_commit():
    # Skip when another sealer holds the head: it, the next writer's seal or the beat seals these rows.
    audit_seal(wait=False)


def audit_log(
    *,
    action,
    actor=None,
    request=None,
    obj=None,
    object_type="",
    object_id="",
    township_id=None,
    village_id=None,
    result=AuditEvent.Result.SUCCESS,
    message="",
    detail=None,
    username="",
):
    """Append one audit row. It is inserted without any lock and chained by the sealer once committed."""
    actor, roles = _actor_and_roles(actor, request)
    event = _event(
        actor=actor,
        roles=roles,
        request=request,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        township_id=township_id,
        village_id=village_id,
        result=result,
        message=message,
        detail=detail,
        username=username,
    )
    event.save(force_insert=True)
    _seal_soon()
    return event


def audit_log_many(entries, *, actor=None, request=None):
    """Append several rows by one actor at once, in order, in one statement (chained like audit_log's).

    entries: dicts of audit_log's other keyword arguments (action, obj, township_id, message, …).
    """
    entries = list(entries)
    if not entries:
        return []
    actor, roles = _actor_and_roles(actor, request)
    events = bulk_insert(
        AuditEvent, [_event(actor=actor, roles=roles, request=request, **entry) for entry in entries]
    )
    _seal_soon()
    return events


SEAL_BATCH = 5000


def audit_seal(*, wait=True):
    """Chain the committed, unsealed rows in id order; returns how many were sealed.

    Holds the chain head's lock only for its own few statements. A row whose transaction commits while
    a sealing runs is sealed by the next one (its position then follows the rows sealed before it:
    the chain's order is `seq`, the order of sealing). `wait=False`: return 0 at once if another
    sealer holds the head (PostgreSQL; SQLite serialises writers anyway).
    """
    sealed = 0
    with transaction.atomic():
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if head is None:
            return 0
        while True:
            pending = list(AuditEvent.objects.filter(hash__isnull=True).order_by("id")[:SEAL_BATCH])
            if not pending:
                break
            for event in pending:
                head.last_seq += 1
                event.seq = head.last_seq
                event.prev_hash = head.last_hash
                event.hash = _digest(head.last_hash, _hashed_fields(event))
                head.last_hash = event.hash
            AuditEvent.objects.bulk_update(pending, ["seq", "prev_hash", "hash"])
            sealed += len(pending)
            if len(pending) < SEAL_BATCH:
                break
        if sealed:
            checkpoint.write_if_due(head)
            head.save()
    return sealed


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain fails to verify: the position, the row if there is one, and what is wrong."""

    seq: int | None
    message: str
    event: AuditEvent | None = None

    def __str__(self):
        return self.message


@dataclass
class ChainReport:
    rows: int = 0
    last_seq: int = 0
    pending: int = 0
    checkpoints: int = 0
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def audit_verify(*, seal=True, checkpoints=True):
    """Walk the whole chain in `seq` order and compare it with the head and the external checkpoints.

    Finds an edited or deleted row (its hash or its successor's link no longer matches), deleted last
    rows and a rewritten tail (a checkpoint kept outside the database names a position whose hash the
    database no longer has), and a head that does not match the last row. Seals pending rows first.
    `checkpoints=False`: the chain and its head only (a restored backup: the checkpoints go on past it).
    """
    if seal:
        audit_seal()
    report = ChainReport()
    marks, bad_lines = checkpoint.read() if checkpoints else ({}, [])
    report.checkpoints = len(marks)
    for line in bad_lines:
        report.problems.append(ChainProblem(None, f"外部检查点第{line}行签名无效（检查点文件被改动）"))
    prev, expected_seq = "", 1
    for event in AuditEvent.objects.filter(hash__isnull=False).order_by("seq").iterator(chunk_size=2000):
        report.rows += 1
        if event.seq != expected_seq:
            report.problems.append(
                ChainProblem(
                    expected_seq, f"第{expected_seq}条审计记录缺失（下一条为第{event.seq}条）", event
                )
            )
            expected_seq = event.seq
        if event.prev_hash != prev or _digest(prev, _hashed_fields(event)) != event.hash:
            report.problems.append(
                ChainProblem(event.seq, f"第{event.seq}条审计记录（编号{event.pk}）与哈希链不符", event)
            )
        mark = marks.pop(event.seq, None)
        if mark is not None and mark != event.hash:
            report.problems.append(
                ChainProblem(event.seq, f"第{event.seq}条审计记录与外部检查点不符（链从此处起被改写）", event)
            )
        prev, expected_seq = event.hash, event.seq + 1
        report.last_seq = event.seq
    for seq in sorted(marks):
        report.problems.append(
            ChainProblem(seq, f"外部检查点记有第{seq}条审计记录，数据库中已不存在（记录被删除）")
        )
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq, head.last_hash) != (report.last_seq, prev):
        report.problems.append(
            ChainProblem(
                report.last_seq or None,
                f"链头（第{head.last_seq}条）与最后一条审计记录（第{report.last_seq}条）不一致",
            )
        )
    report.pending = AuditEvent.objects.filter(hash__isnull=True).count()
    return report


def audit_verify_chain():
    """The first problem of the chain (a ChainProblem), or None when it verifies."""
    report = audit_verify()
    return report.problems[0] if report.problems else None


def audit_chain_head(*, using="default", cursor=None):
    """The chain's last sealed row as {"seq", "id", "hash"} (None when nothing is sealed yet): what a
    backup records and a restore must find again. Read on database alias `using`, or through a DB-API
    `cursor` on a copy of the database that is not configured as an alias (a backup's SQLite snapshot)."""
    if cursor is None:
        return (
            AuditEvent.objects.using(using)
            .filter(hash__isnull=False)
            .order_by("-seq")
            .values("seq", "id", "hash")
            .first()
        )
    cursor.execute(
        f'SELECT seq, id, hash FROM "{AuditEvent._meta.db_table}" WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1'
    )
    row = cursor.fetchone()
    return {"seq": row[0], "id": row[1], "hash": row[2]} if row else None
