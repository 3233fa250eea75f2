"""Files refused as a whole: not an xlsx, encrypted, macro-enabled, too big, wrong sheets or headers."""

import io
import os
import re
import zipfile

import pytest

from accounts.models import Role
from audit.models import AuditEvent
from common import xlsx
from common.uploads import OFFICE_STRUCTURE
from common.xlsx import Problem
from tests.factories import TownshipFactory, user_with_role
from villages.models import Village
from villages.services import org_import_excel

from .workbooks import (
    BRANCHES,
    GROUP,
    UNITS,
    VILLAGES,
    build,
    headers,
    rewrite_zip,
    row_counts,
    sheets,
    upload,
)

pytestmark = pytest.mark.django_db

NOT_XLSX = "文件已损坏或不是 xlsx 格式，请用 Excel 另存为“Excel 工作簿（*.xlsx）”后再导入。"
ENCRYPTED = "文件已加密或不是 xlsx 格式，请取消密码保护并另存为“Excel 工作簿（*.xlsx）”后再导入。"
MACRO = "不接受启用宏的工作簿（.xlsm），请另存为“Excel 工作簿（*.xlsx）”后再导入。"


@pytest.fixture
def township():
    return TownshipFactory(name="示例镇")


@pytest.fixture
def actor(township):
    return user_with_role(Role.TOWNSHIP_REVIEWER, township)


def refused(township, actor, data, name="组织机构.xlsx"):
    before = row_counts()
    result = org_import_excel(township=township, file=upload(data, name), actor=actor)
    assert not result.ok
    assert row_counts() == before
    event = AuditEvent.objects.get(action="org.import")
    assert event.result == AuditEvent.Result.FAILURE
    assert event.detail["problem_count"] == len(result.problems)
    return result.problems


def file_level(message):
    return [Problem("", None, "", message)]


def test_random_bytes_are_refused(township, actor):
    assert refused(township, actor, os.urandom(4096)) == file_level(NOT_XLSX)


def test_truncated_zip_is_refused(township, actor):
    data = build(sheets())
    assert refused(township, actor, data[: len(data) // 2]) == file_level(NOT_XLSX)


def test_zip_without_a_workbook_is_refused(township, actor):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "不是工作簿")
    assert refused(township, actor, buffer.getvalue()) == file_level(NOT_XLSX)


def test_encrypted_ole2_file_is_refused_with_its_own_message(township, actor):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048
    assert refused(township, actor, data) == file_level(ENCRYPTED)


def test_macro_enabled_content_type_is_refused_even_when_named_xlsx(township, actor):
    def macro_type(content):
        return content.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )

    data = rewrite_zip(build(sheets()), replace={"[Content_Types].xml": macro_type})
    assert b"macroEnabled" in zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    assert refused(township, actor, data) == file_level(MACRO)


def test_workbook_carrying_a_vba_project_is_refused(township, actor):
    data = rewrite_zip(build(sheets()), add={"xl/vbaProject.bin": b"\0" * 64})
    assert refused(township, actor, data) == file_level(MACRO)


def test_xlsm_file_name_is_refused(township, actor):
    assert refused(township, actor, build(sheets()), name="组织机构.xlsm") == file_level(MACRO)


def test_other_extensions_are_refused(township, actor):
    assert refused(township, actor, build(sheets()), name="组织机构.xls") == file_level(
        "只接受 .xlsx 文件，收到的是“组织机构.xls”。"
    )


def test_file_over_the_size_limit_is_refused(township, actor, settings):
    settings.QL_IMPORT_MAX_BYTES = 1024
    assert refused(township, actor, build(sheets())) == file_level("文件大小超过上限（1024 字节）。")


def test_size_limit_holds_for_a_stream_without_a_size(township, actor, settings):
    settings.QL_IMPORT_MAX_BYTES = 2048
    stream = io.BytesIO(build(sheets()))
    result = org_import_excel(township=township, file=stream, actor=actor)
    assert result.problems == file_level("文件大小超过上限（2048 字节）。")


def test_zip_bomb_is_refused_before_parsing(township, actor, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_UNCOMPRESSED_BYTES", 100_000)
    data = rewrite_zip(build(sheets()), add={"xl/media/padding.bin": b"\0" * 200_000})
    assert len(data) < 100_000
    assert refused(township, actor, data) == file_level("文件解压后过大，不能导入。")


def test_entity_expansion_in_the_workbook_xml_is_refused(township, actor):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>'
    )
    data = rewrite_zip(build(sheets()), replace={"xl/workbook.xml": lambda _: bomb})
    # issue 15: refused by the upload checks (defusedxml, no DTD) before openpyxl, with their message
    assert refused(township, actor, data) == file_level(OFFICE_STRUCTURE)


def test_workbook_without_the_village_sheet_is_refused(township, actor):
    data = build(sheets(villages=None))
    assert refused(township, actor, data) == [Problem(VILLAGES, None, "", "缺少工作表“村（社区）”。")]


def test_missing_header_names_the_header(township, actor):
    wrong = [h if h != "类型" else "村居类型" for h in headers(VILLAGES)]
    data = build(sheets(), header_rows={VILLAGES: wrong})
    assert refused(township, actor, data) == [Problem(VILLAGES, 1, "类型", "缺少表头“类型”（应在第 1 行）。")]


def test_every_header_problem_in_every_sheet_is_reported(township, actor):
    data = build(
        sheets(),
        header_rows={
            BRANCHES: ["党总支名称"],
            UNITS: [*headers(UNITS)[:3], "单位名称", *headers(UNITS)[4:]],
            GROUP: ["姓名", "职务", "专班职务"],
        },
    )
    assert refused(township, actor, data) == [
        Problem(BRANCHES, 1, "排序", "缺少表头“排序”（应在第 1 行）。"),
        Problem(UNITS, 1, "单位名称", "表头“单位名称”重复出现。"),
        Problem(UNITS, 1, "联系电话", "缺少表头“联系电话”（应在第 1 行）。"),
        Problem(GROUP, 1, "所在单位", "缺少表头“所在单位”（应在第 1 行）。"),
    ]


def test_more_than_5000_rows_in_a_sheet_is_refused(township, actor):
    rows = [[f"村{i}", "村", "", "", i, "是"] for i in range(5001)]
    data = build(sheets(villages=rows, units=None, group=None))
    assert refused(township, actor, data) == [
        Problem(VILLAGES, None, "", "数据行超过 5000 行，请拆分后导入。")
    ]


def test_5000_rows_are_accepted(township, actor):
    rows = [[f"村{i}", "村", "", "", i, "是"] for i in range(5000)]
    data = build(sheets(villages=rows, units=None, group=None, branches=None))
    result = org_import_excel(township=township, file=upload(data), actor=actor)
    assert result.ok
    assert Village.objects.filter(township=township).count() == 5000


def test_unknown_sheets_are_ignored_and_half_width_brackets_accepted(township, actor):
    data = build(
        {"村(社区)": [["桃园村", "村", "", "", 1, "是"]]},
        header_rows={"村(社区)": headers(VILLAGES)},
        extra_sheets=["填写说明", "Sheet1"],
    )
    result = org_import_excel(township=township, file=upload(data), actor=actor)
    assert result.ok, result.problems
    assert list(Village.objects.values_list("name", flat=True)) == ["桃园村"]


def test_columns_beyond_the_template_are_reported_by_name_and_nothing_is_written(township, actor):
    """issue 15: a typed 备注 column, or text in a column without a header, is not dropped silently."""
    data = build(
        {"村(社区)": [["桃园村", "村", "", "", 1, "是", "备注不导入", None, "散落的字"]]},
        header_rows={"村(社区)": [*headers(VILLAGES), "备注"]},
    )
    assert refused(township, actor, data) == [
        Problem(
            VILLAGES,
            1,
            "",
            "有模板之外的列：“备注”、第 I 列。这些列不会被导入，请删除它们（或把内容移到模板中的对应列）后再导入。",
        )
    ]


def test_a_sheet_with_2000_columns_is_refused_before_its_cells_are_read(township, actor, monkeypatch):
    """issue 15: the declared width refuses the sheet; no row of it is parsed."""
    wide = [h for h in headers(VILLAGES)] + [f"列{i}" for i in range(2000)]
    data = build(sheets(), header_rows={VILLAGES: wide})
    read = []
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    original = ReadOnlyWorksheet._cells_by_row
    monkeypatch.setattr(
        ReadOnlyWorksheet,
        "_cells_by_row",
        lambda self, *a, **k: read.append(self.title) or original(self, *a, **k),
    )
    assert refused(township, actor, data) == [
        Problem(
            VILLAGES,
            None,
            "",
            "工作表“村（社区）”的列数超过 40 列，不是本模板的格式，不能导入。请使用“下载模板”中的表格填写。",
        )
    ]
    assert VILLAGES not in read


def test_a_wide_row_without_a_declared_dimension_is_refused_at_that_row(township, actor):
    """A file that hides its width (no <dimension>) is refused at the first row past the limit."""
    data = build(sheets())
    widened = b'<c r="BZ2" t="inlineStr"><is><t>x</t></is></c></row>'

    def widen(raw):
        raw = re.sub(rb"<dimension[^>]*/>", b"", raw)
        return raw.replace(b"</row>", widened, 2).replace(widened, b"</row>", 1)

    data = rewrite_zip(data, replace={_village_part(data): widen})
    assert b"BZ2" in zipfile.ZipFile(io.BytesIO(data)).read(_village_part(data))
    problems = refused(township, actor, data)
    assert problems == [
        Problem(
            VILLAGES,
            None,
            "",
            "工作表“村（社区）”的列数超过 40 列，不是本模板的格式，不能导入。请使用“下载模板”中的表格填写。",
        )
    ]


def _village_part(data):
    """The worksheet part of the 村（社区） sheet (the workbook's sheets in order: sheetN.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = re.findall(rb'<sheet [^>]*name="([^"]+)"', archive.read("xl/workbook.xml"))
    index = [n.decode() for n in names].index(VILLAGES) + 1
    return f"xl/worksheets/sheet{index}.xml"


def test_empty_file_is_refused(township, actor):
    assert refused(township, actor, b"") == file_level("文件为空。")
