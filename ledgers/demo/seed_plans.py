"""The demo townships' plans as the seeds write them: 三管镇's own 2022 list (seed 003 附件2) and, for
鲍沟镇, seed 002's twelve tasks under its four 工程 as the township's 2023 plan, each imported verbatim
through the importer (fixtures/tasks/*.txt) with some monthly progress from units and villages.

The plans name units by the words of their own documents ("组织人事", "镇党建办（组织）"); the demo maps
them to the township's units (`ALIASES`, the importer's unit_aliases), the text stays as written. Seed
001 is not used: it names real people as 责任人. The years are the plans' own (2022) or one before the
demo's campaigns (2023), so the eight generated tasks of the demo years stay as they are."""

import datetime
import random
from pathlib import Path

from django.conf import settings

from ..models import PlanSubTask, PlanTask, TaskProgress
from ..services.tasks import task_import

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "tasks"
T = PlanTask.Status
PLANS = {
    "三管镇": (
        "003_tasks.txt",
        2022,
        {
            "组织人事": "组织",
            "农业农村": "农业农村经管",
            "经管": "农业农村经管",
            "政法": "司法所",
            "信访": "纪委监委",
        },
    ),
    "鲍沟镇": (
        "002_tasks.txt",
        2023,
        {
            "镇党建办（组织）": "组织科",
            "镇党建办（宣传）": "党建办",
            "镇纪检办": "镇纪委（派出监察室）",
            "镇社会事务办": "民政科",
            "镇农办": "农办",
            "镇村镇建设办": "经管站",
            "镇财政所": "财政所",
            "镇综治办": "民政科",
            "镇派出所": "镇纪委（派出监察室）",
        },
    ),
}
UNIT_TEXT = "按方案推进，本月召开专题会议一次，督促指导{n}个村（社区）落实。（演示数据）"
VILLAGE_TEXT = "本村已对照任务逐项落实，相关材料已整理归档。（演示数据）"


def seed_plan(t):
    """Import the township's seed plan (if it has one and the year is empty) and add progress."""
    plan = PLANS.get(t.township.name)
    if plan is None:
        return 0
    name, year, aliases = plan
    if PlanTask.objects.filter(township=t.township, year=year).exists():
        return 0
    text = (FIXTURES / name).read_text(encoding="utf-8")
    created = task_import(township=t.township, year=year, text=text, actor=t.reviewer, unit_aliases=aliases)
    rnd = random.Random(f"{t.township.name}{year}plan")
    rows = []
    for task in PlanTask.objects.filter(township=t.township, year=year).prefetch_related("units", "subtasks"):
        last = (task.deadline or datetime.date(year, 12, 31)).month
        months = range(max(1, last - 2), last + 1)
        for unit in task.units.all():
            for month in months:
                final = month == last
                rows.append(
                    TaskProgress(
                        task=task,
                        unit=unit,
                        year=year,
                        month=month,
                        text=UNIT_TEXT.format(n=rnd.randint(3, 12)),
                        status=T.DONE if final and task.status != T.ONGOING else T.IN_PROGRESS,
                        reported_by=t.reporters.get(unit.pk),
                    )
                )
        done = []
        for sub in task.subtasks.all():
            if rnd.random() < 0.6:
                rows.append(
                    TaskProgress(
                        task=task, subtask=sub, year=year, month=last, text=VILLAGE_TEXT, status=T.DONE
                    )
                )
                done.append(sub.pk)
        PlanSubTask.objects.filter(pk__in=done).update(status=T.DONE)
        subs_done = len(done) == len(task.subtasks.all())
        if task.status != T.ONGOING:
            task.status = T.DONE if subs_done else T.IN_PROGRESS
            task.save(update_fields=["status"])
    TaskProgress.objects.bulk_create(rows, batch_size=500)
    return len(created)
