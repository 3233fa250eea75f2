"""issue 15: the index standard import cleans names and conditions at the door and refuses sheets far
wider than its layout."""

import pytest

from .conftest import row_counts
from .test_excel import _edit, _export, _import_yaml, _refused_xlsx, _set_meta

pytestmark = pytest.mark.django_db


def _exported_with(change):
    original = _import_yaml()
    return _edit(_export(original), lambda wb: (_set_meta(wb, "版本", "2024-text"), change(wb)))


def test_an_indicator_name_with_a_zero_width_space_is_refused_and_nothing_is_written():
    content = _exported_with(lambda wb: wb["维度指标"].cell(3, 3, "政治\u200b学习"))
    before = row_counts()
    problems = _refused_xlsx(content)
    assert any("第 3 行" in p and "零宽空格（U+200B）" in p for p in problems), problems
    assert row_counts() == before


def test_a_condition_with_a_bidi_control_is_refused():
    def change(wb):
        ws = wb["评分规则"]
        ws.cell(2, [c.value for c in ws[1]].index("条件/内容") + 1, "未公开\u202e")

    problems = _refused_xlsx(_exported_with(change))
    assert any("文字方向控制符（U+202E）" in p for p in problems), problems


def test_text_beyond_the_header_is_reported_by_row_and_column():
    problems = _refused_xlsx(_exported_with(lambda wb: wb["维度指标"].cell(3, 30, "散落")))
    assert any("第 3 行" in p and "AD 列" in p for p in problems), problems


def test_a_sheet_with_2000_columns_is_refused():
    problems = _refused_xlsx(_exported_with(lambda wb: wb["维度指标"].cell(1, 2000, "多余")))
    assert any("列数过多" in p for p in problems), problems
