"""Shared cell writers and styles of the report workbooks.

Every user-typed text goes through `common.xlsx.set_text_cell`, the project's one formula-escaping
helper (SECURITY.md XLS-2); scores are written as numbers, dates as date cells, empty stays empty.
"""

import datetime as dt
from decimal import Decimal

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from common.xlsx import set_text_cell

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
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
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
