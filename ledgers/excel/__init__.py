"""The 《日常监管台账》 workbook (FORMS.md): the blank template and the parser of uploaded files.

Nothing here writes to the database. `layout` names the sheet, the header block and the columns;
`template` writes the workbook a unit downloads; `parsing` reads an upload back (opening it through
common.xlsx: size, OLE2/encrypted, xlsm, zip-bomb checks) into typed rows and every problem found.
"""

from .layout import COLUMNS, HEADER_LABELS, HEADER_ROW, SHEET, month_label
from .parsing import ParsedLedger, parse_ledger
from .template import template_bytes

__all__ = [
    "COLUMNS",
    "HEADER_LABELS",
    "HEADER_ROW",
    "SHEET",
    "ParsedLedger",
    "month_label",
    "parse_ledger",
    "template_bytes",
]
