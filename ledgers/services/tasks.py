"""The plan's task list: import from Excel (validate all, then replace the year in one transaction),
scoped reads, and the responsible units' monthly progress with the task's status roll-up."""

from django.core.exceptions import ValidationError
from django.db import transaction

from access.roles import Side
from access.scope import scope_for
from audit.services import audit_log
from common.errors import InvalidInputError, NotPermittedError
from common.xlsx import Problem, file_problem
from villages.models import ResponsibleUnit

from ..models import PlanSubTask, PlanTask, TaskProgress
from ..tasklist import parse_task_text
from ..tasks_excel import parse_task_workbook

T = PlanTask.Status


class TaskImportError(InvalidInputError):
    def __init__(self, problems):
        super().__init__("；".join(p.message for p in problems))
        self.problems = problems


# ---- import -----------------------------------------------------------------------------------

TEXT_MAX_BYTES = 2 * 1024 * 1024


def _read_text_upload(file):
    data = file.read(TEXT_MAX_BYTES + 1)
    if len(data) > TEXT_MAX_BYTES:
        raise TaskImportError([file_problem("文本文件超过 2 MB，请拆分后导入。")])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TaskImportError([file_problem("无法识别文本文件的编码，请另存为 UTF-8 编码的 .txt 文件。")])


def task_list_read(*, year, file=None, text=None):
    """(rows, problems) of a task list given as pasted text, an uploaded .txt or an .xlsx workbook."""
    if text is None and file is not None and (getattr(file, "name", "") or "").lower().endswith(".txt"):
        text = _read_text_upload(file)
    if text is not None:
        return parse_task_text(text, year=year)
    return parse_task_workbook(file, year=year)


def task_import_plan(*, township, rows, create_missing_units=False):
    """Check `rows` against the township: (problems, names of units that would be created).
    Unknown unit names are a problem for their row unless `create_missing_units` is chosen."""
    problems, missing = [], []
    known = set(ResponsibleUnit.objects.filter(township=township).values_list("name", flat=True))
    has_villages = township.villages.filter(is_active=True).exists()
    has_branches = township.branches.exists()
    numbers = set()
    for r in rows:
        if r.number in numbers:
            problems.append(Problem("", r.row, "序号", f"第{r.row}行：序号 {r.number} 重复。"))
        numbers.add(r.number)
        for column, names, written in (
            ("牵头单位", r.lead_names, r.lead_text),
            ("责任单位", r.unit_names, r.units_text),
        ):
            unknown = [n for n in names if n not in known]
            if not unknown:
                continue
            if create_missing_units:
                missing.extend(n for n in unknown if n not in missing)
            else:
                problems.append(
                    Problem(
                        "",
                        r.row,
                        column,
                        f"第{r.row}行{column}“{written}”中的“{'、'.join(unknown)}”不是本镇街的责任单位，"
                        "请先在组织机构中添加，或勾选“自动添加缺少的责任单位”。",
                    )
                )
        if r.fan_out == "villages" and not has_villages:
            problems.append(
                Problem("", r.row, "责任单位", f"第{r.row}行：本镇街没有村（社区），无法分解到各村。")
            )
        if r.fan_out == "branches" and not has_branches:
            problems.append(
                Problem("", r.row, "责任单位", f"第{r.row}行：本镇街没有党总支，无法分解到各党总支。")
            )
    return sorted(problems, key=lambda p: (p.row or 0, p.column)), missing


def task_import(*, township, year, actor, file=None, text=None, create_missing_units=False, request=None):
    """Import the task list of `year` from text or a workbook; every problem is reported and nothing is
    written unless all rows are valid. A re-import replaces the year's tasks, unless progress was
    already reported. With `create_missing_units` the unit names the township does not have yet are
    added as responsible units (named as written) in the same transaction."""
    if Side.REVIEWER not in scope_for(actor).sides("township", township):
        raise NotPermittedError("只有本镇街纪委审核人员可以导入任务清单。")
    rows, problems = task_list_read(year=year, file=file, text=text)
    more, missing = task_import_plan(township=township, rows=rows, create_missing_units=create_missing_units)
    if problems or more:
        raise TaskImportError(sorted([*problems, *more], key=lambda p: (p.row or 0, p.column)))
    with transaction.atomic():
        existing = PlanTask.objects.select_for_update().filter(township=township, year=year)
        if TaskProgress.objects.filter(task__in=existing).exists():
            raise ValidationError(f"{year}年任务清单已有进展填报，不能整体替换。")
        replaced = existing.count()
        existing.delete()
        if missing:
            ResponsibleUnit.objects.bulk_create(
                ResponsibleUnit(township=township, name=name[:50], sort_order=900) for name in missing
            )
        units = {u.name: u for u in ResponsibleUnit.objects.filter(township=township)}
        villages = list(township.villages.filter(is_active=True).order_by("sort_order", "name"))
        branches = list(township.branches.order_by("sort_order", "name"))
        created = PlanTask.objects.bulk_create(
            PlanTask(
                township=township,
                year=year,
                number=r.number,
                key_point=r.key_point,
                task=r.task,
                measures=r.measures,
                lead_text=r.lead_text,
                units_text=r.units_text,
                fan_out=r.fan_out,
                responsible_person=r.responsible_person,
                deadline_text=r.deadline_text,
                deadline=r.deadline,
                status=T.ONGOING if r.ongoing else T.NOT_STARTED,
            )
            for r in rows
        )
        lead_through, unit_through = PlanTask.lead_units.through, PlanTask.units.through
        lead_through.objects.bulk_create(
            lead_through(plantask_id=t.pk, responsibleunit_id=units[n].pk)
            for t, r in zip(created, rows, strict=True)
            for n in r.lead_names
        )
        unit_through.objects.bulk_create(
            unit_through(plantask_id=t.pk, responsibleunit_id=units[n].pk)
            for t, r in zip(created, rows, strict=True)
            for n in r.unit_names
        )
        subtasks = PlanSubTask.objects.bulk_create(
            [
                PlanSubTask(
                    task=t,
                    status=t.status,
                    **({"village": party} if t.fan_out == "villages" else {"branch": party}),
                )
                for t in created
                if t.fan_out
                for party in (villages if t.fan_out == "villages" else branches)
            ]
        )
        audit_log(
            action="tasks.import",
            actor=actor,
            request=request,
            object_type="ledgers.plantask",
            township_id=township.pk,
            message=f"导入{year}年任务清单 {len(created)} 项（替换 {replaced} 项）"
            + (f"，新增责任单位：{'、'.join(missing)}" if missing else ""),
            detail={
                "year": year,
                "created": len(created),
                "replaced": replaced,
                "subtasks": len(subtasks),
                "units_created": missing,
            },
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
