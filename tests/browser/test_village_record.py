"""The township reviewer opens a village's record (档案) from the village page, builds its ZIP in the
background and downloads it; the village's own user reads the record on a phone."""

import zipfile

import pytest

from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD
from tests.reports.conftest import confirmed  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_opens_the_record_and_downloads_its_zip(
    live_server,
    page,
    shot,
    confirmed,  # noqa: F811
    settings,
    tmp_path,
):
    settings.REPORTS_EAGER_IN_THREAD = True
    c = confirmed
    login(page, live_server, c.reviewer.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/org/villages/{c.org.village.pk}/")
    page.click("a:has-text('档案')")
    page.wait_for_selector("h1:has-text('东村 · 档案')")
    assert page.locator("#record-summary tbody tr").first.inner_text().startswith("2024年")
    assert page.locator("#year-2024 a:has-text('市级表彰文件.pdf')").is_visible()
    page.click("button:has-text('导出档案（ZIP）')")
    page.wait_for_selector("text=已开始生成档案")
    page.wait_for_selector("#job-village_record a:has-text('下载')", timeout=120_000)
    shot(page, "village-record-desktop")
    with page.expect_download() as info:
        page.click("#job-village_record a:has-text('下载')")
    assert info.value.suggested_filename == "甲镇东村档案.zip"
    path = tmp_path / "record.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert "甲镇东村档案/01_档案摘要.pdf" in names and "甲镇东村档案/2024年/评分表.pdf" in names


def test_the_village_reads_its_record_on_a_phone(live_server, browser, shot, confirmed):  # noqa: F811
    c = confirmed
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server, c.committee.username, TEST_PASSWORD)
        page.goto(f"{live_server.url}/reports/village/{c.org.village.pk}/record/")
        page.wait_for_selector("h1:has-text('东村 · 档案')")
        assert page.locator("button:has-text('导出档案')").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "village-record-phone")
    finally:
        context.close()
