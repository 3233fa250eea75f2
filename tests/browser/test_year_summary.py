"""The township reviewer goes from the reports center to the year's 年度总结, builds the Word version in
the background and downloads it; the file opens with python-docx and states the page's figures."""

import io

import pytest
from docx import Document

from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD
from tests.reports.conftest import confirmed  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_builds_and_downloads_the_year_summary_docx(
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
    page.goto(f"{live_server.url}/reports/campaign/{c.campaign.pk}/")
    page.click("a:has-text('2024年度工作总结')")
    page.wait_for_selector("h1:has-text('甲镇2024年度清廉村居建设工作总结')")
    # 东村, 西村, 南村 all reviewed and confirmed
    assert page.locator("[data-figure=assessed]").inner_text() == "3"
    assert page.locator(".year-summary-preview h4:has-text('三、存在问题')").is_visible()
    page.click("button:has-text('生成Word版')")
    page.wait_for_selector("text=已开始生成")
    page.wait_for_selector("#job-year_summary_docx a:has-text('下载')", timeout=120_000)
    shot(page, "year-summary-desktop")
    with page.expect_download() as info:
        page.click("#job-year_summary_docx a:has-text('下载')")
    assert info.value.suggested_filename == "甲镇2024年度清廉村居建设工作总结.docx"
    path = tmp_path / "summary.docx"
    info.value.save_as(path)
    doc = Document(io.BytesIO(path.read_bytes()))
    assert doc.paragraphs[0].text == "甲镇2024年度清廉村居建设工作总结"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "共有3个村（社区）参加，已完成初审3个" in text
    assert "四、下一步打算" in text
