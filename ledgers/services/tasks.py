"""The plan's task list: import from Excel (validate all, then replace the year in one transaction),
scoped reads, and the responsible units' monthly progress with the task's status roll-up."""

from django.core.exceptions import ValidationError
from django.db import transaction

from access.roles import Side
from access.scope import scope_for
from audit.services import audit_log
from common.errors import InvalidInputError, NotPermittedError
from common.xlsx import Problem
from villages.models import ResponsibleUnit

from ..models import PlanTask, TaskProgress
from ..tasks_excel import COLUMNS, parse_task_workbook

T = PlanTask.Status


class TaskImportError(InvalidInputError):
    def __init__(self, problems):
        super().__init__("；".join(p.message for p in problems))
        self.problems = problems


# ---- import -----------------------------------------------------------------------------------


def task_import(*, township, year, file, actor, request=None):
    """Import the task list of `year`; every problem is reported and nothing is written unless all
    rows are valid. A re-import replaces the year's tasks, unless progress was already reported."""
    if Side.REVIEWER not in scope_for(actor).sides("township", township):
        raise NotPermittedError("只有本镇街纪委审核人员可以导入任务清单。")
    rows, problems = parse_task_workbook(file, year=year)
    units = {u.name.strip(): u for u in ResponsibleUnit.objects.filter(township=township)}
    for r in rows:
        unknown = [n for n in r.unit_names if n not in units]
        if unknown:
            problems.append(
                Problem(
                    "",
                    r.row,
                    COLUMNS["units"],
                    f"责任单位“{'、'.join(unknown)}”不是本镇街的责任单位，请先在组织机构中添加或改用已有名称。",
                )
            )
    if problems:
        raise TaskImportError(sorted(problems, key=lambda p: (p.row or 0, p.column)))
    with transaction.atomic():
        existing = PlanTask.objects.select_for_update().filter(township=township, year=year)
        if TaskProgress.objects.filter(task__in=existing).exists():
            raise ValidationError(f"{year}年任务清单已有进展填报，不能整体替换。")
        replaced = existing.count()
        existing.delete()
        created = []
        for r in rows:
            task = PlanTask.objects.create(
                township=township,
                year=year,
                number=r.number,
                key_point=r.key_point,
                task=r.task,
                measures=r.measures,
                units_text=r.units_text,
                lead_unit=units[r.unit_names[0]],
                deadline_text=r.deadline_text,
                deadline=r.deadline,
                status=T.ONGOING if r.ongoing else T.NOT_STARTED,
            )
            task.units.set([units[n] for n in dict.fromkeys(r.unit_names)])
            created.append(task)
        audit_log(
            action="tasks.import",
            actor=actor,
            request=request,
            object_type="ledgers.plantask",
            township_id=township.pk,
            message=f"导入{year}年任务清单 {len(created)} 项（替换 {replaced} 项）",
            detail={"year": year, "created": len(created), "replaced": replaced},
        )
    return created


# ---- progress ---------------------------------------------------------------------------------


def rolled_up_status(task, statuses_by_unit):
    """DONE when every responsible unit's latest report is DONE; else IN_PROGRESS once anyone reported.
    A standing task (长期推进) stays ONGOING."""
    if task.status == T.ONGOING:
        return T.ONGOING
    unit_ids = {u.pk for u in task.units.all()}
    if unit_ids and all(statuses_by_unit.get(pk) == T.DONE for pk in unit_ids):
        return T.DONE
    return T.IN_PROGRESS if statuses_by_unit else task.status


def task_progress_report(*, task, unit, actor, year, month, text, status, request=None):
    if Side.UNIT not in scope_for(actor).sides("unit", unit):
        raise NotPermittedError("只有该责任单位的工作人员可以填报进展。")
    if not task.units.filter(pk=unit.pk).exists():
        raise NotPermittedError("该单位不是本任务的责任单位。")
    if status not in (T.IN_PROGRESS, T.DONE):
        raise ValidationError("状态只能是“推进中”或“已完成”。")
    if not 1 <= int(month) <= 12:
        raise ValidationError("月份须为1至12。")
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写进展情况。")
    with transaction.atomic():
        task = PlanTask.objects.select_for_update().get(pk=task.pk)
        progress, created = TaskProgress.objects.update_or_create(
            task=task,
            unit=unit,
            year=year,
            month=month,
            defaults={"text": text, "status": status, "reported_by": actor},
        )
        latest = {}
        for unit_id, st in (
            TaskProgress.objects.filter(task=task)
            .order_by("year", "month", "pk")
            .values_list("unit_id", "status")
        ):
            latest[unit_id] = st
        new_status = rolled_up_status(task, latest)
        if new_status != task.status:
            task.status = new_status
            task.save(update_fields=["status"])
        audit_log(
            action="tasks.progress",
            actor=actor,
            request=request,
            obj=task,
            township_id=task.township_id,
            message=f"{unit.name} 填报{year}年{month}月进展（{'新增' if created else '更新'}）",
            detail={"unit": unit.pk, "status": status},
        )
    return progress
