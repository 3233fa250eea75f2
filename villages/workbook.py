"""The organisation workbook's layout, shared by the importer, the exporter and the blank template.

One workbook per township. Sheet and header names are what users see and type, so they are Chinese;
the importer matches them after `normalise_label` (half-width brackets and stray spaces are forgiven).
"""

SHEET_BRANCHES = "党总支"
SHEET_VILLAGES = "村（社区）"
SHEET_UNITS = "责任单位"
SHEET_GROUP = "工作专班"
SHEET_HELP = "填写说明"

# Column key → header, in sheet order. Keys are what the parser uses; headers are what users read.
HEADERS = {
    SHEET_BRANCHES: {"name": "党总支名称", "sort_order": "排序"},
    SHEET_VILLAGES: {
        "name": "村（社区）名称",
        "kind": "类型",
        "code": "编码",
        "branch": "所属党总支",
        "sort_order": "排序",
        "is_active": "参与建设",
    },
    SHEET_UNITS: {
        "name": "单位名称",
        "leader_name": "责任领导",
        "contact_name": "责任人",
        "phone": "联系电话",
        "villages": "监管村（社区）",
        "areas": "监管领域",
    },
    SHEET_GROUP: {"name": "姓名", "position": "职务", "group_role": "专班职务", "unit": "所在单位"},
}

SHEET_ORDER = (SHEET_BRANCHES, SHEET_VILLAGES, SHEET_UNITS, SHEET_GROUP)
REQUIRED_SHEETS = (SHEET_VILLAGES,)

COLUMN_WIDTHS = {
    SHEET_BRANCHES: (24, 8),
    SHEET_VILLAGES: (24, 8, 16, 20, 8, 10),
    SHEET_UNITS: (20, 14, 12, 18, 48, 36),
    SHEET_GROUP: (12, 20, 12, 20),
}

# Cells offered as drop-down lists in the exported workbook and the template.
CHOICES = {
    (SHEET_VILLAGES, "kind"): ("村", "社区"),
    (SHEET_VILLAGES, "is_active"): ("是", "否"),
    (SHEET_GROUP, "group_role"): ("组长", "副组长", "成员"),
}

ALL_VILLAGES = "全部"
YES, NO = "是", "否"

HELP_LINES = (
    "本工作簿用于导入或导出一个镇（街道）的组织机构。表头请勿修改；“村（社区）”工作表必须有，其他工作表可省略。",
    "“党总支”：党总支名称必填且不得重复；排序填非负整数，可留空。",
    "“村（社区）”：名称必填且不得重复；类型填“村”或“社区”；所属党总支须在“党总支”工作表中或本镇街已有，"
    "未设党总支的镇街留空；参与建设填“是”或“否”，留空按“是”。",
    "“责任单位”：单位名称必填；联系电话只能包含数字、空格、“-”“+”“()”和“转”；监管村（社区）用“、”分隔，"
    "或填“全部”；监管领域用“、”分隔。",
    "“工作专班”：专班职务填“组长”“副组长”或“成员”；所在单位须在“责任单位”工作表中或本镇街已有。",
    "导入时按名称匹配：已有的更新，没有的新增；文件中没有的村（社区）保持不变。任何一行有错误，整个文件都不会导入。",
)


def normalise_label(value):
    """Sheet names and headers as users type them: half-width brackets and spaces are tolerated."""
    if value is None:
        return ""
    text = str(value).strip().replace("(", "（").replace(")", "）")
    return "".join(text.split())
