"""The declarative formula of a computed indicator (系统计算指标): named measures and fixed rules.

A formula is plain JSON stored on `Indicator.formula`; nothing in it is ever evaluated as code. It names
measures from the fixed registry MEASURES (each one SQL aggregate over one township and one year, counted
by the app that holds the data) and one of three rules:

    {"rule": "tiers", "measure": "grade_share", "params": {"grades": ["SHIFAN", "DABIAO"]},
     "tiers": [{"min": 80, "points": 8}, {"min": 70, "points": 6}, {"min": 0, "points": 2}],
     "empty_points": 0}
        the points of the first tier whose `min` (a percentage) the share reaches; `empty_points` when
        the share has no denominator (nothing to count: no villages, no items due).
    {"rule": "deductions", "terms": [{"measure": "villages_self_late", "points": 1},
                                     {"measure": "villages_review_late", "points": 2, "max_count": 1}]}
        the indicator's maximum minus points × count for each term (count capped by `max_count`), not
        below zero.
    {"rule": "checklist", "items": [{"measure": "demonstration_confirmed_share", "min": 50, "points": 2}]}
        the sum of the points of the items met: a share reaches `min` percent, a count reaches `min`;
        a share without denominator is met only when the item says `"empty_met": true`.

The registry of names lives here (the importer validates against it); the apps that hold the data
register the implementations (`register_measure`, called from their AppConfig.ready), so this module
imports nothing above indices.
"""

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SHARE = "share"
COUNT = "count"


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    kind: str  # SHARE (numerator / denominator) or COUNT (numerator only)
    params: tuple = ()  # allowed parameter names; each a list of codes
    numerator: str = ""  # how the figures are named on the review page
    denominator: str = ""


MEASURES = {
    m.name: m
    for m in (
        Measure(
            "villages_self_late",
            "未按时完成自评的村",
            COUNT,
            numerator="未按时自评村数",
            denominator="参评村数",
        ),
        Measure("village_returns", "自评材料被退回（村次）", COUNT, numerator="退回村次"),
        Measure(
            "villages_review_late",
            "逾期上报初审结果的村",
            COUNT,
            numerator="逾期上报初审村数",
            denominator="参评村数",
        ),
        Measure("villages_veto_found_later", "定级后查实否决情形的村", COUNT, numerator="查实否决情形村数"),
        Measure(
            "grade_share", "评定为所列等次的村占参评村比例", SHARE, ("grades",), "所列等次村数", "参评村数"
        ),
        Measure(
            "demonstration_candidates_vs_target",
            "报市评选示范村数占年度目标数比例",
            SHARE,
            ("grades",),
            "报市评选村数",
            "年度目标数",
        ),
        Measure(
            "demonstration_confirmed_share",
            "报市评选的村经市级确认比例",
            SHARE,
            numerator="市级确认村数",
            denominator="报市评选村数",
        ),
        Measure("grade_repeat", "上年度与本年度均为所列等次的村", COUNT, ("grades",), "仍为该等次村数"),
        Measure(
            "ledger_late",
            "台账逾期报送（单位·月）",
            COUNT,
            numerator="逾期单位·月",
            denominator="应报单位·月",
        ),
        Measure(
            "ledger_missing", "台账漏报（单位·月）", COUNT, numerator="未报单位·月", denominator="应报单位·月"
        ),
        Measure(
            "ledger_on_time_share",
            "台账按时报送率",
            SHARE,
            numerator="按时单位·月",
            denominator="应报单位·月",
        ),
        Measure(
            "rectifications_closed_on_time_share",
            "按期整改销号率",
            SHARE,
            numerator="按期销号条数",
            denominator="到期整改条数",
        ),
        Measure(
            "rectifications_closed_share",
            "整改销号率",
            SHARE,
            numerator="已销号条数",
            denominator="到期整改条数",
        ),
    )
}
RULES = {"tiers": "分档计分", "deductions": "按次扣分", "checklist": "逐项计分"}
MAX_TERMS = 10
NUMBER_LIMIT = 100000
MAX_PARAM_ITEMS = 10

# name → callable(township, year, as_of, **params) -> Figure; filled by the apps holding the data.
_IMPLEMENTATIONS = {}


@dataclass(frozen=True)
class Figure:
    """What a measure counted: numerator, denominator (None for a plain count) and the period."""

    numerator: int
    denominator: int | None = None
    period: str = ""

    @property
    def percent(self):
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / Decimal(self.denominator)).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )

    def as_json(self):
        return {"numerator": self.numerator, "denominator": self.denominator, "period": self.period}


def register_measure(name, fn):
    if name not in MEASURES:
        raise KeyError(name)
    _IMPLEMENTATIONS[name] = fn


def implementation(name):
    return _IMPLEMENTATIONS[name]


# --- validation --------------------------------------------------------------------------------------


class FormulaError(ValueError):
    """A formula that is not one of the allowed shapes; the message is Chinese, for a row message."""


def _number(value, what):
    if isinstance(value, bool) or value is None:
        raise FormulaError(f"{what}应为数字")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise FormulaError(f"{what}应为数字，实际为“{value}”") from None
    if not d.is_finite() or d < 0:
        raise FormulaError(f"{what}应为不小于 0 的数字")
    if d > NUMBER_LIMIT:
        raise FormulaError(f"{what}不能大于 {NUMBER_LIMIT}")
    if d != d.quantize(Decimal("0.01"), ROUND_HALF_UP):
        raise FormulaError(f"{what}最多两位小数")
    return d


def _plain(d):
    """A Decimal as the JSON number it came from (8 → 8, 0.5 → 0.5)."""
    d = d.normalize()
    return int(d) if d == d.to_integral_value() else float(d)


def _keys(data, allowed, what):
    if not isinstance(data, dict):
        raise FormulaError(f"{what}应为映射（键: 值）")
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise FormulaError(f"{what}含未知的键“{'、'.join(map(str, extra))}”，可用：{'、'.join(allowed)}")


def _measure(data, what, *, kinds=(SHARE, COUNT)):
    name = data.get("measure")
    m = MEASURES.get(name) if isinstance(name, str) else None
    if m is None:
        raise FormulaError(f"{what}的 measure “{name}”不是已登记的统计口径，可用：{'、'.join(MEASURES)}")
    if m.kind not in kinds:
        kind = "比例" if SHARE in kinds else "计数"
        raise FormulaError(f"{what}须使用{kind}类统计口径，“{name}”不是")
    params = data.get("params") or {}
    _keys(params, m.params, f"{what}的 params")
    clean = {}
    for key, value in params.items():
        items = value if isinstance(value, list) else [value]
        if (
            not items
            or len(items) > MAX_PARAM_ITEMS
            or not all(isinstance(x, str) and x.strip() for x in items)
        ):
            raise FormulaError(f"{what}的 params.{key} 应为 1–{MAX_PARAM_ITEMS} 个编码")
        clean[key] = [x.strip() for x in items]
    missing = [p for p in m.params if p not in clean]
    if missing:
        raise FormulaError(f"{what}缺少 params.{missing[0]}")
    return {"measure": name, "params": clean} if clean else {"measure": name}


def _tiers(data, max_score):
    _keys(data, ("rule", "measure", "params", "tiers", "empty_points"), "公式")
    out = {"rule": "tiers", **_measure(data, "公式", kinds=(SHARE,))}
    tiers = data.get("tiers")
    if not isinstance(tiers, list) or not tiers or len(tiers) > MAX_TERMS:
        raise FormulaError(f"公式的 tiers 应为 1–{MAX_TERMS} 个档次")
    clean, last = [], None
    for i, t in enumerate(tiers, 1):
        _keys(t, ("min", "points"), f"第 {i} 档")
        low = _number(t.get("min"), f"第 {i} 档的 min（百分比）")
        points = _number(t.get("points"), f"第 {i} 档的 points")
        if low > 100:
            raise FormulaError(f"第 {i} 档的 min 是百分比，不能大于 100")
        if points > max_score:
            raise FormulaError(f"第 {i} 档的 points（{_plain(points)}）超过指标分值（{_plain(max_score)}）")
        if last is not None and low >= last:
            raise FormulaError("tiers 应按 min 从高到低排列")
        last = low
        clean.append({"min": _plain(low), "points": _plain(points)})
    if last != 0:
        raise FormulaError("最后一档的 min 应为 0（任何比例都有对应档次）")
    out["tiers"] = clean
    empty = _number(data.get("empty_points", 0), "empty_points")
    if empty > max_score:
        raise FormulaError("empty_points 超过指标分值")
    out["empty_points"] = _plain(empty)
    return out


def _deductions(data, max_score):
    _keys(data, ("rule", "terms"), "公式")
    terms = data.get("terms")
    if not isinstance(terms, list) or not terms or len(terms) > MAX_TERMS:
        raise FormulaError(f"公式的 terms 应为 1–{MAX_TERMS} 项")
    clean = []
    for i, t in enumerate(terms, 1):
        _keys(t, ("measure", "params", "points", "max_count"), f"第 {i} 项扣分")
        term = _measure(t, f"第 {i} 项扣分", kinds=(COUNT,))
        points = _number(t.get("points"), f"第 {i} 项扣分的 points")
        if points == 0 or points > max_score:
            raise FormulaError(f"第 {i} 项扣分的 points 应大于 0 且不超过指标分值（{_plain(max_score)}）")
        term["points"] = _plain(points)
        if t.get("max_count") is not None:
            cap = _number(t["max_count"], f"第 {i} 项扣分的 max_count")
            if cap != cap.to_integral_value():
                raise FormulaError(f"第 {i} 项扣分的 max_count 应为整数")
            term["max_count"] = int(cap)
        clean.append(term)
    return {"rule": "deductions", "terms": clean}


def _checklist(data, max_score):
    _keys(data, ("rule", "items"), "公式")
    items = data.get("items")
    if not isinstance(items, list) or not items or len(items) > MAX_TERMS:
        raise FormulaError(f"公式的 items 应为 1–{MAX_TERMS} 项")
    clean, total = [], Decimal(0)
    for i, t in enumerate(items, 1):
        _keys(t, ("measure", "params", "min", "points", "empty_met"), f"第 {i} 个计分项")
        item = _measure(t, f"第 {i} 个计分项")
        low = _number(t.get("min"), f"第 {i} 个计分项的 min")
        points = _number(t.get("points"), f"第 {i} 个计分项的 points")
        total += points
        item.update(min=_plain(low), points=_plain(points))
        if t.get("empty_met") is not None:
            if not isinstance(t["empty_met"], bool):
                raise FormulaError(f"第 {i} 个计分项的 empty_met 应为 true 或 false")
            item["empty_met"] = t["empty_met"]
        clean.append(item)
    if total > max_score:
        raise FormulaError(f"各计分项合计（{_plain(total)}）超过指标分值（{_plain(max_score)}）")
    return {"rule": "checklist", "items": clean}


CHECKS = {"tiers": _tiers, "deductions": _deductions, "checklist": _checklist}


def formula_clean(data, *, max_score):
    """The formula in its normal form, or FormulaError with a Chinese message. Accepts a dict or the
    JSON text of one (the Excel column). An empty value means "no formula" and gives {}."""
    if data in (None, "", {}):
        return {}
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            raise FormulaError("计算公式不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise FormulaError("计算公式应为映射（键: 值）")
    rule = data.get("rule")
    if rule not in CHECKS:
        raise FormulaError(f"计算公式的 rule “{rule}”无效，可用：{'、'.join(CHECKS)}")
    return CHECKS[rule](data, Decimal(str(max_score or 0)))


def formula_text(formula):
    """The formula as one line of JSON (the Excel column, the round-trip)."""
    return json.dumps(formula, ensure_ascii=False, sort_keys=True) if formula else ""


def formula_measures(formula):
    """The (measure, params) pairs a formula uses, as hashable keys."""
    if not formula:
        return []
    parts = [formula] if formula["rule"] == "tiers" else formula.get("terms") or formula.get("items")
    return [measure_key(p) for p in parts]


def measure_key(part):
    params = part.get("params") or {}
    return (part["measure"], tuple(sorted((k, tuple(v)) for k, v in params.items())))


# --- evaluation (pure) -------------------------------------------------------------------------------


@dataclass
class Line:
    """One step of the calculation, as the review page shows it."""

    label: str
    figure: dict
    outcome: str
    points: str = ""


@dataclass
class Result:
    score: Decimal
    rule: str
    lines: list = field(default_factory=list)

    def as_json(self):
        return {
            "score": str(self.score),
            "rule": self.rule,
            "lines": [vars(line) for line in self.lines],
        }


def _fmt(d):
    return format(Decimal(d).normalize(), "f")


def _figure_text(m, f):
    if f.denominator is None:
        return f"{m.numerator or m.label} {f.numerator}"
    if m.kind == COUNT:
        return f"{m.numerator} {f.numerator}（{m.denominator} {f.denominator}）"
    share = "—" if f.percent is None else f"{_fmt(f.percent)}%"
    return f"{m.numerator} {f.numerator} / {m.denominator} {f.denominator} = {share}"


def evaluate(formula, *, max_score, figures):
    """The score of `formula` from `figures` ({measure_key: Figure}); every step explained."""
    max_score = Decimal(str(max_score))
    rule = formula["rule"]
    if rule == "tiers":
        m, f = MEASURES[formula["measure"]], figures[measure_key(formula)]
        if f.percent is None:
            score = Decimal(str(formula["empty_points"]))
            outcome = f"无可统计对象（分母为 0），按公式得 {_fmt(score)} 分"
        else:
            tier = next(t for t in formula["tiers"] if f.percent >= Decimal(str(t["min"])))
            score = Decimal(str(tier["points"]))
            outcome = f"{m.label} ≥ {_fmt(Decimal(str(tier['min'])))}% → {_fmt(score)} 分"
        line = Line(m.label, {**f.as_json(), "text": _figure_text(m, f)}, outcome, _fmt(score))
        return Result(min(score, max_score), RULES[rule], [line])
    if rule == "deductions":
        lines, total = [], Decimal(0)
        for t in formula["terms"]:
            m, f = MEASURES[t["measure"]], figures[measure_key(t)]
            count = f.numerator if t.get("max_count") is None else min(f.numerator, t["max_count"])
            points = Decimal(str(t["points"])) * count
            total += points
            outcome = f"{count} × {_fmt(Decimal(str(t['points'])))} 分 = 扣 {_fmt(points)} 分"
            lines.append(
                Line(m.label, {**f.as_json(), "text": _figure_text(m, f)}, outcome, f"-{_fmt(points)}")
            )
        return Result(max(max_score - total, Decimal(0)), RULES[rule], lines)
    lines, score = [], Decimal(0)
    for t in formula["items"]:
        m, f = MEASURES[t["measure"]], figures[measure_key(t)]
        low = Decimal(str(t["min"]))
        if m.kind == SHARE:
            met = bool(t.get("empty_met")) if f.percent is None else f.percent >= low
            need = f"≥ {_fmt(low)}%"
        else:
            met, need = f.numerator >= low, f"≥ {_fmt(low)}"
        points = Decimal(str(t["points"])) if met else Decimal(0)
        score += points
        outcome = f"{'达到' if met else '未达到'} {need} → {_fmt(points)} 分"
        lines.append(Line(m.label, {**f.as_json(), "text": _figure_text(m, f)}, outcome, _fmt(points)))
    return Result(min(score, max_score), RULES[rule], lines)


def _with_params(part):
    m = MEASURES[part["measure"]]
    params = part.get("params") or {}
    codes = "、".join(c for values in params.values() for c in values)
    return f"{m.label}（{codes}）" if codes else m.label


def formula_describe(formula):
    """The formula in the standard's own words, one line per step (the standard's pages)."""
    if not formula:
        return []
    rule = formula["rule"]
    if rule == "tiers":
        steps = "；".join(f"≥{t['min']}% 得 {t['points']} 分" for t in formula["tiers"])
        return [f"按“{_with_params(formula)}”分档：{steps}；无可统计对象得 {formula['empty_points']} 分"]
    if rule == "deductions":
        return [
            f"{_with_params(t)}：每 1 扣 {t['points']} 分"
            + (f"（最多计 {t['max_count']} 次）" if "max_count" in t else "")
            for t in formula["terms"]
        ]
    return [
        f"{_with_params(t)} ≥ {t['min']}{'%' if MEASURES[t['measure']].kind == SHARE else ''} 得 {t['points']} 分"
        for t in formula["items"]
    ]
