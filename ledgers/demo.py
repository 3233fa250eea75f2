"""Demo ledgers, plan tasks and rectification items of every demo township, for every demo year (2024,
2025 and the current year): each unit's monthly ledgers from April (mostly on time, some late, a few
missing, many zero reports), problems with their deductions (a village's confirmed deductions stay
within 1 point a year, so no demo grade moves), the plan's eight tasks with the units' monthly progress,
and rectification items in every state from the ledgers, the township review and the city's feedback.

Deterministic (a seeded random per township and year). A township that already has ledgers is left as
it is, so running seed_demo again creates nothing.
"""

import calendar
import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership
from assessments.models import Assessment, Campaign
from assessments.services.totals import assessment_recompute

from .compliance import LEDGER_START_MONTH, due_date
from .models import LedgerEntry, LedgerSubmission, PlanTask, Rectification, RectificationEvent, TaskProgress

E = LedgerEntry
R = Rectification.Status
T = PlanTask.Status
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
TASKS = [
    (
        "班子清廉",
        "党建引领建强班子：落实“三会一课”、28日党员活动日，开展村党组织书记履职评估。",
        ("组织", "党建"),
        "6月底",
    ),
    ("班子清廉", "强化管理激励担当：健全村干部考核细则，考核结果与报酬挂钩。", ("组织", "纪委"), "9月底"),
    (
        "村务清爽",
        "规范阳光村务：重大事项“阳光议事”，党务、村务、财务按月公开。",
        ("民政", "经管"),
        "长期推进",
    ),
    (
        "监督清晰",
        "加强村务监督委员会建设：村务监督委员会全程参与重大事项和工程项目。",
        ("纪委", "民政"),
        "6月底",
    ),
    (
        "监督清晰",
        "构建协同联动格局：纪律监督、群众监督和部门监督贯通，问题线索统一移交。",
        ("纪委",),
        "12月底",
    ),
    (
        "权力清源",
        "加强集体“三资”监管：“三资”委托代理、去现金化，合同和票据规范管理。",
        ("经管", "农业", "财政"),
        "9月底",
    ),
    (
        "民风清朗",
        "挖掘清廉元素打造品牌阵地：修订村规民约，每村建设一处清廉文化阵地。",
        ("党建", "组织", "卫健"),
        "11月底",
    ),
    ("民风清朗", "抓好信访稳定：矛盾纠纷排查化解，信访积案清零。", ("司法", "纪委", "民政"), "长期推进"),
]
PROGRESS_TEXT = {
    T.IN_PROGRESS: "已完成部署，正在逐村推进，本月完成{n}个村。",
    T.DONE: "已全部完成，材料已归档备查。",
}


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def demo_years(today):
    """The years the demo has: its two campaigns' years and the current one."""
    return sorted({2024, 2025, today.year})


class _Township:
    """One township's demo ledgers, tasks and rectifications, collected and written in bulk."""

    def __init__(self, township, reviewer, reporters, today):
        self.township, self.reviewer, self.reporters, self.today = township, reviewer, reporters, today
        self.units = list(township.units.prefetch_related("villages").order_by("sort_order"))
        self.confirmed = {}  # (village id, year) → confirmed deduction so far
        self.problems = []  # entries with a problem, in date order per year

    # -- ledgers ----------------------------------------------------------------------------------------

    def ledgers(self, year):
        rnd = random.Random(f"{self.township.name}{year}ledger")
        due_day = self.township.ledger_due_day
        subs, entries = [], []
        for unit in self.units:
            villages = list(unit.villages.all())
            for month in range(LEDGER_START_MONTH, 13):
                due = due_date(year, month, due_day)
                if due >= self.today:
                    break  # not due yet: the unit still has time
                roll = rnd.random()
                if roll < 0.06:
                    continue  # 未报
                if roll < 0.18:
                    day = due + datetime.timedelta(days=rnd.randint(1, 6))
                else:
                    day = due - datetime.timedelta(days=rnd.randint(0, 3))
                if day > self.today:
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
                    submitted_at=_at(day),
                )
                subs.append(sub)
                if not zero:
                    entries += [(sub, seq, rnd) for seq in range(1, rnd.randint(1, 3) + 1)]
        LedgerSubmission.objects.bulk_create(subs)
        rows = [self._entry(sub, seq, rnd, year) for sub, seq, rnd in entries]
        LedgerEntry.objects.bulk_create(rows, batch_size=500)
        self.problems += [e for e in rows if e.level]
        return len(subs)

    def _entry(self, sub, seq, rnd, year):
        unit = next(u for u in self.units if u.pk == sub.unit_id)
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
            method=rnd.choice(
                [E.Method.ROUTINE] * 3 + [E.Method.SPECIAL, E.Method.PLATFORM, E.Method.PUBLIC]
            ),
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
        if rnd.random() < 0.5 and self.confirmed.get(key, 0) + amount <= 1:
            self.confirmed[key] = self.confirmed.get(key, 0) + amount
            entry.deduction_confirmed, entry.confirmed_deduction = True, amount
        if entry.deadline < self.today - datetime.timedelta(days=20):
            entry.rectify_status, entry.closed_on = E.RectifyStatus.CLOSED, entry.deadline
        else:
            entry.rectify_status = E.RectifyStatus.IN_PROGRESS
        return entry

    # -- plan tasks -------------------------------------------------------------------------------------

    def tasks(self, year):
        rnd = random.Random(f"{self.township.name}{year}tasks")
        made, links, progress = [], [], []
        for number, (key_point, text, keywords, deadline_text) in enumerate(TASKS, start=1):
            units = [u for u in self.units if any(k in u.name for k in keywords)] or self.units[:1]
            ongoing = deadline_text == "长期推进"
            deadline = None
            if not ongoing:
                month = int(deadline_text.removesuffix("月底"))
                deadline = datetime.date(year, month, calendar.monthrange(year, month)[1])
            status = self._task_status(ongoing, deadline, number, rnd)
            task = PlanTask(
                township=self.township,
                year=year,
                number=number,
                key_point=key_point,
                task=text,
                measures="每月调度推进情况，责任单位按月填报进展。（演示数据）",
                lead_unit=units[0],
                units_text="、".join(u.name for u in units),
                deadline_text=f"{year}年{deadline_text}" if not ongoing else deadline_text,
                deadline=deadline,
                status=status,
            )
            made.append(task)
            links.append(units)
            progress.append(self._progress(task, units, status, rnd))
        PlanTask.objects.bulk_create(made)
        through = PlanTask.units.through
        through.objects.bulk_create(
            [
                through(plantask_id=t.pk, responsibleunit_id=u.pk)
                for t, units in zip(made, links, strict=True)
                for u in units
            ]
        )
        rows = [row for rows in progress for row in rows]
        for row in rows:
            row.task_id = row.task.pk
        TaskProgress.objects.bulk_create(rows, batch_size=500)

    def _task_status(self, ongoing, deadline, number, rnd):
        if ongoing:
            return T.ONGOING
        if deadline < self.today:
            # past deadlines: done, except (from 2025 on) one task still being finished: overdue
            return T.IN_PROGRESS if number == 2 and deadline.year >= 2025 else T.DONE
        return T.NOT_STARTED if rnd.random() < 0.3 else T.IN_PROGRESS

    def _progress(self, task, units, status, rnd):
        """The units' monthly reports, ending where the task's status says."""
        if status == T.NOT_STARTED:
            return []
        if status == T.DONE:
            last = task.deadline
        elif task.year < self.today.year:
            last = datetime.date(task.year, 12, 31)
        else:
            last = self.today
        last = min(last, self.today - datetime.timedelta(days=1))
        months = list(range(max(LEDGER_START_MONTH, last.month - 2), last.month + 1))
        rows = []
        for unit in units:
            for i, month in enumerate(months):
                final = i == len(months) - 1
                st = T.DONE if status == T.DONE and final else T.IN_PROGRESS
                rows.append(
                    TaskProgress(
                        task=task,
                        unit=unit,
                        year=task.year,
                        month=month,
                        text=PROGRESS_TEXT[st].format(n=rnd.randint(3, 12)),
                        status=st,
                        reported_by=self.reporters.get(unit.pk),
                    )
                )
        return rows

    # -- rectification items ----------------------------------------------------------------------------

    def rectifications(self):
        """Ledger problems turned into items: older ones closed, recent ones open (some overdue) or
        answered and waiting for acceptance; plus items from the township's review and the city's feedback."""
        rnd = random.Random(f"{self.township.name}rectify")
        items, events = [], []
        by_year = {}
        for entry in self.problems:
            by_year.setdefault(entry.checked_on.year, []).append(entry)
        converted = []
        for _year, entries in sorted(by_year.items()):
            for entry in rnd.sample(entries, min(len(entries), 10)):
                items.append(self._from_ledger(entry, rnd))
                converted.append(entry)
        # the unit's own 整改状态 column follows the item
        for entry, item in zip(converted, items, strict=True):
            entry.rectify_status, entry.closed_on = item.status, item.closed_on
        LedgerEntry.objects.bulk_update(converted, ["rectify_status", "closed_on"])
        items += self._from_assessments()
        Rectification.objects.bulk_create(items)
        for item in items:
            events += self._events(item)
        RectificationEvent.objects.bulk_create(events)
        return len(items)

    def _state(self, deadline, rnd):
        """closed long after the deadline; recent: open, answered or closed (an open one past its
        deadline is overdue)."""
        if deadline < self.today - datetime.timedelta(days=60):
            return R.CLOSED if rnd.random() < 0.9 else R.OPEN
        return rnd.choice([R.OPEN, R.OPEN, R.RESPONDED, R.CLOSED])

    def _item(self, *, village, source, problem, requirement, deadline, rnd=None, status=None, **links):
        status = status or self._state(deadline, rnd)
        item = Rectification(
            township=self.township,
            village=village,
            source=source,
            problem=problem,
            requirement=requirement,
            owner="村党组织书记",
            deadline=deadline,
            status=status,
            created_by=self.reviewer,
            **links,
        )
        if status in (R.RESPONDED, R.CLOSED):
            item.response = "已按要求整改，相关材料已补齐。"
            item.responded_at = _at(min(deadline, self.today) - datetime.timedelta(days=3))
        if status == R.CLOSED:
            item.verify_note = "经核查已整改到位。"
            item.verified_at = _at(min(deadline, self.today))
            item.closed_on = min(deadline, self.today)
        return item

    def _from_ledger(self, entry, rnd):
        return self._item(
            village=entry.village,
            source=Rectification.Source.LEDGER,
            problem=entry.finding,
            requirement=entry.requirement,
            deadline=entry.deadline,
            rnd=rnd,
            ledger_entry=entry,
        )

    def _from_assessments(self):
        """The 2024 city feedback on the candidate graded lower, and two problems the 2025 review found."""
        items = []
        city = Assessment.objects.filter(
            campaign__township=self.township,
            campaign__level=Campaign.Level.VILLAGE,
            city_decision=Assessment.CityDecision.OTHER,
        ).select_related("village", "campaign")
        for a in city:
            items.append(
                self._item(
                    village=a.village,
                    source=Rectification.Source.CITY,
                    problem="市级评选反馈：清廉文化品牌特色不够鲜明。",
                    requirement="提炼本村清廉文化品牌，完善阵地展示内容。",
                    deadline=datetime.date(a.campaign.year, 12, 31),
                    status=R.CLOSED,
                    assessment=a,
                )
            )
        reviewed = (
            Assessment.objects.filter(
                campaign__township=self.township,
                campaign__year=2025,
                campaign__level=Campaign.Level.VILLAGE,
                status=Assessment.Status.REVIEWED,
            )
            .select_related("village")
            .order_by("-village__sort_order")[:2]
        )
        # one still open within its deadline, one answered and waiting for the township's acceptance
        plans = (
            (self.today + datetime.timedelta(days=20), R.OPEN),
            (self.today + datetime.timedelta(days=5), R.RESPONDED),
        )
        for a, (deadline, status) in zip(reviewed, plans, strict=False):
            items.append(
                self._item(
                    village=a.village,
                    source=Rectification.Source.REVIEW,
                    problem="初审发现：村务监督委员会对工程项目验收记录签字不全。",
                    requirement="补齐验收记录签字，建立工程项目监督台账。",
                    deadline=deadline,
                    status=status,
                    assessment=a,
                )
            )
        return items

    def _events(self, item):
        rows = [
            RectificationEvent(rectification=item, actor=self.reviewer, action="create", to_status=R.OPEN)
        ]
        if item.status in (R.RESPONDED, R.CLOSED):
            rows.append(
                RectificationEvent(
                    rectification=item,
                    action="respond",
                    from_status=R.OPEN,
                    to_status=R.RESPONDED,
                    note=item.response,
                )
            )
        if item.status == R.CLOSED:
            rows.append(
                RectificationEvent(
                    rectification=item,
                    actor=self.reviewer,
                    action="accept",
                    from_status=R.RESPONDED,
                    to_status=R.CLOSED,
                    note=item.verify_note,
                )
            )
        return rows

    # -- scores -----------------------------------------------------------------------------------------

    def recompute(self):
        """Confirmed deductions count towards the year's score: recompute the assessments they touch."""
        touched = Q()
        for village_id, year in self.confirmed:
            touched |= Q(village_id=village_id, campaign__year=year)
        if not self.confirmed:
            return
        for a in Assessment.objects.filter(touched, campaign__level=Campaign.Level.VILLAGE):
            assessment_recompute(a)


@transaction.atomic
def seed_ledgers(*, township, reviewer, reporters=None, today=None):
    """The township's demo ledgers, tasks and rectifications; nothing when it has ledgers already.
    `reporters` ({unit id: user}) report the units' task progress. Returns the number of ledgers made."""
    if LedgerSubmission.objects.filter(unit__township=township).exists():
        return 0
    today = today or timezone.localdate()
    t = _Township(township, reviewer, reporters or {}, today)
    made = 0
    for year in demo_years(today):
        made += t.ledgers(year)
        t.tasks(year)
    t.rectifications()
    t.recompute()
    return made


def seed_demo_ledgers(demo):
    """Demo seeder (see portal/registry.py): every demo township's ledgers, tasks and rectifications,
    after its campaigns (confirmed deductions and review items refer to them)."""
    users = demo.users
    staff = users["demo_unit"]
    reporters = {m.unit_id: staff for m in Membership.objects.filter(user=staff, unit__isnull=False)}
    for township, reviewer in (
        (demo.baogou, users["demo_jiwei"]),
        (demo.yangzhuang, users["demo_yangzhuang"]),
        (demo.sanguan, users["demo_sanguan"]),
    ):
        seed_ledgers(township=township, reviewer=reviewer, reporters=reporters)
