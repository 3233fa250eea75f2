"""Writes of the monthly ledger: web save, Excel import, submission and the township's confirmation.

Every write is one atomic function that also writes an audit row. Rows are keyed by 序号 (`seq`) so a
second upload of the same month updates, adds and deletes rows instead of duplicating them.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assessments.readmodels import township_data_changed
from audit.models import AuditEvent
from audit.services import audit_log
from common.dates import cn_date
from common.errors import ApplicationError, ConflictError
from common.xlsx import WorkbookRefused, read_upload

from ..excel import parse_ledger
from ..models import LedgerEntry, LedgerSubmission

ROW_FIELDS = (
    "village_id", "category", "indicator_code", "method", "checked_on", "checker", "finding", "level",
    "proposed_deduction", "requirement", "owner", "deadline", "rectify_status", "rectify_note",
    "closed_on", "self_reported", "note",
)  # fmt: skip


class LedgerError(ApplicationError):
    """A write refused with a message for the user."""


class LedgerConflict(LedgerError, ConflictError):
    """Someone else saved the ledger month or the entry since this page was loaded."""


def _ledger_conflict(submission, what):
    """Names the stored ledger month (rows, state) and who saved it last."""
    last = (
        AuditEvent.objects.filter(
            action__in=("ledger.save", "ledger.import", "ledger.submit"), object_id=str(submission.pk)
        )
        .order_by("-at", "-id")
        .values("actor_username", "at")
        .first()
    )
    who = ""
    if last:
        when = cn_date(timezone.localtime(last["at"]), with_time=True)
        who = f"，{last['actor_username'] or '系统'}于{when}保存"
    rows = submission.entries.count()
    stored = "本月无问题（零报告）" if submission.zero_report else f"{rows} 条记录"
    return LedgerConflict(
        f"台账已被他人修改（当前为{stored}，{submission.get_status_display()}{who}），您的{what}未保存。"
        "您填写的内容仍在下方，请核对最新台账后重新填写。",
        current=submission,
    )


@dataclass
class ImportResult:
    ok: bool = False
    problems: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    deleted: int = 0
    sha256: str = ""

    def summary(self):
        return f"新增 {self.created} 条，更新 {self.updated} 条，删除 {self.deleted} 条"


def _normalise(row):
    out = {k: row.get(k) for k in ROW_FIELDS}
    out["proposed_deduction"] = Decimal(out["proposed_deduction"] or 0).quantize(Decimal("0.01"))
    for key in (
        "indicator_code",
        "finding",
        "level",
        "requirement",
        "owner",
        "rectify_status",
        "rectify_note",
        "note",
        "checker",
    ):
        out[key] = out[key] or ""
    out["self_reported"] = bool(out["self_reported"])
    return out


def _reconcile(submission, rows):
    """Make the ledger's rows equal `rows` (dicts with seq): (created, updated, deleted)."""
    existing = {e.seq: e for e in submission.entries.all()}
    wanted = {r["seq"]: _normalise(r) for r in rows}
    to_create, to_update, changed_fields = [], [], set()
    for seq, values in wanted.items():
        entry = existing.get(seq)
        if entry is None:
            to_create.append(LedgerEntry(submission=submission, seq=seq, **values))
            continue
        diff = [k for k, v in values.items() if getattr(entry, k) != v]
        if diff:
            for k in diff:
                setattr(entry, k, values[k])
            changed_fields.update(diff)
            to_update.append(entry)
    gone = [e.pk for seq, e in existing.items() if seq not in wanted]
    if gone:
        LedgerEntry.objects.filter(pk__in=gone).delete()
    if to_update:
        LedgerEntry.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
    if to_create:
        LedgerEntry.objects.bulk_create(to_create, batch_size=1000)
    return len(to_create), len(to_update), len(gone)


def _locked_submission(unit, year, month):
    submission, _ = LedgerSubmission.objects.select_for_update().get_or_create(
        unit=unit, year=year, month=month
    )
    township_data_changed(unit.township_id)  # the dashboards' compliance figures
    return submission


def ledger_save_web(*, unit, year, month, header, rows, version, actor, request=None):
    """Save the web form (draft or correction of a submitted ledger). `version` guards lost updates."""
    if version is None:
        raise LedgerError("页面已过期，请刷新页面后重新填写。")
    with transaction.atomic():
        submission = _locked_submission(unit, year, month)
        if version != submission.version:
            raise _ledger_conflict(submission, "修改")
        if header["zero_report"] and rows:
            raise LedgerError("勾选“本月无问题”（零报告）时不能有记录，请删除记录或取消勾选。")
        counts = _reconcile(submission, rows)
        submission.zero_report = header["zero_report"]
        submission.filled_by_name = header["filled_by_name"]
        submission.approved_by_name = header["approved_by_name"]
        submission.source = LedgerSubmission.Source.WEB
        submission.version += 1
        submission.save()
        audit_log(
            action="ledger.save", actor=actor, request=request, obj=submission, township_id=unit.township_id,
            message=f"{unit.name} {year}年{month}月台账保存",
            detail=dict(zip(("created", "updated", "deleted"), counts, strict=True)),
        )  # fmt: skip
    return submission, counts


def ledger_import_excel(
    *, unit, year, month, file, villages, indicator_codes, max_bytes, actor, request=None, version=None
):
    """Validate the whole workbook, then reconcile the month's rows in one transaction.

    `version` is the month's version the uploading page showed: a month saved by someone else since is
    not overwritten (LedgerConflict). Scripts that replace the month on purpose pass None."""
    result = ImportResult()
    try:
        data = read_upload(file, max_bytes)
        result.sha256 = hashlib.sha256(data).hexdigest()
        parsed = parse_ledger(
            data, unit=unit, year=year, month=month, villages=villages, indicator_codes=indicator_codes
        )
        result.problems = parsed.problems
    except WorkbookRefused as refused:
        result.problems = refused.problems
    if result.problems:
        audit_log(
            action="ledger.import", actor=actor, request=request, object_type="ledgers.ledgersubmission",
            township_id=unit.township_id, result=AuditEvent.Result.FAILURE,
            message=f"{unit.name} {year}年{month}月台账导入失败：{len(result.problems)} 个问题",
            detail={"sha256": result.sha256, "problems": len(result.problems), "unit": unit.pk},
        )  # fmt: skip
        return result
    with transaction.atomic():
        submission = _locked_submission(unit, year, month)
        if version is not None and version != submission.version:
            raise _ledger_conflict(submission, "上传")
        result.created, result.updated, result.deleted = _reconcile(submission, parsed.rows)
        submission.zero_report = parsed.zero_report
        submission.filled_by_name = parsed.filled_by or submission.filled_by_name
        submission.approved_by_name = parsed.approved_by or submission.approved_by_name
        submission.source = LedgerSubmission.Source.EXCEL
        submission.source_sha256 = result.sha256
        submission.version += 1
        submission.save()
        audit_log(
            action="ledger.import", actor=actor, request=request, obj=submission, township_id=unit.township_id,
            message=f"{unit.name} {year}年{month}月台账导入：{result.summary()}",
            detail={"sha256": result.sha256, "created": result.created, "updated": result.updated,
                    "deleted": result.deleted, "rows": len(parsed.rows)},
        )  # fmt: skip
    result.ok = True
    return result


def ledger_submit(*, unit, year, month, actor, request=None, version=None):
    """Mark the month as reported. A re-submission keeps the first submitted_at (compliance)."""
    with transaction.atomic():
        submission = (
            LedgerSubmission.objects.select_for_update().filter(unit=unit, year=year, month=month).first()
        )
        if submission is None:
            raise LedgerError("请先填写或上传本月台账，再报送。")
        if version is not None and version != submission.version:
            raise _ledger_conflict(submission, "报送")
        rows = submission.entries.count()
        if submission.zero_report and rows:
            raise LedgerError("零报告（本月无问题）不能有记录。")
        if not submission.zero_report and not rows:
            raise LedgerError("台账没有任何记录；如本月无问题，请勾选“本月无问题”后保存，再报送。")
        first = submission.submitted_at is None
        submission.status = LedgerSubmission.Status.SUBMITTED
        if first:
            submission.submitted_at = timezone.now()
            submission.submitted_by = actor
        submission.version += 1
        submission.save()
        township_data_changed(unit.township_id)  # the compliance figures and the city's cached list
        audit_log(
            action="ledger.submit", actor=actor, request=request, obj=submission, township_id=unit.township_id,
            message=f"{unit.name} {year}年{month}月台账{'报送' if first else '重新报送'}",
            detail={"rows": rows, "zero_report": submission.zero_report, "first": first},
        )  # fmt: skip
    return submission


def entry_confirm_deduction(*, entry, deduction, reason, actor, expect_unconfirmed=True, request=None):
    """The township confirms a problem's deduction; a changed amount needs a reason.

    The page offers the confirmation only while the entry is unconfirmed (`expect_unconfirmed`): a
    deduction another reviewer confirmed meanwhile is not overwritten (ConflictError with the stored
    value), nor is an entry the unit removed meanwhile touched."""
    if deduction is None:
        deduction = entry.proposed_deduction
    if deduction < 0:
        raise LedgerError("确认扣分不能为负数。")
    if deduction != entry.proposed_deduction and not reason.strip():
        raise LedgerError("确认扣分与拟扣分不同，请填写调整理由。")
    with transaction.atomic():
        try:
            entry = (
                LedgerEntry.objects.select_for_update().select_related("submission__unit").get(pk=entry.pk)
            )
        except LedgerEntry.DoesNotExist:
            raise LedgerConflict(
                "该记录已被填报单位修改或删除，扣分未确认。请核对最新台账后重新确认。"
            ) from None
        if expect_unconfirmed and entry.deduction_confirmed:
            last = (
                AuditEvent.objects.filter(action="ledger.entry_confirm", object_id=str(entry.pk))
                .order_by("-at", "-id")
                .values_list("actor_username", flat=True)
                .first()
            )
            who = f"（{last}确认）" if last else ""
            raise LedgerConflict(
                f"第 {entry.seq} 条记录的扣分已被他人确认为 {entry.confirmed_deduction} 分{who}，"
                f"您填写的 {deduction} 分未保存。",
                current=entry,
            )
        if not entry.level:
            raise LedgerError("该记录没有问题，无需确认扣分。")
        entry.confirmed_deduction = deduction
        entry.deduction_confirmed = True
        entry.save(update_fields=["confirmed_deduction", "deduction_confirmed"])
        audit_log(
            action="ledger.entry_confirm", actor=actor, request=request, obj=entry,
            township_id=entry.submission.unit.township_id, village_id=entry.village_id,
            message=f"确认扣分 {deduction}（拟扣分 {entry.proposed_deduction}）",
            detail={"proposed": str(entry.proposed_deduction), "confirmed": str(deduction), "reason": reason},
        )  # fmt: skip
    return entry
