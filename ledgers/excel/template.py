"""The blank (or pre-filled) 《日常监管台账》 template a unit downloads, with its drop-down lists."""

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from common.xlsx import set_text_cell

from ..models import LedgerEntry
from .layout import (
    CATEGORIES,
    COLUMNS,
    HEADER_LABELS,
    HEADER_ROW,
    LEVELS,
    LISTS_SHEET,
    METHODS,
    NO,
    RECTIFY,
    SHEET,
    TITLE,
    WIDTHS,
    YES,
    month_label,
)


def template_bytes(*, unit, year, month, villages, indicator_codes, submission=None, entries=()):
    """The unit's workbook for the month, with drop-down lists; pre-filled from `entries` if given."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.cell(1, 1, TITLE).font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    sub = submission
    has_problems = "" if sub is None else (NO if sub.zero_report else YES)
    block = (
        ("unit", unit.name, "township", unit.township.name, "month", month_label(year, month)),
        ("filled_by", sub.filled_by_name if sub else "", "approved_by", sub.approved_by_name if sub else ""),
        ("report_date", "", "has_problems", has_problems),
    )
    for r, items in enumerate(block, start=2):
        for i in range(0, len(items), 2):
            label_cell = ws.cell(r, 1 + i * 2, HEADER_LABELS[items[i]])
            label_cell.font = Font(bold=True)
            set_text_cell(ws.cell(r, 2 + i * 2), items[i + 1])
    for c, (header, width) in enumerate(zip(COLUMNS.values(), WIDTHS, strict=True), start=1):
        cell = ws.cell(HEADER_ROW, c, header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)

    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    columns = list(COLUMNS)
    options = {
        "village": [v.name for v in villages],
        "category": list(CATEGORIES),
        "indicator": list(indicator_codes or []),
        "method": list(METHODS),
        "level": list(LEVELS),
        "rectify_status": list(RECTIFY),
        "self_reported": [YES, NO],
    }
    last = HEADER_ROW + 2000
    for n, (key, values) in enumerate(options.items(), start=1):
        letter = get_column_letter(n)
        lists.cell(1, n, COLUMNS[key])
        for r, value in enumerate(values, start=2):
            set_text_cell(lists.cell(r, n), value)
        if not values:
            continue
        target = get_column_letter(columns.index(key) + 1)
        dv = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="输入无效",
            error=f"请从下拉列表中选择{COLUMNS[key]}。",
        )
        dv.add(f"{target}{HEADER_ROW + 1}:{target}{last}")
        ws.add_data_validation(dv)
    has_dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    has_dv.add("F4")
    ws.add_data_validation(has_dv)

    names = {v.pk: v.name for v in villages}
    labels = {
        "category": dict(LedgerEntry.Category.choices),
        "method": dict(LedgerEntry.Method.choices),
        "level": dict(LedgerEntry.Level.choices),
        "rectify_status": dict(LedgerEntry.RectifyStatus.choices),
    }
    for r, e in enumerate(entries, start=HEADER_ROW + 1):
        values = (
            e.seq, names.get(e.village_id, ""), labels["category"][e.category], e.indicator_code,
            labels["method"][e.method], e.checked_on, e.checker, e.finding,
            labels["level"][e.level], e.proposed_deduction, e.requirement, e.owner,
            e.deadline, labels["rectify_status"].get(e.rectify_status, ""), e.rectify_note, e.closed_on,
            YES if e.self_reported else NO, e.note,
        )  # fmt: skip
        for c, value in enumerate(values, start=1):
            set_text_cell(ws.cell(r, c), float(value) if isinstance(value, Decimal) else value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
