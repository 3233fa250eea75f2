"""Opening an uploaded .xlsx safely (SECURITY.md FILE-1, FILE-2, XLS-1) and writing cells safely (XLS-2).

The checks look at the bytes, never at the file name alone: encrypted or legacy files (OLE2), anything
that is not a zip, macro-enabled workbooks and zip bombs are refused, and then the package passes the
upload checks of common.uploads.check_ooxml (every XML part parsed with defusedxml, no DTDs/entities, no
external relationships, no zip-slip or symlink entries, actual sizes read under a cap) before openpyxl
parses anything.

The second half holds the shared cell writers and styles of the exported workbooks (the report workbooks
of `reports`, the ledger downloads of `ledgers`): every user-typed text goes through `set_text_cell`,
scores are written as numbers, dates as date cells, empty stays empty.
"""

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .errors import InvalidInputError
from .uploads import UploadError, check_ooxml

OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
MAX_ZIP_ENTRIES = 1000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_SHEETS = 50
DECLARED_COLUMNS_LIMIT = 500
MACRO_MARKERS = ("macroenabled", "vbaproject")

NOT_XLSX = "文件已损坏或不是 xlsx 格式，请用 Excel 另存为“Excel 工作簿（*.xlsx）”后再导入。"
ENCRYPTED = "文件已加密或不是 xlsx 格式，请取消密码保护并另存为“Excel 工作簿（*.xlsx）”后再导入。"
MACRO = "不接受启用宏的工作簿（.xlsm），请另存为“Excel 工作簿（*.xlsx）”后再导入。"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded workbook, located for the user (sheet, Excel row, column)."""

    sheet: str
    row: int | None
    column: str
    message: str


def file_problem(message):
    return Problem("", None, "", message)


class WorkbookRefused(InvalidInputError):
    """The file as a whole cannot be read; `problems` says why (one or several)."""

    def __init__(self, problems):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _size_text(n):
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n} 字节"


def read_upload(file, max_bytes):
    """The upload's bytes, refusing files over `max_bytes` without reading them whole."""
    name = str(getattr(file, "name", "") or "")
    lower = name.lower()
    if lower.endswith(".xlsm"):
        raise WorkbookRefused([file_problem(MACRO)])
    if name and not lower.endswith(".xlsx"):
        raise WorkbookRefused([file_problem(f"只接受 .xlsx 文件，收到的是“{name[-60:]}”。")])
    size = getattr(file, "size", None)
    limit_text = f"文件大小超过上限（{_size_text(max_bytes)}）。"
    if size is not None and size > max_bytes:
        raise WorkbookRefused([file_problem(limit_text)])
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise WorkbookRefused([file_problem(limit_text)])
    if not data:
        raise WorkbookRefused([file_problem("文件为空。")])
    return data


def check_import_package(data):
    """The upload checks of common.uploads.check_ooxml (every XML part through defusedxml, external
    relationships, zip-slip, symlinks, encrypted entries, zip bombs by declared and actual size, macros),
    before openpyxl reads anything; a refusal becomes a WorkbookRefused with the same Chinese message."""
    try:
        kind = check_ooxml(data)
    except UploadError as exc:
        raise WorkbookRefused([file_problem(exc.message)]) from None
    if kind != "xlsx":
        raise WorkbookRefused([file_problem(NOT_XLSX)])


def open_workbook(data):
    """A read-only, values-only openpyxl workbook from checked bytes. Close it when done."""
    if data[:4] == OLE2_MAGIC:
        raise WorkbookRefused([file_problem(ENCRYPTED)])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise WorkbookRefused([file_problem(NOT_XLSX)]) from None
    names = {e.filename for e in entries}
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused([file_problem("文件解压后过大，不能导入。")])
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookRefused([file_problem(NOT_XLSX)])
    try:
        content_types = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        raise WorkbookRefused([file_problem(NOT_XLSX)]) from None
    if any(m in content_types for m in MACRO_MARKERS) or any(
        n.lower().endswith("vbaproject.bin") for n in names
    ):
        raise WorkbookRefused([file_problem(MACRO)])
    check_import_package(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types (KeyError, XML errors, defusedxml refusals)
        raise WorkbookRefused([file_problem(NOT_XLSX)]) from None
    if len(workbook.sheetnames) > MAX_SHEETS:
        workbook.close()
        raise WorkbookRefused([file_problem(f"工作表超过 {MAX_SHEETS} 个，不能导入。")])
    return workbook


class TooManyRows(InvalidInputError):
    """More data rows than the caller accepts; the caller words the message."""


def too_many_columns(worksheet, max_cols):
    return WorkbookRefused(
        [
            Problem(
                worksheet.title,
                None,
                "",
                f"工作表“{worksheet.title}”的列数超过 {max_cols} 列，不是本模板的格式，不能导入。"
                "请使用“下载模板”中的表格填写。",
            )
        ]
    )


def check_declared_width(worksheet, max_cols):
    """Refuse a sheet whose declared dimension is wider than `max_cols` before reading any cell.

    A file can also lie about its dimension; the readers then stop at the first row wider than the
    limit (`sheet_rows`, `check_row_width`), having parsed no more than that row."""
    try:
        declared = worksheet.max_column
    except Exception:  # openpyxl raises on malformed dimension refs
        declared = None
    # Excel's dimension can include formatted empty cells, so only a claim far past any template is
    # refused this early; a real row past `max_cols` is refused while reading.
    if isinstance(declared, int) and declared > max(max_cols, DECLARED_COLUMNS_LIMIT):
        raise too_many_columns(worksheet, max_cols)


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def check_row_width(worksheet, values, max_cols):
    """Refuse a row (read whole) that holds something past `max_cols`."""
    if len(values) > max_cols and not all(_blank(v) for v in values[max_cols:]):
        raise too_many_columns(worksheet, max_cols)


def sheet_rows(worksheet, *, max_rows, max_cols):
    """(header, [(row number, values)]) with blank rows dropped; raises TooManyRows past `max_rows`
    and WorkbookRefused for a sheet wider than `max_cols` (declared or found), without reading on."""
    check_declared_width(worksheet, max_cols)
    # A declared dimension can claim a million rows; ignore it and read what is really there.
    worksheet.reset_dimensions()
    header, rows = None, []
    # Read whole rows: openpyxl parses every cell of a row anyway, and a cut at max_col would hide
    # text typed further right.
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        check_row_width(worksheet, values, max_cols)
        values = values[:max_cols]
        if number == 1:
            header = values
            continue
        if all(_blank(v) for v in values):
            continue
        rows.append((number, values))
        if len(rows) > max_rows:
            raise TooManyRows
    return header or (), rows


def extra_columns(header, known, rows=()):
    """Names of the columns that hold something but are not the template's: their header in quotes, or
    the column letter where the header is blank. `known` holds the template columns' indexes."""
    width = max([len(header), *(len(values) for _number, values in rows)])
    found = []
    for index in range(width):
        if index in known:
            continue
        label = header[index] if index < len(header) else None
        if not _blank(label):
            found.append(f"“{str(label).strip()[:30]}”")
        elif any(index < len(values) and not _blank(values[index]) for _number, values in rows):
            found.append(f"第 {get_column_letter(index + 1)} 列")
    return found


def extra_columns_message(found):
    return (
        f"有模板之外的列：{'、'.join(found)}。这些列不会被导入，请删除它们"
        "（或把内容移到模板中的对应列）后再导入。"
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def set_text_cell(cell, value):
    """Write user text so no spreadsheet treats it as a formula (SECURITY.md XLS-2).

    The value itself stays unchanged (so export → import round-trips); the cell is typed as a string
    and carries Excel's quote prefix, the same state as a cell typed with a leading apostrophe.
    """
    if value is None:
        cell.value = None
        return
    if not isinstance(value, str):
        cell.value = value
        return
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = text
    if text.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


# --- Writing the exported workbooks ----------------------------------------------------------------

SCORE_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=16)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
SUBTOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")


def text(ws, row, column, value, *, style=None):
    """A user-typed (or any) text cell, escaped so it is never a formula."""
    cell = ws.cell(row, column)
    set_text_cell(cell, value if value not in ("", None) else None)
    if style is not None:
        cell.alignment = style
    return cell


def number(ws, row, column, value, *, number_format=SCORE_FORMAT):
    """A typed number cell (Decimal kept exact); None stays an empty cell."""
    cell = ws.cell(row, column)
    if value is None or value == "":
        cell.value = None
    else:
        cell.value = value if isinstance(value, (int, float, Decimal)) else Decimal(value)
        cell.number_format = number_format
    return cell


def date(ws, row, column, value):
    """A real date cell (a datetime is reduced to its local calendar date by the caller)."""
    cell = ws.cell(row, column)
    if isinstance(value, dt.datetime):
        value = value.date()
    cell.value = value
    if value is not None:
        cell.number_format = DATE_FORMAT
    return cell


def title_row(ws, row, text_value, last_column):
    cell = ws.cell(row, 1)
    set_text_cell(cell, text_value)
    cell.font = TITLE_FONT
    cell.alignment = CENTER
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    ws.row_dimensions[row].height = 30
    return cell


def header_cell(ws, row, column, value):
    """A bold header cell; escaped too, since headers carry names from the imported standard."""
    cell = ws.cell(row, column)
    set_text_cell(cell, value)
    cell.font = BOLD
    cell.fill = HEADER_FILL
    cell.alignment = CENTER
    cell.border = BORDER
    return cell


def header_row(ws, row, headers, start=1):
    for c, value in enumerate(headers, start=start):
        header_cell(ws, row, c, value)


def merge(ws, first_row, first_column, last_row, last_column):
    if (first_row, first_column) != (last_row, last_column):
        ws.merge_cells(
            start_row=first_row, start_column=first_column, end_row=last_row, end_column=last_column
        )


def widths(ws, values):
    for c, width in enumerate(values, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width


def borders(ws, first_row, last_row, last_column, first_column=1):
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_column, max_col=last_column):
        for cell in row:
            cell.border = BORDER


def print_setup(ws, *, title_rows, landscape=True):
    """A4, fit to one page wide, the header rows repeated on every printed page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4  # (a write-only sheet lacks the constant)
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def freeze(ws, row, column):
    """Freeze the rows above `row` and the columns left of `column`."""
    ws.freeze_panes = f"{get_column_letter(column)}{row}"
