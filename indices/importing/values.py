"""Typed reading of raw cell/YAML values, shared by both readers: every bad value becomes a Problem."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from common.text import LONG_LIMIT, check_text

from ..formulas import FormulaError, formula_clean
from .ir import Problem
from .layout import MAX_LEN, METHODS, SCORED_BY

TWO_PLACES = Decimal("0.01")
SCORE_LIMIT = Decimal("99999.99")  # DecimalField(max_digits=7, decimal_places=2)
TRUE_WORDS = {"是", "true", "yes", "y", "1", "对", "√"}
FALSE_WORDS = {"否", "false", "no", "n", "0", "×"}
# Only line breaks separate list items in a cell: the items themselves use ；and 、.
RATIO_PLACES = Decimal("0.001")


def _show(value):
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


class Collector:
    """Collects problems while converting values; a bad value converts to None (or the default)."""

    def __init__(self):
        self.problems = []

    def add(self, place, message):
        self.problems.append(Problem(place, message))

    def missing(self, loc, name):
        self.add(loc.at(name), "缺少必填项")

    def decimal(self, value, loc, name, *, required=False, default=None, places=TWO_PLACES):
        """A non-negative Decimal quantised to `places`; more precision than that is an error."""
        if is_blank(value):
            if required:
                self.missing(loc, name)
            return default
        if isinstance(value, bool):
            self.add(loc.at(name), f"应为数字，实际为“{_show(value)}”")
            return None
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError):
            self.add(loc.at(name), f"应为数字，实际为“{_show(value)}”")
            return None
        if not number.is_finite():
            self.add(loc.at(name), f"应为数字，实际为“{_show(value)}”")
            return None
        if number < 0:
            self.add(loc.at(name), f"不能为负数（{_show(value)}）")
            return None
        rounded = number.quantize(places, rounding=ROUND_HALF_UP)
        if rounded != number:
            digits = -places.as_tuple().exponent
            self.add(loc.at(name), f"最多保留 {digits} 位小数（{_show(value)}）")
            return None
        if rounded > SCORE_LIMIT:
            self.add(loc.at(name), f"数值过大（{_show(value)}）")
            return None
        return rounded

    def integer(self, value, loc, name, *, required=False):
        if is_blank(value):
            if required:
                self.missing(loc, name)
            return None
        if isinstance(value, bool):
            self.add(loc.at(name), f"应为整数，实际为“{_show(value)}”")
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        self.add(loc.at(name), f"应为整数，实际为“{_show(value)}”")
        return None

    def text(self, value, loc, name, *, required=False, max_length=None):
        if is_blank(value):
            if required:
                self.missing(loc, name)
            return ""
        if isinstance(value, (dict, list)):
            self.add(loc.at(name), "应为文字，实际为列表或映射")
            return ""
        if isinstance(value, bool):
            self.add(loc.at(name), f"应为文字，实际为“{_show(value)}”")
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        # common.text: NFKC, no format/control characters (line breaks only in free text), bounded;
        # names keep their parentheses as written (a standard is keyed by its stable codes);
        # free text (a model TextField: notes, guidance, conditions) is held to LONG_LIMIT
        text, reason = check_text(
            str(value),
            max_length=None,
            multiline=name not in ("name", "code"),
        )
        if reason:
            self.add(loc.at(name), reason.rstrip("。"))
            return text
        limit = LONG_LIMIT if max_length is None else max_length
        if len(text) > limit:
            self.add(loc.at(name), f"不能超过 {limit} 个字（现有 {len(text)} 个）")
            return text[:limit]
        return text

    def text_list(self, value, loc, name, *, max_length=200):
        """A list of short texts: a YAML list, or a cell with one item per line."""
        if is_blank(value):
            return []
        if isinstance(value, str):
            items = value.splitlines()
        elif isinstance(value, list):
            items = value
        else:
            self.add(loc.at(name), "应为文字列表")
            return []
        result = []
        for item in items:
            if isinstance(item, (dict, list)) or isinstance(item, bool) or item is None:
                self.add(loc.at(name), f"列表中的每一项应为文字，实际为“{_show(item)}”")
                continue
            text, reason = check_text(str(item), max_length=None)
            if reason:
                self.add(loc.at(name), reason.rstrip("。"))
                continue
            if not text:
                continue
            if len(text) > max_length:
                self.add(loc.at(name), f"列表项不能超过 {max_length} 个字")
                continue
            result.append(text)
        return result

    def boolean(self, value, loc, name, *, default):
        if is_blank(value):
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.add(loc.at(name), f"应为“是”或“否”，实际为“{_show(value)}”")
        return default

    def choice(self, value, loc, name, aliases, *, what, required=True, default=""):
        """One of the known codes; `aliases` maps every accepted spelling (code, Chinese label) to the code.

        Blank gives `default`; an unknown value is reported and gives None, so later checks can tell
        "absent" from "already reported".
        """
        if is_blank(value):
            if required:
                self.missing(loc, name)
            return default
        key = str(value).strip()
        code = aliases.get(key) or aliases.get(key.lower())
        if code is None:
            known = "、".join(str(c) for c in dict.fromkeys(aliases.values()))
            self.add(loc.at(name), f"未知的{what}“{_show(value)}”，可用：{known}")
            return None
        return str(code)


def read_indicator_fields(col, ind, data, loc, scored_by):
    """The indicator fields both readers share; `data` maps the YAML keys to raw values."""
    ind.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
    ind.name = col.text(data.get("name"), loc, "name", required=True, max_length=MAX_LEN["indicator.name"])
    ind.max_score = col.decimal(data.get("max_score"), loc, "max_score", required=True)
    # A missing method is reported by the validator (parents with sub-items have none).
    ind.scoring_method = col.choice(
        data.get("scoring_method"), loc, "scoring_method", METHODS, what="计分方法", required=False
    )
    ind.scored_by = col.choice(
        data.get("scored_by"), loc, "scored_by", SCORED_BY, what="评分主体", required=False, default=scored_by
    )
    ind.guidance = col.text(data.get("guidance"), loc, "guidance")
    ind.evidence = col.text_list(data.get("evidence"), loc, "evidence")
    ind.assessment_methods = col.text_list(data.get("assessment_methods"), loc, "assessment_methods")
    ind.computed = col.boolean(data.get("computed"), loc, "computed", default=False)
    ind.linked_to = col.text(
        data.get("linked_to"), loc, "linked_to", max_length=MAX_LEN["indicator.linked_to"]
    )
    ind.source = col.text(data.get("source"), loc, "source", max_length=MAX_LEN["indicator.source"])
    ind.formula = _formula(col, data.get("formula"), ind, loc)
    return ind


def _formula(col, raw, ind, loc):
    """The computed indicator's formula, checked against the measure registry; a bad one is a row
    message. A computed indicator without a formula stays scored by hand (the shared sample as is)."""
    if is_blank(raw):
        return {}
    if not ind.computed:
        col.add(loc.at("formula"), "只有“系统计算”的指标可以填写计算公式")
        return {}
    try:
        return formula_clean(raw, max_score=ind.max_score or 0)
    except FormulaError as exc:
        col.add(loc.at("formula"), f"计算公式有误：{exc}")
        return {}
