"""每月调度: the monthly task sheet of a township as a workbook and as an editable Word document.

Both take the dict of `selectors.monthly_sheet` (tasks with `month_reports` and sub-tasks prefetched)
and write to a binary stream. The .docx is meant to be edited by the township (WPS / Word) before it
is sent on, so it is plain paragraphs and one table, no fields or macros."""

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HEADER = ["序号", "工作要点", "重点任务", "牵头单位", "责任单位", "完成时限", "状态", "本月进展"]
SUMMARY = [
    ("total", "任务总数"),
    ("done", "已完成"),
    ("in_progress", "推进中"),
    ("not_started", "未开始"),
    ("ongoing", "长期推进"),
    ("overdue", "逾期"),
    ("closed", "已关闭"),
    ("reported", "本月有进展填报的任务"),
    ("reports", "本月进展填报条数"),
]


def title(sheet):
    return f"{sheet['township'].name}{sheet['year']}年{sheet['month']}月清廉村居工作任务调度表"


def state(task):
    text = task.get_status_display()
    if task.is_closed:
        text += "（已关闭）"
    elif task.overdue:
        text += "（逾期）"
    return text


def report_lines(task):
    """The month's reports of a task: units first, then each village / branch on its share."""
    lines = []
    for p in task.month_reports:
        who = p.unit.name if p.unit_id else p.subtask.party.name
        files = f"（佐证{len(p.evidence.all())}份）" if p.evidence.all() else ""
        lines.append(f"{who}【{p.get_status_display()}】{p.text}{files}")
    return lines


def subtask_line(task):
    subs = list(task.subtasks.all())
    if not subs:
        return ""
    done = sum(1 for s in subs if s.status == "done")
    return f"分解任务 {len(subs)} 个，已完成 {done} 个"


def monthly_xlsx(sheet, out):
    wb = Workbook()
    ws = wb.active
    ws.title = f"{sheet['month']}月调度"
    ws.append([title(sheet)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"统计截至 {sheet['as_of']:%Y-%m-%d}"])
    for key, label in SUMMARY:
        ws.append([label, sheet["counts"][key]])
    ws.append([])
    ws.append(HEADER)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for t in sheet["tasks"]:
        lines = report_lines(t)
        sub = subtask_line(t)
        ws.append(
            [
                t.number,
                t.key_point,
                t.task,
                t.lead_text,
                t.units_text,
                t.deadline_text,
                state(t),
                "\n".join([*lines, sub] if sub else lines) or "本月未填报",
            ]
        )
        for s in t.subtasks.all():
            ws.append(["", "", f"└ {s.party.name}", "", "", "", s.get_status_display(), ""])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=len(SUMMARY) + 4):
        for cell in row:
            cell.alignment = wrap
    for col, width in zip("ABCDEFGH", (6, 18, 30, 14, 20, 16, 12, 50), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(out)


def monthly_docx(sheet, out):
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(title(sheet), level=1)
    c = sheet["counts"]
    doc.add_paragraph(
        f"截至{sheet['as_of']:%Y年%m月%d日}，全镇{sheet['year']}年共有工作任务{c['total']}项，"
        f"已完成{c['done']}项，推进中{c['in_progress']}项，未开始{c['not_started']}项，长期推进{c['ongoing']}项，"
        f"逾期{c['overdue']}项，已关闭{c['closed']}项；本月共{c['reported']}项任务填报进展{c['reports']}条。"
    )
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("序号", "重点任务", "责任单位", "状态", "本月进展"), strict=True
    ):
        cell.text = text
    for t in sheet["tasks"]:
        cells = table.add_row().cells
        sub = subtask_line(t)
        lines = report_lines(t)
        cells[0].text = str(t.number)
        cells[1].text = t.task
        cells[2].text = "；".join(x for x in (t.lead_text and f"牵头：{t.lead_text}", t.units_text) if x)
        cells[3].text = state(t)
        cells[4].text = "\n".join([*lines, sub] if sub else lines) or "本月未填报"
    doc.add_paragraph("")
    doc.add_paragraph("下月工作安排：")
    doc.save(out)
