"""The periodic re-check of stored evidence (SECURITY FILE-4): every uploaded file is hashed again and
compared with the SHA-256 taken at upload. A changed or missing file is reported to the administrators
(one notification listing them) and in the audit trail; nothing is changed or deleted."""

from django.db import transaction

from access.recipients import holders_q
from access.roles import Side
from accounts.models import Membership, User
from accounts.services import notify
from assessments.models import Evidence
from audit.services import audit_log
from common.storage import stored_sha256
from ledgers.models import RectificationEvidence


def _digest(field):
    """Streamed from the field's storage (an object store's file is not copied to disk first)."""
    return stored_sha256(field.name, storage=field.storage)[0]


def evidence_verify_all():
    """Returns {"checked": n, "problems": [(kind, id, name, "已改动" | "缺失")]}."""
    problems = []
    checked = 0
    sources = (
        ("测评佐证", Evidence.objects.only("pk", "file", "sha256", "original_name").order_by("pk")),
        (
            "整改佐证",
            RectificationEvidence.objects.only("pk", "file", "sha256", "original_name").order_by("pk"),
        ),
    )
    for label, rows in sources:
        for row in rows.iterator(chunk_size=500):
            checked += 1
            try:
                ok = _digest(row.file) == row.sha256
            except (FileNotFoundError, OSError):
                problems.append((label, str(row.pk), row.original_name, "缺失"))
                continue
            if not ok:
                problems.append((label, str(row.pk), row.original_name, "已改动"))
    audit_log(
        action="evidence.verify",
        result="failure" if problems else "success",
        message=f"复核 {checked} 个佐证文件，发现 {len(problems)} 个异常",
        detail={"checked": checked, "problems": problems[:200]},
    )
    if problems:
        admins = User.objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(holders_q("site", Side.MANAGER, anywhere=True)).values(
                "user_id"
            ),
        )
        lines = "\n".join(f"{label}「{name}」{state}（{pk}）" for label, pk, name, state in problems[:50])
        with transaction.atomic():
            notify(
                users=list(admins),
                title=f"佐证文件校验发现 {len(problems)} 个异常",
                body=f"以下文件与上传时记录的 SHA-256 不一致或已缺失，请从备份核查恢复：\n{lines}",
            )
    return {"checked": checked, "problems": problems}
