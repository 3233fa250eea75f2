"""The plan's task list: import of 三管镇's 2022 list (seed 003 附件2), re-import, progress and roll-up."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import Role
from common.errors import LockedError
from ledgers.models import PlanTask, TaskProgress
from ledgers.services import tasks as svc
from ledgers.tasks_excel import parse_deadline
from tests.factories import UnitFactory, user_with_role

T = PlanTask.Status
HEADER = ["工作要点", "责任单位", "重点任务", "推进措施", "完成时限"]
GOVERNANCE = [
    (
        "组织",
        "加强软弱涣散村（社区）党组织整顿提升",
        "逐村走访排查，一村一策研究整顿方案。",
        "9月底前完成整顿验收",
    ),
    ("民政", "健全完善村（社区）自治组织建设", "健全村（居）委会下设委员会。", "6月底前全面完成"),
    ("民政", "健全完善村（社区）各项制度", "健全村规民约、居民公约等制度。", "长期推进，及时完善。"),
    (
        "组织",
        "加强“一肩挑”村（社区）干部管理考核",
        "坚持和完善村干部值班、请销假、入户走访等制度。",
        "每年12月底前完成对村党组织书记的综合分析研判，其他内容常态化开展，长期坚持。",
    ),
    (
        "组织人事、农业农村、民政",
        "推进村级组织履行职责事项清单制度",
        "统一编制事项清单。",
        "10月底前，制定村级组织履行职责事项清单。",
    ),
    ("司法所", "开展民主法治示范村（社区）建设", "申报第二批省级民主法治示范村。", "10月底前完成"),
]
CAGE = [
    (
        "民政、纪委监委",
        "推进村级小微权力清单制度建设",
        "制定小微权力清单和流程图。",
        "11月底前，出台清单和流程图，并在各村实施。",
    ),
    (
        "农业农村\n经管",
        "加强农村集体“三资”监督管理",
        "1、巩固产权制度改革成果。\n2、严格执行财务制度。",
        "长期推进",
    ),
]
UNITS = ["组织", "民政", "组织人事", "农业农村", "司法所", "纪委监委", "经管"]


def workbook(groups, *, title=True):
    """The task list as the township keeps it: a title row, the header, 工作要点 merged per group."""
    wb = Workbook()
    ws = wb.active
    ws.title = "任务清单"
    if title:
        ws.append(["三管镇清廉村居创建行动2022年任务清单"])
    ws.append(HEADER)
    for key_point, rows in groups:
        first = ws.max_row + 1
        for i, (units, task, measures, deadline) in enumerate(rows):
            ws.append([key_point if i == 0 else None, units, task, measures, deadline])
        if len(rows) > 1:
            ws.merge_cells(start_row=first, start_column=1, end_row=first + len(rows) - 1, end_column=1)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("任务清单.xlsx", out.getvalue())


def sanguan(extra=()):
    return workbook([("健全治理体系", GOVERNANCE), ("扎紧制度笼子", [*CAGE, *extra])])


@pytest.fixture
def units(org):
    return {name: UnitFactory(township=org.town, name=name) for name in UNITS}


@pytest.fixture
def reviewer(org):
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev")


def test_parse_deadline_rules():
    assert parse_deadline("9月底前完成整顿验收", 2022) == (datetime.date(2022, 9, 30), False)
    assert parse_deadline("每年12月底前完成", 2022) == (datetime.date(2022, 12, 31), False)
    assert parse_deadline("6月底前全面完成", 2024) == (datetime.date(2024, 6, 30), False)
    assert parse_deadline("长期推进", 2022) == (None, True)
    assert parse_deadline("常态化开展", 2022) == (None, True)
    assert parse_deadline("按上级要求", 2022) == (None, False)


def test_import_sanguan_2022_list(org, units, reviewer):
    created = svc.task_import(township=org.town, year=2022, file=sanguan(), actor=reviewer)
    assert len(created) == 8
    tasks = list(PlanTask.objects.filter(township=org.town, year=2022).order_by("number"))
    assert [t.number for t in tasks] == list(range(1, 9))
    assert [t.key_point for t in tasks] == ["健全治理体系"] * 6 + ["扎紧制度笼子"] * 2
    first = tasks[0]
    assert (first.deadline, first.deadline_text, first.status) == (
        datetime.date(2022, 9, 30),
        "9月底前完成整顿验收",
        T.NOT_STARTED,
    )
    # 附件2 has no 牵头单位 column: no lead is guessed from the 责任单位 (it used to be the first one)
    assert (first.lead_text, list(first.lead_units.all())) == ("", [])
    assert list(first.units.all()) == [units["组织"]]
    assert tasks[1].deadline == datetime.date(2022, 6, 30)
    assert (tasks[2].deadline, tasks[2].status) == (None, T.ONGOING)
    assert tasks[3].deadline == datetime.date(2022, 12, 31)
    assert {u.name for u in tasks[4].units.all()} == {"组织人事", "农业农村", "民政"}
    assert tasks[4].units_text == "组织人事、农业农村、民政"
    assert {u.name for u in tasks[7].units.all()} == {"农业农村", "经管"}
    assert (tasks[7].deadline, tasks[7].status) == (None, T.ONGOING)
    assert tasks[7].measures.startswith("1、巩固")


def test_bad_rows_are_reported_and_nothing_is_written(org, units, reviewer):
    bad = [("宣传办", "加强宣传", "", "12月底前"), ("民政", "", "", "")]
    with pytest.raises(svc.TaskImportError) as info:
        svc.task_import(township=org.town, year=2022, file=sanguan(bad), actor=reviewer)
    messages = [(p.row, p.column, p.message) for p in info.value.problems]
    assert (11, "责任单位", messages[0][2]) == messages[0] and "宣传办" in messages[0][2]
    assert (12, "重点任务", "重点任务不能为空。") in messages
    assert not PlanTask.objects.exists()


def test_missing_header_is_refused(org, units, reviewer):
    wb = Workbook()
    wb.active.append(["随便", "什么"])
    out = io.BytesIO()
    wb.save(out)
    from common.xlsx import WorkbookRefused

    with pytest.raises(WorkbookRefused, match="未找到表头"):
        svc.task_import(
            township=org.town, year=2022, file=SimpleUploadedFile("a.xlsx", out.getvalue()), actor=reviewer
        )


def test_reimport_replaces_the_year_until_progress_is_reported(org, units, reviewer):
    svc.task_import(township=org.town, year=2022, file=sanguan(), actor=reviewer)
    smaller = workbook([("健全治理体系", GOVERNANCE[:2])])
    svc.task_import(township=org.town, year=2022, file=smaller, actor=reviewer)
    assert PlanTask.objects.filter(year=2022).count() == 2
    task = PlanTask.objects.get(year=2022, number=1)
    staff = user_with_role(Role.UNIT_STAFF, units["组织"], username="zz_staff")
    svc.task_progress_report(
        task=task, unit=units["组织"], actor=staff, year=2022, month=5, text="已排查", status=T.IN_PROGRESS
    )
    with pytest.raises(LockedError, match="已有进展填报"):
        svc.task_import(township=org.town, year=2022, file=sanguan(), actor=reviewer)
    assert PlanTask.objects.filter(year=2022).count() == 2


def test_import_refused_for_other_roles(org, units):
    staff = user_with_role(Role.UNIT_STAFF, units["组织"], username="s1")
    with pytest.raises(Exception, match="只有本镇街纪委审核人员"):
        svc.task_import(township=org.town, year=2022, file=sanguan(), actor=staff)


def test_progress_rolls_up_to_done_only_when_every_unit_is_done(org, units, reviewer):
    svc.task_import(township=org.town, year=2022, file=sanguan(), actor=reviewer)
    task = PlanTask.objects.get(year=2022, number=7)  # 民政、纪委监委
    minzheng = user_with_role(Role.UNIT_STAFF, units["民政"], username="mz")
    jiwei = user_with_role(Role.UNIT_STAFF, units["纪委监委"], username="jw")

    def report(user, unit, month, status, text="推进中"):
        svc.task_progress_report(
            task=task, unit=units[unit], actor=user, year=2022, month=month, text=text, status=status
        )
        task.refresh_from_db()
        return task.status

    assert report(minzheng, "民政", 5, T.DONE) == T.IN_PROGRESS
    assert report(jiwei, "纪委监委", 5, T.IN_PROGRESS) == T.IN_PROGRESS
    assert report(jiwei, "纪委监委", 5, T.DONE, text="已完成") == T.DONE  # same month: updated
    assert TaskProgress.objects.filter(task=task).count() == 2
    assert TaskProgress.objects.get(task=task, unit=units["纪委监委"]).text == "已完成"
    assert report(minzheng, "民政", 6, T.IN_PROGRESS) == T.IN_PROGRESS  # latest month counts


def test_progress_page_is_for_the_task_units_staff_only(client, org, units, reviewer):
    svc.task_import(township=org.town, year=2022, file=sanguan(), actor=reviewer)
    task = PlanTask.objects.get(year=2022, number=1)  # 组织
    url = reverse("ledgers:task_progress", args=[task.pk])
    data = {"year": 2022, "month": 7, "text": "完成验收", "status": T.DONE}
    other = user_with_role(Role.UNIT_STAFF, units["民政"], username="mz")
    client.force_login(other)
    assert client.get(reverse("ledgers:task_detail", args=[task.pk])).status_code == 200
    assert client.post(url, data).status_code == 404
    assert not TaskProgress.objects.exists()
    client.force_login(reviewer)
    assert client.post(url, data).status_code == 404  # no TASKS_REPORT capability
    own = user_with_role(Role.UNIT_STAFF, units["组织"], username="zz")
    client.force_login(own)
    assert client.get(url).status_code == 405
    assert client.post(url, data).status_code == 302
    task.refresh_from_db()
    assert task.status == T.DONE
    assert TaskProgress.objects.get().reported_by == own


def test_task_pages_scope_and_filters(client, org, units, reviewer):
    svc.task_import(township=org.town, year=2022, file=sanguan(), actor=reviewer)
    client.force_login(reviewer)
    response = client.get(reverse("ledgers:task_list"), {"key_point": "扎紧制度笼子"})
    assert response.status_code == 200 and response.context["page_obj"].paginator.count == 2
    response = client.get(reverse("ledgers:task_list"), {"unit": units["民政"].pk})
    assert response.context["page_obj"].paginator.count == 4
    response = client.get(reverse("ledgers:task_list"), {"status": T.ONGOING})
    assert response.context["page_obj"].paginator.count == 2
    other = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="rev2")
    client.force_login(other)
    assert client.get(reverse("ledgers:task_list")).context["page_obj"].paginator.count == 0
    task = PlanTask.objects.get(year=2022, number=1)
    assert client.get(reverse("ledgers:task_detail", args=[task.pk])).status_code == 404
    committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cw")
    client.force_login(committee)
    assert client.get(reverse("ledgers:task_list")).status_code == 404


def test_import_page(client, org, units, reviewer):
    client.force_login(reviewer)
    url = reverse("ledgers:task_import")
    assert client.get(url).status_code == 200
    response = client.post(url, {"year": 2022, "file": sanguan([("宣传办", "加强宣传", "", "")])})
    assert response.status_code == 200
    assert "宣传办" in response.content.decode() and not PlanTask.objects.exists()
    response = client.post(url, {"year": 2022, "file": sanguan()})
    assert response.status_code == 302 and PlanTask.objects.count() == 8
