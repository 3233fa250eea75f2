"""A responsible unit downloads the ledger template, uploads it with errors, fixes it, and submits."""

import datetime as dt

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from ledgers.compliance import ledger_state
from ledgers.excel import HEADER_ROW, SHEET
from ledgers.models import LedgerEntry
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill(path, rows, out):
    wb = load_workbook(path)
    ws = wb[SHEET]
    ws["F4"] = "是"
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
    wb.save(out)
    return out


def test_unit_uploads_ledger_fixes_errors_and_submits(live_server, page, shot, org, tmp_path):
    user_with_role(Role.UNIT_STAFF, org.unit, username="jgz")
    login(page, live_server, "jgz", TEST_PASSWORD)
    today = timezone.localdate()
    year, month = today.year, today.month  # the current month: due next month, so 按时 when submitted now
    page.goto(f"{live_server.url}/ledgers/")
    assert page.locator(".ledger-shortcut", has_text="经管站").is_visible()
    page.goto(f"{live_server.url}/ledgers/units/{org.unit.pk}/{year}/{month}/")

    with page.expect_download() as info:
        page.click("text=下载本月台账模板")
    template = tmp_path / "template.xlsx"
    info.value.save_as(template)
    assert info.value.suggested_filename == f"经管站{year}年{month}月日常监管台账.xlsx"

    day = dt.date(year, month, 1)
    outside = day - dt.timedelta(days=1)
    good = [1, "东村", "三资管理", "", "日常检查", day, "张三", "", "", 0]
    problem = [2, "南村", "四议两公开", "", "专项督查", day, "李四", "未按规定公开", "一般", 1, "限期公开", "王五",
               day + dt.timedelta(days=20)]  # fmt: skip
    bad = [problem[0], "西村", *problem[2:5], outside, *problem[6:]]
    page.set_input_files("#ledger-file", str(fill(template, [good, bad], tmp_path / "bad.xlsx")))
    page.click("button:has-text('上传')")
    page.wait_for_load_state("networkidle")
    errors = page.locator("table.import-errors").inner_text()
    assert "“西村”不是本单位监管的村（社区）。" in errors
    assert f"不在 {year}年{month}月 内" in errors
    assert "未导入任何数据" in page.content()
    assert LedgerEntry.objects.count() == 0
    shot(page, "ledger-upload-errors")

    fixed = fill(template, [good, problem], tmp_path / "fixed.xlsx")
    for expected in ("新增 2 条，更新 0 条，删除 0 条", "新增 0 条，更新 0 条，删除 0 条"):
        page.set_input_files("#ledger-file", str(fixed))
        page.click("button:has-text('上传')")
        page.wait_for_load_state("networkidle")
        assert expected in page.locator(".messages").inner_text()
    assert LedgerEntry.objects.count() == 2
    assert page.locator("table.ledger-entries tbody tr").count() == 2

    page.click("button.ledger-submit")
    page.wait_for_load_state("networkidle")
    assert "已报送" in page.locator(".ledger-status").inner_text()

    page.goto(f"{live_server.url}/ledgers/compliance/?township={org.town.pk}&year={year}")
    row = page.locator("table.compliance-matrix tr", has_text="经管站")
    # 按时 from April on; months before the plan's start month show 不适用 (ledgers.compliance)
    expected = ledger_state(
        year=year, month=month, due_day=org.town.ledger_due_day, submitted_at=timezone.now(),
        zero_report=False, today=today,
    ).label  # fmt: skip
    assert expected in ("按时", "不适用")
    assert row.locator("td").nth(month - 1).inner_text() == expected
    shot(page, "ledger-compliance")
