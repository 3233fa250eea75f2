"""The layout of the 《日常监管台账》 workbook (FORMS.md): sheet names, header block, the 18 columns and
the drop-down choices, shared by the template and the parser."""

from ..models import LedgerEntry

SHEET = "日常监管台账"
LISTS_SHEET = "下拉选项"
TITLE = "“清廉村居”建设日常监管台账"
YES, NO = "是", "否"

HEADER_LABELS = {
    "unit": "报送单位",
    "township": "所属镇街",
    "month": "台账月份",
    "filled_by": "填报人",
    "approved_by": "审核人",
    "report_date": "报送日期",
    "has_problems": "本月是否有问题",
}
# key → column header, in sheet order (FORMS.md, 18 columns)
COLUMNS = {
    "seq": "序号",
    "village": "村（社区）名称",
    "category": "监管事项类别",
    "indicator": "关联指标",
    "method": "监管方式",
    "checked_on": "检查（发现）日期",
    "checker": "检查人员",
    "finding": "问题描述",
    "level": "问题等级",
    "deduction": "拟扣分",
    "requirement": "整改要求",
    "owner": "整改责任人",
    "deadline": "整改时限",
    "rectify_status": "整改状态",
    "rectify_note": "整改情况说明及佐证",
    "closed_on": "销号日期",
    "self_reported": "是否主动发现/报告",
    "note": "备注",
}
WIDTHS = (6, 16, 14, 10, 14, 14, 12, 36, 14, 8, 30, 12, 12, 14, 30, 12, 12, 20)
HEADER_ROW = 6  # title, four header-block rows, blank row above the column headers
CATEGORIES = {label: value for value, label in LedgerEntry.Category.choices}
METHODS = {label: value for value, label in LedgerEntry.Method.choices}
# The web form offers the model field's choices as they are (无问题 first); the workbook's list is the
# same list, so a unit choosing in Excel sees exactly what it sees on the page.
LEVELS = {label: value for value, label in LedgerEntry.Level.choices}
NO_PROBLEM = LedgerEntry.Level.NONE.label
RECTIFY = {label: value for value, label in LedgerEntry.RectifyStatus.choices}


def month_label(year, month):
    return f"{year}年{month}月"
