"""Writes of a township's set-up pages: its settings (ledger due day, reminder lead times) and its
creation-batch plan (任务分解表). Keyword-only, atomic, one audit row each naming the actor with the old
and new values; refusals are common.errors exceptions with the message the page shows."""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_log
from common.errors import ConflictError, InvalidInputError

from .models import CreationBatch, Township, Village, format_reminder_days, parse_reminder_days

SETTINGS_ACTION = "township.settings"
PLAN_ACTION = "township.batch_plan"
FIRST_PLAN_YEAR = 2015
PLAN_YEARS_AHEAD = 10
DUE_DAY_MESSAGE = "台账报送截止日须为 1 到 28 之间的整数。"
SETTINGS_CONFLICT = "镇街设置已被他人修改，您的修改未保存。请核对下方的最新设置后重新保存。"


def parse_due_day(value):
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 28:
        raise InvalidInputError(DUE_DAY_MESSAGE)
    return int(text)


def township_settings_update(*, township, actor, ledger_due_day, reminder_days, expected=None, request=None):
    """Set the ledger due day (1–28) and the reminder lead times ("7,3,1,0").

    `expected`: the (ledger_due_day, reminder_days) the user's form was loaded with; when the stored
    values differ, someone else saved meanwhile and ConflictError is raised without writing.
    Returns the dict of changes {field: [old, new]} (empty when nothing changed: no row, no audit).
    """
    due_day = parse_due_day(ledger_due_day)
    days = format_reminder_days(parse_reminder_days(reminder_days))
    with transaction.atomic():
        t = Township.objects.select_for_update().get(pk=township.pk)
        if expected is not None and (t.ledger_due_day, t.reminder_days) != tuple(expected):
            raise ConflictError(SETTINGS_CONFLICT)
        new = {"ledger_due_day": due_day, "reminder_days": days}
        changes = {f: [getattr(t, f), v] for f, v in new.items() if getattr(t, f) != v}
        if changes:
            for field, (_, value) in changes.items():
                setattr(t, field, value)
            t.save(update_fields=list(changes))
            labels = {"ledger_due_day": "台账报送截止日", "reminder_days": "截止日提醒"}
            audit_log(
                action=SETTINGS_ACTION,
                actor=actor,
                request=request,
                obj=t,
                township_id=t.pk,
                message=f"修改{t.name}镇街设置：" + "、".join(labels[f] for f in changes),
                detail={"changes": changes},
            )
    township.__dict__.update({f: getattr(t, f) for f in ("ledger_due_day", "reminder_days")})
    return changes


def plan_year_range(today=None):
    today = today or timezone.localdate()
    return FIRST_PLAN_YEAR, today.year + PLAN_YEARS_AHEAD


def _int(value):
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _village_id(raw, villages):
    village_id = _int(raw)
    if village_id not in villages:
        raise InvalidInputError("所选村（社区）不属于本镇街，请刷新页面后重试。")
    return village_id


def _year(raw, first, last):
    year = _int(raw)
    if year is None or not first <= year <= last:
        raise InvalidInputError(f"计划完成年度须在 {first} 到 {last} 年之间。")
    return year


def _plan_snapshot(batches):
    """{year: {"villages": [names], "benchmark": name or ""}} for the audit detail, by year."""
    plan = {}
    for b in sorted(batches, key=lambda b: (b.year, b.village.sort_order, b.village.name)):
        year = plan.setdefault(str(b.year), {"villages": [], "benchmark": ""})
        year["villages"].append(b.village.name)
        if b.is_benchmark:
            year["benchmark"] = b.village.name
    return plan


def creation_plan_save(*, township, actor, years, benchmarks, request=None, today=None):
    """Replace the township's creation-batch plan, all or nothing.

    `years`: (village id, year) pairs, one per village in a batch; `benchmarks`: (village id, year) pairs
    marking the 标杆村 (ids and years as the page posts them, strings or numbers).

    A village is in at most one batch, only villages of this township, years in a sane range, and each
    year with villages has exactly one 标杆村 among them. Returns (old plan, new plan) by year; nothing is
    written and no audit row when the plan is unchanged.
    """
    first, last = plan_year_range(today)
    villages = {v.pk: v for v in Village.objects.filter(township=township)}
    chosen = {}  # village id → (year, is_benchmark)
    for raw_village, raw_year in years:
        village_id = _village_id(raw_village, villages)
        year = _year(raw_year, first, last)
        if village_id in chosen:
            raise InvalidInputError(f"“{villages[village_id].name}”只能列入一个年度的创建批次。")
        chosen[village_id] = (year, False)
    for raw_village, raw_year in benchmarks:
        village_id = _village_id(raw_village, villages)
        year = _year(raw_year, first, last)
        if chosen.get(village_id, (None,))[0] != year:
            raise InvalidInputError(f"标杆村“{villages[village_id].name}”须列入{year}年的创建批次。")
        chosen[village_id] = (year, True)
    by_year = {}
    for village_id, (year, benchmark) in chosen.items():
        by_year.setdefault(year, []).append((villages[village_id], benchmark))
    for year in sorted(by_year):
        marks = [v.name for v, benchmark in by_year[year] if benchmark]
        if not marks:
            raise InvalidInputError(f"{year}年的创建批次须指定一个标杆村。")
        if len(marks) > 1:
            raise InvalidInputError(f"{year}年只能有一个标杆村（现选了{'、'.join(marks)}）。")
    with transaction.atomic():
        # one plan save per township at a time (PostgreSQL); the old plan read under the lock
        list(Township.objects.select_for_update().filter(pk=township.pk).order_by().values_list("pk"))
        old_batches = list(CreationBatch.objects.filter(township=township).select_related("village"))
        new_batches = [
            CreationBatch(township=township, village=villages[vid], year=year, is_benchmark=benchmark)
            for vid, (year, benchmark) in chosen.items()
        ]
        old, new = _plan_snapshot(old_batches), _plan_snapshot(new_batches)
        if old == new:
            return old, new
        CreationBatch.objects.filter(township=township).delete()
        CreationBatch.objects.bulk_create(new_batches)
        audit_log(
            action=PLAN_ACTION,
            actor=actor,
            request=request,
            obj=township,
            township_id=township.pk,
            message=f"修改{township.name}创建批次计划："
            + ("；".join(f"{y}年 {len(p['villages'])} 个" for y, p in new.items()) or "清空"),
            detail={"old": old, "new": new},
        )
    return old, new
