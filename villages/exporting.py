"""The organisation workbook filled from the database (or blank, as a template).

The layout is the importer's (`workbook.py`), so an exported file imports back without changes.
User-typed text goes through `set_text_cell`, which keeps `=HYPERLINK(…)` a string (SECURITY.md XLS-2).
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from common.xlsx import set_text_cell

from .models import PartyBranch, ResponsibleUnit, Village, WorkingGroupMember
from .workbook import (
    ALL_VILLAGES,
    CHOICES,
    COLUMN_WIDTHS,
    HEADERS,
    HELP_LINES,
    NO,
    SHEET_BRANCHES,
    SHEET_GROUP,
    SHEET_HELP,
    SHEET_ORDER,
    SHEET_UNITS,
    SHEET_VILLAGES,
    YES,
)

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F3ECEC")
TEXT_COLUMNS = {(SHEET_VILLAGES, "code"), (SHEET_UNITS, "phone")}
VALIDATION_ROWS = 2000


def _org_rows(township):
    """Rows per sheet, in the order the township page shows them."""
    branches = PartyBranch.objects.filter(township=township).order_by("sort_order", "name")
    villages = list(
        Village.objects.filter(township=township).select_related("branch").order_by("sort_order", "name")
    )
    all_ids = {v.pk for v in villages}
    position = {v.pk: i for i, v in enumerate(villages)}
    names = {v.pk: v.name for v in villages}
    units = (
        ResponsibleUnit.objects.filter(township=township)
        .prefetch_related("villages")
        .order_by("sort_order", "name")
    )
    members = (
        WorkingGroupMember.objects.filter(township=township)
        .select_related("unit")
        .order_by("sort_order", "id")
    )

    def supervised(unit):
        ids = {v.pk for v in unit.villages.all()}
        if all_ids and ids == all_ids:
            return ALL_VILLAGES
        return "、".join(names[i] for i in sorted(ids, key=lambda i: position.get(i, 0)) if i in names)

    return {
        SHEET_BRANCHES: [(b.name, b.sort_order) for b in branches],
        SHEET_VILLAGES: [
            (
                v.name,
                v.get_kind_display(),
                v.code,
                v.branch.name if v.branch else "",
                v.sort_order,
                YES if v.is_active else NO,
            )
            for v in villages
        ],
        SHEET_UNITS: [
            (u.name, u.leader_name, u.contact_name, u.phone, supervised(u), "、".join(u.areas or []))
            for u in units
        ],
        SHEET_GROUP: [
            (m.name, m.position, m.get_group_role_display(), m.unit.name if m.unit else "") for m in members
        ],
    }


def _write_sheet(ws, sheet, rows):
    keys = list(HEADERS[sheet])
    for col, key in enumerate(keys, start=1):
        cell = ws.cell(row=1, column=col, value=HEADERS[sheet][key])
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTHS[sheet][col - 1]
    ws.freeze_panes = "A2"
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col)
            set_text_cell(cell, value if value != "" else None)
            if (sheet, keys[col - 1]) in TEXT_COLUMNS:
                cell.number_format = "@"
    for (choice_sheet, key), options in CHOICES.items():
        if choice_sheet != sheet:
            continue
        letter = get_column_letter(keys.index(key) + 1)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(options) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="输入有误",
            error="请从下拉列表中选择：" + "、".join(options),
        )
        validation.add(f"{letter}2:{letter}{max(VALIDATION_ROWS, len(rows) + 1)}")
        ws.add_data_validation(validation)


def org_workbook(township=None):
    """An openpyxl Workbook in the import layout; blank (headers only) when `township` is None."""
    rows = _org_rows(township) if township is not None else {sheet: [] for sheet in SHEET_ORDER}
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in SHEET_ORDER:
        _write_sheet(workbook.create_sheet(sheet), sheet, rows[sheet])
    help_sheet = workbook.create_sheet(SHEET_HELP)
    help_sheet.column_dimensions["A"].width = 120
    help_sheet.cell(row=1, column=1, value="填写说明").font = HEADER_FONT
    for r, line in enumerate(HELP_LINES, start=2):
        help_sheet.cell(row=r, column=1, value=line).alignment = Alignment(wrap_text=True, vertical="top")
    workbook.active = 1  # open on 村（社区）
    return workbook


def workbook_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def org_workbook_bytes(township):
    return workbook_bytes(org_workbook(township))


def template_bytes():
    return workbook_bytes(org_workbook(None))
