"""Excel formatters of the reports (openpyxl): they format reports.data (and ledgers.compliance) into
workbooks written to a binary file-like `out`. Scores are numbers, dates are date cells, and every
user-typed text is escaped with common.xlsx.set_text_cell (SECURITY.md XLS-2)."""

from .ledgers import compliance_xlsx, rectification_xlsx
from .matrix import score_matrix_xlsx
from .package import package_index_xlsx
from .roster import grade_roster_xlsx
from .score_sheet import score_sheet_xlsx

__all__ = [
    "compliance_xlsx",
    "grade_roster_xlsx",
    "package_index_xlsx",
    "rectification_xlsx",
    "score_matrix_xlsx",
    "score_sheet_xlsx",
]
