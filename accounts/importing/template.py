"""The import template of one township: header, drop-downs for 角色 and the node names, 说明 sheet."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from common.xlsx import set_text_cell

from .sheet import GRANTABLE_LABELS, HEADERS, MAX_ROWS, SHEET, SHEET_HELP, SHEET_LISTS, township_nodes


def user_template_bytes(township):
    """The import workbook for `township`: header, drop-downs, frozen header, 说明 sheet."""
    nodes = township_nodes(township)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for column, label in enumerate(HEADERS.values(), start=1):
        cell = ws.cell(1, column)
        set_text_cell(cell, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
    for letter, width in zip("ABCDE", (12, 16, 18, 22, 34), strict=True):
        ws.column_dimensions[letter].width = width
    for row in range(2, MAX_ROWS + 2):
        ws.cell(row, 2).number_format = "@"  # phone numbers stay text
    ws.freeze_panes = "A2"

    lists = wb.create_sheet(SHEET_LISTS)
    lists.sheet_state = "hidden"
    set_text_cell(lists.cell(1, 1), "角色")
    set_text_cell(lists.cell(1, 2), "组织节点")
    for i, label in enumerate(GRANTABLE_LABELS, start=2):
        set_text_cell(lists.cell(i, 1), label)
    names = [township.name]
    for kind in ("village", "branch", "unit"):
        names.extend(n for n in nodes[kind] if n not in names)
    for i, name in enumerate(names, start=2):
        set_text_cell(lists.cell(i, 2), name)

    last = MAX_ROWS + 1
    roles = DataValidation(
        type="list", formula1=f"={SHEET_LISTS}!$A$2:$A${len(GRANTABLE_LABELS) + 1}", allow_blank=True
    )
    roles.error, roles.errorTitle = "请从下拉列表中选择角色。", "角色"
    roles.add(f"D2:D{last}")
    where = DataValidation(type="list", formula1=f"={SHEET_LISTS}!$B$2:$B${len(names) + 1}", allow_blank=True)
    where.error, where.errorTitle = "请从下拉列表中选择本镇街的村（社区）、党总支或责任单位。", "所属"
    where.add(f"E2:E{last}")
    ws.add_data_validation(roles)
    ws.add_data_validation(where)

    help_sheet = wb.create_sheet(SHEET_HELP)
    help_sheet.column_dimensions["A"].width = 100
    lines = [
        f"{township.name}用户批量导入模板",
        "1. 每行一个角色授权；同一人有多个角色时写多行，姓名、手机号、登录名须一致。",
        "2. 姓名、手机号、角色必填；手机号为 11 位数字，以 1 开头。",
        "3. 登录名可不填，不填时以手机号作为登录名；只能包含字母、数字和 _ . @ + -。",
        f"4. 角色从下拉列表中选择：{'、'.join(GRANTABLE_LABELS)}。",
        "5. 村两委成员、村务监督委员会成员填所属村（社区）；党总支书记填党总支；责任单位工作人员填责任单位；"
        f"镇纪委审核人员、镇领导可不填或填“{township.name}”。",
        "6. 已有账号（按手机号或登录名匹配）只补充缺少的角色，不重复创建；重复导入同一文件不会产生变化。",
        f"7. 任何一行有错误，整个文件都不会导入；最多 {MAX_ROWS} 行。",
        "8. 导入成功后立即下载《账号通知单》，一次性密码只显示这一次，系统不保存明文。",
    ]
    for i, line in enumerate(lines, start=1):
        set_text_cell(help_sheet.cell(i, 1), line)
    help_sheet["A1"].font = Font(bold=True, size=14)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
