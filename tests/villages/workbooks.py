"""Builders for organisation workbooks used by the import, export and view tests."""

import copy
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from villages.models import (
    AnnualTarget,
    AnnualTargetGrade,
    CreationBatch,
    PartyBranch,
    Region,
    ResponsibleUnit,
    Township,
    Village,
    WorkingGroupMember,
)
from villages.workbook import HEADERS

BRANCHES = "党总支"
VILLAGES = "村（社区）"
UNITS = "责任单位"
GROUP = "工作专班"


def headers(sheet):
    return list(HEADERS[sheet].values())


# A small township: two branches, four villages (one without a branch), three units, a roster.
VALID = {
    BRANCHES: [
        ["城东党总支", 1],
        ["城西党总支", 2],
    ],
    VILLAGES: [
        ["桃园村", "村", "370481001", "城东党总支", 1, "是"],
        ["杏林村", "村", "370481002", "城东党总支", 2, "是"],
        ["柳岸社区", "社区", "370481003", "城西党总支", 3, "是"],
        ["竹溪村", "村", "", "", 4, "否"],
    ],
    UNITS: [
        ["经管站", "分管副镇长（虚构）", "顾清源", "0632-5551234", "桃园村、杏林村", "三资管理、财务公开"],
        ["民政科", "", "沈若溪", "13800000000", "柳岸社区,竹溪村；桃园村", "村务公开"],
        ["纪委", "纪委书记（虚构）", "", "", "全部", ""],
    ],
    GROUP: [
        ["林知远", "镇党委书记（虚构）", "组长", ""],
        ["顾清源", "经管站站长", "副组长", "经管站"],
        ["沈若溪", "民政科科员", "成员", "民政科"],
    ],
}


def sheets(**changes):
    """A deep copy of VALID; keyword `villages=[...]` etc. replaces a sheet's rows."""
    data = copy.deepcopy(VALID)
    names = {"branches": BRANCHES, "villages": VILLAGES, "units": UNITS, "group": GROUP}
    for key, rows in changes.items():
        if rows is None:
            data.pop(names[key])
        else:
            data[names[key]] = rows
    return data


def build(data, header_rows=None, extra_sheets=()):
    """xlsx bytes with one sheet per entry of `data` (header row from the importer's layout)."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, rows in data.items():
        ws = wb.create_sheet(sheet)
        ws.append((header_rows or {}).get(sheet) or headers(sheet))
        for row in rows:
            ws.append(row)
    for name in extra_sheets:
        wb.create_sheet(name).append(["无关内容"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(data, name="组织机构.xlsx"):
    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def rewrite_zip(data, replace=None, add=None):
    """A copy of an xlsx with some zip entries replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if replace and item.filename in replace:
                content = replace[item.filename](content)
            target.writestr(item.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


MODELS = (
    Region,
    Township,
    PartyBranch,
    Village,
    ResponsibleUnit,
    ResponsibleUnit.villages.through,
    WorkingGroupMember,
    AnnualTarget,
    AnnualTargetGrade,
    CreationBatch,
)


def row_counts():
    return {model._meta.label: model.objects.count() for model in MODELS}


def org_state(township):
    """Everything the import can change in a township, as comparable plain data."""
    return {
        "branches": sorted(
            PartyBranch.objects.filter(township=township).values_list("pk", "name", "sort_order")
        ),
        "villages": sorted(
            Village.objects.filter(township=township).values_list(
                "pk", "name", "kind", "code", "branch_id", "sort_order", "is_active"
            )
        ),
        "units": sorted(
            (u.pk, u.name, u.leader_name, u.contact_name, u.phone, tuple(u.areas), u.sort_order)
            for u in ResponsibleUnit.objects.filter(township=township)
        ),
        "links": sorted(
            ResponsibleUnit.villages.through.objects.filter(responsibleunit__township=township).values_list(
                "responsibleunit_id", "village_id"
            )
        ),
        "members": sorted(
            WorkingGroupMember.objects.filter(township=township).values_list(
                "pk", "name", "position", "group_role", "unit_id", "sort_order"
            )
        ),
    }
