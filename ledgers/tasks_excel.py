"""Reading the plan's task list (seed 003 附件2) from an uploaded workbook.

Layout: 工作要点 | 责任单位 | 重点任务 | 推进措施 | 完成时限, one row per 重点任务. A title row may sit
above the header. 工作要点 is written once per group: a blank cell (or the lower cells of a merged
range, which openpyxl reads as blank) means "same as above". Nothing here touches the database.
"""

import calendar
import datetime
import re
from dataclasses import dataclass, field

from common.xlsx import Problem, WorkbookRefused, file_problem, open_workbook, read_upload

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 500
HEADER_SCAN = 5
COLUMNS = {
    "key_point": "工作要点",
    "units": "责任单位",
    "task": "重点任务",
    "measures": "推进措施",
    "deadline": "完成时限",
}
REQUIRED = ("key_point", "units", "task")
UNIT_SPLIT = re.compile(r"[、，,;；/\s]+")
MONTH_END = re.compile(r"(\d{1,2})\s*月(?:底|末|份|\d{1,2}日)?")
STANDING = ("长期推进", "长期坚持", "常态化", "长期开展", "持续推进")


@dataclass
class TaskRow:
    row: int
    number: int
    key_point: str
    task: str
    measures: str
    units_text: str
    unit_names: list = field(default_factory=list)
    deadline_text: str = ""
    deadline: datetime.date | None = None
    ongoing: bool = False


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def split_units(text):
    return [n for n in UNIT_SPLIT.split(text or "") if n]


def parse_deadline(text, year):
    """(date or None, ongoing). A named month wins ("每年12月底前…，其他常态化" → Dec 31): it is the
    date the township follows; a text with only a standing rule marks the task as ongoing."""
    text = text or ""
    match = MONTH_END.search(text)
    if match and 1 <= int(match.group(1)) <= 12:
        month = int(match.group(1))
        day_match = re.search(rf"{month}\s*月\s*(\d{{1,2}})\s*日", text)
        last = calendar.monthrange(year, month)[1]
        day = int(day_match.group(1)) if day_match and 1 <= int(day_match.group(1)) <= last else last
        return datetime.date(year, month, day), False
    return None, any(word in text for word in STANDING)


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
        sheet.reset_dimensions()
        raw = []
        for values in sheet.iter_rows(max_col=10, values_only=True):
            raw.append(values)
            if len(raw) > MAX_ROWS + HEADER_SCAN:
                raise WorkbookRefused([file_problem(f"任务清单超过 {MAX_ROWS} 行，请拆分后导入。")])
    finally:
        workbook.close()
    header_index, cols = _find_header(raw)
    if header_index is None:
        raise WorkbookRefused(
            [
                file_problem(
                    "未找到表头“重点任务”，请使用任务清单模板（工作要点｜责任单位｜重点任务｜推进措施｜完成时限）。"
                )
            ]
        )
    missing = [COLUMNS[k] for k in REQUIRED if k not in cols]
    if missing:
        raise WorkbookRefused([file_problem(f"表头缺少列：{'、'.join(missing)}。")])

    problems, rows, key_point = [], [], ""
    for offset, values in enumerate(raw[header_index + 1 :], start=header_index + 2):
        cells = {key: _text(values[i]) if i < len(values) else "" for key, i in cols.items()}
        if not any(cells.values()):
            continue
        key_point = cells.get("key_point") or key_point
        if not key_point:
            problems.append(Problem(sheet_name, offset, COLUMNS["key_point"], "第一条任务须填写工作要点。"))
        if not cells["task"]:
            problems.append(Problem(sheet_name, offset, COLUMNS["task"], "重点任务不能为空。"))
        names = split_units(cells["units"])
        if not names:
            problems.append(Problem(sheet_name, offset, COLUMNS["units"], "责任单位不能为空。"))
        deadline_text = cells.get("deadline", "")
        deadline, ongoing = parse_deadline(deadline_text, year)
        rows.append(
            TaskRow(
                row=offset,
                number=len(rows) + 1,
                key_point=key_point[:100],
                task=cells["task"],
                measures=cells.get("measures", ""),
                units_text=cells["units"][:200],
                unit_names=names,
                deadline_text=deadline_text[:200],
                deadline=deadline,
                ongoing=ongoing,
            )
        )
    if not rows and not problems:
        problems.append(file_problem("任务清单中没有任务。"))
    return rows, problems
