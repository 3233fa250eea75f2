"""The plan's eight tasks of a year with the responsible units' monthly progress: done, under way, standing,
and (from 2025 on) one overdue."""

import calendar
import datetime
import random

from ..compliance import LEDGER_START_MONTH
from ..models import PlanTask, TaskProgress

T = PlanTask.Status
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


def seed_tasks(t, year):
    rnd = random.Random(f"{t.township.name}{year}tasks")
    made, links, progress = [], [], []
    for number, (key_point, text, keywords, deadline_text) in enumerate(TASKS, start=1):
        units = [u for u in t.units if any(k in u.name for k in keywords)] or t.units[:1]
        ongoing = deadline_text == "长期推进"
        deadline = None
        if not ongoing:
            month = int(deadline_text.removesuffix("月底"))
            deadline = datetime.date(year, month, calendar.monthrange(year, month)[1])
        status = _task_status(t, ongoing, deadline, number, rnd)
        task = PlanTask(
            township=t.township,
            year=year,
            number=number,
            key_point=key_point,
            task=text,
            measures="每月调度推进情况，责任单位按月填报进展。（演示数据）",
            lead_text=units[0].name,
            units_text="、".join(u.name for u in units),
            deadline_text=f"{year}年{deadline_text}" if not ongoing else deadline_text,
            deadline=deadline,
            status=status,
        )
        made.append(task)
        links.append(units)
        progress.append(_progress(t, task, units, status, rnd))
    PlanTask.objects.bulk_create(made)
    through = PlanTask.units.through
    through.objects.bulk_create(
        [
            through(plantask_id=t.pk, responsibleunit_id=u.pk)
            for t, units in zip(made, links, strict=True)
            for u in units
        ]
    )
    lead = PlanTask.lead_units.through
    lead.objects.bulk_create(
        [lead(plantask_id=t.pk, responsibleunit_id=units[0].pk) for t, units in zip(made, links, strict=True)]
    )
    rows = [row for rows in progress for row in rows]
    for row in rows:
        row.task_id = row.task.pk
    TaskProgress.objects.bulk_create(rows, batch_size=500)


def _task_status(t, ongoing, deadline, number, rnd):
    if ongoing:
        return T.ONGOING
    if deadline < t.today:
        # past deadlines: done, except (from 2025 on) one task still being finished: overdue
        return T.IN_PROGRESS if number == 2 and deadline.year >= 2025 else T.DONE
    return T.NOT_STARTED if rnd.random() < 0.3 else T.IN_PROGRESS


def _progress(t, task, units, status, rnd):
    """The units' monthly reports, ending where the task's status says."""
    if status == T.NOT_STARTED:
        return []
    if status == T.DONE:
        last = task.deadline
    elif task.year < t.today.year:
        last = datetime.date(task.year, 12, 31)
    else:
        last = t.today
    last = min(last, t.today - datetime.timedelta(days=1))
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
                    reported_by=t.reporters.get(unit.pk),
                )
            )
    return rows
