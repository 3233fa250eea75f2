"""The campaign's 得分汇总 workbook: villages × leaf indicators (review score, else self score), then the
self scores alone. It formats reports.data's matrix; its query count is that of the data layer."""

from openpyxl import Workbook

from assessments.models import Campaign
from common.xlsx import (
    BOLD,
    CENTER,
    borders,
    freeze,
    header_cell,
    merge,
    number,
    print_setup,
    text,
    title_row,
    widths,
)

from ..data import ZERO, fmt

MATRIX_SHEET = "得分汇总"
MATRIX_SELF_SHEET = "自评得分"
MATRIX_LEAD = ("序号", "村（社区）", "党总支")
MATRIX_FIRST_ROW = 4  # title, dimension header, indicator header


def _matrix_sheet(ws, matrix, *, effective):
    campaign = matrix.campaign
    village_level = campaign.level == Campaign.Level.VILLAGE
    lead = MATRIX_LEAD if village_level else ("序号", "镇街", "")
    tail = ("总分", "等次") if effective else ("自评总分",)
    n_ind = len(matrix.indicators)
    last = len(lead) + n_ind + len(tail)
    what = "初审得分（未初审的按自评分）" if effective else "自评得分"
    title_row(ws, 1, f"{campaign.name}各村指标{what}汇总表", last)
    for c, label in enumerate(lead, start=1):
        header_cell(ws, 2, c, label)
        header_cell(ws, 3, c, None)
        merge(ws, 2, c, 3, c)
    # dimension names merged over their indicators
    c = len(lead) + 1
    groups = []
    for dim_code, dim_name, code, name, max_score in matrix.indicators:
        if not groups or groups[-1][0] != dim_code:
            groups.append([dim_code, dim_name, c, c, ZERO])
        groups[-1][3] = c
        groups[-1][4] += max_score
        header_cell(ws, 3, c, f"{code} {name}（{fmt(max_score)}）")
        c += 1
    for dim_code, dim_name, first, last_c, total in groups:
        header_cell(ws, 2, first, f"{dim_code} {dim_name}（{fmt(total)}分）")
        for col in range(first + 1, last_c + 1):
            header_cell(ws, 2, col, None)
        merge(ws, 2, first, 2, last_c)
    for i, label in enumerate(tail):
        col = len(lead) + n_ind + 1 + i
        header_cell(ws, 2, col, label)
        header_cell(ws, 3, col, None)
        merge(ws, 2, col, 3, col)
    codes = [ind[2] for ind in matrix.indicators]
    r = MATRIX_FIRST_ROW
    for n, (name, branch, cells, final_score, grade) in enumerate(matrix.rows, start=1):
        ws.cell(r, 1, n).alignment = CENTER
        text(ws, r, 2, name)
        text(ws, r, 3, branch)
        self_total = ZERO
        for i, code in enumerate(codes):
            self_score, review_score = cells.get(code, (None, None))
            self_total += self_score or ZERO
            value = (review_score if review_score is not None else self_score) if effective else self_score
            number(ws, r, len(lead) + 1 + i, value)
        col = len(lead) + n_ind + 1
        # a village that has scored nothing yet shows no total (not the stored zero) and no grade
        scored = any(s is not None or rv is not None for s, rv in cells.values())
        if effective:
            number(ws, r, col, final_score if scored else None).font = BOLD
            text(ws, r, col + 1, grade if scored else "", style=CENTER)
        else:
            number(ws, r, col, self_total if scored else None).font = BOLD
        r += 1
    borders(ws, 2, r - 1, last)
    widths(ws, (5, 14, 14) + (11,) * n_ind + (9,) * len(tail))
    ws.row_dimensions[3].height = 60
    freeze(ws, MATRIX_FIRST_ROW, len(lead) + 1)
    print_setup(ws, title_rows="2:3")


def score_matrix_xlsx(matrix, out):
    """得分汇总: villages × leaf indicators (review score, else self score), 总分, 等次; then 自评得分."""
    wb = Workbook()
    ws = wb.active
    ws.title = MATRIX_SHEET
    _matrix_sheet(ws, matrix, effective=True)
    _matrix_sheet(wb.create_sheet(MATRIX_SELF_SHEET), matrix, effective=False)
    wb.save(out)
