"""Demo ledgers for 鲍沟镇: this year's months from April, mostly on time, some late, some missing, zero
reports, a few problems turned into rectification items in each state. Deterministic; skipped when
the township already has ledgers."""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .compliance import LEDGER_START_MONTH
from .models import LedgerEntry, LedgerSubmission, Rectification
from .services.rectification import rectification_from_ledger_entry

FINDINGS = [
    ("三务公开栏财务收支未按月更新", "补齐公开内容并建立月度更新台账", LedgerEntry.Category.DISCLOSURE),
    (
        "两笔村级开支无村务监督委员会审核签字",
        "补办审核手续，今后逐笔审核签字",
        LedgerEntry.Category.SUPERVISION,
    ),
    ("村集体土地承包合同到期未续签", "召开村民代表会议研究处置并公开结果", LedgerEntry.Category.SANZI),
    ("小型工程验收资料不全", "补齐验收和结算资料并归档", LedgerEntry.Category.PROJECT),
    ("低保评议会议记录缺失", "补充评议记录，规范评议程序", LedgerEntry.Category.BENEFIT),
]


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


@transaction.atomic
def seed_ledgers(*, township, reviewer, today=None):
    if LedgerSubmission.objects.filter(unit__township=township).exists():
        return 0
    today = today or timezone.localdate()
    rnd = random.Random(2026)
    problems = []
    for unit in township.units.prefetch_related("villages"):
        villages = list(unit.villages.all())
        for month in range(LEDGER_START_MONTH, today.month):
            nxt = datetime.date(today.year + month // 12, month % 12 + 1, township.ledger_due_day)
            roll = rnd.random()
            if roll < 0.07:
                continue  # 未报
            late = roll < 0.18
            day = (
                nxt + datetime.timedelta(days=rnd.randint(1, 4))
                if late
                else nxt - datetime.timedelta(days=rnd.randint(0, 1))
            )
            zero = rnd.random() < 0.45
            sub = LedgerSubmission.objects.create(
                unit=unit,
                year=today.year,
                month=month,
                status=LedgerSubmission.Status.SUBMITTED,
                zero_report=zero,
                filled_by_name=unit.contact_name,
                approved_by_name=unit.leader_name,
                submitted_at=_at(day),
            )
            if zero:
                continue
            for seq in range(1, rnd.randint(1, 3) + 1):
                finding, requirement, category = rnd.choice(FINDINGS)
                checked = datetime.date(today.year, month, rnd.randint(1, 28))
                entry = LedgerEntry.objects.create(
                    submission=sub,
                    seq=seq,
                    village=rnd.choice(villages),
                    category=category,
                    method=LedgerEntry.Method.ROUTINE,
                    checked_on=checked,
                    checker=f"{unit.name}检查组",
                    finding=finding,
                    level=LedgerEntry.Level.GENERAL,
                    proposed_deduction=Decimal("0.5") * rnd.randint(1, 2),
                    requirement=requirement,
                    owner="村党组织书记",
                    deadline=checked + datetime.timedelta(days=30),
                )
                problems.append(entry)
    # A few problems become rectification items: open (some overdue), responded, closed.
    for i, entry in enumerate(problems[:12]):
        item = rectification_from_ledger_entry(entry=entry, actor=reviewer)
        if i % 3 == 1:
            Rectification.objects.filter(pk=item.pk).update(
                status=Rectification.Status.RESPONDED,
                response="已按要求整改，相关材料已补齐。",
                responded_at=timezone.now(),
            )
        elif i % 3 == 2:
            Rectification.objects.filter(pk=item.pk).update(
                status=Rectification.Status.CLOSED,
                response="已整改。",
                verify_note="经核查已整改到位。",
                closed_on=entry.deadline,
            )
        if i % 2 == 0:
            LedgerEntry.objects.filter(pk=entry.pk).update(
                deduction_confirmed=True, confirmed_deduction=entry.proposed_deduction
            )
    return len(problems)


def seed_demo_ledgers(demo):
    """Demo seeder (see portal/registry.py): 鲍沟镇's ledgers and rectifications, after its accounts."""
    seed_ledgers(township=demo.baogou, reviewer=demo.users["demo_jiwei"])
