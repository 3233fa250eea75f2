"""The township 纪委 fills a candidate's 示范村申请表, builds the city package, watches its progress and
downloads it; a change afterwards marks the package stale."""

import zipfile

import pytest

from reports.models import ExportJob
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD
from tests.reports.conftest import confirmed  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_builds_and_downloads_the_city_package(
    live_server,
    page,
    shot,
    confirmed,  # noqa: F811
    settings,
    tmp_path,
):
    # as in the embedded edition: the build runs in a background thread and the page polls it
    settings.REPORTS_EAGER_IN_THREAD = True
    c = confirmed
    login(page, live_server, c.reviewer.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/assessments/{c.campaign.pk}/")
    page.click("text=报表与材料")
    page.wait_for_selector("h1:has-text('报表与材料')")
    rows = page.locator("table").first.locator("tbody tr")
    assert rows.nth(0).inner_text().startswith("1\t南村") and rows.nth(1).inner_text().startswith("2\t东村")

    rows.nth(1).locator("text=填写示范村申请表").click()
    page.fill("#id_brand_name", "清风东村·阳光村务")
    page.fill("#id_experience", "建立“一月一公开、一季一评议”机制。")
    page.fill("#id_satisfaction", "满意率 97.5%")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存示范村申请表。")
    assert page.locator("td", has_text="清风东村·阳光村务").is_visible()

    page.locator("#job-city_package").locator("xpath=..").locator("..").locator(
        "button:has-text('生成')"
    ).click()
    page.wait_for_selector("text=已开始生成")
    # the progress bar polls the job until it is done, then the page offers the download
    page.wait_for_selector("#job-city_package a:has-text('下载')", timeout=120_000)
    shot(page, "city-package-ready")
    job = ExportJob.objects.get(kind=ExportJob.Kind.CITY_PACKAGE)
    assert job.status == "done" and job.progress == 100
    with page.expect_download() as info:
        page.click("#job-city_package a:has-text('下载')")
    assert info.value.suggested_filename == "甲镇2024年示范村报市材料.zip"
    path = tmp_path / "package.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert "甲镇2024年示范村报市材料/02_东村/示范村申请表.pdf" in names
    assert "甲镇2024年示范村报市材料/00_目录.xlsx" in names

    # a later change to a candidate's form makes the package stale, and it can be rebuilt
    page.goto(f"{live_server.url}/reports/a/{c.a['南村'].pk}/demonstration/")
    page.fill("#id_honours", "2025年度市级民主法治示范村")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=数据已变更，需重新生成")
    shot(page, "city-package-stale")
