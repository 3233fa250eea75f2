"""The index (目录) of the city package zip: every file with its size and SHA-256."""

from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.cell_range import CellRange

from common.xlsx import (
    BOLD,
    BORDER,
    CENTER,
    HEADER_FILL,
    TITLE_FONT,
    WRAP,
    freeze,
    print_setup,
    set_text_cell,
    widths,
)

INDEX_SHEET = "目录"
INDEX_HEADERS = ("序号", "村（社区）", "材料类型", "文件名（包内路径）", "大小（KB）", "SHA-256")
INDEX_WIDTHS = (6, 14, 16, 60, 11, 68)
KB = Decimal(1024)
TENTH = Decimal("0.1")


def size_kb(size):
    """Bytes as kilobytes with one decimal (a file of a few bytes shows 0.1, not 0)."""
    if size is None:
        return None
    kb = (Decimal(size) / KB).quantize(TENTH, rounding=ROUND_HALF_UP)
    return max(kb, TENTH) if size else kb


def package_index_xlsx(*, title, entries, out):
    """目录: entries are dicts with village, kind, path, size (bytes) and sha256.

    Written row by row (openpyxl's write-only mode): the index of a 1,000-village package has 7,000
    rows, which as a workbook in memory took the assembling worker 19 MB more than a 66-village one."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(INDEX_SHEET)
    last = len(INDEX_HEADERS)
    widths(ws, INDEX_WIDTHS)
    freeze(ws, 3, 1)
    print_setup(ws, title_rows="2:2")
    ws.row_dimensions[1].height = 30

    def cell(value, *, font=None, alignment=None, fill=None, number_format=None, border=BORDER):
        c = WriteOnlyCell(ws)
        if isinstance(value, str):
            set_text_cell(c, value)
        else:
            c.value = value
            if value is not None and number_format:
                c.number_format = number_format
        for name, style in (("font", font), ("alignment", alignment), ("fill", fill), ("border", border)):
            if style is not None:
                setattr(c, name, style)
        return c

    def header(value):
        return cell(value, font=BOLD, alignment=CENTER, fill=HEADER_FILL)

    ws.append([cell(title, font=TITLE_FONT, alignment=CENTER, border=None)])
    ws.merged_cells.add(CellRange(min_row=1, min_col=1, max_row=1, max_col=last))
    ws.append([header(h) for h in INDEX_HEADERS])
    total = 0
    for n, entry in enumerate(entries, start=1):
        ws.append(
            [
                cell(n, alignment=CENTER),
                cell(entry.get("village") or None),
                cell(entry.get("kind") or None),
                cell(entry.get("path") or None, alignment=WRAP),
                cell(size_kb(entry.get("size")), number_format="0.0"),
                cell(entry.get("sha256") or None),
            ]
        )
        total += entry.get("size") or 0
    row = 3 + len(entries)
    ws.append(
        [
            header("合计"),
            *(header(None) for _ in range(3)),
            cell(size_kb(total), number_format="0.0", font=BOLD),
            cell(f"共 {len(entries)} 个文件"),
        ]
    )
    ws.merged_cells.add(CellRange(min_row=row, min_col=1, max_row=row, max_col=4))
    wb.save(out)
