"""Score arithmetic with stated numbers: rules, caps, deductions floored at zero, vetoes."""

from decimal import Decimal as D

import pytest

from assessments.scoring import (
    GradeRule,
    ScoreError,
    bonus_total,
    check_score,
    deduction_total,
    final_score,
    propose_grade,
    score_from_rules,
)

# V3.1 of the sample: max 6; 1 per missing monthly disclosure, 0.5 per non-itemised item, 1 for the board.
V31 = {1: ("deduction", D("1")), 2: ("deduction", D("0.5")), 3: ("deduction", D("1"))}
GRADES = [
    GradeRule("SHIFAN", 1, D("90"), True, D("0.8")),
    GradeRule("DABIAO", 2, D("80")),
    GradeRule("TISHENG", 3, D("70")),
    GradeRule("CUJIN", 4, D("0"), False),
]


def test_deductions_are_subtracted_per_occurrence():
    assert score_from_rules(method="deduction", max_score=6, rules=V31, chosen={1: 2, 2: 3}) == D("2.50")


def test_deductions_are_floored_at_zero():
    assert score_from_rules(method="deduction", max_score=6, rules=V31, chosen={1: 12}) == D("0.00")


def test_no_ticked_deduction_gives_full_marks():
    assert score_from_rules(method="deduction", max_score=6, rules=V31, chosen={}) == D("6.00")


def test_a_rule_of_another_indicator_is_refused():
    with pytest.raises(ScoreError, match="不属于该指标"):
        score_from_rules(method="deduction", max_score=6, rules=V31, chosen={99: 1})


def test_negative_counts_are_refused():
    with pytest.raises(ScoreError):
        score_from_rules(method="deduction", max_score=6, rules=V31, chosen={1: -1})


def test_tiered_takes_the_chosen_tier():
    tiers = {7: ("tier", D("4")), 8: ("tier", D("3")), 9: ("tier", D("0"))}
    assert score_from_rules(method="tiered", max_score=4, rules=tiers, chosen=[8]) == D("3.00")
    with pytest.raises(ScoreError, match="请选择一个档次"):
        score_from_rules(method="tiered", max_score=4, rules=tiers, chosen=[7, 8])


def test_checklist_sums_the_items_met_within_the_maximum():
    items = {1: ("check", D("2")), 2: ("check", D("1")), 3: ("check", D("1"))}
    assert score_from_rules(method="checklist", max_score=4, rules=items, chosen=[1, 3]) == D("3.00")


@pytest.mark.parametrize(
    "value,message",
    [
        ("-1", "不能为负数"),
        ("6.5", "不能超过该指标满分 6 分"),
        ("2.3", "0.5 分的整数倍"),
        ("abc", "请输入数字"),
        ("nan", "请输入数字"),
    ],
)
def test_direct_scores_outside_the_rules_are_refused(value, message):
    with pytest.raises(ScoreError, match=message):
        check_score(value, max_score=6, precision=D("0.5"))


def test_direct_score_on_the_grid_is_accepted():
    assert check_score("5.5", max_score=6, precision=D("0.5")) == D("5.50")


def test_bonus_is_capped_per_item_and_in_total():
    # B01 3 claimed but cap 2; B02 2; B03 1 (cap 1) → 2 + 2 + 1 = 5 → total cap 5
    assert bonus_total([(D("3"), D("2")), (D("2"), D("2")), (D("1"), D("1"))], D("5")) == D("5.00")
    # a total cap below the sum
    assert bonus_total([(D("2"), D("2")), (D("2"), D("2"))], D("3")) == D("3.00")


def test_supervision_deductions_are_capped():
    assert deduction_total([D("4"), D("5"), D("3")], D("10")) == D("10.00")
    assert deduction_total([D("1"), D("0.5")], D("10")) == D("1.50")


def test_final_score_is_base_plus_bonus_minus_deduction_floored_at_zero():
    assert final_score(D("86.5"), D("5"), D("2")) == D("89.50")
    assert final_score(D("3"), D("0"), D("10")) == D("0.00")


def test_grade_follows_thresholds():
    assert propose_grade(GRADES, score=D("95"), veto=False, dimension_ratios=[D("0.9")] * 5) == "SHIFAN"
    assert propose_grade(GRADES, score=D("89.5"), veto=False) == "DABIAO"
    assert propose_grade(GRADES, score=D("70"), veto=False) == "TISHENG"
    assert propose_grade(GRADES, score=D("69.5"), veto=False) == "CUJIN"


def test_a_weak_dimension_keeps_a_high_score_out_of_the_top_grade():
    assert (
        propose_grade(GRADES, score=D("95"), veto=False, dimension_ratios=[D("0.9"), D("0.75")]) == "DABIAO"
    )


def test_a_veto_forces_the_lowest_grade_whatever_the_score():
    assert propose_grade(GRADES, score=D("100"), veto=True, dimension_ratios=[D("1")] * 5) == "CUJIN"
