"""The parser of an uploaded 《日常监管台账》: typed rows and every problem found, located by row and column.

Opening the file reuses common.xlsx (size, OLE2/encrypted, xlsm, zip-bomb checks, read_only +
data_only). Nothing here writes to the database.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from common.text import LINE_LIMIT, NOTE_LIMIT, check_text, name_key
from common.xlsx import (
    Problem,
    WorkbookRefused,
    check_declared_width,
    check_row_width,
    extra_columns,
    extra_columns_message,
    file_problem,
    open_workbook,
)
from villages.workbook import normalise_label

from .layout import (
    CATEGORIES,
    COLUMNS,
    HEADER_LABELS,
    LEVELS,
    METHODS,
    NO,
    NO_PROBLEM,
    RECTIFY,
    SHEET,
    YES,
    month_label,
)

MAX_ROWS = 20_000
MAX_HEADER_SCAN = 15
MAX_COLS = len(COLUMNS) + 4
# The model's TextFields have no limit of their own; a cell past this is a row problem, nothing stored.
TEXT_LIMITS = {"finding": NOTE_LIMIT, "requirement": NOTE_LIMIT, "rectify_note": NOTE_LIMIT}
MONTH_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$")
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass
class ParsedLedger:
    header: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)  # dicts of LedgerEntry field values (village as id)
    problems: list = field(default_factory=list)
    zero_report: bool = False
    filled_by: str = ""
    approved_by: str = ""


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _date(value):
    """A date from a date cell or typed text, or raise ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = DATE_RE.match(_text(value))
    if not m:
        raise ValueError
    return dt.date(*(int(x) for x in m.groups()))


def _parse_month(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.year, value.month
    m = MONTH_RE.match(_text(value).replace(" ", ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _read_header_block(rows):
    """(label → value, header row number, header cells), consuming rows up to the column headers."""
    wanted = {normalise_label(v): k for k, v in HEADER_LABELS.items()}
    block, first_header = {}, normalise_label(COLUMNS["seq"])
    for number, values in enumerate(rows, start=1):
        cells = [normalise_label(v) for v in values]
        if cells and cells[0] == first_header:
            return block, number, values
        for i, label in enumerate(cells):
            key = wanted.get(label.split("（")[0])
            if key and key not in block:
                block[key] = values[i + 1] if i + 1 < len(values) else None
        if number >= MAX_HEADER_SCAN:
            break
    return block, None, None


def parse_ledger(data, *, unit, year, month, villages, indicator_codes):
    """Check the whole workbook; `villages` maps name → id of the unit's supervised villages."""
    # the cells are cleaned (full-width parentheses); a village stored under an older spelling is
    # found by its cleaned name too
    villages = {**{name_key(n): pk for n, pk in villages.items()}, **villages}
    wb = open_workbook(data)
    try:
        if SHEET not in wb.sheetnames:
            raise WorkbookRefused(
                [file_problem(f"不是日常监管台账模板：缺少工作表“{SHEET}”。请使用“下载模板”。")]
            )
        ws = wb[SHEET]
        check_declared_width(ws, MAX_COLS)
        ws.reset_dimensions()
        rows = _checked_rows(ws, ws.iter_rows(values_only=True))
        block, header_row, header_values = _read_header_block(rows)
        if header_row is None:
            raise WorkbookRefused([file_problem("不是日常监管台账模板：找不到以“序号”开头的表头行。")])
        columns = _match_columns(header_values)
        result = ParsedLedger(header=block)
        extra = extra_columns(header_values, set(columns.values()))
        if extra:
            result.problems.append(Problem(SHEET, header_row, "", extra_columns_message(extra)))
        _check_header(result, block, unit=unit, year=year, month=month)
        seen, count = {}, 0
        for number, values in enumerate(rows, start=header_row + 1):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            count += 1
            if count > MAX_ROWS:
                raise WorkbookRefused(
                    [file_problem(f"记录超过 {MAX_ROWS} 行，不能导入，请分月份或精简后再上传。")]
                )
            stray = extra_columns((), set(columns.values()), [(number, values)])
            if stray:
                result.problems.append(Problem(SHEET, number, "", extra_columns_message(stray)))
            row = _check_row(result.problems, number, values, columns, year, month, villages, indicator_codes)
            if row is not None:
                if row["seq"] in seen:
                    _fail(
                        result.problems, number, "seq", f"序号 {row['seq']} 与第 {seen[row['seq']]} 行重复。"
                    )
                else:
                    seen[row["seq"]] = number
                    result.rows.append(row)
        has = _text(block.get("has_problems"))
        result.zero_report = count == 0
        if has == NO and any(r["level"] for r in result.rows):
            result.problems.append(
                Problem(
                    SHEET,
                    None,
                    HEADER_LABELS["has_problems"],
                    "填“否”（本月无问题），但台账中有问题等级不为空的记录。",
                )
            )
        if has == YES and count == 0:
            result.problems.append(
                Problem(SHEET, None, HEADER_LABELS["has_problems"], "填“是”，但台账中没有任何记录。")
            )
        if has not in (YES, NO, ""):
            result.problems.append(Problem(SHEET, None, HEADER_LABELS["has_problems"], "请填写“是”或“否”。"))
        result.filled_by = _header_name(result, block, "filled_by")
        result.approved_by = _header_name(result, block, "approved_by")
        return result
    finally:
        wb.close()


def _checked_rows(ws, rows):
    """The rows cut to MAX_COLS, refusing the sheet at the first row that holds anything past it."""
    for values in rows:
        check_row_width(ws, values, MAX_COLS)
        yield values[:MAX_COLS]


def _header_name(result, block, key):
    """填报人 / 审核人 of the header block, cleaned as a name (the model holds 30 characters)."""
    text, reason = check_text(_text(block.get(key)), max_length=30, name=True)
    if reason:
        result.problems.append(Problem(SHEET, None, HEADER_LABELS[key], reason))
        return ""
    return text


def _match_columns(values):
    found = {normalise_label(v): i for i, v in enumerate(values) if v is not None}
    missing = [h for h in COLUMNS.values() if normalise_label(h) not in found]
    if missing:
        raise WorkbookRefused(
            [file_problem(f"不是日常监管台账模板：缺少表头“{h}”。请使用“下载模板”。") for h in missing]
        )
    return {k: found[normalise_label(h)] for k, h in COLUMNS.items()}


def _check_header(result, block, *, unit, year, month):
    problems = result.problems
    name = normalise_label(block.get("unit"))
    if name != normalise_label(unit.name):
        problems.append(
            Problem(
                SHEET,
                None,
                HEADER_LABELS["unit"],
                f"报送单位“{_text(block.get('unit'))}”与本页的单位“{unit.name}”不一致。",
            )
        )
    town = normalise_label(block.get("township"))
    if town and town != normalise_label(unit.township.name):
        problems.append(
            Problem(
                SHEET,
                None,
                HEADER_LABELS["township"],
                f"所属镇街“{_text(block.get('township'))}”与“{unit.township.name}”不一致。",
            )
        )
    if _parse_month(block.get("month")) != (year, month):
        problems.append(
            Problem(
                SHEET,
                None,
                HEADER_LABELS["month"],
                f"台账月份“{_text(block.get('month'))}”与本页的月份“{month_label(year, month)}”不一致。",
            )
        )


def _fail(problems, number, key, message):
    problems.append(Problem(SHEET, number, COLUMNS[key], message))


def _check_row(problems, number, values, columns, year, month, villages, indicator_codes):
    """One row as model field values, or None after recording its problems."""
    before = len(problems)

    def raw(key):
        i = columns[key]
        return values[i] if i < len(values) else None

    def text(key, max_length=None):
        """The cell cleaned by common.text (NFKC, no format/control characters, bounded)."""
        limit = max_length or TEXT_LIMITS.get(key, LINE_LIMIT)
        value, reason = check_text(
            _text(raw(key)),
            max_length=limit,
            multiline=key in TEXT_LIMITS or key == "note",
            name=key in ("village", "checker", "owner"),
        )
        if reason:
            _fail(problems, number, key, reason)
        return value

    def choice(key, options, required=True):
        value = text(key)
        if not value:
            if required:
                _fail(problems, number, key, "必填。")
            return ""
        if value not in options:
            _fail(problems, number, key, f"“{value}”不是可选值，应为：{'、'.join(options)}。")
            return ""
        return options[value]

    def date(key, required=False):
        value = raw(key)
        if value in (None, ""):
            if required:
                _fail(problems, number, key, "必填。")
            return None
        try:
            return _date(value)
        except (ValueError, TypeError):
            _fail(problems, number, key, f"“{_text(value)}”不是日期，请填写如 {year}-{month:02d}-15。")
            return None

    row = {}
    seq = raw("seq")
    try:
        row["seq"] = int(_text(seq))
        if row["seq"] <= 0:
            raise ValueError
    except ValueError:
        _fail(problems, number, "seq", "序号须为正整数。")
    village = text("village")
    if not village:
        _fail(problems, number, "village", "必填。")
    elif village not in villages:
        _fail(problems, number, "village", f"“{village}”不是本单位监管的村（社区）。")
    row["village_id"] = villages.get(village)
    row["category"] = choice("category", CATEGORIES)
    code = text("indicator", 20)
    if code and indicator_codes is not None and code not in indicator_codes:
        _fail(problems, number, "indicator", f"指标“{code}”不在本年度村级指数标准中。")
    row["indicator_code"] = code
    row["method"] = choice("method", METHODS)
    row["checked_on"] = date("checked_on", required=True)
    if row["checked_on"] and (row["checked_on"].year, row["checked_on"].month) != (year, month):
        _fail(
            problems,
            number,
            "checked_on",
            f"日期 {row['checked_on']:%Y-%m-%d} 不在 {month_label(year, month)} 内。",
        )
    row["checker"] = text("checker", 60)
    if not row["checker"]:
        _fail(problems, number, "checker", "必填。")
    row["finding"] = text("finding")
    row["level"] = choice("level", LEVELS, required=False)
    raw_deduction = raw("deduction")
    try:
        row["proposed_deduction"] = Decimal(_text(raw_deduction) or "0").quantize(Decimal("0.01"))
        if row["proposed_deduction"] < 0:
            _fail(problems, number, "deduction", "拟扣分不能为负数。")
        elif row["proposed_deduction"] >= 100000:
            _fail(problems, number, "deduction", "拟扣分过大。")
    except InvalidOperation:
        _fail(problems, number, "deduction", f"“{_text(raw_deduction)}”不是数字。")
    row["requirement"] = text("requirement")
    row["owner"] = text("owner", 30)
    row["deadline"] = date("deadline")
    row["rectify_status"] = choice("rectify_status", RECTIFY, required=False)
    row["rectify_note"] = text("rectify_note")
    row["closed_on"] = date("closed_on")
    flag = text("self_reported")
    if flag not in (YES, NO, ""):
        _fail(problems, number, "self_reported", "请填写“是”或“否”。")
    row["self_reported"] = flag == YES
    row["note"] = text("note", 300)
    if row["level"]:
        if not row["finding"]:
            _fail(problems, number, "finding", "有问题等级的记录须填写问题描述。")
        if not row["requirement"]:
            _fail(problems, number, "requirement", "有问题的记录须填写整改要求。")
        if row["deadline"] is None and not _text(raw("deadline")):
            _fail(problems, number, "deadline", "有问题的记录须填写整改时限。")
    elif row["finding"] and _text(raw("level")) in ("", NO_PROBLEM):
        _fail(problems, number, "level", "填写了问题描述，请选择问题等级。")
    return row if len(problems) == before else None
