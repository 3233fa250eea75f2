"""The campaign's 定级名册 workbook: villages grouped by grade and ranked by 总分, then the 等次统计.
It formats reports.data's campaign table; its query count is that of the data layer."""

from collections import Counter

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from common.xlsx import (
    BOLD,
    CENTER,
    LEFT,
    WRAP,
    borders,
    freeze,
    header_row,
    merge,
    number,
    print_setup,
    text,
    title_row,
    widths,
)

from ..data import grade_name

ROSTER_SHEET = "定级名册"
ROSTER_STATS_SHEET = "等次统计"
GROUP_FILL = PatternFill("solid", fgColor="FFF2CC")
ROSTER_HEADERS = (
    "序号", "党总支", "村（社区）", "自评总分", "初审基础分", "认定加分", "日常监管扣分", "总分", "排名",
    "拟定等次", "镇街定级", "现行等次", "调整理由", "报市评选", "市级认定",
)  # fmt: skip
ROSTER_WIDTHS = (5, 14, 14, 9, 10, 9, 11, 9, 6, 9, 9, 9, 26, 8, 18)


def _city_result(row):
    if not row.candidate:
        return ""
    if row.city_grade and row.city_grade not in row.city_decision:
        return f"{row.city_decision}（{row.city_grade}）"
    return row.city_decision


def _roster_sheet(ws, table):
    campaign = table.campaign
    last = len(ROSTER_HEADERS)
    # the title states which grade the groups and counts are of
    title_row(ws, 1, f"{campaign.name}定级名册（等次口径：{table.basis}）", last)
    header_row(ws, 2, ROSTER_HEADERS)
    r, n = 3, 0
    for name, rows in table.by_grade():
        if not rows:
            continue
        cell = text(ws, r, 1, f"{name}（{len(rows)}个）", style=LEFT)
        cell.font = BOLD
        for c in range(1, last + 1):
            ws.cell(r, c).fill = GROUP_FILL
        merge(ws, r, 1, r, last)
        r += 1
        for row in rows:
            n += 1
            ws.cell(r, 1, n).alignment = CENTER
            text(ws, r, 2, row.branch)
            text(ws, r, 3, row.name)
            for c, value in enumerate(
                (row.self_total, row.review_base, row.bonus, row.deduction, row.final_score), start=4
            ):
                number(ws, r, c, value)
            ws.cell(r, 8).font = BOLD
            ws.cell(r, 9, row.rank).alignment = CENTER
            text(ws, r, 10, row.proposed_grade, style=CENTER)
            text(ws, r, 11, grade_name(table, row.final_grade), style=CENTER)
            text(ws, r, 12, grade_name(table, row.grade), style=CENTER)
            text(ws, r, 13, row.override_reason, style=WRAP)
            text(ws, r, 14, "是" if row.candidate else "", style=CENTER)
            text(ws, r, 15, _city_result(row), style=WRAP)
            r += 1
    borders(ws, 2, r - 1, last)
    widths(ws, ROSTER_WIDTHS)
    freeze(ws, 3, 4)
    print_setup(ws, title_rows="2:2")


def _stats_sheet(ws, table):
    headers = (table.basis, "村数", "占比", "其中报市评选")
    title_row(ws, 1, f"{table.campaign.name}等次统计（等次口径：{table.basis}）", len(headers))
    header_row(ws, 2, headers)
    total = len(table.rows)
    counts = Counter(r.grade for r in table.rows)
    candidates = Counter(r.grade for r in table.rows if r.candidate)
    lines = [(name, counts[code], candidates[code]) for code, name in table.grades]
    known = {code for code, _ in table.grades}
    rest = [r for r in table.rows if r.grade not in known]
    if rest:
        lines.append(("未定级", len(rest), sum(1 for r in rest if r.candidate)))
    r = 3
    for name, count, chosen in [*lines, ("合计", total, sum(candidates.values()))]:
        text(ws, r, 1, name, style=CENTER)
        ws.cell(r, 2, count)
        number(ws, r, 3, count / total if total else None, number_format="0.0%")
        ws.cell(r, 4, chosen)
        r += 1
    for c in range(1, len(headers) + 1):
        ws.cell(r - 1, c).font = BOLD
    borders(ws, 2, r - 1, len(headers))
    widths(ws, (14, 10, 10, 14))
    print_setup(ws, title_rows="2:2", landscape=False)


def grade_roster_xlsx(table, out):
    """定级名册 grouped by grade (best first), ranked by 总分; then 等次统计."""
    wb = Workbook()
    ws = wb.active
    ws.title = ROSTER_SHEET
    _roster_sheet(ws, table)
    _stats_sheet(wb.create_sheet(ROSTER_STATS_SHEET), table)
    wb.save(out)
