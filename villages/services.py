"""Writes to the organisation: the Excel import (validated whole, written in one transaction) and the
audited export. Every call leaves exactly one audit row, successful or not."""

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from access.grants import region_create_refusal, township_create_refusal
from access.scope import scope_for
from audit.models import AuditEvent
from audit.services import audit_log
from common.dataversion import data_version_bump
from common.errors import InvalidInputError, NotPermittedError
from common.xlsx import WorkbookRefused, read_upload

from .exporting import org_workbook_bytes
from .importing import existing_names, parse_org_workbook, resolve_references, sort_problems
from .models import PartyBranch, Region, ResponsibleUnit, Township, Village, WorkingGroupMember
from .workbook import ALL_VILLAGES, SHEET_BRANCHES, SHEET_GROUP, SHEET_ORDER, SHEET_UNITS, SHEET_VILLAGES

IMPORT_ACTION = "org.import"
EXPORT_ACTION = "org.export"


@dataclass
class SheetCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self):
        return {"新增": self.created, "更新": self.updated, "未变": self.unchanged}


@dataclass
class ImportResult:
    township: Township
    filename: str = ""
    sha256: str = ""
    problems: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # sheet → SheetCounts, only for sheets in the file
    not_in_file: list = field(default_factory=list)  # names of the township's villages the file omits
    repeated: bool = False  # the same file was imported successfully before

    @property
    def ok(self):
        return not self.problems

    @property
    def changed(self):
        return any(c.created or c.updated for c in self.counts.values())

    def summary(self):
        parts = [
            f"{sheet}：新增 {c.created}、更新 {c.updated}、未变 {c.unchanged}"
            for sheet in SHEET_ORDER
            if (c := self.counts.get(sheet)) is not None
        ]
        return "；".join(parts)


def _new_order(row_order, position, base=0):
    return row_order if row_order is not None else base + position


def _import_branches(township, rows, counts):
    existing = {b.name: b for b in PartyBranch.objects.filter(township=township)}
    create, update = [], []
    for position, row in enumerate(rows, start=1):
        branch = existing.get(row.name)
        if branch is None:
            create.append(
                PartyBranch(township=township, name=row.name, sort_order=_new_order(row.sort_order, position))
            )
        elif row.sort_order is not None and branch.sort_order != row.sort_order:
            branch.sort_order = row.sort_order
            update.append(branch)
        else:
            counts.unchanged += 1
    PartyBranch.objects.bulk_create(create)
    PartyBranch.objects.bulk_update(update, ["sort_order"])
    counts.created, counts.updated = len(create), len(update)


def _import_villages(township, rows, counts):
    branch_ids = dict(PartyBranch.objects.filter(township=township).values_list("name", "id"))
    existing = {v.name: v for v in Village.objects.filter(township=township)}
    create, update = [], []
    fields = ("kind", "code", "branch_id", "sort_order", "is_active")
    for position, row in enumerate(rows, start=1):
        values = {
            "kind": row.kind,
            "code": row.code,
            "branch_id": branch_ids[row.branch] if row.branch else None,
            "is_active": row.is_active,
        }
        village = existing.get(row.name)
        if village is None:
            values["sort_order"] = _new_order(row.sort_order, position)
            create.append(Village(township=township, name=row.name, **values))
            continue
        if row.sort_order is not None:
            values["sort_order"] = row.sort_order
        if any(getattr(village, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(village, key, value)
            update.append(village)
        else:
            counts.unchanged += 1
    Village.objects.bulk_create(create)
    Village.objects.bulk_update(update, fields)
    counts.created, counts.updated = len(create), len(update)


def _import_units(township, rows, counts):
    village_ids = dict(Village.objects.filter(township=township).values_list("name", "id"))
    existing = {
        u.name: u for u in ResponsibleUnit.objects.filter(township=township).prefetch_related("villages")
    }
    base = max((u.sort_order for u in existing.values()), default=0)
    through = ResponsibleUnit.villages.through
    create, update, links = [], [], {}
    for position, row in enumerate(rows, start=1):
        values = {
            "leader_name": row.leader_name,
            "contact_name": row.contact_name,
            "phone": row.phone,
            "areas": row.areas,
        }
        wanted = (
            set(village_ids.values())
            if row.villages == [ALL_VILLAGES]
            else {village_ids[n] for n in row.villages}
        )
        unit = existing.get(row.name)
        if unit is None:
            unit = ResponsibleUnit(township=township, name=row.name, sort_order=base + position, **values)
            create.append(unit)
            links[row.name] = wanted
            continue
        same_links = {v.pk for v in unit.villages.all()} == wanted
        if same_links and all(getattr(unit, k) == v for k, v in values.items()):
            counts.unchanged += 1
            continue
        for key, value in values.items():
            setattr(unit, key, value)
        update.append(unit)
        if not same_links:
            links[row.name] = wanted
    ResponsibleUnit.objects.bulk_create(create)
    ResponsibleUnit.objects.bulk_update(update, ["leader_name", "contact_name", "phone", "areas"])
    if links:
        unit_ids = dict(
            ResponsibleUnit.objects.filter(township=township, name__in=links).values_list("name", "id")
        )
        through.objects.filter(responsibleunit_id__in=unit_ids.values()).delete()
        through.objects.bulk_create(
            through(responsibleunit_id=unit_ids[name], village_id=village_id)
            for name, ids in links.items()
            for village_id in sorted(ids)
        )
    counts.created, counts.updated = len(create), len(update)


def _import_members(township, rows, counts):
    unit_ids = dict(ResponsibleUnit.objects.filter(township=township).values_list("name", "id"))
    existing = {}
    for member in WorkingGroupMember.objects.filter(township=township).order_by("sort_order", "id"):
        existing.setdefault(member.name, member)
    base = max((m.sort_order for m in existing.values()), default=0)
    create, update = [], []
    for position, row in enumerate(rows, start=1):
        values = {
            "position": row.position,
            "group_role": row.group_role,
            "unit_id": unit_ids[row.unit] if row.unit else None,
        }
        member = existing.get(row.name)
        if member is None:
            create.append(
                WorkingGroupMember(township=township, name=row.name, sort_order=base + position, **values)
            )
        elif any(getattr(member, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(member, key, value)
            update.append(member)
        else:
            counts.unchanged += 1
    WorkingGroupMember.objects.bulk_create(create)
    WorkingGroupMember.objects.bulk_update(update, ["position", "group_role", "unit_id"])
    counts.created, counts.updated = len(create), len(update)


STEPS = (
    (SHEET_BRANCHES, "branches", _import_branches),
    (SHEET_VILLAGES, "villages", _import_villages),
    (SHEET_UNITS, "units", _import_units),
    (SHEET_GROUP, "members", _import_members),
)


def _audit_import(result, actor, request):
    detail = {"sha256": result.sha256, "filename": result.filename}
    if result.ok:
        detail["counts"] = {sheet: c.as_dict() for sheet, c in result.counts.items()}
        detail["not_in_file"] = len(result.not_in_file)
        message = f"导入组织机构：{result.summary()}"
    else:
        detail["problem_count"] = len(result.problems)
        detail["problems"] = [
            {"sheet": p.sheet, "row": p.row, "column": p.column, "message": p.message}
            for p in result.problems[:20]
        ]
        message = f"导入组织机构失败：{len(result.problems)} 个问题"
    audit_log(
        action=IMPORT_ACTION,
        actor=actor,
        request=request,
        obj=result.township,
        township_id=result.township.pk,
        result=AuditEvent.Result.SUCCESS if result.ok else AuditEvent.Result.FAILURE,
        message=message,
        detail=detail,
    )


def org_import_excel(*, township, file, actor, request=None):
    """Import a township's organisation workbook: all rows valid, or nothing written.

    Branches, villages, units and working-group members are matched by name within the township:
    existing ones are updated, new ones created; villages the file omits are left alone and listed.
    """
    result = ImportResult(township=township, filename=str(getattr(file, "name", "") or "")[-200:])
    try:
        data = read_upload(file, settings.QL_IMPORT_MAX_BYTES)
        result.sha256 = hashlib.sha256(data).hexdigest()
        parsed = parse_org_workbook(data)
    except WorkbookRefused as refused:
        result.problems = sort_problems(refused.problems)
        _audit_import(result, actor, request)
        return result
    result.repeated = AuditEvent.objects.filter(
        action=IMPORT_ACTION,
        township_id=township.pk,
        result=AuditEvent.Result.SUCCESS,
        detail__sha256=result.sha256,
    ).exists()
    with transaction.atomic():
        # One import per township at a time (PostgreSQL); the reference check sees committed names.
        list(Township.objects.select_for_update().filter(pk=township.pk).order_by().values_list("pk"))
        problems = parsed.problems + resolve_references(parsed, existing_names(township))
        if problems:
            result.problems = sort_problems(problems)
        else:
            for sheet, attr, step in STEPS:
                rows = getattr(parsed, attr)
                if rows is not None:
                    result.counts[sheet] = SheetCounts()
                    step(township, rows, result.counts[sheet])
            # bulk writes send no signals: the tree (branches, villages, a unit's villages) changed, and
            # with it the names the township's cached pages show
            data_version_bump(townships=[township.pk], regions=[township.region_id], access=True)
            in_file = {row.name for row in parsed.villages}
            result.not_in_file = list(
                Village.objects.filter(township=township)
                .exclude(name__in=in_file)
                .order_by("sort_order", "name")
                .values_list("name", flat=True)
            )
            _audit_import(result, actor, request)
    if not result.ok:
        _audit_import(result, actor, request)
    return result


def org_export_excel(*, township, actor, request=None):
    """The township's organisation workbook as bytes; the download is audited (it holds phone numbers)."""
    data = org_workbook_bytes(township)
    audit_log(
        action=EXPORT_ACTION,
        actor=actor,
        request=request,
        obj=township,
        township_id=township.pk,
        message=f"导出组织机构：{township.name}",
        detail={"sha256": hashlib.sha256(data).hexdigest()},
    )
    return data


def region_create(*, name, kind=Region.Kind.CITY, actor=None, request=None):
    """Open a 市（县、区） node (the system administrator only), with one audit row either way."""
    name = (name or "").strip()
    if actor is not None and (message := region_create_refusal(scope_for(actor))):
        audit_log(
            action="region.create",
            actor=actor,
            request=request,
            result=AuditEvent.Result.FAILURE,
            message=message,
            detail={"name": name},
        )
        raise NotPermittedError(message)
    if not name:
        raise InvalidInputError("请填写市（县、区）名称。")
    if Region.objects.filter(name=name).exists():
        raise InvalidInputError(f"已有名为“{name}”的市（县、区）。")
    with transaction.atomic():
        region = Region.objects.create(name=name, kind=kind)
        audit_log(
            action="region.create",
            actor=actor,
            request=request,
            obj=region,
            message=f"新建市（县、区）：{name}",
        )
    return region


def township_create(*, region, name, kind=Township.Kind.TOWN, actor=None, request=None):
    """Open a township in `region` (the city office in its own region, or the administrator)."""
    name = (name or "").strip()
    if actor is not None and (message := township_create_refusal(scope_for(actor), region=region)):
        audit_log(
            action="township.create",
            actor=actor,
            request=request,
            result=AuditEvent.Result.FAILURE,
            message=message,
            detail={"region": region.pk, "name": name},
        )
        raise NotPermittedError(message)
    if not name:
        raise InvalidInputError("请填写镇街名称。")
    if Township.objects.filter(region=region, name=name).exists():
        raise InvalidInputError(f"{region.name}已有名为“{name}”的镇街。")
    with transaction.atomic():
        township = Township.objects.create(region=region, name=name, kind=kind)
        audit_log(
            action="township.create",
            actor=actor,
            request=request,
            obj=township,
            township_id=township.pk,
            message=f"新建镇街：{region.name}{name}",
        )
    return township
