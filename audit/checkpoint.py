"""The chain head, written outside the database at intervals, so that deleting the last rows or
rewriting the chain from some row on is found even by someone who can change the database at will.

Each checkpoint is one line of JSON (position, hash, time) signed with an HMAC whose key is not in the
database (QL_AUDIT_CHECKPOINT_KEY, else derived from the Django secret key), appended to
QL_AUDIT_CHECKPOINT_FILE and logged to the `qinglian.audit.checkpoint` logger (ship it to syslog or
journald). In production the file lives where the app's user may append but not rewrite
(`chattr +a`, a separate volume, or a log shipper) — README 生产部署 / 审计日志.
"""

import hashlib
import hmac
import json
import logging
import os

from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger("qinglian.audit.checkpoint")


def _key():
    secret = settings.QL_AUDIT_CHECKPOINT_KEY or settings.SECRET_KEY
    return hashlib.sha256(f"qinglian.audit.checkpoint:{secret}".encode()).digest()


def _mac(seq, chain_hash, at):
    return hmac.new(_key(), f"{seq}|{chain_hash}|{at}".encode(), hashlib.sha256).hexdigest()


def write_if_due(head):
    """Record the head outside the database when it moved and the last checkpoint is old enough; the
    line is written once the sealing transaction commits (a rolled-back sealing leaves no mark)."""
    now = timezone.now()
    if head.last_seq <= head.checkpoint_seq:
        return
    if (
        head.checkpoint_at
        and (now - head.checkpoint_at).total_seconds() < settings.QL_AUDIT_CHECKPOINT_SECONDS
    ):
        return
    seq, chain_hash = head.last_seq, head.last_hash
    head.checkpoint_seq, head.checkpoint_at = seq, now
    transaction.on_commit(lambda: write(seq, chain_hash, now))


def write(seq, chain_hash, at):
    at = at.isoformat()
    line = json.dumps({"seq": seq, "hash": chain_hash, "at": at, "mac": _mac(seq, chain_hash, at)})
    log.info("audit checkpoint %s", line)
    path = settings.QL_AUDIT_CHECKPOINT_FILE
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def read():
    """({position: hash} of the valid checkpoints, [line numbers whose signature does not verify])."""
    path = settings.QL_AUDIT_CHECKPOINT_FILE
    marks, bad = {}, []
    if not path or not os.path.exists(path):
        return marks, bad
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                mark = json.loads(line)
                seq, chain_hash, at = int(mark["seq"]), str(mark["hash"]), str(mark["at"])
                valid = hmac.compare_digest(str(mark["mac"]), _mac(seq, chain_hash, at))
            except (ValueError, KeyError, TypeError):
                valid = False
            if valid:
                marks[seq] = chain_hash
            else:
                bad.append(number)
    return marks, bad
