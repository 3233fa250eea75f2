"""Excel export in the importer's layout, the round trip, and malformed workbooks."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from indices.exporting import standard_export_xlsx
from indices.importing import as_dict, ir_from_standard, tree_prefetches
from indices.models import BonusItem, IndexStandard
from indices.services import StandardImportError, standard_import

from .conftest import TOWNSHIP, VILLAGE, dump, nothing_written, row_counts, sample

SHEETS = ["基本信息", "维度指标", "评分规则", "加分项", "日常监管扣分", "否决项", "等次"]


def _import_yaml(path=VILLAGE, data=None):
    return standard_import(source=data or path.read_bytes(), fmt="yaml", actor=None)


def _export(std):
    return standard_export_xlsx(IndexStandard.objects.prefetch_related(*tree_prefetches()).get(pk=std.pk))


def _edit(content, change):
    wb = load_workbook(io.BytesIO(content))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _set_meta(wb, label, value):
    ws = wb["基本信息"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == label:
            row[1].value = value
            return
    raise AssertionError(label)


def _tree(std):
    data = as_dict(
        ir_from_standard(IndexStandard.objects.prefetch_related(*tree_prefetches()).get(pk=std.pk))
    )
    data.pop("version")
    return data


def _refused_xlsx(content):
    with pytest.raises(StandardImportError) as info:
        standard_import(source=content, fmt="xlsx", actor=None)
    return [str(p) for p in info.value.problems]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [VILLAGE, TOWNSHIP], ids=["village", "township"])
def test_export_then_import_as_a_new_version_gives_the_same_tree(path):
    original = _import_yaml(path)
    content = _edit(_export(original), lambda wb: _set_meta(wb, "版本", "2024-roundtrip"))

    again = standard_import(source=content, fmt="xlsx", actor=None)

    assert again.version == "2024-roundtrip"
    assert _tree(again) == _tree(original)
    assert again.indicators.count() == original.indicators.count()
    assert again.rules.count() == original.rules.count()


@pytest.mark.django_db
def test_round_trip_keeps_sub_items_and_formula_like_text():
    data = sample()
    v11 = data["dimensions"][0]["indicators"][0]
    del v11["scoring_method"], v11["deductions"]
    v11["sub_items"] = [
        {"code": "V1.1.1", "name": "=SUM(A1:A2)", "max_score": 1, "scoring_method": "checklist",
         "checklist": [{"item": "+有计划", "points": 1}]},
        {"code": "V1.1.2", "name": "@每月学习", "max_score": 2, "scoring_method": "deduction",
         "scored_by": "township_only", "deductions": [{"condition": "-缺1个月", "points": 0.5, "per": "月"}]},
    ]  # fmt: skip
    original = _import_yaml(data=dump(data))
    content = _edit(_export(original), lambda wb: _set_meta(wb, "版本", "2024-rt"))

    again = standard_import(source=content, fmt="xlsx", actor=None)

    assert _tree(again) == _tree(original)
    assert again.indicators.get(code="V1.1.1").name == "=SUM(A1:A2)"
    assert again.indicators.get(code="V1.1.2").parent.code == "V1.1"


@pytest.mark.django_db
def test_export_has_chinese_sheets_bold_frozen_headers_and_numeric_cells():
    std = _import_yaml()

    wb = load_workbook(io.BytesIO(_export(std)))

    assert wb.sheetnames == SHEETS
    tree = wb["维度指标"]
    assert [c.value for c in tree[1]][:5] == ["类型", "编码", "名称", "上级编码", "分值"]
    assert tree["A1"].font.b is True
    assert all(wb[name].freeze_panes == "A2" for name in SHEETS)
    assert tree.column_dimensions["C"].width == 28
    assert [c.value for c in tree[2]][:5] == ["维度", "V1", "班子清廉", None, 20]
    assert tree["E2"].data_type == "n"
    assert [c.value for c in tree[3]][:6] == ["指标", "V1.1", "政治学习与“第一议题”", "V1", 3, "扣分制"]
    assert wb["等次"]["C2"].value == 90


@pytest.mark.django_db
def test_export_never_writes_user_text_as_a_formula():
    std = _import_yaml()
    BonusItem.objects.filter(standard=std, code="B01").update(name='=HYPERLINK("http://x","y")', note="@cmd")

    wb = load_workbook(io.BytesIO(_export(std)))

    cell = wb["加分项"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","y")'
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    assert wb["加分项"]["F2"].data_type == "s"


@pytest.mark.django_db
def test_a_bad_cell_is_reported_with_sheet_row_and_column():
    std = _import_yaml()

    def change(wb):
        _set_meta(wb, "版本", "2024-x")
        wb["维度指标"]["E4"] = "abc"  # V1.2 分值

    content = _edit(_export(std), change)
    before = row_counts()

    problems = _refused_xlsx(content)

    assert problems == ["工作表“维度指标”第 4 行“分值”列：应为数字，实际为“abc”"]
    assert row_counts() == before


@pytest.mark.django_db
def test_sum_problems_in_excel_name_the_dimension_row():
    std = _import_yaml()

    def change(wb):
        _set_meta(wb, "版本", "2024-x")
        wb["维度指标"]["E4"] = 5  # V1.2: 4 → 5

    problems = _refused_xlsx(_edit(_export(std), change))

    assert problems == ["工作表“维度指标”第 2 行“分值”列：维度 V1 下各指标分值合计 21 与维度分值 20 不符"]


@pytest.mark.django_db
def test_rules_of_unknown_indicators_and_bad_kinds_are_reported():
    std = _import_yaml()

    def change(wb):
        _set_meta(wb, "版本", "2024-x")
        wb["评分规则"]["A2"] = "V9.9"
        wb["评分规则"]["B3"] = "奖励"

    problems = _refused_xlsx(_edit(_export(std), change))

    assert "工作表“评分规则”第 2 行“指标编码”列：指标编码“V9.9”在工作表“维度指标”中不存在" in problems
    assert "工作表“评分规则”第 3 行“类型”列：未知的规则类型“奖励”，可用：deduction、tier、check" in problems


@pytest.mark.django_db
def test_meta_problems_name_the_item_row():
    std = _import_yaml()

    def change(wb):
        _set_meta(wb, "版本", "2024-x")
        _set_meta(wb, "加分总上限", 1)

    problems = _refused_xlsx(_edit(_export(std), change))

    assert "工作表“加分项”第 2 行“单项上限”列：单项上限 2 超过加分总上限 1" in problems


@pytest.mark.django_db
def test_not_an_xlsx_is_refused():
    assert _refused_xlsx(b"hello, this is text") == ["文件：不是有效的 Excel（.xlsx）文件"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_corrupt_workbook_is_refused():
    std = _import_yaml()
    content = _export(std)
    IndexStandard.objects.all().delete()

    assert _refused_xlsx(content[: len(content) // 2]) == ["文件：Excel 文件已损坏或不是 .xlsx 文件"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "hi")

    assert _refused_xlsx(out.getvalue()) == ["文件：不是有效的 Excel（.xlsx）文件"]


@pytest.mark.django_db
def test_a_macro_workbook_is_refused():
    std = _import_yaml()
    content = _export(std)
    IndexStandard.objects.all().delete()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 16)

    assert _refused_xlsx(out.getvalue()) == ["文件：不接受含宏的工作簿（.xlsm），请另存为 .xlsx"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_missing_sheet_is_refused():
    std = _import_yaml()
    content = _edit(_export(std), lambda wb: wb.remove(wb["否决项"]))
    IndexStandard.objects.all().delete()

    problems = _refused_xlsx(content)

    assert problems == ["工作簿：缺少工作表“否决项”"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_missing_header_is_refused():
    std = _import_yaml()

    def change(wb):
        wb["维度指标"]["E1"] = None
        wb["等次"]["C1"] = "分数线"

    content = _edit(_export(std), change)
    IndexStandard.objects.all().delete()

    problems = _refused_xlsx(content)

    assert "工作表“维度指标”第 1 行：缺少表头列：“分值”" in problems
    assert "工作表“等次”第 1 行：未知的列“分数线”" in problems
    assert "工作表“等次”第 1 行：缺少表头列：“最低分”" in problems
    assert nothing_written()


@pytest.mark.django_db
def test_export_then_import_of_the_same_file_is_refused_as_an_existing_version():
    std = _import_yaml()

    problems = _refused_xlsx(_export(std))

    assert problems == [
        "工作表“基本信息”第 6 行“值”列：标准 QLCJ-VILLAGE 2024年 版本“2024-draft-1”已存在，请使用新的版本号"
    ]
