"""The plan's task list: import from Excel (validate all, then replace the year in one transaction),
scoped reads, and the responsible units' monthly progress with the task's status roll-up."""

from django.db import transaction

from access.roles import Side
from access.scope import scope_for
from assessments.readmodels import township_data_changed
from audit.services import audit_log
from common.errors import ConflictError, InvalidInputError, LockedError, NotPermittedError
from common.uploads import prepare_upload
from common.xlsx import Problem, file_problem
from villages.models import ResponsibleUnit

from ..models import PlanSubTask, PlanTask, PlanTaskEvent, TaskProgress, TaskProgressEvidence
from ..tasklist import parse_deadline, parse_task_text, split_parties
from ..tasks_excel import parse_task_workbook
from ..workflow import TASK_BY_ACTION

T = PlanTask.Status


class TaskImportError(InvalidInputError):
    def __init__(self, problems):
        super().__init__("；".join(p.message for p in problems))
        self.problems = problems


# ---- import -----------------------------------------------------------------------------------

TEXT_MAX_BYTES = 2 * 1024 * 1024


def read_text_upload(file):
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
        text = read_text_upload(file)
    if text is not None:
        return parse_task_text(text, year=year)
    return parse_task_workbook(file, year=year)


def task_import_plan(*, township, rows, create_missing_units=False, unit_aliases=None):
    """Check `rows` against the township: (problems, names of units that would be created).
    Unknown unit names are a problem for their row unless `create_missing_units` is chosen;
    `unit_aliases` maps a name as the plan writes it to the township's unit name (the text stays)."""
    aliases = unit_aliases or {}
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
            unknown = [n for n in names if aliases.get(n, n) not in known]
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


def task_import(
    *,
    township,
    year,
    actor,
    file=None,
    text=None,
    create_missing_units=False,
    unit_aliases=None,
    request=None,
):
    """Import the task list of `year` from text or a workbook; every problem is reported and nothing is
    written unless all rows are valid. A re-import replaces the year's tasks, unless progress was
    already reported. With `create_missing_units` the unit names the township does not have yet are
    added as responsible units (named as written) in the same transaction; `unit_aliases` links a name as
    written to a unit of another name (the 牵头单位 / 责任单位 texts stay as written)."""
    if Side.REVIEWER not in scope_for(actor).sides("township", township):
        raise NotPermittedError("只有本镇街纪委审核人员可以导入任务清单。")
    rows, problems = task_list_read(year=year, file=file, text=text)
    aliases = unit_aliases or {}
    more, missing = task_import_plan(
        township=township, rows=rows, create_missing_units=create_missing_units, unit_aliases=aliases
    )
    if problems or more:
        raise TaskImportError(sorted([*problems, *more], key=lambda p: (p.row or 0, p.column)))
    with transaction.atomic():
        existing = PlanTask.objects.select_for_update().filter(township=township, year=year)
        if TaskProgress.objects.filter(task__in=existing).exists():
            raise LockedError(f"{year}年任务清单已有进展填报，不能整体替换。")
        replaced = existing.count()
        existing.delete()
        township_data_changed(township.pk)  # the dashboards' task counts
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
            for n in dict.fromkeys(aliases.get(n, n) for n in r.lead_names)
        )
        unit_through.objects.bulk_create(
            unit_through(plantask_id=t.pk, responsibleunit_id=units[n].pk)
            for t, r in zip(created, rows, strict=True)
            for n in dict.fromkeys(aliases.get(n, n) for n in r.unit_names)
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


# ---- editing on pages ---------------------------------------------------------------------------

EDITABLE = ("key_point", "task", "measures", "lead_text", "units_text", "responsible_person", "deadline_text")


def _require_manager(actor, township):
    if Side.REVIEWER not in scope_for(actor).sides("township", township):
        raise NotPermittedError("只有本镇街纪委审核人员可以编辑任务清单。")


def _resolve(township, data):
    """Links and parsed fields of a task's texts; unknown unit names are refused by name."""
    lead_names, lead_fan = split_parties(data["lead_text"])
    unit_names, unit_fan = split_parties(data["units_text"])
    units = {u.name: u for u in ResponsibleUnit.objects.filter(township=township)}
    unknown = [n for n in dict.fromkeys([*lead_names, *unit_names]) if n not in units]
    if unknown:
        raise InvalidInputError(
            f"“{'、'.join(unknown)}”不是本镇街的责任单位，请先在组织机构中添加或改用已有名称。"
        )
    if not (data.get("task") or "").strip():
        raise InvalidInputError("重点任务不能为空。")
    return [units[n] for n in lead_names], [units[n] for n in unit_names], unit_fan or lead_fan


def _fan_out(task):
    if task.fan_out == PlanTask.FanOut.VILLAGES:
        parties = task.township.villages.filter(is_active=True).order_by("sort_order", "name")
        return PlanSubTask.objects.bulk_create(
            PlanSubTask(task=task, village=v, status=task.status) for v in parties
        )
    if task.fan_out == PlanTask.FanOut.BRANCHES:
        parties = task.township.branches.order_by("sort_order", "name")
        return PlanSubTask.objects.bulk_create(
            PlanSubTask(task=task, branch=b, status=task.status) for b in parties
        )
    return []


@transaction.atomic
def task_create(*, township, year, actor, data, request=None):
    """A task added on the page, numbered after the year's last one."""
    _require_manager(actor, township)
    leads, units, fan_out = _resolve(township, data)
    last = (
        PlanTask.objects.select_for_update()
        .filter(township=township, year=year)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    deadline, ongoing = parse_deadline(data["deadline_text"], year)
    task = PlanTask.objects.create(
        township=township,
        year=year,
        number=(last or 0) + 1,
        fan_out=fan_out,
        deadline=deadline,
        status=T.ONGOING if ongoing else T.NOT_STARTED,
        **{k: (data.get(k) or "").strip() for k in EDITABLE},
    )
    task.lead_units.set(leads)
    task.units.set(units)
    subtasks = _fan_out(task)
    township_data_changed(township.pk)  # the dashboards' task counts
    audit_log(
        action="tasks.create",
        actor=actor,
        request=request,
        obj=task,
        township_id=township.pk,
        message=f"新增{year}年任务 {task.number}. {task.task[:30]}",
        detail={"subtasks": len(subtasks)},
    )
    return task


@transaction.atomic
def task_update(*, task, actor, version, data, request=None):
    """Save the page's edit of a task if nobody saved it since `version` was read (else ConflictError).
    A change of the collective party (各村居 ↔ 各党总支 ↔ none) redoes the sub-tasks, unless they have
    progress already."""
    _require_manager(actor, task.township)
    current = PlanTask.objects.select_for_update().get(pk=task.pk)
    if current.version != int(version):
        raise ConflictError(
            "该任务已被他人修改，您的修改未保存。请刷新页面核对最新内容后重新保存。", current=current
        )
    leads, units, fan_out = _resolve(current.township, data)
    changed = [k for k in EDITABLE if (data.get(k) or "").strip() != getattr(current, k)]
    for k in EDITABLE:
        setattr(current, k, (data.get(k) or "").strip())
    current.deadline, ongoing = parse_deadline(current.deadline_text, current.year)
    if ongoing and current.status == T.NOT_STARTED:
        current.status = T.ONGOING
    elif not ongoing and current.status == T.ONGOING:
        current.status = T.NOT_STARTED
    if fan_out != current.fan_out:
        if TaskProgress.objects.filter(subtask__task=current).exists():
            raise InvalidInputError("分解任务已有进展填报，不能改变“各村居／各党总支”的分解方式。")
        current.subtasks.all().delete()
        current.fan_out = fan_out
        _fan_out(current)
    current.version += 1
    current.save()
    township_data_changed(current.township_id)  # the dashboards' task counts
    current.lead_units.set(leads)
    current.units.set(units)
    audit_log(
        action="tasks.update",
        actor=actor,
        request=request,
        obj=current,
        township_id=current.township_id,
        message=f"修改任务 {current.number}. {current.task[:30]}",
        detail={"changed": changed, "version": current.version},
    )
    return current


def _transition(*, task, actor, action, reason, request=None):
    transition = TASK_BY_ACTION[action]
    if transition.side not in scope_for(actor).sides("township", task.township):
        raise NotPermittedError("只有本镇街纪委审核人员可以关闭或重新打开任务。")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError(f"请填写{transition.label}的原因。")
    current = PlanTask.objects.select_for_update().get(pk=task.pk)
    if current.is_closed != transition.closed_before:
        raise ConflictError("任务已关闭。" if current.is_closed else "任务未关闭。")
    current.is_closed = transition.closed_after
    current.version += 1
    current.save(update_fields=["is_closed", "version"])
    township_data_changed(current.township_id)  # the cached city lists and the dashboards' task counts
    PlanTaskEvent.objects.create(task=current, action=action, reason=reason, actor=actor)
    audit_log(
        action=f"tasks.{action}",
        actor=actor,
        request=request,
        obj=current,
        township_id=current.township_id,
        message=f"{transition.label}：{current.number}. {current.task[:30]}（原因：{reason[:100]}）",
        detail={"reason": reason},
    )
    return current


@transaction.atomic
def task_close(*, task, actor, reason, request=None):
    return _transition(task=task, actor=actor, action="close", reason=reason, request=request)


@transaction.atomic
def task_reopen(*, task, actor, reason, request=None):
    return _transition(task=task, actor=actor, action="reopen", reason=reason, request=request)


# ---- progress ---------------------------------------------------------------------------------

MAX_EVIDENCE_FILES = 5


def rolled_up_status(task, statuses_by_unit, subtask_statuses=()):
    """DONE when every responsible unit's latest report and every sub-task is DONE; else IN_PROGRESS once
    anyone reported. A standing task (长期推进) stays ONGOING."""
    if task.status == T.ONGOING:
        return T.ONGOING
    unit_ids = {u.pk for u in task.units.all()}
    subtask_statuses = list(subtask_statuses)
    if (unit_ids or subtask_statuses) and all(statuses_by_unit.get(pk) == T.DONE for pk in unit_ids):
        if all(st == T.DONE for st in subtask_statuses):
            return T.DONE
    reported = statuses_by_unit or any(st != T.NOT_STARTED for st in subtask_statuses)
    return T.IN_PROGRESS if reported else task.status


def _check_report(task, year, month, text, status):
    if task.is_closed:
        raise InvalidInputError("任务已关闭，不能填报进展。")
    if status not in (T.IN_PROGRESS, T.DONE):
        raise InvalidInputError("状态只能是“推进中”或“已完成”。")
    if not 1 <= int(month) <= 12:
        raise InvalidInputError("月份须为1至12。")
    text = (text or "").strip()
    if not text:
        raise InvalidInputError("请填写进展情况。")
    return text


def _prepare_files(files):
    files = list(files or [])
    if len(files) > MAX_EVIDENCE_FILES:
        raise InvalidInputError(f"每次最多上传 {MAX_EVIDENCE_FILES} 个佐证文件。")
    return [prepare_upload(f) for f in files]


def _store_files(progress, prepared, actor, stored):
    for item in prepared:
        checked, content = item.checked, item.content
        evidence = TaskProgressEvidence(
            progress=progress,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        content.seek(0)
        evidence.file.save(f"{evidence.pk}.{checked.ext}", content, save=False)
        stored.append(evidence.file)
        evidence.save(force_insert=True)


def _roll_up(task):
    latest = {}
    for unit_id, st in (
        TaskProgress.objects.filter(task=task, unit__isnull=False)
        .order_by("year", "month", "pk")
        .values_list("unit_id", "status")
    ):
        latest[unit_id] = st
    subs = task.subtasks.values_list("status", flat=True)
    new_status = rolled_up_status(task, latest, subs)
    if new_status != task.status:
        task.status = new_status
        task.save(update_fields=["status"])
        township_data_changed(task.township_id)  # the dashboards' task counts


def _with_files(prepared, write):
    """Run `write(stored)` in a transaction; files it stored are removed again if anything fails, so no
    file is left without its row (call outside any enclosing transaction)."""
    stored = []
    try:
        with transaction.atomic():
            return write(stored)
    except BaseException:
        for f in stored:
            f.storage.delete(f.name)
        raise


def task_progress_report(*, task, unit, actor, year, month, text, status, files=(), request=None):
    """A responsible unit's report for one month (a second report of the month replaces the text),
    with evidence files checked by common.uploads.prepare_upload."""
    if Side.UNIT not in scope_for(actor).sides("unit", unit):
        raise NotPermittedError("只有该责任单位的工作人员可以填报进展。")
    if not task.units.filter(pk=unit.pk).exists():
        raise NotPermittedError("该单位不是本任务的责任单位。")
    text = _check_report(task, year, month, text, status)
    prepared = _prepare_files(files)

    def write(stored):
        locked = PlanTask.objects.select_for_update().get(pk=task.pk)
        progress, created = TaskProgress.objects.update_or_create(
            task=locked,
            unit=unit,
            year=year,
            month=month,
            defaults={"text": text, "status": status, "reported_by": actor},
        )
        _store_files(progress, prepared, actor, stored)
        _roll_up(locked)
        audit_log(
            action="tasks.progress",
            actor=actor,
            request=request,
            obj=locked,
            township_id=locked.township_id,
            message=f"{unit.name} 填报{year}年{month}月进展（{'新增' if created else '更新'}）",
            detail={"unit": unit.pk, "status": status, "files": len(prepared)},
        )
        return progress

    return _with_files(prepared, write)


def subtask_progress_report(*, subtask, actor, year, month, text, status, files=(), request=None):
    """A village's (or 党总支's) report on its own share of a task; the share takes the reported status."""
    if Side.SELF not in scope_for(actor).sides("plan_subtask", subtask):
        raise NotPermittedError("只能填报本村（社区）或本党总支的分解任务。")
    text = _check_report(subtask.task, year, month, text, status)
    prepared = _prepare_files(files)

    def write(stored):
        locked = PlanTask.objects.select_for_update().get(pk=subtask.task_id)
        progress, created = TaskProgress.objects.update_or_create(
            task=locked,
            subtask=subtask,
            year=year,
            month=month,
            defaults={"text": text, "status": status, "reported_by": actor},
        )
        _store_files(progress, prepared, actor, stored)
        latest = (
            TaskProgress.objects.filter(subtask=subtask)
            .order_by("-year", "-month", "-pk")
            .values_list("status", flat=True)
            .first()
        )
        PlanSubTask.objects.filter(pk=subtask.pk).update(status=latest)
        _roll_up(locked)
        audit_log(
            action="tasks.subtask_progress",
            actor=actor,
            request=request,
            obj=locked,
            township_id=locked.township_id,
            village_id=subtask.village_id,
            message=f"{subtask.party.name} 填报{year}年{month}月分解任务进展（{'新增' if created else '更新'}）",
            detail={"subtask": subtask.pk, "status": status, "files": len(prepared)},
        )
        return progress

    return _with_files(prepared, write)
