"""The drill-down list as rows, and as an Excel workbook (typed cells, Chinese headers, frozen header,
user text escaped so it is never a formula)."""

from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from common.xlsx import set_text_cell

from .figures import PROGRESS_LABELS


@dataclass
class ListRow:
    assessment_id: int
    village_id: int
    name: str
    branch: str
    stage: str
    status: str
    self_total: Decimal
    final_score: Decimal
    grade: str
    prev_grade: str
    dim_score: Decimal | None


def row_of(a, grade_names):
    return ListRow(
        assessment_id=a.pk,
        village_id=a.village_id,
        name=a.village.name,
        branch=a.village.branch.name if a.village.branch_id else "",
        stage=PROGRESS_LABELS.get(a.stage, ""),
        status=a.get_status_display(),
        self_total=a.self_total,
        final_score=a.final_score,
        grade=grade_names.get(a.eff_grade, a.eff_grade),
        prev_grade=grade_names.get(a.prev_grade, a.prev_grade),
        dim_score=getattr(a, "dim_score", None),
    )


HEADERS = ["序号", "村（社区）", "党总支", "进度", "状态", "自评总分", "当前总分", "等次", "上年等次"]


def workbook(title, rows, *, dimension=""):
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    headers = [*HEADERS, f"{dimension}维度得分"] if dimension else HEADERS
    for col, label in enumerate(headers, 1):
        cell = ws.cell(1, col, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for i, r in enumerate(rows, 1):
        row = i + 1
        ws.cell(row, 1, i)
        for col, value in (
            (2, r.name),
            (3, r.branch),
            (4, r.stage),
            (5, r.status),
            (8, r.grade),
            (9, r.prev_grade),
        ):
            set_text_cell(ws.cell(row, col), value or None)
        for col, value in ((6, r.self_total), (7, r.final_score)) + (
            ((10, r.dim_score),) if dimension else ()
        ):
            cell = ws.cell(row, col)
            if value is not None:
                cell.value = value
                cell.number_format = "0.00"
    widths = [6, 16, 14, 10, 10, 10, 10, 10, 10, 14]
    for col in range(1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(col)].width = widths[col - 1]
    ws.freeze_panes = "A2"
    wb.properties.title = title
    return wb
