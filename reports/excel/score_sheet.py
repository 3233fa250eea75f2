"""One village's 评分表 workbook, in the standard's layout.

It formats what reports.data reads (the same data as the PDF); nothing here queries the database
except through the data object, so its query count is that of the data layer.
"""

from openpyxl import Workbook

from assessments.models import Assessment
from common.xlsx import (
    BOLD,
    CENTER,
    LEFT,
    SUBTOTAL_FILL,
    WRAP,
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

from ..data import fmt

SCORE_SHEET = "评分表"

# 维度 | 指标编码 | 指标 | 分值 | 评分标准 | 自评分 | 自评说明 | 初审得分 | 扣分原因/调整说明
SHEET_WIDTHS = (12, 9, 28, 7, 44, 8, 24, 8, 26)
SHEET_COLUMNS = len(SHEET_WIDTHS)
SELF, SELF_NOTE, REVIEW, REVIEW_NOTE = 6, 7, 8, 9
SHEET_FIRST_ROW = 5  # title, info, two header rows


def _criteria(row):
    lines = [row.guidance] if row.guidance else []
    return "\n".join(lines + list(row.rules))


def _indicator_name(row):
    return f"{row.parent_name}／{row.name}" if row.parent_name else row.name


def _section_header(ws, r, labels):
    """A header row inside the sheet: {column: label}, a (first, last) key merges the columns."""
    for key, label in labels.items():
        first, last = key if isinstance(key, tuple) else (key, key)
        header_cell(ws, r, first, label)
        for c in range(first + 1, last + 1):
            header_cell(ws, r, c, None)
        merge(ws, r, first, r, last)


def _sheet_header(ws, doc):
    title_row(ws, 1, f"{doc.year}年度{doc.subject_name}“清廉村居”建设评分表", SHEET_COLUMNS)
    info = (
        (1, 3, f"所属镇街：{doc.township_name}"),
        (4, 6, f"所属党总支：{doc.branch_name}"),
        (7, 9, f"状态：{doc.assessment.get_status_display()}"),
    )
    for first, last, value in info:
        text(ws, 2, first, value, style=LEFT)
        merge(ws, 2, first, 2, last)
    for c, label in enumerate(("维度", "指标编码", "指标", "分值", "评分标准"), start=1):
        header_cell(ws, 3, c, label)
        header_cell(ws, 4, c, None)
        merge(ws, 3, c, 4, c)
    for first, group, subs in (
        (SELF, "自评", ("自评分", "自评说明")),
        (REVIEW, "初审", ("初审得分", "扣分原因/调整说明")),
    ):
        header_cell(ws, 3, first, group)
        header_cell(ws, 3, first + 1, None)
        merge(ws, 3, first, 3, first + 1)
        header_cell(ws, 4, first, subs[0])
        header_cell(ws, 4, first + 1, subs[1])


def _dimension_rows(ws, r, doc, show_review):
    for block in doc.dimensions:
        first = r
        for row in block.rows:
            text(ws, r, 2, row.code, style=CENTER)
            text(ws, r, 3, _indicator_name(row), style=WRAP)
            number(ws, r, 4, row.max_score)
            text(ws, r, 5, _criteria(row), style=WRAP)
            number(ws, r, SELF, row.self_score)
            note = row.self_note or ("镇街评分项，村不自评" if row.township_only else "")
            text(ws, r, SELF_NOTE, note, style=WRAP)
            if show_review:
                number(ws, r, REVIEW, row.review_score)
                text(ws, r, REVIEW_NOTE, row.review_note, style=WRAP)
            r += 1
        header_cell(ws, r, 2, "小计")
        header_cell(ws, r, 3, None)
        merge(ws, r, 2, r, 3)
        number(ws, r, 4, block.max_score).font = BOLD
        has_self = any(row.self_score is not None for row in block.rows)
        number(ws, r, SELF, block.self_sum if has_self else None).font = BOLD
        if show_review:
            number(ws, r, REVIEW, block.review_sum).font = BOLD
        for c in range(4, SHEET_COLUMNS + 1):
            ws.cell(r, c).fill = SUBTOTAL_FILL
        text(ws, first, 1, f"{block.code} {block.name}\n（{fmt(block.max_score)}分）", style=CENTER)
        ws.cell(first, 1).font = BOLD
        merge(ws, first, 1, r, 1)
        r += 1
    return r


def _bonus_rows(ws, r, doc, show_review):
    _section_header(
        ws,
        r,
        {1: "类别", 2: "编码", 3: "项目", 4: "单项上限", 5: "申报说明/佐证", SELF: "申报加分",
         SELF_NOTE: "审核结果", REVIEW: "认定加分", REVIEW_NOTE: "理由"},
    )  # fmt: skip
    r += 1
    first = r
    for b in doc.bonus:
        text(ws, r, 2, b.code, style=CENTER)
        text(ws, r, 3, b.name, style=WRAP)
        number(ws, r, 4, b.cap)
        evidence = "；".join(b.evidence)
        note = "\n".join(x for x in (b.explanation, f"佐证：{evidence}" if evidence else "") if x)
        text(ws, r, 5, note, style=WRAP)
        number(ws, r, SELF, b.claimed)
        text(ws, r, SELF_NOTE, b.status, style=CENTER)
        if show_review:
            number(ws, r, REVIEW, b.accepted)
            text(ws, r, REVIEW_NOTE, b.reason, style=WRAP)
        r += 1
    if doc.bonus:
        text(ws, first, 1, "加分项目", style=CENTER)
        merge(ws, first, 1, r - 1, 1)
    return r


def _veto_rows(ws, r, doc):
    _section_header(
        ws,
        r,
        {1: "类别", 2: "编码", (3, 5): "情形（一票否决）", SELF: "自查", SELF_NOTE: "自查说明",
         REVIEW: "核实", REVIEW_NOTE: "核实说明"},
    )  # fmt: skip
    r += 1
    first = r
    for v in doc.vetoes:
        text(ws, r, 2, v.code, style=CENTER)
        text(ws, r, 3, v.description, style=WRAP)
        merge(ws, r, 3, r, 5)
        text(ws, r, SELF, v.self_answer, style=CENTER)
        text(ws, r, SELF_NOTE, v.self_note, style=WRAP)
        text(ws, r, REVIEW, v.review, style=CENTER)
        text(ws, r, REVIEW_NOTE, v.review_reason, style=WRAP)
        r += 1
    if doc.vetoes:
        text(ws, first, 1, "负面清单\n（一票否决）", style=CENTER)
        merge(ws, first, 1, r - 1, 1)
    return r


def _total_rows(ws, r, doc, show_review):
    a = doc.assessment
    standard = doc.standard
    _section_header(
        ws, r, {(1, 5): "得分汇总", SELF: "自评", SELF_NOTE: "", REVIEW: "初审", REVIEW_NOTE: "说明"}
    )
    r += 1
    review = (lambda v: v) if show_review else (lambda v: None)
    # nothing self-scored yet: the self column stays empty rather than showing the stored zeros
    scored = any(row.self_score is not None for block in doc.dimensions for row in block.rows)
    rows = (
        ("基础分", a.self_total if scored else None, review(a.review_base), ""),
        (
            "加分（封顶）",
            a.self_bonus if scored else None,
            review(a.bonus_accepted),
            f"加分合计不超过{fmt(standard.bonus_total_cap)}分",
        ),
        (
            "日常监管扣分（封顶）",
            None,
            review(a.supervision_deduction),
            f"扣分合计不超过{fmt(standard.supervision_deduction_cap)}分",
        ),
        ("总分", None, review(a.final_score), "总分＝基础分＋加分－日常监管扣分"),
    )
    for label, self_value, review_value, note in rows:
        header_cell(ws, r, 1, label)
        merge(ws, r, 1, r, 5)
        number(ws, r, SELF, self_value).font = BOLD
        number(ws, r, REVIEW, review_value).font = BOLD
        text(ws, r, REVIEW_NOTE, note, style=WRAP)
        r += 1
    # Before the review is complete there is no grade yet: the row stays empty (not a provisional grade).
    grades = [("拟定等次", doc.proposed_grade_name if doc.is_reviewed else "", "")]
    if show_review and a.veto_confirmed:
        grades[0] = (grades[0][0], grades[0][1], "存在负面清单（一票否决）情形")
    if show_review and a.status == Assessment.Status.CONFIRMED:
        grades.append(("定级等次", doc.final_grade_name, a.grade_override_reason))
    for label, value, note in grades:
        header_cell(ws, r, 1, label)
        merge(ws, r, 1, r, 5)
        text(ws, r, REVIEW, value, style=CENTER)
        text(ws, r, REVIEW_NOTE, note, style=WRAP)
        r += 1
    return r


def score_sheet_xlsx(doc, out):
    """The 评分表 of one village (VillageDocument) in the standard's layout."""
    wb = Workbook()
    ws = wb.active
    ws.title = SCORE_SHEET
    show_review = not doc.masked and (
        doc.is_reviewed
        or doc.assessment.status == Assessment.Status.IN_REVIEW
        or any(b.review_sum is not None for b in doc.dimensions)
    )
    _sheet_header(ws, doc)
    r = _dimension_rows(ws, SHEET_FIRST_ROW, doc, show_review)
    r = _bonus_rows(ws, r, doc, show_review)
    r = _veto_rows(ws, r, doc)
    r = _total_rows(ws, r, doc, show_review)
    borders(ws, 3, r - 1, SHEET_COLUMNS)
    reviewers = "、".join(doc.reviewers) if show_review else ""
    text(ws, r + 1, 1, f"初审人（签字）：{reviewers}", style=LEFT)
    merge(ws, r + 1, 1, r + 1, 5)
    text(ws, r + 1, SELF, f"初审日期：{doc.reviewed_on if show_review else ''}", style=LEFT)
    merge(ws, r + 1, SELF, r + 1, SHEET_COLUMNS)
    widths(ws, SHEET_WIDTHS)
    freeze(ws, SHEET_FIRST_ROW, 1)
    print_setup(ws, title_rows="3:4")
    wb.save(out)
