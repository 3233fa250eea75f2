"""YAML (the format of fixtures/standards/*.sample.yaml) → StandardIR, with every structural problem."""

import yaml

from .ir import (
    BonusIR,
    DimensionIR,
    GradeIR,
    IndicatorIR,
    Loc,
    RuleIR,
    StandardIR,
    SupervisionIR,
    VetoIR,
)
from .layout import DEFAULT_SCORED_BY, LEVELS, MAX_LEN, METHOD_RULE, STATUSES
from .values import RATIO_PLACES, Collector, read_indicator_fields

# Known keys per node. Keys listed in IGNORED are accepted and not stored (informational in the samples).
TOP_KEYS = {"meta", "grades", "dimensions", "bonus", "daily_supervision_deduction", "vetoes"}
META_KEYS = {
    "code", "name", "level", "version", "year", "status", "total_base_score", "score_precision",
    "lookback_for_vetoes", "assessment_cycle", "scored_by", "notes",
}  # fmt: skip
GRADE_KEYS = {
    "code", "name", "min_score", "counts_as_qinglian", "requires_no_veto", "min_dimension_ratio",
    "extra_conditions", "final_decision_by",
}  # fmt: skip
DIMENSION_KEYS = {"code", "name", "max_score", "description", "source", "indicators"}
INDICATOR_KEYS = {
    "code", "name", "max_score", "scoring_method", "scored_by", "guidance", "deductions", "tiers",
    "checklist", "evidence", "assessment_methods", "computed", "linked_to", "source", "sub_items",
    "formula",
}  # fmt: skip
RULE_KEYS = {
    "deductions": {"condition", "points", "per"},
    "tiers": {"condition", "points"},
    "checklist": {"item", "points"},
}
RULE_TEXT_KEY = {"deductions": "condition", "tiers": "condition", "checklist": "item"}
RULE_LABEL = {"deductions": "扣分规则", "tiers": "档次", "checklist": "计分项"}
BONUS_KEYS = {"total_cap", "source", "items"}
BONUS_ITEM_KEYS = {"code", "name", "rule", "per_item_cap", "evidence", "note"}
SUPERVISION_KEYS = {"total_cap", "source", "items"}
SUPERVISION_ITEM_KEYS = {"code", "condition", "points", "per", "multiplier", "note"}
VETO_KEYS = {"lookback", "effect", "items"}
VETO_ITEM_KEYS = {"code", "description", "source"}


class _Loader(yaml.SafeLoader):
    """Safe loader that refuses aliases (no expansion bombs) and remembers duplicate keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates = []

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "不支持 YAML 锚点/别名（*）", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = key_node.value
            if key in seen:
                self.duplicates.append((key_node.start_mark.line + 1, key))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def load_yaml(data, col):
    """Bytes → Python data, or None with the problem recorded."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        col.add("文件", "不是 UTF-8 编码的文本文件")
        return None
    loader = _Loader(text)
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "文件"
        col.add(where, f"YAML 格式错误（{exc.problem or exc.context}）")
        return None
    except yaml.YAMLError as exc:
        col.add("文件", f"YAML 格式错误（{exc}）")
        return None
    except RecursionError:
        col.add("文件", "YAML 嵌套层次过深")
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        col.add(f"第 {line} 行", f"重复的键“{key}”")
    return doc


class _YamlReader:
    def __init__(self, col):
        self.col = col

    def mapping(self, value, loc, keys, *, what="映射"):
        """The node as a dict (or None), reporting a wrong type and unknown keys."""
        if not isinstance(value, dict):
            self.col.add(loc.at(), f"应为{what}（键: 值），实际为{_kind(value)}")
            return None
        for key in value:
            if key not in keys:
                self.col.add(loc.at(), f"未知字段“{key}”")
        return value

    def seq(self, value, loc, *, required=False, name=None):
        if value is None:
            if required:
                self.col.missing(loc, name)
            return []
        if not isinstance(value, list):
            self.col.add(loc.at(name), f"应为列表，实际为{_kind(value)}")
            return []
        if required and not value:
            self.col.add(loc.at(name), "不能为空")
        return value

    def standard(self, doc):
        col = self.col
        ir = StandardIR()
        if not isinstance(doc, dict):
            col.add("文件", f"顶层应为映射（meta、dimensions、grades 等），实际为{_kind(doc)}")
            return ir
        root = Loc("文件")
        for key in doc:
            if key not in TOP_KEYS:
                col.add("文件", f"未知的顶层字段“{key}”")
        if "meta" not in doc:
            col.missing(root, "meta")
        ir.loc = Loc("基本信息（meta）")
        meta = self.mapping(doc.get("meta", {}), ir.loc, META_KEYS) or {}
        ir.code = col.text(
            meta.get("code"), ir.loc, "code", required=True, max_length=MAX_LEN["standard.code"]
        )
        ir.name = col.text(
            meta.get("name"), ir.loc, "name", required=True, max_length=MAX_LEN["standard.name"]
        )
        ir.level = col.choice(meta.get("level"), ir.loc, "level", LEVELS, what="层级")
        ir.version = col.text(
            meta.get("version"), ir.loc, "version", required=True, max_length=MAX_LEN["standard.version"]
        )
        ir.year = col.integer(meta.get("year"), ir.loc, "year")
        ir.status = col.choice(
            meta.get("status"), ir.loc, "status", STATUSES, what="状态", required=False, default="draft"
        )
        ir.total_base_score = col.decimal(
            meta.get("total_base_score"), ir.loc, "total_base_score", required=True
        )
        ir.score_precision = col.decimal(
            meta.get("score_precision"), ir.loc, "score_precision", default=ir.score_precision
        )
        ir.scored_by = col.text(
            meta.get("scored_by"), ir.loc, "scored_by", max_length=MAX_LEN["standard.scored_by"]
        )
        ir.notes = col.text(meta.get("notes"), ir.loc, "notes")
        ir.veto_lookback = col.text(
            meta.get("lookback_for_vetoes"),
            ir.loc,
            "lookback_for_vetoes",
            max_length=MAX_LEN["standard.veto_lookback"],
        )

        ir.grades_loc = Loc("等次（grades）")
        ir.dimensions_loc = Loc("维度（dimensions）")
        for n, raw in enumerate(self.seq(doc.get("grades"), root, name="grades"), 1):
            ir.grades.append(self.grade(raw, n))

        for n, raw in enumerate(self.seq(doc.get("dimensions"), root, name="dimensions"), 1):
            ir.dimensions.append(self.dimension(raw, n))

        ir.bonus_loc = Loc("加分项（bonus）")
        if doc.get("bonus") is not None:
            bonus = self.mapping(doc["bonus"], ir.bonus_loc, BONUS_KEYS) or {}
            ir.bonus_total_cap = col.decimal(bonus.get("total_cap"), ir.bonus_loc, "total_cap", required=True)
            for n, raw in enumerate(self.seq(bonus.get("items"), ir.bonus_loc, name="items"), 1):
                ir.bonus_items.append(self.bonus_item(raw, n))

        ir.supervision_loc = Loc("日常监管扣分（daily_supervision_deduction）")
        if doc.get("daily_supervision_deduction") is not None:
            sup = self.mapping(doc["daily_supervision_deduction"], ir.supervision_loc, SUPERVISION_KEYS) or {}
            ir.supervision_deduction_cap = col.decimal(
                sup.get("total_cap"), ir.supervision_loc, "total_cap", required=True
            )
            for n, raw in enumerate(self.seq(sup.get("items"), ir.supervision_loc, name="items"), 1):
                ir.supervision_items.append(self.supervision_item(raw, n))

        ir.vetoes_loc = Loc("否决项（vetoes）")
        if doc.get("vetoes") is not None:
            vetoes = self.mapping(doc["vetoes"], ir.vetoes_loc, VETO_KEYS) or {}
            lookback = col.text(
                vetoes.get("lookback"),
                ir.vetoes_loc,
                "lookback",
                max_length=MAX_LEN["standard.veto_lookback"],
            )
            ir.veto_lookback = lookback or ir.veto_lookback
            ir.veto_effect_text = col.text(
                vetoes.get("effect"), ir.vetoes_loc, "effect", max_length=MAX_LEN["standard.veto_effect_text"]
            )
            for n, raw in enumerate(self.seq(vetoes.get("items"), ir.vetoes_loc, name="items"), 1):
                ir.vetoes.append(self.veto(raw, n))
        return ir

    def grade(self, raw, n):
        col = self.col
        code = _code_of(raw)
        loc = Loc(f"等次 {code}" if code else f"等次第 {n} 项")
        g = GradeIR(loc=loc)
        data = self.mapping(raw, loc, GRADE_KEYS) or {}
        g.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        g.name = col.text(data.get("name"), loc, "name", required=True, max_length=MAX_LEN["grade.name"])
        g.min_score = col.decimal(data.get("min_score"), loc, "min_score", required=True)
        g.counts_as_qinglian = col.boolean(
            data.get("counts_as_qinglian"), loc, "counts_as_qinglian", default=True
        )
        if "requires_no_veto" in data:
            g.requires_no_veto = col.boolean(
                data.get("requires_no_veto"), loc, "requires_no_veto", default=None
            )
        g.min_dimension_ratio = col.decimal(
            data.get("min_dimension_ratio"), loc, "min_dimension_ratio", places=RATIO_PLACES
        )
        g.extra_conditions = col.text_list(
            data.get("extra_conditions"), loc, "extra_conditions", max_length=300
        )
        g.final_decision_by = col.text(
            data.get("final_decision_by"),
            loc,
            "final_decision_by",
            max_length=MAX_LEN["grade.final_decision_by"],
        )
        return g

    def dimension(self, raw, n):
        col = self.col
        code = _code_of(raw)
        loc = Loc(f"维度 {code}" if code else f"第 {n} 个维度")
        d = DimensionIR(loc=loc)
        data = self.mapping(raw, loc, DIMENSION_KEYS)
        if data is None:
            d.indicators = None
            return d
        d.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        d.name = col.text(data.get("name"), loc, "name", required=True, max_length=MAX_LEN["dimension.name"])
        d.max_score = col.decimal(data.get("max_score"), loc, "max_score", required=True)
        d.description = col.text(data.get("description"), loc, "description")
        raws = data.get("indicators")
        if raws is not None and not isinstance(raws, list):
            self.seq(raws, loc, name="indicators")
            d.indicators = None  # reported; the validator does not add "没有指标"
        elif raws:
            d.indicators = [self.indicator(r, i, loc.label, "指标") for i, r in enumerate(raws, 1)]
        return d

    def indicator(self, raw, n, prefix, noun, scored_by=DEFAULT_SCORED_BY):
        col = self.col
        code = _code_of(raw)
        loc = Loc(f"{prefix} / {noun} {code}" if code else f"{prefix} / 第 {n} 个{noun}")
        ind = IndicatorIR(loc=loc)
        data = self.mapping(raw, loc, INDICATOR_KEYS) or {}
        read_indicator_fields(col, ind, data, loc, scored_by)
        has_children = data.get("sub_items") is not None
        if noun == "子项" and has_children:
            col.add(loc.at(), "子项下不能再设子项（标准最多两级：指标 → 子项）")
            has_children = False
        for kind, key in METHOD_RULE.values():
            if data.get(key) is None:
                continue
            for i, rule in enumerate(self.seq(data.get(key), loc, name=key), 1):
                ind.rules.append(self.rule(rule, i, kind, key, loc))
        if has_children:
            raws = self.seq(data.get("sub_items"), loc, required=True, name="sub_items")
            ind.children = [
                self.indicator(r, i, loc.label, "子项", ind.scored_by or DEFAULT_SCORED_BY)
                for i, r in enumerate(raws, 1)
            ]
        return ind

    def rule(self, raw, n, kind, key, parent_loc):
        col = self.col
        loc = Loc(f"{parent_loc.label} / {RULE_LABEL[key]}第 {n} 条")
        r = RuleIR(kind=kind, loc=loc)
        data = self.mapping(raw, loc, RULE_KEYS[key]) or {}
        text_key = RULE_TEXT_KEY[key]
        r.text = col.text(data.get(text_key), loc, text_key, required=True, max_length=MAX_LEN["rule.text"])
        r.points = col.decimal(data.get("points"), loc, "points", required=True)
        r.per = col.text(data.get("per"), loc, "per", max_length=MAX_LEN["rule.per"])
        return r

    def bonus_item(self, raw, n):
        col = self.col
        code = _code_of(raw)
        loc = Loc(f"加分项 {code}" if code else f"加分项第 {n} 项")
        b = BonusIR(loc=loc)
        data = self.mapping(raw, loc, BONUS_ITEM_KEYS) or {}
        b.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        b.name = col.text(data.get("name"), loc, "name", required=True, max_length=MAX_LEN["bonus.name"])
        b.rule = col.text(data.get("rule"), loc, "rule")
        b.per_item_cap = col.decimal(data.get("per_item_cap"), loc, "per_item_cap", required=True)
        b.evidence = col.text_list(data.get("evidence"), loc, "evidence")
        b.note = col.text(data.get("note"), loc, "note")
        return b

    def supervision_item(self, raw, n):
        col = self.col
        code = _code_of(raw)
        loc = Loc(f"日常监管扣分项 {code}" if code else f"日常监管扣分第 {n} 项")
        s = SupervisionIR(loc=loc)
        data = self.mapping(raw, loc, SUPERVISION_ITEM_KEYS) or {}
        s.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        s.condition = col.text(
            data.get("condition"),
            loc,
            "condition",
            required=True,
            max_length=MAX_LEN["supervision.condition"],
        )
        s.points = col.decimal(data.get("points"), loc, "points")
        s.per = col.text(data.get("per"), loc, "per", max_length=MAX_LEN["supervision.per"])
        s.multiplier = col.decimal(data.get("multiplier"), loc, "multiplier")
        s.note = col.text(data.get("note"), loc, "note")
        return s

    def veto(self, raw, n):
        col = self.col
        code = _code_of(raw)
        loc = Loc(f"否决项 {code}" if code else f"否决项第 {n} 项")
        v = VetoIR(loc=loc)
        data = self.mapping(raw, loc, VETO_ITEM_KEYS) or {}
        v.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        v.description = col.text(
            data.get("description"), loc, "description", required=True, max_length=MAX_LEN["veto.description"]
        )
        v.source = col.text(data.get("source"), loc, "source", max_length=MAX_LEN["veto.source"])
        return v


def _code_of(raw):
    if isinstance(raw, dict) and isinstance(raw.get("code"), (str, int, float)) and str(raw["code"]).strip():
        return str(raw["code"]).strip()[:20]
    return ""


def _kind(value):
    if value is None:
        return "空值"
    if isinstance(value, dict):
        return "映射"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, (int, float)):
        return f"数字 {value}"
    return f"文字“{str(value)[:40]}”"


def read_yaml(data):
    """Bytes of a YAML standard → (StandardIR or None, problems)."""
    col = Collector()
    doc = load_yaml(data, col)
    if col.problems and doc is None:
        return None, col.problems
    ir = _YamlReader(col).standard(doc)
    return ir, col.problems
