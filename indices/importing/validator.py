"""The one validator: checks a StandardIR as a whole and returns every problem, with its place.

Values a reader could not convert are None (already reported), and the checks here skip them rather
than report the same place twice.

Rules decided here (documented for the people who write standards):
  * dimension max scores sum to total_base_score; top-level indicators sum to their dimension's max;
    sub-items sum to their parent's max (a parent takes no scoring method and no rules);
  * deduction: every deduction is > 0 and ≤ the indicator max ("扣完为止" floors the score at 0);
  * tiered: no tier above the max and at least one tier exactly at the max;
  * checklist: the items sum to exactly the max (the samples do; "capped at max" then never bites);
  * max scores, rule points, caps and supervision points are multiples of score_precision;
  * grades: listed highest first, thresholds strictly decreasing, none above base + bonus cap, the
    last at 0 so every score gets a grade; the veto effect may only force the lowest grade.
"""

import re
from decimal import Decimal

from indices.models import IndexStandard, ScoringRule

from .ir import Problem
from .layout import METHOD_RULE, METHOD_SHORT

YEAR_RANGE = (2000, 2100)
MULTIPLIER_LIMIT = Decimal("999.99")


def _fmt(value):
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_veto_effect(text, grades):
    """The veto effect text → (effect, label, error). Only "force the lowest grade" is supported."""
    text = (text or "").strip()
    effect = IndexStandard.VetoEffect.FORCE_LOWEST
    if text in ("", effect.value, effect.label):
        return effect, "", None
    lowest = grades[-1] if grades else None
    target = None
    m = re.fullmatch(r"force_grade_(\S+)", text)
    if m:
        target = m.group(1)
    m = m or re.fullmatch(r"cap_grade_at\s*[:：]\s*(.+)", text)
    if m and target is None:
        target = m.group(1).strip()
    m2 = re.fullmatch(r"直接定为(.+)", text)
    if target is None and m2:
        target = m2.group(1).strip()
    if target is None:
        return (
            None,
            text,
            (
                f"无法识别的否决效果“{text}”，可写 force_grade_<最低等次编码>、"
                f"cap_grade_at: <最低等次名称> 或 {effect.label}"
            ),
        )
    if lowest is None:
        return effect, text, None  # reported as "no grades"
    if target in (lowest.code, lowest.name):
        return effect, text, None
    if any(target in (g.code, g.name) for g in grades):
        return None, text, f"否决效果指向等次“{target}”，目前只支持直接定为最低等次“{lowest.name}”"
    return None, text, f"否决效果中的等次“{target}”不存在"


def year_from_version(version):
    m = re.match(r"(\d{4})", version or "")
    return int(m.group(1)) if m else None


class _Validator:
    def __init__(self, ir, year, version_exists):
        self.ir = ir
        self.year = year
        self.version_exists = version_exists
        self.problems = []

    def add(self, place, message):
        self.problems.append(Problem(place, message))

    def run(self):
        self.meta()
        self.codes()
        self.tree()
        self.bonus_and_supervision()
        self.grades_and_vetoes()
        return self.problems

    def multiple(self, value, loc, name, what="分值"):
        p = self.ir.score_precision
        if value is None or not p:
            return
        if value % p != 0:
            self.add(loc.at(name), f"{what} {_fmt(value)} 不是最小计分单位 {_fmt(p)} 的整数倍")

    def meta(self):
        ir = self.ir
        if ir.total_base_score is not None and ir.total_base_score <= 0:
            self.add(ir.loc.at("total_base_score"), "基础分满分必须大于 0")
        if ir.score_precision is not None and ir.score_precision <= 0:
            self.add(ir.loc.at("score_precision"), "最小计分单位必须大于 0")
        self.multiple(ir.total_base_score, ir.loc, "total_base_score", "基础分满分")
        self.resolve_year()

    def resolve_year(self):
        ir = self.ir
        in_file = ir.year if ir.year is not None else year_from_version(ir.version)
        if in_file is not None and self.year is not None and in_file != self.year:
            place = ir.loc.at("year" if ir.year is not None else "version")
            self.add(place, f"文件中的年度 {in_file} 与指定的年度 {self.year} 不一致")
        year = in_file if in_file is not None else self.year
        if year is None:
            self.add(
                ir.loc.at("year"),
                "无法确定适用年度：请在文件中填写年度（year），或使版本号以四位年份开头，或导入时指定年度",
            )
        elif not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            self.add(ir.loc.at("year"), f"年度 {year} 不在 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 之间")
            year = None
        ir.year = year
        if year is not None and ir.code and ir.version and self.version_exists(ir.code, year, ir.version):
            self.add(
                ir.loc.at("version"),
                f"标准 {ir.code} {year}年 版本“{ir.version}”已存在，请使用新的版本号",
            )

    def codes(self):
        ir = self.ir
        groups = (
            ("维度", ir.dimensions),
            ("指标", [ind for _, ind in ir.all_indicators()]),
            ("加分项", ir.bonus_items),
            ("日常监管扣分项", ir.supervision_items),
            ("否决项", ir.vetoes),
            ("等次", ir.grades),
        )
        for noun, items in groups:
            seen = {}
            for item in items:
                if not item.code:
                    continue
                if item.code in seen:
                    first = seen[item.code].loc.at()
                    self.add(item.loc.at("code"), f"{noun}编码“{item.code}”重复（已用于 {first}）")
                else:
                    seen[item.code] = item
        names = {}
        for g in ir.grades:
            if g.name and g.name in names:
                self.add(g.loc.at("name"), f"等次名称“{g.name}”重复")
            names.setdefault(g.name, g)

    def tree(self):
        ir = self.ir
        if not ir.dimensions:
            self.add(ir.dimensions_loc.at(), "至少需要一个维度")
            return
        dim_scores = [d.max_score for d in ir.dimensions]
        if ir.total_base_score is not None and None not in dim_scores:
            total = sum(dim_scores, Decimal(0))
            if total != ir.total_base_score:
                self.add(
                    ir.loc.at("total_base_score"),
                    f"各维度分值合计 {_fmt(total)} 与基础分满分 {_fmt(ir.total_base_score)} 不符",
                )
        for dim in ir.dimensions:
            self.multiple(dim.max_score, dim.loc, "max_score")
            if dim.indicators is None:
                continue
            if not dim.indicators:
                self.add(dim.loc.at(), f"维度 {dim.code} 没有指标")
                continue
            self.sums(dim.max_score, dim.indicators, dim.loc, f"维度 {dim.code} 下各指标", "维度分值")
            for ind in dim.indicators:
                self.indicator(ind, is_child=False)
                if ind.children:
                    self.sums(ind.max_score, ind.children, ind.loc, f"指标 {ind.code} 下各子项", "指标分值")
                    for child in ind.children:
                        self.indicator(child, is_child=True)

    def sums(self, expected, items, loc, what, against):
        scores = [i.max_score for i in items]
        if expected is None or None in scores:
            return
        total = sum(scores, Decimal(0))
        if total != expected:
            self.add(loc.at("max_score"), f"{what}分值合计 {_fmt(total)} 与{against} {_fmt(expected)} 不符")

    def indicator(self, ind, is_child):
        self.multiple(ind.max_score, ind.loc, "max_score")
        if ind.children:
            if ind.scoring_method:
                self.add(ind.loc.at("scoring_method"), "含子项的指标不设计分方法（得分为各子项之和）")
            if ind.rules:
                self.add(ind.loc.at(), "含子项的指标不设评分规则，请写在各子项上")
            return
        method = ind.scoring_method
        if method == "":
            self.add(
                ind.loc.at("scoring_method"),
                "缺少必填项（扣分制 deduction / 分档计分 tiered / 逐项计分 checklist）",
            )
        if method not in METHOD_RULE:
            return
        kind = METHOD_RULE[method][0]
        rules = []
        for rule in ind.rules:
            if rule.kind is None:
                continue
            if rule.kind != kind:
                self.add(
                    rule.loc.at(), f"计分方法为“{METHOD_SHORT[method]}”，不应有{_kind_label(rule.kind)}规则"
                )
                continue
            self.multiple(rule.points, rule.loc, "points")
            if rule.points is not None:
                rules.append(rule)
        if any(r.kind is None or r.points is None for r in ind.rules):
            return  # already reported; sums below would only repeat it
        top = ind.max_score
        if method == "deduction":
            self.deductions(ind, rules, top)
        elif method == "tiered":
            self.tiers(ind, rules, top)
        else:
            self.checklist(ind, rules, top)

    def deductions(self, ind, rules, top):
        if not ind.rules:
            self.add(ind.loc.at(), f"扣分制指标 {ind.code} 至少需要一条扣分规则")
        for rule in rules:
            if rule.points == 0:
                self.add(rule.loc.at("points"), "扣分应大于 0")
            elif top is not None and rule.points > top:
                self.add(rule.loc.at("points"), f"扣分 {_fmt(rule.points)} 超过指标分值 {_fmt(top)}")

    def tiers(self, ind, rules, top):
        if not ind.rules:
            self.add(ind.loc.at(), f"分档计分指标 {ind.code} 至少需要一个档次")
            return
        if top is None:
            return
        for rule in rules:
            if rule.points > top:
                self.add(rule.loc.at("points"), f"档次分值 {_fmt(rule.points)} 超过指标分值 {_fmt(top)}")
        best = max(r.points for r in rules)
        if best < top:
            self.add(ind.loc.at(), f"指标 {ind.code} 没有达到满分 {_fmt(top)} 的档次（最高档 {_fmt(best)}）")

    def checklist(self, ind, rules, top):
        if not ind.rules:
            self.add(ind.loc.at(), f"逐项计分指标 {ind.code} 至少需要一个计分项")
            return
        for rule in rules:
            if rule.points == 0:
                self.add(rule.loc.at("points"), "计分项分值应大于 0")
        total = sum((r.points for r in rules), Decimal(0))
        if top is not None and total != top:
            self.add(
                ind.loc.at(),
                f"指标 {ind.code} 各计分项分值合计 {_fmt(total)} 与指标分值 {_fmt(top)} 不符"
                "（逐项计分的各项合计须等于满分）",
            )

    def bonus_and_supervision(self):
        ir = self.ir
        cap = ir.bonus_total_cap
        self.multiple(cap, ir.bonus_loc, "total_cap", "加分总上限")
        for b in ir.bonus_items:
            self.multiple(b.per_item_cap, b.loc, "per_item_cap", "单项上限")
            if b.per_item_cap is None:
                continue
            if b.per_item_cap == 0:
                self.add(b.loc.at("per_item_cap"), "单项上限应大于 0")
            elif cap is not None and b.per_item_cap > cap:
                self.add(
                    b.loc.at("per_item_cap"), f"单项上限 {_fmt(b.per_item_cap)} 超过加分总上限 {_fmt(cap)}"
                )
        cap = ir.supervision_deduction_cap
        self.multiple(cap, ir.supervision_loc, "total_cap", "日常监管扣分上限")
        if ir.supervision_items and cap == 0:
            self.add(ir.supervision_loc.at("total_cap"), "已列出日常监管扣分项，扣分上限不能为 0")
        for s in ir.supervision_items:
            self.multiple(s.points, s.loc, "points", "扣分")
            if s.points is None and s.multiplier is None:
                self.add(s.loc.at(), "“扣分”与“扣分系数”至少填写一项")
            if s.multiplier is not None and s.multiplier > MULTIPLIER_LIMIT:
                self.add(s.loc.at("multiplier"), f"扣分系数不能超过 {_fmt(MULTIPLIER_LIMIT)}")

    def grades_and_vetoes(self):
        ir = self.ir
        grades = ir.grades
        _, _, error = parse_veto_effect(ir.veto_effect_text, grades)
        if error:
            self.add(ir.vetoes_loc.at("effect"), error)
        if not grades:
            self.add(ir.grades_loc.at(), "至少需要一个等次")
            return
        ceiling = None
        if ir.total_base_score is not None and ir.bonus_total_cap is not None:
            ceiling = ir.total_base_score + ir.bonus_total_cap
        prev = None
        for g in grades:
            if g.min_dimension_ratio is not None and g.min_dimension_ratio > 1:
                self.add(g.loc.at("min_dimension_ratio"), "各维度最低得分率应在 0 到 1 之间（如 0.8）")
            if g.min_score is None:
                prev = None
                continue
            if ceiling is not None and g.min_score > ceiling:
                self.add(
                    g.loc.at("min_score"),
                    f"最低分 {_fmt(g.min_score)} 超过可能的最高得分 {_fmt(ceiling)}"
                    f"（基础分 {_fmt(ir.total_base_score)} + 加分上限 {_fmt(ir.bonus_total_cap)}）",
                )
            if prev is not None and g.min_score == prev.min_score:
                self.add(
                    g.loc.at("min_score"),
                    f"最低分 {_fmt(g.min_score)} 与等次“{prev.name}”相同，等次线不能重复",
                )
            elif prev is not None and g.min_score > prev.min_score:
                self.add(
                    g.loc.at("min_score"),
                    f"最低分 {_fmt(g.min_score)} 高于上一等次“{prev.name}”的 {_fmt(prev.min_score)}；"
                    "等次须从高到低排列，分数线严格递减",
                )
            prev = g
        last = grades[-1]
        if last.min_score is not None and last.min_score != 0:
            self.add(
                last.loc.at("min_score"),
                f"没有最低分为 0 的等次：低于“{last.name}”线（{_fmt(last.min_score)} 分）的得分将无法定级",
            )
        for rank, g in enumerate(grades, 1):
            if g.requires_no_veto is None:
                g.requires_no_veto = rank < len(grades)


def _kind_label(kind):
    return f"“{ScoringRule.Kind(kind).label}”"


def validate(ir, *, year=None, version_exists=lambda code, year, version: False):
    """Every problem of the standard as a whole; also resolves ir.year and grade defaults in place."""
    return _Validator(ir, year, version_exists).run()
