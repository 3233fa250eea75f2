"""The single way to write an audit row. Every important write calls audit_log inside its transaction."""

import hashlib
import json

from django.db import transaction
from django.utils import timezone

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
    """The peer address. Behind a proxy, configure it to overwrite REMOTE_ADDR (SECURITY.md WEB-5)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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


def _chain(head, event):
    event.prev_hash = head.last_hash
    event.hash = _digest(head.last_hash, _hashed_fields(event))
    head.last_hash = event.hash


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
    """Append one audit row, chained to the previous one by sha256(prev_hash ‖ row)."""
    actor, roles = _actor_and_roles(actor, request)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
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
        _chain(head, event)
        event.save(force_insert=True)
        head.save(update_fields=["last_hash"])
    return event


def audit_log_many(entries, *, actor=None, request=None):
    """Append several rows by one actor at once: the rows successive audit_log calls would write, in
    order, chained under the same head lock, inserted in one statement.

    entries: dicts of audit_log's other keyword arguments (action, obj, township_id, message, …).
    """
    entries = list(entries)
    if not entries:
        return []
    actor, roles = _actor_and_roles(actor, request)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        events = [_event(actor=actor, roles=roles, request=request, **entry) for entry in entries]
        for event in events:
            _chain(head, event)
        bulk_insert(AuditEvent, events)
        head.save(update_fields=["last_hash"])
    return events


def audit_verify_chain():
    """Return the first event whose hash does not match its content or predecessor, or None."""
    prev = ""
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.prev_hash != prev or _digest(prev, _hashed_fields(event)) != event.hash:
            return event
        prev = event.hash
    return None


def audit_chain_head(*, using="default", cursor=None):
    """The chain's last row as {"id", "hash"} (None when there is no row yet): what a backup records and a
    restore must find again. Read on database alias `using`, or through a DB-API `cursor` on a copy of the
    database that is not configured as an alias (a backup's SQLite snapshot file)."""
    if cursor is None:
        return AuditEvent.objects.using(using).order_by("-id").values("id", "hash").first()
    cursor.execute(f'SELECT id, hash FROM "{AuditEvent._meta.db_table}" ORDER BY id DESC LIMIT 1')
    row = cursor.fetchone()
    return {"id": row[0], "hash": row[1]} if row else None
