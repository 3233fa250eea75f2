"""Each unit's monthly ledgers from April: mostly on time, some late, a few missing, many zero reports;
problems with their deductions, about half confirmed (a village's confirmed deductions stay within 1
point a year, so no demo grade moves)."""

import datetime
import random
from decimal import Decimal

from ..compliance import LEDGER_START_MONTH, due_date
from ..models import LedgerEntry, LedgerSubmission
from .base import at

E = LedgerEntry
FINDINGS = [
    ("三务公开栏财务收支未按月更新", "补齐公开内容并建立月度更新台账", E.Category.DISCLOSURE, "V3.2"),
    (
        "两笔村级开支无村务监督委员会审核签字",
        "补办审核手续，今后逐笔审核签字",
        E.Category.SUPERVISION,
        "V5.1",
    ),
    ("村集体土地承包合同到期未续签", "召开村民代表会议研究处置并公开结果", E.Category.SANZI, "V2.3"),
    ("小型工程验收资料不全", "补齐验收和结算资料并归档", E.Category.PROJECT, "V2.4"),
    ("低保评议会议记录缺失", "补充评议记录，规范评议程序", E.Category.BENEFIT, "V3.4"),
    (
        "村级重大事项未按“四议两公开”程序决策",
        "补充决策程序记录，重大事项一律按程序办理",
        E.Category.SIYI,
        "V2.1",
    ),
    ("村干部值班记录不完整", "落实值班制度，每日如实记录", E.Category.CONDUCT, "V1.4"),
]
# The plan's eight tasks (seed 001's 工作要点, in our own words), each with keywords naming its units.


def seed_monthly(t, year):
    rnd = random.Random(f"{t.township.name}{year}ledger")
    due_day = t.township.ledger_due_day
    subs, entries = [], []
    for unit in t.units:
        villages = list(unit.villages.all())
        for month in range(LEDGER_START_MONTH, 13):
            due = due_date(year, month, due_day)
            if due >= t.today:
                break  # not due yet: the unit still has time
            roll = rnd.random()
            if roll < 0.06:
                continue  # 未报
            if roll < 0.18:
                day = due + datetime.timedelta(days=rnd.randint(1, 6))
            else:
                day = due - datetime.timedelta(days=rnd.randint(0, 3))
            if day > t.today:
                continue  # late and not in yet
            zero = rnd.random() < 0.4 or not villages
            sub = LedgerSubmission(
                unit=unit,
                year=year,
                month=month,
                status=LedgerSubmission.Status.SUBMITTED,
                zero_report=zero,
                filled_by_name=unit.contact_name,
                approved_by_name=unit.leader_name,
                submitted_at=at(day),
            )
            subs.append(sub)
            if not zero:
                entries += [(sub, seq, rnd) for seq in range(1, rnd.randint(1, 3) + 1)]
    LedgerSubmission.objects.bulk_create(subs)
    rows = [_entry(t, sub, seq, rnd, year) for sub, seq, rnd in entries]
    LedgerEntry.objects.bulk_create(rows, batch_size=500)
    t.problems += [e for e in rows if e.level]
    return len(subs)


def _entry(t, sub, seq, rnd, year):
    unit = next(u for u in t.units if u.pk == sub.unit_id)
    village = rnd.choice(list(unit.villages.all()))
    finding, requirement, category, indicator = rnd.choice(FINDINGS)
    checked = datetime.date(year, sub.month, rnd.randint(1, 28))
    amount = Decimal("0.5") * rnd.randint(1, 2)
    entry = LedgerEntry(
        submission=sub,
        seq=seq,
        village=village,
        category=category,
        indicator_code=indicator,
        method=rnd.choice([E.Method.ROUTINE] * 3 + [E.Method.SPECIAL, E.Method.PLATFORM, E.Method.PUBLIC]),
        checked_on=checked,
        checker=f"{unit.name}检查组",
        finding=finding,
        level=E.Level.SERIOUS if rnd.random() < 0.1 else E.Level.GENERAL,
        proposed_deduction=amount,
        requirement=requirement,
        owner="村党组织书记",
        deadline=checked + datetime.timedelta(days=30),
        self_reported=rnd.random() < 0.1,
    )
    # The township confirms about half of the deductions; a village's confirmed total stays within
    # 1 point a year so the demo's grades (2.5 points clear of each line) never move.
    key = (village.pk, year)
    if rnd.random() < 0.5 and t.confirmed.get(key, 0) + amount <= 1:
        t.confirmed[key] = t.confirmed.get(key, 0) + amount
        entry.deduction_confirmed, entry.confirmed_deduction = True, amount
    if entry.deadline < t.today - datetime.timedelta(days=20):
        entry.rectify_status, entry.closed_on = E.RectifyStatus.CLOSED, entry.deadline
    else:
        entry.rectify_status = E.RectifyStatus.IN_PROGRESS
    return entry
