"""A responsible unit reports a month's progress with a photo; a village reports on its own share from a
phone; the township reviewer reads both on the monthly sheet (每月调度) and downloads the Word file."""

import io

import pytest
from django.utils import timezone
from docx import Document

from accounts.models import Role
from ledgers.models import PlanSubTask, PlanTask, TaskProgress
from ledgers.services import tasks as svc
from tests.assessments.conftest import PDF_BYTES
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_unit_and_village_report_and_the_reviewer_reads_the_month(
    live_server, browser, page, shot, org, tmp_path
):
    today = timezone.localdate()
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jw")
    user_with_role(Role.UNIT_STAFF, org.other_unit, username="mzk")
    user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="dcun")
    data = {
        "key_point": "（二）深入实施“正本清源”工程",
        "task": "规范村级小额工程项目管理",
        "measures": "建立村级小额工程事前报备制度。",
        "lead_text": "",
        "units_text": "民政科、各村居",
        "responsible_person": "",
        "deadline_text": "12月底前",
    }
    task = svc.task_create(township=org.town, year=today.year, actor=reviewer, data=data)
    photo = tmp_path / "公开栏照片.pdf"
    photo.write_bytes(PDF_BYTES)

    # the unit reports on the task page (desktop)
    login(page, live_server, "mzk", TEST_PASSWORD)
    page.goto(f"{live_server.url}/ledgers/tasks/")
    page.click(f"text={data['task']}")
    page.fill("textarea[name=text]", "已印发小额工程报备制度，组织各村培训。")
    page.select_option("select[name=status]", PlanTask.Status.IN_PROGRESS)
    page.set_input_files("#id_files", str(photo))
    page.click("button:has-text('提交进展')")
    page.wait_for_load_state("networkidle")
    assert f"已填报{today.year}年{today.month}月进展" in page.content()
    assert page.locator("a", has_text="公开栏照片.pdf").is_visible()
    shot(page, "task-unit-progress")

    # the village reports on its share from a phone
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    mobile = phone.new_page()
    login(mobile, live_server, "dcun", TEST_PASSWORD)
    mobile.goto(f"{live_server.url}/ledgers/tasks/mine/")
    mobile.click(f"text={data['task']}")
    mobile.fill("#id_text", "本村两项小额工程均已报备。")
    mobile.select_option("#id_status", PlanTask.Status.DONE)
    mobile.click("button:has-text('提交进展')")
    mobile.wait_for_load_state("networkidle")
    assert "本村两项小额工程均已报备。" in mobile.content()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page scrolls sideways ({width}px)"
    shot(mobile, "task-village-progress-phone")
    phone.close()
    assert PlanSubTask.objects.get(task=task, village=org.village).status == PlanTask.Status.DONE
    assert TaskProgress.objects.count() == 2

    # the reviewer reads the month
    page.context.clear_cookies()
    login(page, live_server, "jw", TEST_PASSWORD)
    page.goto(f"{live_server.url}/ledgers/tasks/")
    page.click("main >> text=每月调度")
    page.wait_for_load_state("networkidle")
    sheet = page.locator("table").inner_text()
    assert "民政科【推进中】已印发小额工程报备制度" in sheet
    assert "东村【已完成】本村两项小额工程均已报备。" in sheet
    reports = page.locator(".task-monthly-summary .col", has_text="本月进展填报条数").inner_text()
    assert reports.split() == ["本月进展填报条数", "2"]
    shot(page, "task-monthly-sheet")
    with page.expect_download() as info:
        page.click("text=导出 Word（可编辑）")
    doc = Document(io.BytesIO(info.value.path().read_bytes()))
    cells = [c.text for c in doc.tables[0].rows[1].cells]
    assert cells[1] == data["task"] and "民政科【推进中】" in cells[4] and "（佐证1份）" in cells[4]
