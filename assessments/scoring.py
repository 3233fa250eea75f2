"""Score arithmetic, free of the database: indicator scores from rules, totals, caps and grades.

final = base + min(Σ accepted bonus (each within its item cap), bonus cap)
             − min(Σ supervision deductions, deduction cap), floored at 0;
a confirmed veto forces the lowest grade; otherwise the first grade (by rank) whose threshold and
conditions the assessment meets.
"""

from dataclasses import dataclass
from decimal import Decimal

from common.errors import InvalidInputError

ZERO = Decimal("0")


class ScoreError(InvalidInputError, ValueError):
    """A score that the standard does not allow; the message is shown to the user."""


def q2(value):
    return Decimal(value).quantize(Decimal("0.01"))


def score_from_rules(*, method, max_score, rules, chosen):
    """The indicator score that ticked rules give.

    rules: {rule_id: (kind, points)} of the indicator.
    chosen: deduction → {rule_id: count}; tiered → [rule_id] (one); checklist → [rule_id, ...].
    """
    max_score = Decimal(max_score)
    if method == "deduction":
        total = ZERO
        if not isinstance(chosen or {}, dict):
            raise ScoreError("扣分依据格式不正确。")
        for rule_id, count in (chosen or {}).items():
            rule_id = _ids([rule_id])[0]
            if rule_id not in rules:
                raise ScoreError("所选扣分规则不属于该指标。")
            try:
                count = int(count)
            except (TypeError, ValueError):
                raise ScoreError("扣分次数须为整数。") from None
            if count < 0 or count > 999:
                raise ScoreError("扣分次数须在 0 到 999 之间。")
            total += Decimal(rules[rule_id][1]) * count
        return q2(max(max_score - total, ZERO))
    if method == "tiered":
        chosen = _ids(chosen)
        if len(chosen) != 1 or chosen[0] not in rules:
            raise ScoreError("请选择一个档次。")
        return q2(rules[chosen[0]][1])
    if method == "checklist":
        ids = set(_ids(chosen))
        if not ids <= set(rules):
            raise ScoreError("所选计分项不属于该指标。")
        return q2(min(sum((Decimal(rules[i][1]) for i in ids), ZERO), max_score))
    raise ScoreError("该指标的计分方法不支持按规则计分。")


def full_marks_rules(*, method, max_score, rules):
    """The rule choice that gives full marks: no deduction ticked, the top tier, every checklist item.

    rules: {rule_id: (kind, points)}. None when the rules cannot reach `max_score` (then the indicator
    has no honest "nothing to deduct" answer and must be scored rule by rule).
    """
    if method == "deduction":
        chosen = {}
    elif method == "tiered":
        top = [rid for rid, (_kind, points) in rules.items() if Decimal(points) >= Decimal(max_score)]
        chosen = sorted(top)[:1]
    elif method == "checklist":
        chosen = sorted(rules)
    else:
        return None
    if not rules or (method != "deduction" and not chosen):
        return None
    score = score_from_rules(method=method, max_score=max_score, rules=rules, chosen=chosen)
    return chosen if score == q2(max_score) else None


def _ids(values):
    try:
        return [int(v) for v in (values or [])]
    except (TypeError, ValueError):
        raise ScoreError("所选评分规则无效。") from None


def check_score(value, *, max_score, precision):
    """A directly entered score: between 0 and the maximum, in steps of the standard's precision."""
    try:
        value = Decimal(str(value).strip())
    except Exception:
        raise ScoreError("请输入数字。") from None
    if not value.is_finite():
        raise ScoreError("请输入数字。")
    if value < 0:
        raise ScoreError("得分不能为负数。")
    if value > Decimal(max_score):
        raise ScoreError(f"得分不能超过该指标满分 {normal(max_score)} 分。")
    precision = Decimal(precision or "0.01")
    if precision > 0 and value % precision != 0:
        raise ScoreError(f"得分须为 {normal(precision)} 分的整数倍。")
    return q2(value)


def normal(value):
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bonus_total(claims, total_cap):
    """claims: [(points, per_item_cap)] of accepted claims."""
    summed = sum((min(Decimal(p), Decimal(cap)) for p, cap in claims), ZERO)
    return q2(min(summed, Decimal(total_cap)))


def deduction_total(deductions, cap):
    return q2(min(sum((Decimal(d) for d in deductions), ZERO), Decimal(cap)))


def final_score(base, bonus, deduction):
    return q2(max(Decimal(base) + Decimal(bonus) - Decimal(deduction), ZERO))


@dataclass(frozen=True)
class GradeRule:
    code: str
    rank: int
    min_score: Decimal
    requires_no_veto: bool = True
    min_dimension_ratio: Decimal | None = None


def propose_grade(grades, *, score, veto, dimension_ratios=()):
    """The code of the first grade (by rank) the assessment meets; a veto forces the lowest grade."""
    ordered = sorted(grades, key=lambda g: g.rank)
    if not ordered:
        return ""
    if veto:
        return ordered[-1].code
    for g in ordered:
        if Decimal(score) < Decimal(g.min_score):
            continue
        if g.min_dimension_ratio is not None and any(r < g.min_dimension_ratio for r in dimension_ratios):
            continue
        return g.code
    return ordered[-1].code
