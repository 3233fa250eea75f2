"""Tasks on pages: create and edit (with the version check), close and reopen with reasons, overdue in
SQL, a unit's report with evidence, a village's report on its own share, and the monthly sheet (每月调度)
on the page, in Excel and in Word."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEvent
from common.errors import ConflictError, InvalidInputError
from ledgers.models import PlanSubTask, PlanTask, PlanTaskEvent, TaskProgress, TaskProgressEvidence
from ledgers.services import tasks as svc
from ledgers.workflow import task_overdue_q
from tests.assessments.conftest import PDF_BYTES
from tests.factories import UnitFactory, user_with_role

T = PlanTask.Status
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tasks"
FORM = {
    "key_point": "（二）深入实施“正本清源”工程",
    "task": "规范村级小额工程项目管理",
    "measures": "建立村级小额工程事前报备制度。",
    "lead_text": "经管站",
    "units_text": "民政科、各村居",
    "responsible_person": "",
    "deadline_text": "9月底前",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def reviewer(org):
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev")


def pdf(name="会议记录.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def test_create_on_the_page_fans_out_and_numbers_after_the_last(client, org, reviewer):
    client.force_login(reviewer)
    url = reverse("ledgers:task_create") + "?year=2024"
    assert client.get(url).status_code == 200
    response = client.post(url, FORM | {"year": 2024})
    task = PlanTask.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "ledgers:task_detail", args=[task.pk]
    )
    assert (task.number, task.year, task.deadline, task.fan_out) == (
        1,
        2024,
        datetime.date(2024, 9, 30),
        "villages",
    )
    assert [u.name for u in task.lead_units.all()] == ["经管站"]
    assert [u.name for u in task.units.all()] == ["民政科"]
    assert sorted(s.village.name for s in task.subtasks.all()) == ["东村", "南村", "西村"]
    second = svc.task_create(
        township=org.town, year=2024, actor=reviewer, data=FORM | {"units_text": "民政科"}
    )
    assert second.number == 2 and not second.subtasks.exists()
    response = client.post(url, FORM | {"units_text": "宣传办"})
    assert response.status_code == 200 and "“宣传办”不是本镇街的责任单位" in response.content.decode()
    assert PlanTask.objects.count() == 2


def test_edit_checks_the_version_and_redoes_the_fan_out(client, org, reviewer):
    task = svc.task_create(township=org.town, year=2024, actor=reviewer, data=FORM)
    client.force_login(reviewer)
    url = reverse("ledgers:task_edit", args=[task.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, FORM | {"units_text": "民政科、各党总支", "version": 1})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.version, task.fan_out) == (2, "branches")
    assert sorted(s.branch.name for s in task.subtasks.all()) == ["第一党总支", "第二党总支"]
    stale = client.post(url, FORM | {"task": "别人的旧版本", "version": 1})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    task.refresh_from_db()
    assert task.task == FORM["task"]
    with pytest.raises(ConflictError):
        svc.task_update(task=task, actor=reviewer, version=1, data=FORM)
    assert AuditEvent.objects.filter(action="tasks.update").count() == 1


def test_close_and_reopen_need_a_reason_and_leave_a_trail(client, org, reviewer):
    task = svc.task_create(township=org.town, year=2024, actor=reviewer, data=FORM)
    client.force_login(reviewer)
    close = reverse("ledgers:task_close", args=[task.pk])
    client.post(close, {"reason": ""})
    task.refresh_from_db()
    assert not task.is_closed
    client.post(close, {"reason": "上级通知本年度不再开展"})
    task.refresh_from_db()
    assert task.is_closed and task.version == 2
    with pytest.raises(ConflictError, match="任务已关闭"):
        svc.task_close(task=task, actor=reviewer, reason="再关一次")
    staff = user_with_role(Role.UNIT_STAFF, org.other_unit, username="mz")
    with pytest.raises(InvalidInputError, match="任务已关闭"):
        svc.task_progress_report(
            task=task, unit=org.other_unit, actor=staff, year=2024, month=5, text="x", status=T.IN_PROGRESS
        )
    client.post(reverse("ledgers:task_reopen", args=[task.pk]), {"reason": "恢复开展"})
    task.refresh_from_db()
    assert not task.is_closed
    assert list(PlanTaskEvent.objects.values_list("action", "reason")) == [
        ("close", "上级通知本年度不再开展"),
        ("reopen", "恢复开展"),
    ]
    assert AuditEvent.objects.filter(action__in=["tasks.close", "tasks.reopen"]).count() == 2
    # another role of the township sees the task but cannot close it
    leader = user_with_role(Role.TOWNSHIP_LEADER, org.town, username="ld")
    client.force_login(leader)
    assert client.post(close, {"reason": "x"}).status_code == 404


def test_overdue_is_computed_in_sql(org, reviewer):
    today = datetime.date(2024, 10, 8)
    data = {k: FORM[k] for k in FORM} | {"units_text": "民政科"}
    late = svc.task_create(township=org.town, year=2024, actor=reviewer, data=data)
    done = svc.task_create(township=org.town, year=2024, actor=reviewer, data=data)
    standing = svc.task_create(
        township=org.town, year=2024, actor=reviewer, data=data | {"deadline_text": "长期推进"}
    )
    future = svc.task_create(
        township=org.town, year=2024, actor=reviewer, data=data | {"deadline_text": "12月底前"}
    )
    closed = svc.task_create(township=org.town, year=2024, actor=reviewer, data=data)
    PlanTask.objects.filter(pk=done.pk).update(status=T.DONE)
    svc.task_close(task=closed, actor=reviewer, reason="取消")
    overdue = set(PlanTask.objects.filter(task_overdue_q(today)).values_list("pk", flat=True))
    assert overdue == {late.pk}
    assert {standing.pk, future.pk}.isdisjoint(overdue)


def test_unit_reports_with_evidence_and_the_file_is_served_to_the_township(client, org, reviewer):
    task = svc.task_create(township=org.town, year=2024, actor=reviewer, data=FORM | {"units_text": "民政科"})
    staff = user_with_role(Role.UNIT_STAFF, org.other_unit, username="mz")
    client.force_login(staff)
    url = reverse("ledgers:task_progress", args=[task.pk])
    data = {"unit": org.other_unit.pk, "year": 2024, "month": 5, "text": "已制定报备制度", "status": T.DONE}
    assert client.post(url, data | {"files": [pdf(), pdf("照片.pdf")]}).status_code == 302
    progress = TaskProgress.objects.get()
    assert sorted(e.original_name for e in progress.evidence.all()) == ["会议记录.pdf", "照片.pdf"]
    task.refresh_from_db()
    assert task.status == T.DONE
    bad = SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    client.post(url, data | {"month": 6, "files": [bad]})
    assert TaskProgress.objects.count() == 1 and TaskProgressEvidence.objects.count() == 2
    evidence = progress.evidence.order_by("original_name").first()
    client.force_login(reviewer)
    response = client.get(reverse("ledgers:task_evidence_download", args=[evidence.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    other = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="rev2")
    client.force_login(other)
    assert client.get(reverse("ledgers:task_evidence_download", args=[evidence.pk])).status_code == 404


def test_a_village_reports_on_its_own_share_only(client, org, reviewer):
    task = svc.task_create(township=org.town, year=2024, actor=reviewer, data=FORM | {"units_text": "各村居"})
    own = PlanSubTask.objects.get(task=task, village=org.village)
    sibling = PlanSubTask.objects.get(task=task, village=org.sibling)
    committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="dc")
    client.force_login(committee)
    page = client.get(reverse("ledgers:subtask_list"))
    assert [s.pk for s in page.context["page_obj"]] == [own.pk]
    assert client.get(reverse("ledgers:subtask_progress", args=[sibling.pk])).status_code == 404
    url = reverse("ledgers:subtask_progress", args=[own.pk])
    data = {"year": 2024, "month": 6, "text": "已完成报备登记", "status": T.DONE, "files": [pdf()]}
    assert client.post(url, data).status_code == 302
    own.refresh_from_db()
    task.refresh_from_db()
    assert own.status == T.DONE and task.status == T.IN_PROGRESS  # two villages still to finish
    progress = TaskProgress.objects.get()
    assert (progress.subtask, progress.unit, progress.evidence.count()) == (own, None, 1)
    assert client.post(reverse("ledgers:subtask_progress", args=[sibling.pk]), data).status_code == 404
    client.force_login(reviewer)
    assert "分解任务 1/3 已完成" in client.get(reverse("ledgers:task_list")).content.decode()
    for village in (org.sibling, org.cousin):
        user = user_with_role(Role.VILLAGE_COMMITTEE, village, username=f"u{village.pk}")
        share = PlanSubTask.objects.get(task=task, village=village)
        svc.subtask_progress_report(subtask=share, actor=user, year=2024, month=6, text="完成", status=T.DONE)
    task.refresh_from_db()
    assert task.status == T.DONE
    # a unit's staff has no sub-task page
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit, username="jg"))
    assert client.get(reverse("ledgers:subtask_list")).status_code == 404


def seeded_month(org, reviewer):
    """Seed 002 imported, three reports in June 2023 (two units, one village) and one in May."""
    for name in ["镇党建办（组织）", "镇党建办（宣传）", "镇纪检办", "镇社会事务办", "镇农办", "镇村镇建设办",
                 "镇财政所", "镇综治办", "镇派出所"]:  # fmt: skip
        UnitFactory(township=org.town, name=name)
    text = (FIXTURES / "002_tasks.txt").read_text(encoding="utf-8")
    svc.task_import(township=org.town, year=2023, text=text, actor=reviewer)
    tasks = {t.number: t for t in PlanTask.objects.filter(year=2023)}
    units = {u.name: u for u in org.town.units.all()}

    def unit_report(number, unit, month, text, status):
        staff = user_with_role(Role.UNIT_STAFF, units[unit], username=f"s{number}{month}{unit}")
        svc.task_progress_report(
            task=tasks[number],
            unit=units[unit],
            actor=staff,
            year=2023,
            month=month,
            text=text,
            status=status,
        )

    unit_report(5, "镇财政所", 6, "完成村级财务逐笔公开检查", T.DONE)
    unit_report(8, "镇综治办", 6, "排查涉纪信访3件", T.IN_PROGRESS)
    unit_report(8, "镇综治办", 5, "五月的进展", T.IN_PROGRESS)
    committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="dc")
    share = PlanSubTask.objects.get(task=tasks[6], village=org.village)
    svc.subtask_progress_report(
        subtask=share, actor=committee, year=2023, month=6, text="小额工程全部报备", status=T.DONE
    )
    svc.task_close(task=tasks[12], actor=reviewer, reason="并入第10项")
    return tasks


def test_monthly_sheet_page_excel_and_word(client, org, reviewer):
    seeded_month(org, reviewer)
    client.force_login(reviewer)
    url = reverse("ledgers:task_monthly")
    args = {"township": org.town.pk, "year": 2023, "month": 6}
    response = client.get(url, args)
    assert response.status_code == 200
    counts = response.context["sheet"]["counts"]
    # as of 2023-06-30 nothing has a date (002 writes no 完成时限): no task is overdue
    assert counts == {
        "total": 12, "done": 0, "in_progress": 3, "not_started": 9, "ongoing": 0, "closed": 1, "overdue": 0,
        "reported": 3, "reports": 3,
    }  # fmt: skip
    html = response.content.decode()
    assert "完成村级财务逐笔公开检查" in html and "小额工程全部报备" in html and "五月的进展" not in html

    xlsx = client.get(url, args | {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "甲镇2023年6月清廉村居工作任务调度表"
    summary = {r[0]: r[1] for r in rows[2:11]}
    assert summary["任务总数"] == 12 and summary["本月进展填报条数"] == 3 and summary["已关闭"] == 1
    by_number = {r[0]: r for r in rows if isinstance(r[0], int)}
    assert by_number[5][6] == "推进中" and "镇财政所【已完成】完成村级财务逐笔公开检查" in by_number[5][7]
    assert (
        "东村【已完成】小额工程全部报备" in by_number[6][7]
        and "分解任务 3 个，已完成 1 个" in by_number[6][7]
    )
    assert by_number[1][7] == "分解任务 3 个，已完成 0 个"
    assert by_number[12][6] == "未开始（已关闭）"

    docx = client.get(url, args | {"format": "docx"})
    doc = Document(io.BytesIO(docx.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "共有工作任务12项" in text and "逾期0项，已关闭1项；本月共3项任务填报进展3条" in text
    table = doc.tables[0]
    assert len(table.rows) == 13
    row8 = [c.text for c in table.rows[8].cells]
    assert (
        row8[0] == "8"
        and row8[1] == "抓好农村基层涉纪信访化解"
        and "镇综治办【推进中】排查涉纪信访3件" in row8[4]
    )
    assert "牵头：镇纪检办" in row8[2]


def test_monthly_sheet_is_scoped_to_the_township(client, org, reviewer):
    seeded_month(org, reviewer)
    other = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="rev2")
    client.force_login(other)
    args = {"township": org.town.pk, "year": 2023, "month": 6}
    assert client.get(reverse("ledgers:task_monthly"), args).status_code == 404
    assert client.get(reverse("ledgers:task_monthly"), args | {"format": "docx"}).status_code == 404


def _tasks(org, reviewer, year, n):
    data = FORM | {"units_text": "民政科、各村居"}
    for _ in range(n):
        task = svc.task_create(township=org.town, year=year, actor=reviewer, data=data)
        staff = user_with_role(Role.UNIT_STAFF, org.other_unit, username=f"s{task.pk}")
        svc.task_progress_report(
            task=task, unit=org.other_unit, actor=staff, year=year, month=3, text="进展", status=T.IN_PROGRESS
        )


@pytest.mark.parametrize("name", ["ledgers:task_list", "ledgers:task_monthly"])
def test_list_and_sheet_query_counts_do_not_grow_with_tasks(
    client, org, reviewer, name, django_assert_num_queries
):
    _tasks(org, reviewer, 2022, 2)
    _tasks(org, reviewer, 2023, 12)
    client.force_login(reviewer)
    url = reverse(name)
    args = {"township": org.town.pk, "month": 3}
    client.get(url, args | {"year": 2022})
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, args | {"year": 2022}).status_code == 200
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url, args | {"year": 2023})
    assert response.content.decode().count("进展") >= 12


def test_the_village_home_page_asks_for_this_months_report(client, org, reviewer):
    year = datetime.date.today().year
    task = svc.task_create(township=org.town, year=year, actor=reviewer, data=FORM | {"units_text": "各村居"})
    committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="dc")
    client.force_login(committee)
    assert "1 项分解任务本月待填报进展" in client.get("/").content.decode()
    share = PlanSubTask.objects.get(task=task, village=org.village)
    today = datetime.date.today()
    svc.subtask_progress_report(
        subtask=share,
        actor=committee,
        year=today.year,
        month=today.month,
        text="推进中",
        status=T.IN_PROGRESS,
    )
    assert "分解任务本月待填报进展" not in client.get("/").content.decode()


def test_the_village_share_list_query_count_does_not_grow(client, org, reviewer, django_assert_num_queries):
    data = FORM | {"units_text": "各村居"}
    svc.task_create(township=org.town, year=2022, actor=reviewer, data=data)
    committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="dc")
    client.force_login(committee)
    url = reverse("ledgers:subtask_list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(9):
        svc.task_create(township=org.town, year=2023, actor=reviewer, data=data)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["page_obj"]) == 10


def test_a_city_user_picks_a_township_before_its_units_and_years_are_grouped_in_sql(
    client, org, reviewer, django_assert_num_queries
):
    """Across townships the unit picker waits for a township; years and 工作要点 come grouped from SQL, so
    the page reads the same number of queries for one township-year or several."""
    _tasks(org, reviewer, 2022, 1)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    url = reverse("ledgers:task_list")
    client.get(url)
    cache.clear()  # measured cold: the years and 工作要点 are cached per data version for a city office
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.context["townships"] == [(org.other_town.pk, "乙镇"), (org.town.pk, "甲镇")]
    assert list(response.context["units"]) == []
    assert response.context["years"] == [2022] and response.context["key_points"] == [FORM["key_point"]]
    _tasks(org, reviewer, 2023, 3)
    other_reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="jiwei_yi")
    UnitFactory(township=org.other_town, name="经管站")
    data = FORM | {"key_point": "（一）其他要点", "units_text": "经管站"}
    svc.task_create(township=org.other_town, year=2023, actor=other_reviewer, data=data)
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["years"] == [2023, 2022] and response.context["year"] == 2023
    assert response.context["key_points"] == ["（一）其他要点", FORM["key_point"]]  # both first as number 1
    response = client.get(url, {"township": org.town.pk})
    assert {u.name for u in response.context["units"]} == {"民政科"}
    assert "先选镇街再选单位" not in response.content.decode()
