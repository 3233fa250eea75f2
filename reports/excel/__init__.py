"""Excel formatters of the reports (openpyxl): they format reports.data into workbooks written to a
binary file-like `out`. Scores are numbers, dates are date cells, and every user-typed text is escaped
with common.xlsx.set_text_cell (SECURITY.md XLS-2); the cell writers are common.xlsx's. The two ledger
workbooks (台账报送情况, 整改清单) belong to ledgers: see ledgers.exports.
"""

from .matrix import score_matrix_xlsx
from .package import package_index_xlsx
from .roster import grade_roster_xlsx
from .score_sheet import score_sheet_xlsx

__all__ = [
    "grade_roster_xlsx",
    "package_index_xlsx",
    "score_matrix_xlsx",
    "score_sheet_xlsx",
]
