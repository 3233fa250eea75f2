"""The plan's task list as a workbook: reading an upload and writing the export.

Layout: 序号 | 工作要点 | 重点任务 | 推进措施 | 牵头单位 | 责任单位 | 责任人 | 完成时限, one row per
重点任务, columns found by their header (序号, 牵头单位, 责任人 and 完成时限 may be left out, so the
older 工作要点｜责任单位｜重点任务｜推进措施｜完成时限 sheets still read). A title row may sit above the
header. The export writes every column, so exporting and re-importing gives the same tasks. 工作要点 is written once per group: a blank cell (or the lower cells of a merged
range, which openpyxl reads as blank) means "same as above". A plan may leave the group or the units
unwritten (seed 001 names units for some tasks only): such rows are kept as they are. Nothing here touches the database.
"""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from common.text import check_text
from common.xlsx import (
    Problem,
    WorkbookRefused,
    check_declared_width,
    check_row_width,
    extra_columns,
    extra_columns_message,
    file_problem,
    open_workbook,
    read_upload,
)

from .tasklist import TEXT_LIMITS, TaskRow, make_row, parse_deadline, split_parties  # noqa: F401 (re-exported)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 500
HEADER_SCAN = 5
MAX_COLS = 12
COLUMNS = {
    "number": "序号",
    "key_point": "工作要点",
    "task": "重点任务",
    "measures": "推进措施",
    "lead": "牵头单位",
    "units": "责任单位",
    "person": "责任人",
    "deadline": "完成时限",
}
REQUIRED = ("key_point", "units", "task")
WIDTHS = {"number": 6, "key_point": 18, "task": 30, "measures": 60, "lead": 18, "units": 24, "person": 14}


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def split_units(text):
    return split_parties(text)[0]


def _find_header(rows):
    for index, values in enumerate(rows[:HEADER_SCAN]):
        texts = [_text(v).replace(" ", "") for v in values]
        if COLUMNS["task"] in texts:
            return index, {key: texts.index(label) for key, label in COLUMNS.items() if label in texts}
    return None, {}


def parse_task_workbook(file, *, year):
    """(rows, problems) for the first sheet. Raises WorkbookRefused for unreadable files."""
    data = read_upload(file, MAX_BYTES)
    workbook = open_workbook(data)
    try:
        sheet = workbook.worksheets[0]
        sheet_name = sheet.title
        check_declared_width(sheet, MAX_COLS)
        sheet.reset_dimensions()
        raw = []
        for values in sheet.iter_rows(values_only=True):
            check_row_width(sheet, values, MAX_COLS)
            raw.append(values[:MAX_COLS])
            if len(raw) > MAX_ROWS + HEADER_SCAN:
                raise WorkbookRefused([file_problem(f"任务清单超过 {MAX_ROWS} 行，请拆分后导入。")])
    finally:
        workbook.close()
    header_index, cols = _find_header(raw)
    if header_index is None:
        raise WorkbookRefused(
            [
                file_problem(
                    "未找到表头“重点任务”，请使用任务清单模板（序号｜工作要点｜重点任务｜推进措施｜牵头单位｜责任单位｜责任人｜完成时限，序号、牵头单位、责任人可省略）。"
                )
            ]
        )
    missing = [COLUMNS[k] for k in REQUIRED if k not in cols]
    if missing:
        raise WorkbookRefused([file_problem(f"表头缺少列：{'、'.join(missing)}。")])

    problems, rows, key_point, numbers = [], [], "", set()
    body = list(enumerate(raw[header_index + 1 :], start=header_index + 2))
    extra = extra_columns(raw[header_index], set(cols.values()), body)
    if extra:
        problems.append(Problem(sheet_name, header_index + 1, "", extra_columns_message(extra)))
    for offset, values in body:
        cells = {}
        for key, i in cols.items():
            limit = TEXT_LIMITS[key][1] if key in TEXT_LIMITS else 20
            text, reason = check_text(
                _text(values[i]) if i < len(values) else "", max_length=limit, multiline=key != "number"
            )
            if reason:
                problems.append(Problem(sheet_name, offset, COLUMNS[key], reason))
            cells[key] = text
        if not any(cells.values()):
            continue
        key_point = cells.get("key_point") or key_point
        if not cells["task"]:
            problems.append(Problem(sheet_name, offset, COLUMNS["task"], "重点任务不能为空。"))
        number = len(rows) + 1
        if cells.get("number"):
            if not cells["number"].isdigit() or int(cells["number"]) in numbers:
                problems.append(
                    Problem(sheet_name, offset, COLUMNS["number"], f"序号“{cells['number']}”无效或重复。")
                )
            else:
                number = int(cells["number"])
        numbers.add(number)
        rows.append(
            make_row(
                row=offset,
                number=number,
                key_point=key_point,
                task=cells["task"],
                measures=cells.get("measures", ""),
                units_text=cells["units"],
                lead_text=cells.get("lead", ""),
                person=cells.get("person", ""),
                deadline_text=cells.get("deadline", ""),
                year=year,
            )
        )
    if not rows and not problems:
        problems.append(file_problem("任务清单中没有任务。"))
    return rows, problems


def export_task_workbook(tasks, out, *, title=""):
    """The task list in the import layout (every column the importer reads), so that a re-import of the
    file gives the same tasks. `tasks` are PlanTasks of one township and year, in order."""
    wb = Workbook()
    ws = wb.active
    ws.title = "任务清单"
    ws.append([title or "任务清单"])
    ws.append(list(COLUMNS.values()))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for t in tasks:
        ws.append(
            [
                t.number,
                t.key_point,
                t.task,
                t.measures,
                t.lead_text,
                t.units_text,
                t.responsible_person,
                t.deadline_text,
            ]
        )
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = wrap
    for i, key in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = WIDTHS.get(key, 16)
    wb.save(out)
