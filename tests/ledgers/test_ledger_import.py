"""Excel upload of the monthly ledger: refusals, row-level problems, reconciliation on re-upload."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEvent
from ledgers.excel import HEADER_ROW, SHEET, parse_ledger, template_bytes
from ledgers.models import LedgerEntry, LedgerSubmission
from tests.factories import user_with_role

YEAR, MONTH = 2024, 4


def row(seq, village="东村", day=10, **over):
    values = {
        "seq": seq, "village": village, "category": "三资管理", "indicator": "", "method": "日常检查",
        "date": dt.date(YEAR, MONTH, day), "checker": "张三", "finding": "", "level": "", "deduction": None,
        "requirement": "", "owner": "", "deadline": None,
    }  # fmt: skip
    values.update(over)
    return values


def problem_row(seq, **over):
    return row(seq, finding="公开不及时", level="一般", deduction=1, requirement="立即公开",
               deadline=dt.date(YEAR, MONTH + 1, 10), **over)  # fmt: skip


def ledger_xlsx(unit, rows=(), *, year=YEAR, month=MONTH, has=None, unit_name=None, month_text=None):
    """A filled copy of the downloaded template."""
    data = template_bytes(
        unit=unit, year=year, month=month, villages=list(unit.villages.all()), indicator_codes=None
    )
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    if unit_name is not None:
        ws["B2"] = unit_name
    if month_text is not None:
        ws["J2"] = month_text
    ws["F4"] = has if has is not None else ("是" if rows else "否")
    keys = ("seq", "village", "category", "indicator", "method", "date", "checker", "finding", "level",
            "deduction", "requirement", "owner", "deadline")  # fmt: skip
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for c, key in enumerate(keys, start=1):
            ws.cell(r, c, values[key])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, unit, data, name="台账.xlsx", year=YEAR, month=MONTH, version=None):
    """Posts as the page does: with the month's current version unless the test names another."""
    if version is None:
        stored = LedgerSubmission.objects.filter(unit=unit, year=year, month=month).first()
        version = stored.version if stored else 1
    url = reverse("ledgers:ledger_upload", args=[unit.pk, year, month])
    return client.post(url, {"file": SimpleUploadedFile(name, data), "version": version})


@pytest.fixture
def staff(client, org):
    user = user_with_role(Role.UNIT_STAFF, org.unit)
    client.force_login(user)
    return user


def test_template_has_header_block_validations_and_chinese_filename(client, org, staff):
    response = client.get(reverse("ledgers:ledger_template", args=[org.unit.pk, YEAR, MONTH]))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb[SHEET]
    assert ws["B2"].value == "经管站" and ws["J2"].value == "2024年4月"
    assert ws.cell(HEADER_ROW, 1).value == "序号" and ws.cell(HEADER_ROW, 18).value == "备注"
    assert ws.freeze_panes == "C7"
    assert wb["下拉选项"].sheet_state == "hidden"
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "'下拉选项'!$A$2:$A$3" in formulas  # the unit's two villages


def test_valid_upload_writes_rows_and_audit(client, org, staff):
    response = upload(client, org.unit, ledger_xlsx(org.unit, [row(1), problem_row(2, village="南村")]))
    assert response.status_code == 302
    sub = LedgerSubmission.objects.get(unit=org.unit, year=YEAR, month=MONTH)
    assert sub.source == "excel" and len(sub.source_sha256) == 64 and not sub.zero_report
    assert list(sub.entries.values_list("seq", "village__name", "level")) == [
        (1, "东村", ""),
        (2, "南村", "general"),
    ]
    event = AuditEvent.objects.filter(action="ledger.import").latest("id")
    assert (
        event.result == "success"
        and event.detail["created"] == 2
        and event.detail["sha256"] == sub.source_sha256
    )


def test_reupload_reconciles_by_seq_and_identical_file_changes_nothing(client, org, staff):
    upload(client, org.unit, ledger_xlsx(org.unit, [row(1), row(2), row(3)]))
    changed = ledger_xlsx(org.unit, [row(1), row(2, checker="李四"), row(4)])
    response = upload(client, org.unit, changed)
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="ledger.import").latest("id")
    assert (event.detail["created"], event.detail["updated"], event.detail["deleted"]) == (1, 1, 1)
    upload(client, org.unit, changed)
    event = AuditEvent.objects.filter(action="ledger.import").latest("id")
    assert (event.detail["created"], event.detail["updated"], event.detail["deleted"]) == (0, 0, 0)
    assert list(LedgerEntry.objects.values_list("seq", "checker")) == [(1, "张三"), (2, "李四"), (4, "张三")]


def test_an_upload_from_a_page_older_than_the_last_save_overwrites_nothing(client, org, staff):
    upload(client, org.unit, ledger_xlsx(org.unit, [row(1), row(2)]))
    sub = LedgerSubmission.objects.get()
    stale = sub.version - 1  # the page was opened before that upload
    response = upload(client, org.unit, ledger_xlsx(org.unit, [row(3)]), version=stale)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "台账已被他人修改（当前为2 条记录" in page and "您的上传未保存" in page
    assert list(LedgerEntry.objects.values_list("seq", flat=True).order_by("seq")) == [1, 2]
    assert AuditEvent.objects.filter(action="ledger.import").count() == 1
    missing = client.post(
        reverse("ledgers:ledger_upload", args=[org.unit.pk, YEAR, MONTH]),
        {"file": SimpleUploadedFile("台账.xlsx", ledger_xlsx(org.unit, [row(3)]))},
    )
    assert "页面已过期，请刷新后再上传" in missing.content.decode()
    assert LedgerEntry.objects.count() == 2


def test_errors_in_several_rows_are_all_listed_and_nothing_is_written(client, org, staff):
    rows = [
        row(1, village="西村"),  # supervised by 民政科, not by 经管站
        row(2, day=1, category="吃喝"),
        row(3, deduction=-2),
        row(4, level="较重"),
    ]
    data = ledger_xlsx(org.unit, rows)
    wb = load_workbook(io.BytesIO(data))
    wb[SHEET].cell(HEADER_ROW + 2, 6, dt.date(YEAR, MONTH + 1, 1))  # row 2: a date in the next month
    out = io.BytesIO()
    wb.save(out)
    response = upload(client, org.unit, out.getvalue())
    assert response.status_code == 200
    problems = {(p.row, p.column, p.message) for p in response.context["upload"].problems}
    assert (7, "村（社区）名称", "“西村”不是本单位监管的村（社区）。") in problems
    assert (
        8,
        "监管事项类别",
        "“吃喝”不是可选值，应为：四议两公开、三资管理、工程项目、惠民资金、三务公开、作风纪律、村务监督、其他。",
    ) in problems
    assert (8, "检查（发现）日期", "日期 2024-05-01 不在 2024年4月 内。") in problems
    assert (9, "拟扣分", "拟扣分不能为负数。") in problems
    assert (10, "问题描述", "有问题等级的记录须填写问题描述。") in problems
    assert "未导入任何数据" in response.content.decode()
    assert not LedgerEntry.objects.exists()
    failure = AuditEvent.objects.filter(action="ledger.import").latest("id")
    assert failure.result == "failure" and failure.detail["problems"] == len(problems)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"not a zip at all", "台账.xlsx", "文件已损坏或不是 xlsx 格式"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "台账.xlsx", "文件已加密"),
        (b"PK\x03\x04", "台账.xlsm", "不接受启用宏的工作簿"),
    ],
)
def test_unreadable_files_are_refused(client, org, staff, data, name, message):
    response = upload(client, org.unit, data, name=name)
    assert message in response.context["upload"].problems[0].message
    assert not LedgerSubmission.objects.exists()


def test_oversized_file_is_refused(client, org, staff, settings):
    settings.QL_IMPORT_MAX_BYTES = 1000
    response = upload(client, org.unit, ledger_xlsx(org.unit, [row(1)]))
    assert "文件大小超过上限" in response.context["upload"].problems[0].message
    assert not LedgerSubmission.objects.exists()


def test_wrong_template_names_the_missing_header(client, org, staff):
    wb = load_workbook(io.BytesIO(ledger_xlsx(org.unit, [row(1)])))
    wb[SHEET].cell(HEADER_ROW, 9, "等级")
    out = io.BytesIO()
    wb.save(out)
    response = upload(client, org.unit, out.getvalue())
    messages = [p.message for p in response.context["upload"].problems]
    assert messages == ["不是日常监管台账模板：缺少表头“问题等级”。请使用“下载模板”。"]
    assert not LedgerEntry.objects.exists()


def test_wrong_unit_or_month_is_refused(client, org, staff):
    data = ledger_xlsx(org.unit, [row(1)], unit_name="民政科", month_text="2024年5月")
    response = upload(client, org.unit, data)
    messages = [p.message for p in response.context["upload"].problems]
    assert "报送单位“民政科”与本页的单位“经管站”不一致。" in messages
    assert "台账月份“2024年5月”与本页的月份“2024年4月”不一致。" in messages
    assert not LedgerSubmission.objects.exists()


def test_empty_file_with_no_problems_is_a_zero_report(client, org, staff):
    response = upload(client, org.unit, ledger_xlsx(org.unit, [], has="否"))
    assert response.status_code == 302
    sub = LedgerSubmission.objects.get()
    assert sub.zero_report and not sub.entries.exists()


def test_other_unit_staff_cannot_upload(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.other_unit))
    response = upload(client, org.unit, ledger_xlsx(org.unit, [row(1)]))
    assert response.status_code == 404
    assert not LedgerSubmission.objects.exists()


def test_more_rows_than_the_limit_are_refused(client, org, staff, monkeypatch):
    monkeypatch.setattr("ledgers.excel.parsing.MAX_ROWS", 2)
    response = upload(client, org.unit, ledger_xlsx(org.unit, [row(1), row(2), row(3)]))
    assert [p.message for p in response.context["upload"].problems] == [
        "记录超过 2 行，不能导入，请分月份或精简后再上传。"
    ]
    assert not LedgerSubmission.objects.exists()


def test_indicator_code_must_be_in_the_standard_but_blank_is_accepted(org):
    data = ledger_xlsx(org.unit, [row(1, indicator="V9.9"), row(2, indicator="V1.1"), row(3)])
    villages = {"东村": org.village.pk, "南村": org.cousin.pk}
    parsed = parse_ledger(
        data, unit=org.unit, year=YEAR, month=MONTH, villages=villages, indicator_codes=["V1.1"]
    )
    assert [(p.row, p.column, p.message) for p in parsed.problems] == [
        (7, "关联指标", "指标“V9.9”不在本年度村级指数标准中。")
    ]
    assert [r["seq"] for r in parsed.rows] == [2, 3]


def test_has_problems_yes_without_rows_is_refused(client, org, staff):
    response = upload(client, org.unit, ledger_xlsx(org.unit, [], has="是"))
    assert [p.message for p in response.context["upload"].problems] == ["填“是”，但台账中没有任何记录。"]


def _validated_list(wb, ws, header):
    """The values of the drop-down list the template attaches to the column headed `header`."""
    column = next(c.column_letter for c in ws[HEADER_ROW] if c.value == header)
    target = f"{column}{HEADER_ROW + 1}"
    dv = next(dv for dv in ws.data_validations.dataValidation if target in dv.sqref)
    sheet, cells = dv.formula1.split("!")
    first, last = cells.replace("$", "").split(":")
    lists = wb[sheet.strip("'")]
    return [c.value for row in lists[first:last] for c in row]


def test_template_level_list_is_exactly_the_web_forms_choices(client, org, staff):
    """问题等级 in the downloaded workbook offers what the web form's select offers, in the same order."""
    from ledgers.forms import LedgerEntryForm

    response = client.get(reverse("ledgers:ledger_template", args=[org.unit.pk, YEAR, MONTH]))
    wb = load_workbook(io.BytesIO(response.content))
    in_workbook = _validated_list(wb, wb[SHEET], "问题等级")
    on_page = [label for _value, label in LedgerEntryForm(villages=None).fields["level"].choices]
    assert in_workbook == on_page
    assert in_workbook == ["无问题", "一般", "较重", "严重", "涉及负面清单"]


def test_a_row_marked_no_problem_in_the_workbook_imports_without_a_level(client, org, staff):
    data = ledger_xlsx(org.unit, [row(1, level="无问题"), problem_row(2)], has="是")
    assert upload(client, org.unit, data).status_code == 302
    sub = LedgerSubmission.objects.get(unit=org.unit, year=YEAR, month=MONTH)
    assert list(sub.entries.order_by("seq").values_list("seq", "level")) == [(1, ""), (2, "general")]


def test_a_finding_marked_no_problem_is_refused_like_on_the_web_form(client, org, staff):
    response = upload(client, org.unit, ledger_xlsx(org.unit, [row(1, finding="账目不清", level="无问题")]))
    problems = [(p.row, p.column, p.message) for p in response.context["upload"].problems]
    assert (HEADER_ROW + 1, "问题等级", "填写了问题描述，请选择问题等级。") in problems
    assert not LedgerSubmission.objects.filter(unit=org.unit).exists()
