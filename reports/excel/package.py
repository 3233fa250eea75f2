"""The index (目录) of the city package zip: every file with its size and SHA-256."""

from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook

from common.xlsx import (
    BOLD,
    CENTER,
    WRAP,
    borders,
    freeze,
    header_cell,
    header_row,
    merge,
    number,
    print_setup,
    text,
    title_row,
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
    """目录: entries are dicts with village, kind, path, size (bytes) and sha256."""
    wb = Workbook()
    ws = wb.active
    ws.title = INDEX_SHEET
    last = len(INDEX_HEADERS)
    title_row(ws, 1, title, last)
    header_row(ws, 2, INDEX_HEADERS)
    r = 3
    total = 0
    for n, entry in enumerate(entries, start=1):
        ws.cell(r, 1, n).alignment = CENTER
        text(ws, r, 2, entry.get("village"))
        text(ws, r, 3, entry.get("kind"))
        text(ws, r, 4, entry.get("path"), style=WRAP)
        number(ws, r, 5, size_kb(entry.get("size")), number_format="0.0")
        text(ws, r, 6, entry.get("sha256"))
        total += entry.get("size") or 0
        r += 1
    header_cell(ws, r, 1, "合计")
    for c in range(2, 5):
        header_cell(ws, r, c, None)
    merge(ws, r, 1, r, 4)
    number(ws, r, 5, size_kb(total), number_format="0.0").font = BOLD
    text(ws, r, 6, f"共 {r - 3} 个文件")
    borders(ws, 2, r, last)
    widths(ws, INDEX_WIDTHS)
    freeze(ws, 3, 1)
    print_setup(ws, title_rows="2:2")
    wb.save(out)
