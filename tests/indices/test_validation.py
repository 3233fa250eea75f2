"""Every kind of malformed standard is refused with its own Chinese message naming the place,
and nothing is written."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from indices.services import StandardImportError, standard_import

from .conftest import TOWNSHIP, VILLAGE, dump, nothing_written, row_counts, sample


def _refused(data, **kwargs):
    """Import `data` (dict or bytes); it must fail; return the problems as strings."""
    source = data if isinstance(data, bytes) else dump(data)
    with pytest.raises(StandardImportError) as info:
        standard_import(source=source, fmt="yaml", actor=None, **kwargs)
    return [str(p) for p in info.value.problems]


def _ind(data, dim, ind):
    return data["dimensions"][dim]["indicators"][ind]


def set_base(d):
    d["meta"]["total_base_score"] = 95


def set_v23_max(d):
    _ind(d, 1, 2)["max_score"] = 5


def dup_dimension(d):
    d["dimensions"][1]["code"] = "V1"


def dup_indicator(d):
    _ind(d, 1, 2)["code"] = "V2.2"


def dup_bonus(d):
    d["bonus"]["items"][1]["code"] = "B01"


def dup_veto(d):
    d["vetoes"]["items"][6]["code"] = "N01"


def dup_grade(d):
    d["grades"][1]["code"] = "SHIFAN"


def dup_supervision(d):
    d["daily_supervision_deduction"]["items"][4]["code"] = "S01"


def bad_method(d):
    _ind(d, 0, 0)["scoring_method"] = "points"


def bad_scored_by(d):
    _ind(d, 0, 0)["scored_by"] = "city"


def deduction_over_max(d):
    _ind(d, 0, 0)["deductions"][0]["points"] = 4


def tier_over_max(d):
    _ind(d, 2, 3)["tiers"][0]["points"] = 5


def no_tier_at_max(d):
    _ind(d, 2, 3)["tiers"][0]["points"] = 3.5


def checklist_over_max(d):
    _ind(d, 3, 0)["checklist"][0]["points"] = 3


def checklist_under_max(d):
    _ind(d, 3, 0)["checklist"][0]["points"] = 1


def per_item_over_total(d):
    d["bonus"]["items"][0]["per_item_cap"] = 6


def negative_total_cap(d):
    d["bonus"]["total_cap"] = -1


def negative_per_item_cap(d):
    d["bonus"]["items"][2]["per_item_cap"] = -1


def grades_not_decreasing(d):
    d["grades"][1]["min_score"] = 95


def grades_duplicate_line(d):
    d["grades"][2]["min_score"] = 80


def grade_above_total(d):
    d["grades"][0]["min_score"] = 106


def no_zero_grade(d):
    d["grades"][3]["min_score"] = 10


def missing_base(d):
    del d["meta"]["total_base_score"]


def missing_indicator_max(d):
    del _ind(d, 0, 0)["max_score"]


def string_max_score(d):
    _ind(d, 0, 0)["max_score"] = "abc"


def list_max_score(d):
    d["dimensions"][0]["max_score"] = [20]


def three_decimals(d):
    _ind(d, 0, 0)["deductions"][1]["points"] = 0.505


def off_precision(d):
    _ind(d, 0, 0)["deductions"][1]["points"] = 0.3


def unknown_key(d):
    _ind(d, 0, 0)["max_scor"] = 3


def no_year(d):
    d["meta"]["version"] = "draft-1"


def bad_veto_effect(d):
    d["vetoes"]["effect"] = "explode"


def veto_not_lowest(d):
    d["vetoes"]["effect"] = "force_grade_DABIAO"


def no_rules(d):
    del _ind(d, 0, 0)["deductions"]


def rules_of_other_method(d):
    _ind(d, 0, 0)["tiers"] = [{"condition": "全部完成", "points": 3}]


def dimension_without_indicators(d):
    d["dimensions"][4]["indicators"] = []


def supervision_without_points(d):
    del d["daily_supervision_deduction"]["items"][0]["points"]


def code_too_long(d):
    d["bonus"]["items"][0]["code"] = "B" * 21


def bad_bool(d):
    d["grades"][3]["counts_as_qinglian"] = "也许"


def bad_level(d):
    d["meta"]["level"] = "county"


def no_grades(d):
    del d["grades"]


def indicators_not_a_list(d):
    d["dimensions"][0]["indicators"] = "V1.1"


CASES = [
    (set_base, "基本信息（meta） 的 total_base_score：各维度分值合计 100 与基础分满分 95 不符"),
    (set_v23_max, "维度 V2 的 max_score：维度 V2 下各指标分值合计 24 与维度分值 25 不符"),
    (dup_dimension, "维度 V1 的 code：维度编码“V1”重复（已用于 维度 V1）"),
    (dup_indicator, "维度 V2 / 指标 V2.2 的 code：指标编码“V2.2”重复（已用于 维度 V2 / 指标 V2.2）"),
    (dup_bonus, "加分项 B01 的 code：加分项编码“B01”重复（已用于 加分项 B01）"),
    (dup_veto, "否决项 N01 的 code：否决项编码“N01”重复（已用于 否决项 N01）"),
    (dup_grade, "等次 SHIFAN 的 code：等次编码“SHIFAN”重复（已用于 等次 SHIFAN）"),
    (dup_supervision, "日常监管扣分项 S01 的 code：日常监管扣分项编码“S01”重复（已用于 日常监管扣分项 S01）"),
    (
        bad_method,
        "维度 V1 / 指标 V1.1 的 scoring_method：未知的计分方法“points”，可用：deduction、tiered、checklist",
    ),
    (
        bad_scored_by,
        "维度 V1 / 指标 V1.1 的 scored_by：未知的评分主体“city”，可用：village_and_township、township_only",
    ),
    (deduction_over_max, "维度 V1 / 指标 V1.1 / 扣分规则第 1 条 的 points：扣分 4 超过指标分值 3"),
    (tier_over_max, "维度 V3 / 指标 V3.4 / 档次第 1 条 的 points：档次分值 5 超过指标分值 4"),
    (no_tier_at_max, "维度 V3 / 指标 V3.4：指标 V3.4 没有达到满分 4 的档次（最高档 3.5）"),
    (
        checklist_over_max,
        "维度 V4 / 指标 V4.1：指标 V4.1 各计分项分值合计 5 与指标分值 4 不符（逐项计分的各项合计须等于满分）",
    ),
    (
        checklist_under_max,
        "维度 V4 / 指标 V4.1：指标 V4.1 各计分项分值合计 3 与指标分值 4 不符（逐项计分的各项合计须等于满分）",
    ),
    (per_item_over_total, "加分项 B01 的 per_item_cap：单项上限 6 超过加分总上限 5"),
    (negative_total_cap, "加分项（bonus） 的 total_cap：不能为负数（-1）"),
    (negative_per_item_cap, "加分项 B03 的 per_item_cap：不能为负数（-1）"),
    (
        grades_not_decreasing,
        "等次 DABIAO 的 min_score：最低分 95 高于上一等次“示范村”的 90；等次须从高到低排列，分数线严格递减",
    ),
    (grades_duplicate_line, "等次 TISHENG 的 min_score：最低分 80 与等次“达标村”相同，等次线不能重复"),
    (
        grade_above_total,
        "等次 SHIFAN 的 min_score：最低分 106 超过可能的最高得分 105（基础分 100 + 加分上限 5）",
    ),
    (
        no_zero_grade,
        "等次 CUJIN 的 min_score：没有最低分为 0 的等次：低于“促进村”线（10 分）的得分将无法定级",
    ),
    (missing_base, "基本信息（meta） 的 total_base_score：缺少必填项"),
    (missing_indicator_max, "维度 V1 / 指标 V1.1 的 max_score：缺少必填项"),
    (string_max_score, "维度 V1 / 指标 V1.1 的 max_score：应为数字，实际为“abc”"),
    (list_max_score, "维度 V1 的 max_score：应为数字，实际为“[20]”"),
    (three_decimals, "维度 V1 / 指标 V1.1 / 扣分规则第 2 条 的 points：最多保留 2 位小数（0.505）"),
    (
        off_precision,
        "维度 V1 / 指标 V1.1 / 扣分规则第 2 条 的 points：分值 0.3 不是最小计分单位 0.5 的整数倍",
    ),
    (unknown_key, "维度 V1 / 指标 V1.1：未知字段“max_scor”"),
    (
        no_year,
        "基本信息（meta） 的 year：无法确定适用年度：请在文件中填写年度（year），"
        "或使版本号以四位年份开头，或导入时指定年度",
    ),
    (
        bad_veto_effect,
        "否决项（vetoes） 的 effect：无法识别的否决效果“explode”，可写 force_grade_<最低等次编码>、"
        "cap_grade_at: <最低等次名称> 或 直接定为最低等次",
    ),
    (
        veto_not_lowest,
        "否决项（vetoes） 的 effect：否决效果指向等次“DABIAO”，目前只支持直接定为最低等次“促进村”",
    ),
    (no_rules, "维度 V1 / 指标 V1.1：扣分制指标 V1.1 至少需要一条扣分规则"),
    (rules_of_other_method, "维度 V1 / 指标 V1.1 / 档次第 1 条：计分方法为“扣分制”，不应有“档次”规则"),
    (dimension_without_indicators, "维度 V5：维度 V5 没有指标"),
    (supervision_without_points, "日常监管扣分项 S01：“扣分”与“扣分系数”至少填写一项"),
    (code_too_long, "加分项 BBBBBBBBBBBBBBBBBBBB 的 code：不能超过 20 个字（现有 21 个）"),
    (bad_bool, "等次 CUJIN 的 counts_as_qinglian：应为“是”或“否”，实际为“也许”"),
    (bad_level, "基本信息（meta） 的 level：未知的层级“county”，可用：village、township"),
    (no_grades, "等次（grades）：至少需要一个等次"),
    (indicators_not_a_list, "维度 V1 的 indicators：应为列表，实际为文字“V1.1”"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("mutate", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
def test_malformed_standard_is_refused_with_its_place_and_nothing_is_written(mutate, expected):
    data = sample()
    mutate(data)

    problems = _refused(data)

    assert expected in problems
    assert nothing_written()


@pytest.mark.django_db
def test_every_problem_is_reported_at_once():
    data = sample()
    for mutate in (set_v23_max, dup_bonus, bad_method, no_zero_grade, string_max_score):
        mutate(data)

    problems = _refused(data)

    assert len(problems) >= 5
    assert "维度 V2 的 max_score：维度 V2 下各指标分值合计 24 与维度分值 25 不符" in problems
    assert "加分项 B01 的 code：加分项编码“B01”重复（已用于 加分项 B01）" in problems
    assert nothing_written()


@pytest.mark.django_db
def test_a_failed_import_leaves_one_failure_audit_row_and_no_standard():
    data = sample()
    set_base(data)

    _refused(data)

    event = AuditEvent.objects.get(action="standard.import")
    assert event.result == "failure"
    assert event.message == "导入指数标准失败：1 个问题"
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "expected_start", "expected_part"),
    [
        (b"meta: {code: [unclosed\n", "第 2 行第 1 列", "YAML 格式错误"),
        (b"- a\n- b\n", "文件", "顶层应为映射（meta、dimensions、grades 等），实际为列表"),
        (b"just text", "文件", "顶层应为映射（meta、dimensions、grades 等），实际为文字“just text”"),
        (b"\xff\xfe\x00garbage", "文件", "不是 UTF-8 编码的文本文件"),
        (b"a: &x [1]\nb: *x\n", "第 2 行第 4 列", "不支持 YAML 锚点/别名（*）"),
        (b"a: " + b"[" * 5000 + b"]" * 5000, "文件", "YAML 嵌套层次过深"),
    ],
    ids=["syntax", "list", "scalar", "not-utf8", "alias", "too-deep"],
)
def test_unreadable_yaml_is_refused(content, expected_start, expected_part):
    problems = _refused(content)

    assert any(p.startswith(expected_start) and expected_part in p for p in problems), problems
    assert nothing_written()


@pytest.mark.django_db
def test_duplicate_yaml_keys_are_reported_with_their_line():
    text = VILLAGE.read_text(encoding="utf-8").replace(
        "  code: QLCJ-VILLAGE\n", "  code: QLCJ-VILLAGE\n  code: X\n", 1
    )

    problems = _refused(text.encode("utf-8"))

    assert "第 26 行：重复的键“code”" in problems
    assert nothing_written()


@pytest.mark.django_db
def test_an_existing_version_is_refused_and_the_first_stays_alone():
    standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    before = row_counts()

    problems = _refused(VILLAGE.read_bytes())

    assert problems == [
        "基本信息（meta） 的 version：标准 QLCJ-VILLAGE 2024年 版本“2024-draft-1”已存在，请使用新的版本号"
    ]
    assert row_counts() == before


@pytest.mark.django_db
def test_year_comes_from_meta_year_then_version_then_the_argument():
    data = sample()
    data["meta"]["year"] = 2023
    assert standard_import(source=dump(data), fmt="yaml", actor=None).year == 2023

    data = sample()
    data["meta"]["version"] = "draft-2"
    assert standard_import(source=dump(data), fmt="yaml", actor=None, year=2025).year == 2025

    assert standard_import(source=TOWNSHIP.read_bytes(), fmt="yaml", actor=None).year == 2024


@pytest.mark.django_db
def test_a_year_argument_that_contradicts_the_file_is_refused():
    problems = _refused(VILLAGE.read_bytes(), year=2025)

    assert problems == ["基本信息（meta） 的 version：文件中的年度 2024 与指定的年度 2025 不一致"]
    assert nothing_written()


@pytest.mark.django_db
def test_an_unknown_format_is_refused():
    with pytest.raises(StandardImportError) as info:
        standard_import(source=VILLAGE.read_bytes(), fmt="csv", actor=None)

    assert [str(p) for p in info.value.problems] == [
        "文件：不支持的文件格式“csv”，请使用 YAML（.yaml/.yml）或 Excel（.xlsx）"
    ]


def _with_sub_items(data, second_max):
    v11 = _ind(data, 0, 0)
    del v11["scoring_method"], v11["deductions"]
    v11["sub_items"] = [
        {"code": "V1.1.1", "name": "年度学习计划", "max_score": 1, "scoring_method": "checklist",
         "checklist": [{"item": "有年度学习计划", "points": 1}]},
        {"code": "V1.1.2", "name": "每月学习", "max_score": second_max, "scoring_method": "deduction",
         "deductions": [{"condition": "每缺少1个月", "points": 0.5, "per": "月"}]},
    ]  # fmt: skip
    return data


@pytest.mark.django_db
def test_sub_items_must_sum_to_their_parent():
    problems = _refused(_with_sub_items(sample(), 1.5))

    assert problems == ["维度 V1 / 指标 V1.1 的 max_score：指标 V1.1 下各子项分值合计 2.5 与指标分值 3 不符"]
    assert nothing_written()


@pytest.mark.django_db
def test_sub_items_import_under_their_parent():
    std = standard_import(source=dump(_with_sub_items(sample(), 2)), fmt="yaml", actor=None)

    parent = std.indicators.get(code="V1.1")
    assert parent.scoring_method == ""
    assert parent.rules.count() == 0
    assert list(parent.children.order_by("sort_order").values_list("code", "max_score")) == [
        ("V1.1.1", Decimal("1")),
        ("V1.1.2", Decimal("2")),
    ]
    assert std.indicators.count() == 28
