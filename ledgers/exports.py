"""The ledger downloads: who reported the monthly ledger (台账报送情况) and the rectification list (整改清单).

The compliance sheet uses compliance.compliance_matrix, the function behind the page, so both show the
same states; the rectification list reads its rows in one query (latest event as subqueries). The ledger
pages download them directly; reports builds the same workbooks as export jobs. Cells are written with
the shared writers of common.xlsx.
"""

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from common.xlsx import (
    BOLD,
    BORDER,
    CENTER,
    LEFT,
    WRAP,
    borders,
    date,
    freeze,
    header_cell,
    header_row,
    merge,
    print_setup,
    text,
    title_row,
    widths,
)
from villages.models import ResponsibleUnit

from .compliance import COUNTED, LEDGER_START_MONTH, State, compliance_matrix
from .models import Rectification, RectificationEvent
from .workflow import ACTION_LABELS, is_overdue

COMPLIANCE_SHEET = "台账报送情况"
HISTORY_SHEET = "近三年汇总"
RECTIFICATION_SHEET = "整改清单"
MONTHS = range(LEDGER_START_MONTH, 13)
# the page's colours (Bootstrap's table-* backgrounds), as Excel fills
STATE_FILLS = {
    State.ON_TIME: PatternFill("solid", fgColor="D1E7DD"),
    State.LATE: PatternFill("solid", fgColor="FFF3CD"),
    State.MISSING: PatternFill("solid", fgColor="F8D7DA"),
    State.ZERO: PatternFill("solid", fgColor="CFF4FC"),
    State.NOT_DUE: PatternFill("solid", fgColor="F8F9FA"),
    State.NOT_APPLICABLE: PatternFill(fill_type=None),
}


# --- 台账报送情况 -------------------------------------------------------------------------------------


def _compliance_sheet(ws, township, year, matrix, today):
    month_col = {m: 3 + 2 * i for i, m in enumerate(MONTHS)}
    totals_col = 3 + 2 * len(MONTHS)
    last = totals_col + len(COUNTED) - 1
    title_row(ws, 1, f"{township.name}{year}年度“清廉村居”日常监管台账报送情况", last)
    note = (
        f"统计日期：{today:%Y-%m-%d}。每月台账于次月{township.ledger_due_day}日前报送"
        f"（{LEDGER_START_MONTH}月起），按北京时间的报送日期判定是否按时。"
    )
    text(ws, 2, 1, note, style=LEFT)
    merge(ws, 2, 1, 2, last)
    for c, label in ((1, "序号"), (2, "责任单位")):
        header_cell(ws, 3, c, label)
        header_cell(ws, 4, c, None)
        merge(ws, 3, c, 4, c)
    for m, c in month_col.items():
        header_cell(ws, 3, c, f"{m}月")
        header_cell(ws, 3, c + 1, None)
        merge(ws, 3, c, 3, c + 1)
        header_cell(ws, 4, c, "状态")
        header_cell(ws, 4, c + 1, "报送日期")
    header_cell(ws, 3, totals_col, "合计（月数）")
    for i, state in enumerate(COUNTED):
        if i:
            header_cell(ws, 3, totals_col + i, None)
        header_cell(ws, 4, totals_col + i, state.label)
    merge(ws, 3, totals_col, 3, last)
    r = 5
    for n, row in enumerate(matrix.rows, start=1):
        ws.cell(r, 1, n).alignment = CENTER
        text(ws, r, 2, row.unit.name)
        counts = dict.fromkeys(COUNTED, 0)
        for cell in row.cells:
            if cell.month not in month_col:
                continue
            c = month_col[cell.month]
            text(ws, r, c, cell.state.label, style=CENTER)
            if cell.submitted_at is not None:
                date(ws, r, c + 1, timezone.localtime(cell.submitted_at).date()).alignment = CENTER
            for col in (c, c + 1):
                ws.cell(r, col).fill = STATE_FILLS[cell.state]
            if cell.state in counts:
                counts[cell.state] += 1
        for i, state in enumerate(COUNTED):
            ws.cell(r, totals_col + i, counts[state]).alignment = CENTER
        r += 1
    header_cell(ws, r, 1, "合计")
    header_cell(ws, r, 2, None)
    merge(ws, r, 1, r, 2)
    for i, state in enumerate(COUNTED):
        cell = ws.cell(r, totals_col + i, matrix.totals[state])
        cell.font = BOLD
        cell.alignment = CENTER
    borders(ws, 3, r, last)
    legend = r + 2
    text(ws, legend, 1, "图例", style=CENTER)
    for i, state in enumerate((*COUNTED, State.NOT_APPLICABLE)):
        cell = text(ws, legend, 2 + i, state.label, style=CENTER)
        cell.fill = STATE_FILLS[state]
        cell.border = BORDER
    widths(ws, (5, 18) + (7, 11) * len(MONTHS) + (7,) * len(COUNTED))
    freeze(ws, 5, 3)
    print_setup(ws, title_rows="3:4")


def _history_sheet(ws, township, matrix):
    headers = ("年度", *(s.label for s in COUNTED))
    title_row(ws, 1, f"{township.name}近三年台账报送情况（单位·月数）", len(headers))
    header_row(ws, 2, headers)
    r = 3
    for y, counts in matrix.history:
        ws.cell(r, 1, y).alignment = CENTER
        for i, state in enumerate(COUNTED, start=2):
            ws.cell(r, i, counts[state]).alignment = CENTER
        r += 1
    borders(ws, 2, r - 1, len(headers))
    widths(ws, (10,) + (9,) * len(COUNTED))
    print_setup(ws, title_rows="2:2", landscape=False)


def compliance_xlsx(*, township, year, out, today=None, units=None):
    """台账报送情况 of the township's units (or of `units`, already scoped by the caller) for the months the
    plan assesses (4–12), as on the page."""
    today = today or timezone.localdate()
    if units is None:
        units = ResponsibleUnit.objects.filter(township=township)
    units = units.select_related("township").order_by("sort_order", "name")
    matrix = compliance_matrix(units=units, year=year, today=today)
    wb = Workbook()
    ws = wb.active
    ws.title = COMPLIANCE_SHEET
    _compliance_sheet(ws, township, year, matrix, today)
    _history_sheet(wb.create_sheet(HISTORY_SHEET), township, matrix)
    wb.save(out)


# --- 整改清单 -------------------------------------------------------------------------------------------

RECTIFICATION_HEADERS = (
    "序号", "所属镇街", "村（社区）", "来源", "问题描述", "整改要求", "整改责任人", "整改时限", "状态",
    "是否逾期", "销号日期", "最近进展",
)  # fmt: skip
RECTIFICATION_WIDTHS = (5, 10, 12, 16, 36, 32, 14, 12, 12, 8, 12, 36)


def _rows(rectifications):
    """The items in the caller's order with what the sheet shows, in one query."""
    if isinstance(rectifications, QuerySet):
        qs, order = rectifications, None
    else:
        items = list(rectifications)
        order = {item.pk: i for i, item in enumerate(items)}
        qs = Rectification.objects.filter(pk__in=list(order))
    latest = RectificationEvent.objects.filter(rectification=OuterRef("pk")).order_by("-at", "-pk")
    qs = qs.select_related("village", "township", "ledger_entry__submission__unit").annotate(
        last_action=Subquery(latest.values("action")[:1]),
        last_at=Subquery(latest.values("at")[:1]),
        last_note=Subquery(latest.values("note")[:1]),
    )
    rows = list(qs)
    if order is not None:
        rows.sort(key=lambda item: order[item.pk])
    return rows


def _source(item):
    label = item.get_source_display()
    entry = item.ledger_entry
    if entry is None:
        return label
    sub = entry.submission
    return f"{label}（{sub.unit.name} {sub.year}年{sub.month}月台账）"


def _progress(item):
    if not item.last_action:
        return ""
    at = item.last_at
    when = f"{timezone.localtime(at):%Y-%m-%d} " if at else ""
    label = ACTION_LABELS.get(item.last_action, item.last_action)
    return f"{when}{label}" + (f"：{item.last_note}" if item.last_note else "")


def rectification_xlsx(*, rectifications, out, today=None):
    """整改清单 of the (already scoped) items, one row each, overdue judged on `today`."""
    today = today or timezone.localdate()
    rows = _rows(rectifications)
    wb = Workbook()
    ws = wb.active
    ws.title = RECTIFICATION_SHEET
    last = len(RECTIFICATION_HEADERS)
    title_row(ws, 1, "“清廉村居”建设整改清单", last)
    text(ws, 2, 1, f"导出日期：{today:%Y-%m-%d}；共 {len(rows)} 项。", style=LEFT)
    merge(ws, 2, 1, 2, last)
    header_row(ws, 3, RECTIFICATION_HEADERS)
    r = 4
    for n, item in enumerate(rows, start=1):
        ws.cell(r, 1, n).alignment = CENTER
        text(ws, r, 2, item.township.name)
        text(ws, r, 3, item.village.name)
        text(ws, r, 4, _source(item), style=WRAP)
        text(ws, r, 5, item.problem, style=WRAP)
        text(ws, r, 6, item.requirement, style=WRAP)
        text(ws, r, 7, item.owner, style=WRAP)
        date(ws, r, 8, item.deadline).alignment = CENTER
        text(ws, r, 9, item.get_status_display(), style=CENTER)
        overdue = is_overdue(item, today)
        cell = text(ws, r, 10, "是" if overdue else "否", style=CENTER)
        if overdue:
            cell.fill = STATE_FILLS[State.MISSING]
        date(ws, r, 11, item.closed_on).alignment = CENTER
        text(ws, r, 12, _progress(item), style=WRAP)
        r += 1
    borders(ws, 3, r - 1, last)
    widths(ws, RECTIFICATION_WIDTHS)
    freeze(ws, 4, 4)
    print_setup(ws, title_rows="3:3")
    wb.save(out)
