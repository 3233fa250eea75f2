"""Formulas of computed indicators: imported from the standard, validated against the measure registry,
exported to Excel and read back; a bad formula is refused with a row message and nothing is written."""

import io
import json
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from indices.exporting import standard_export_xlsx
from indices.importing import tree_prefetches
from indices.models import IndexStandard, Indicator
from indices.services import StandardImportError, standard_copy, standard_import
from tests.factories import user_with_role

from .conftest import TOWNSHIP, dump, sample

SHARED = Path("/work/shared/standards/township_index_standard.sample.yaml")
COMPUTED = ["T2.1", "T2.2", "T2.3", "T2.4", "T2.5", "T3.1", "T3.2"]

pytestmark = pytest.mark.django_db


def _indicator(data, code):
    for dim in data["dimensions"]:
        for ind in dim["indicators"]:
            if ind["code"] == code:
                return ind
    raise AssertionError(code)


def _refused(data):
    with pytest.raises(StandardImportError) as info:
        standard_import(source=dump(data), fmt="yaml", actor=None)
    assert not IndexStandard.objects.exists()
    return [str(p) for p in info.value.problems]


def test_every_computed_indicator_of_the_sample_township_standard_has_a_formula():
    std = standard_import(source=TOWNSHIP.read_bytes(), fmt="yaml", actor=None)
    computed = Indicator.objects.filter(standard=std, computed=True).order_by("code")
    assert [i.code for i in computed] == COMPUTED
    assert all(i.formula for i in computed)
    assert not Indicator.objects.filter(standard=std, computed=False).exclude(formula={}).exists()
    t23 = computed.get(code="T2.3").formula
    assert t23["measure"] == "grade_share" and t23["params"] == {"grades": ["SHIFAN", "DABIAO", "TISHENG"]}
    assert [t["points"] for t in t23["tiers"]] == [8, 6, 4, 2]


@pytest.mark.skipif(not SHARED.exists(), reason="the shared standards folder is not on this machine")
def test_the_shared_sample_without_formulas_still_imports_and_its_computed_indicators_stay_manual():
    std = standard_import(source=SHARED.read_bytes(), fmt="yaml", actor=None)
    computed = Indicator.objects.filter(standard=std, computed=True)
    assert computed.count() == 7
    assert list(computed.values_list("formula", flat=True)) == [{}] * 7


def test_an_unknown_measure_is_refused_with_the_indicators_place():
    data = sample(TOWNSHIP)
    _indicator(data, "T2.3")["formula"]["measure"] = "villages_happy"
    problems = _refused(data)
    assert len(problems) == 1
    assert problems[0].startswith(
        "维度 T2 / 指标 T2.3 的 formula：计算公式有误：公式的 measure “villages_happy”不是已登记的统计口径"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.update(rule="eval"), "计算公式的 rule “eval”无效，可用：tiers、deductions、checklist"),
        (lambda f: f["tiers"].reverse(), "tiers 应按 min 从高到低排列"),
        (lambda f: f["tiers"][0].update(points=9), "第 1 档的 points（9）超过指标分值（8）"),
        (lambda f: f["tiers"][-1].update(min=10), "最后一档的 min 应为 0（任何比例都有对应档次）"),
        (lambda f: f["tiers"][0].update(min="八十"), "第 1 档的 min（百分比）应为数字，实际为“八十”"),
        (lambda f: f.update(expression="__import__('os')"), "公式含未知的键“expression”"),
        (lambda f: f.pop("params"), "公式缺少 params.grades"),
        (lambda f: f.update(measure="ledger_late"), "公式须使用比例类统计口径，“ledger_late”不是"),
    ],
    ids=["rule", "order", "points", "last-tier", "not-a-number", "extra-key", "params", "kind"],
)
def test_bad_tier_formulas_are_refused_with_a_chinese_row_message(change, message):
    data = sample(TOWNSHIP)
    change(_indicator(data, "T2.3")["formula"])
    problems = _refused(data)
    assert len(problems) == 1 and problems[0].startswith("维度 T2 / 指标 T2.3 的 formula：计算公式有误：")
    assert message in problems[0]


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ({"measure": "ledger_late", "points": 9}, "第 1 项扣分的 points 应大于 0 且不超过指标分值（8）"),
        ({"measure": "ledger_late", "points": 0}, "第 1 项扣分的 points 应大于 0 且不超过指标分值（8）"),
        ({"measure": "ledger_late", "points": 0.125}, "第 1 项扣分的 points最多两位小数"),
        (
            {"measure": "ledger_late", "points": 1, "max_count": 1e400},
            "第 1 项扣分的 max_count应为不小于 0 的数字",
        ),
        ({"measure": "ledger_late", "points": 1, "max_count": 1.5}, "第 1 项扣分的 max_count 应为整数"),
        ({"measure": "ledger_on_time_share", "points": 1}, "第 1 项扣分须使用计数类统计口径"),
    ],
    ids=["above-max", "zero", "places", "huge", "fraction", "share"],
)
def test_bad_deduction_terms_are_refused(term, message):
    data = sample(TOWNSHIP)
    _indicator(data, "T3.1")["formula"]["terms"] = [term]
    problems = _refused(data)
    assert len(problems) == 1 and problems[0].startswith("维度 T3 / 指标 T3.1 的 formula：计算公式有误：")
    assert message in problems[0]


def test_a_formula_on_an_indicator_not_marked_computed_is_refused():
    data = sample(TOWNSHIP)
    _indicator(data, "T1.1")["formula"] = {
        "rule": "deductions",
        "terms": [{"measure": "ledger_late", "points": 1}],
    }
    assert _refused(data) == ["维度 T1 / 指标 T1.1 的 formula：只有“系统计算”的指标可以填写计算公式"]


def test_checklist_items_above_the_indicators_maximum_are_refused():
    data = sample(TOWNSHIP)
    _indicator(data, "T2.4")["formula"]["items"][0]["points"] = 3
    assert "各计分项合计（5）超过指标分值（4）" in _refused(data)[0]


def test_formulas_go_to_excel_and_come_back_and_a_bad_cell_is_a_row_message():
    std = standard_import(source=TOWNSHIP.read_bytes(), fmt="yaml", actor=None)
    content = standard_export_xlsx(IndexStandard.objects.prefetch_related(*tree_prefetches()).get(pk=std.pk))
    wb = load_workbook(io.BytesIO(content))
    ws = wb["维度指标"]
    headers = [c.value for c in ws[1]]
    col = headers.index("计算公式") + 1
    rows = {ws.cell(r, 2).value: r for r in range(2, ws.max_row + 1)}
    assert json.loads(ws.cell(rows["T3.1"], col).value) == std.indicators.get(code="T3.1").formula
    ws.cell(rows["T3.2"], col).value = '{"rule": "tiers", "measure": "rm -rf"'
    meta = wb["基本信息"]
    for r in range(1, meta.max_row + 1):
        if meta.cell(r, 1).value == "版本":
            meta.cell(r, 2).value = "2024-roundtrip"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(StandardImportError) as info:
        standard_import(source=out.getvalue(), fmt="xlsx", actor=None)
    assert [str(p) for p in info.value.problems] == [
        f"工作表“维度指标”第 {rows['T3.2']} 行“计算公式”列：计算公式有误：计算公式不是有效的 JSON"
    ]


def test_a_new_version_keeps_the_formulas():
    std = standard_import(source=TOWNSHIP.read_bytes(), fmt="yaml", actor=None)
    copy = standard_copy(standard=std, new_version="2025-1", year=2025, actor=None)
    assert dict(copy.indicators.exclude(formula={}).values_list("code", "formula")) == dict(
        std.indicators.exclude(formula={}).values_list("code", "formula")
    )


def test_the_standards_page_reads_each_formula_in_words(client, org):
    std = standard_import(source=TOWNSHIP.read_bytes(), fmt="yaml", actor=None)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    page = client.get(reverse("indices:standard_detail", args=[std.pk])).content.decode()
    assert (
        "计算公式：按“评定为所列等次的村占参评村比例（SHIFAN、DABIAO、TISHENG）”分档："
        "≥80% 得 8 分；≥70% 得 6 分；≥60% 得 4 分；≥0% 得 2 分；无可统计对象得 0 分"
    ) in page
    assert (
        "计算公式：逾期上报初审结果的村：每 1 扣 2 分（最多计 1 次）；定级后查实否决情形的村：每 1 扣 3 分"
        in page
    )
    assert "报市评选的村经市级确认比例 ≥ 50% 得 2 分" in page
