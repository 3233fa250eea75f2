"""The vocabulary both file formats share, and the workbook layout the Excel reader and exporter use."""

from dataclasses import dataclass

from indices.models import IndexStandard, Indicator, ScoringRule


def _aliases(*groups):
    table = {}
    for code, *spellings in groups:
        for word in (code, *spellings):
            table[word] = code
            table[word.lower()] = code
    return table


LEVELS = _aliases(
    (IndexStandard.Level.VILLAGE, "村级", "村"),
    (IndexStandard.Level.TOWNSHIP, "镇街", "镇街级", "镇级"),
)
STATUSES = _aliases(
    (IndexStandard.Status.DRAFT, "草稿"),
    (IndexStandard.Status.PUBLISHED, "已发布", "发布"),
    (IndexStandard.Status.RETIRED, "已停用", "停用"),
)
METHODS = _aliases(
    (Indicator.Method.DEDUCTION, "扣分制", "扣分制（扣完为止）", "扣分"),
    (Indicator.Method.TIERED, "分档计分", "分档"),
    (Indicator.Method.CHECKLIST, "逐项计分", "逐项"),
)
SCORED_BY = _aliases(
    (Indicator.ScoredBy.VILLAGE_AND_TOWNSHIP, "村自评＋镇街初审", "村自评+镇街初审"),
    (Indicator.ScoredBy.TOWNSHIP_ONLY, "仅镇街评分"),
)
RULE_KINDS = _aliases(
    (ScoringRule.Kind.DEDUCTION, "扣分"),
    (ScoringRule.Kind.TIER, "档次", "分档"),
    (ScoringRule.Kind.CHECK, "计分项", "逐项"),
)
DEFAULT_SCORED_BY = Indicator.ScoredBy.VILLAGE_AND_TOWNSHIP.value
# Which rule kind each scoring method takes, and its YAML key.
METHOD_RULE = {
    Indicator.Method.DEDUCTION: (ScoringRule.Kind.DEDUCTION, "deductions"),
    Indicator.Method.TIERED: (ScoringRule.Kind.TIER, "tiers"),
    Indicator.Method.CHECKLIST: (ScoringRule.Kind.CHECK, "checklist"),
}
METHOD_SHORT = {
    Indicator.Method.DEDUCTION: "扣分制",
    Indicator.Method.TIERED: "分档计分",
    Indicator.Method.CHECKLIST: "逐项计分",
}
KIND_SHORT = {k.value: k.label for k in ScoringRule.Kind}

# Tree rows of the 维度指标 sheet.
ROW_DIMENSION, ROW_INDICATOR, ROW_SUB = "维度", "指标", "子项"


@dataclass(frozen=True)
class Column:
    name: str  # field name in the IR
    header: str
    required: bool = False
    width: int = 14
    numeric: bool = False


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple

    @property
    def headers(self):
        return {c.header: c for c in self.columns}

    @property
    def by_name(self):
        return {c.name: c.header for c in self.columns}


META = Sheet(
    "基本信息",
    (Column("key", "项目", True, 18), Column("value", "值", True, 60)),
)
# Rows of the 基本信息 sheet: field, label, required.
META_ROWS = (
    ("code", "标准编码", True),
    ("name", "标准名称", True),
    ("level", "层级", True),
    ("year", "年度", False),
    ("version", "版本", True),
    ("status", "状态", False),
    ("total_base_score", "基础分满分", True),
    ("score_precision", "最小计分单位", False),
    ("scored_by", "测评主体", False),
    ("bonus_total_cap", "加分总上限", False),
    ("supervision_deduction_cap", "日常监管扣分上限", False),
    ("veto_lookback", "否决项追溯期", False),
    ("veto_effect_text", "否决效果", False),
    ("notes", "说明", False),
)
META_NUMERIC = {"total_base_score", "score_precision", "bonus_total_cap", "supervision_deduction_cap", "year"}

TREE = Sheet(
    "维度指标",
    (
        Column("kind", "类型", True, 8),
        Column("code", "编码", True, 10),
        Column("name", "名称", True, 28),
        Column("parent", "上级编码", False, 10),
        Column("max_score", "分值", True, 8, True),
        Column("scoring_method", "计分方法", False, 12),
        Column("scored_by", "评分主体", False, 18),
        Column("guidance", "说明", False, 50),
        Column("evidence", "佐证材料", False, 30),
        Column("assessment_methods", "测评方式", False, 18),
        Column("computed", "系统计算", False, 10),
        Column("linked_to", "关联数据", False, 16),
        Column("source", "来源", False, 14),
        Column("formula", "计算公式", False, 40),
    ),
)
RULES = Sheet(
    "评分规则",
    (
        Column("indicator", "指标编码", True, 10),
        Column("kind", "类型", False, 8),
        Column("text", "条件/内容", True, 60),
        Column("points", "分值", True, 8, True),
        Column("per", "计量单位", False, 10),
    ),
)
BONUS = Sheet(
    "加分项",
    (
        Column("code", "编码", True, 10),
        Column("name", "加分项", True, 30),
        Column("rule", "加分标准", False, 50),
        Column("per_item_cap", "单项上限", True, 10, True),
        Column("evidence", "加分依据材料", False, 30),
        Column("note", "备注", False, 30),
    ),
)
SUPERVISION = Sheet(
    "日常监管扣分",
    (
        Column("code", "编码", True, 10),
        Column("condition", "情形", True, 40),
        Column("points", "扣分", False, 8, True),
        Column("per", "计量单位", False, 10),
        Column("multiplier", "扣分系数", False, 10, True),
        Column("note", "备注", False, 40),
    ),
)
VETOES = Sheet(
    "否决项",
    (
        Column("code", "编码", True, 10),
        Column("description", "情形", True, 60),
        Column("source", "来源", False, 16),
    ),
)
GRADES = Sheet(
    "等次",
    (
        Column("code", "编码", True, 12),
        Column("name", "等次", True, 10),
        Column("min_score", "最低分", True, 8, True),
        Column("counts_as_qinglian", "认定为清廉村居", False, 14),
        Column("requires_no_veto", "须无否决情形", False, 12),
        Column("min_dimension_ratio", "各维度最低得分率", False, 16, True),
        Column("extra_conditions", "附加条件", False, 50),
        Column("final_decision_by", "最终认定", False, 10),
    ),
)
SHEETS = (META, TREE, RULES, BONUS, SUPERVISION, VETOES, GRADES)

# Model field lengths, checked before writing so PostgreSQL never sees an over-long value.
MAX_LEN = {
    "standard.code": 40,
    "standard.name": 120,
    "standard.version": 40,
    "standard.scored_by": 30,
    "standard.veto_lookback": 30,
    "standard.veto_effect_text": 60,
    "code": 20,
    "dimension.name": 60,
    "indicator.name": 120,
    "indicator.linked_to": 60,
    "indicator.source": 60,
    "rule.text": 300,
    "rule.per": 20,
    "bonus.name": 120,
    "supervision.condition": 200,
    "supervision.per": 20,
    "veto.description": 300,
    "veto.source": 60,
    "grade.name": 20,
    "grade.final_decision_by": 20,
}
