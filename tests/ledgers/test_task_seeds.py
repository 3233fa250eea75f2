"""The three seeds' task tables imported as they are written (fixtures/tasks/*.txt, copied verbatim from
../shared/seeds): every field of several tasks against values written out here, the counts, the fan-out
to villages / party branches, and an export → re-import round trip that changes nothing."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from ledgers.models import PlanSubTask, PlanTask
from ledgers.services import tasks as svc
from ledgers.tasklist import parse_deadline
from ledgers.tasks_excel import export_task_workbook
from tests.factories import UnitFactory, user_with_role
from villages.models import ResponsibleUnit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tasks"
T = PlanTask.Status
UNITS_001 = ["纪委办", "组织科", "经管站", "民政科", "人社所", "医保办", "卫健办"]
UNITS_002 = [
    "镇党建办（组织）", "镇党建办（宣传）", "镇纪检办", "镇社会事务办", "镇农办", "镇村镇建设办",
    "镇财政所", "镇综治办", "镇派出所",
]  # fmt: skip
UNITS_003 = ["组织", "民政", "组织人事", "农业农村", "司法所", "纪委监委", "经管", "政法", "信访"]


def seed_text(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def fields(task):
    """Every field of a task as the import writes it, links by name, sub-tasks by party."""
    return {
        "number": task.number,
        "key_point": task.key_point,
        "task": task.task,
        "measures": task.measures,
        "lead_text": task.lead_text,
        "lead_units": sorted(u.name for u in task.lead_units.all()),
        "units_text": task.units_text,
        "units": sorted(u.name for u in task.units.all()),
        "fan_out": task.fan_out,
        "responsible_person": task.responsible_person,
        "deadline_text": task.deadline_text,
        "deadline": task.deadline,
        "status": task.status,
        "subtasks": sorted(str(s.party) for s in task.subtasks.all()),
    }


@pytest.fixture
def reviewer(org):
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev")


def add_units(town, names):
    for name in names:
        if not ResponsibleUnit.objects.filter(township=town, name=name).exists():
            UnitFactory(township=town, name=name)


def imported(org, reviewer, name, year, units):
    add_units(org.town, units)
    svc.task_import(township=org.town, year=year, text=seed_text(name), actor=reviewer)
    return {t.number: t for t in PlanTask.objects.filter(township=org.town, year=year)}


def test_deadlines_as_the_plans_write_them():
    assert parse_deadline("9月底前", 2024) == (datetime.date(2024, 9, 30), False)
    assert parse_deadline("每年12月底前", 2025) == (datetime.date(2025, 12, 31), False)
    assert parse_deadline("长期推进", 2024) == (None, True)
    assert parse_deadline("2022年4月—12月", 2024) == (datetime.date(2022, 12, 31), False)
    assert parse_deadline("4月至2023年6月", 2022) == (datetime.date(2023, 6, 30), False)
    assert parse_deadline("2月底前", 2024) == (datetime.date(2024, 2, 29), False)
    assert parse_deadline("10月15日前完成", 2024) == (datetime.date(2024, 10, 15), False)
    assert parse_deadline("6月完成重点村。7月开始全面推开", 2022) == (datetime.date(2022, 6, 30), False)
    assert parse_deadline("按上级要求", 2022) == (None, False)
    assert parse_deadline("13月底前", 2022) == (None, False)


def test_seed_001_list_with_its_units_and_persons(org, reviewer):
    tasks = imported(org, reviewer, "001_tasks.txt", 2024, UNITS_001)
    assert sorted(tasks) == list(range(1, 9))
    persons = "关继琛、陈克甲、王超、宋斌、李洪海、郭光廷、孔德峰、各党总支书记"
    units_text = "纪委办、组织科、经管站、民政科、人社所、医保办、卫健办、各党总支"
    assert fields(tasks[1]) == {
        "number": 1,
        "key_point": "",
        "task": "党建引领建强班子",
        "measures": (
            "始终把党的政治建设放在首位,持续深化党员干部忠诚教育,严明政治纪律和政治规矩,抓牢思想政治工作,"
            "全面落实《全市村级党组织分类推进整体提升三年行动计划(2022—2024年)实施办法》等文件规定,"
            "使村级党组织成为落实党的路线方针政策和各项工作任务的坚强战斗堡垒。强化基层党组织领导核心地位,"
            "扎实开展村级党组织分类推进整体提升行动,实施村党组织带头人干事创业行动,深化提升和工作队工作,"
            "开展村党组织“跨村联建”,完善用好村级资产资源,发展壮大集体经济。定期开展村党组织书记履职情况评估,"
            "深化村级班子年度和任期目标管理,持续开展“擂台比武·以绩定优”活动,严格落实“三会一课”、"
            "28日党员活动日、组织生活会、民主评议党员等制度,推动村级党组织党内政治生活规范化、制度化、常态化。"
        ),
        "lead_text": "",
        "lead_units": [],
        "units_text": units_text,
        "units": sorted(UNITS_001),
        "fan_out": "branches",
        "responsible_person": persons,
        "deadline_text": "",
        "deadline": None,
        "status": T.NOT_STARTED,
        "subtasks": ["第一党总支", "第二党总支"],
    }
    assert (tasks[3].task, tasks[3].units_text, tasks[3].responsible_person) == (
        "规范阳光村务建设",
        units_text,
        persons,
    )
    # the block stands after task 3: the tasks below it name no unit and no person
    assert fields(tasks[8]) == {
        "number": 8,
        "key_point": "",
        "task": "抓好信访稳定工作",
        "measures": (
            "建立健全农村信访问题排查化解、联动查处、警示通报、源头治理等工作机制。充分的发挥村“五老”作用,"
            "建立健全村人民调解委员会,抓好矛盾纠纷和信访积案化解工作,将矛盾消化在萌芽状态。"
            "常态化开展基层扫黑除恶,建立防范和整治宗族恶势力、“村霸”等农村黑社会性质的组织问题长效机制,"
            "对把持基层政权、垄断农村资源、侵吞集体资产的“村霸”及其背后“保护伞”。"
        ),
        "lead_text": "",
        "lead_units": [],
        "units_text": "",
        "units": [],
        "fan_out": "",
        "responsible_person": "",
        "deadline_text": "",
        "deadline": None,
        "status": T.NOT_STARTED,
        "subtasks": [],
    }
    assert PlanSubTask.objects.filter(task__year=2024).count() == 3 * 2  # tasks 1–3 × two branches


def test_seed_002_twelve_tasks_with_lead_and_responsible_units(org, reviewer):
    tasks = imported(org, reviewer, "002_tasks.txt", 2023, UNITS_002)
    assert sorted(tasks) == list(range(1, 13))
    groups = list(dict.fromkeys(t.key_point for _, t in sorted(tasks.items())))
    assert groups == [
        "（一）深入实施“固本强基”工程，进一步增强村居党组织管党治党意识和干部廉洁履职能力",
        "（二）深入实施“正本清源”工程，进一步完善乡村治理体系",
        "（三）深入实施“亮剑护民”工程，进一步增强基层群众获得感",
        "（四）深入实施“文化促廉”工程，进一步形成崇廉尚俭的村风民风",
    ]
    villages = ["东村", "南村", "西村"]
    first = fields(tasks[1])
    assert first == {
        "number": 1,
        "key_point": groups[0],
        "task": "强化村居党组织的领导核心",
        "measures": (
            "把党的政治建设摆在首位，教育引导村居党组织和党员干部牢固树立“四个意识”，做到“两个维护”。"
            "深入实施“党建引领·村村竞赛”、“党建引领村村比”等项目，大力整顿后进基层党组织，"
            "使村居党组织成为落实党委决策部署的坚强战斗堡垒。严格落实“三会一课”、主题党日、组织生活会等制度，"
            "推动村居党组织党内政治生活规范化、制度化、常态化。落实村级党组织向镇党委报告履行主体责任情况制度，"
            "细化完善村居党组织主体责任清单，切实解决主体责任层层递减问题，压实管党治党政治责任。"
        ),
        "lead_text": "镇党建办（组织）",
        "lead_units": ["镇党建办（组织）"],
        "units_text": "镇纪检办、镇社会事务办、镇农办、各村居",
        "units": sorted(["镇纪检办", "镇社会事务办", "镇农办"]),
        "fan_out": "villages",
        "responsible_person": "",
        "deadline_text": "",
        "deadline": None,
        "status": T.NOT_STARTED,
        "subtasks": villages,
    }
    seventh = fields(tasks[7])  # written with "，" between the two parts
    assert (seventh["lead_units"], seventh["units"], seventh["units_text"]) == (
        ["镇纪检办"],
        ["镇党建办（组织）"],
        "镇党建办（组织）、各村居",
    )
    last = fields(tasks[12])
    assert last == {
        "number": 12,
        "key_point": groups[3],
        "task": "打造一批清廉文化阵地",
        "measures": (
            "持续深入开展“清廉文化大讲堂”活动，通过发布清廉指数、宣讲身边故事、通报典型案例，"
            "实现对镇中层以上干部和村居主职干部党风廉政宣讲的“两个全覆盖”。充分发挥农村文化礼堂、"
            "社区文化家园、文化广场、文化长廊在培育和涵养先进文化和道德情操等方面的引领作用，"
            "结合“美丽乡村”建设，建设一批饱含清廉元素的墙廊、庭院、广场等文化景观，"
            "以群众喜闻乐见的形式开展清廉文化活动，让清廉文化更“接地气”“有人气”。"
        ),
        "lead_text": "镇纪检办、镇党建办（宣传）",
        "lead_units": sorted(["镇纪检办", "镇党建办（宣传）"]),
        "units_text": "各村居",
        "units": [],
        "fan_out": "villages",
        "responsible_person": "",
        "deadline_text": "",
        "deadline": None,
        "status": T.NOT_STARTED,
        "subtasks": villages,
    }
    # every task names 各村居: one sub-task per village of the township, 12 × 3
    assert PlanSubTask.objects.filter(task__year=2023).count() == 36
    assert PlanSubTask.objects.filter(task__year=2023, village=org.village).count() == 12


def test_seed_003_annex_2_with_deadlines(org, reviewer):
    tasks = imported(org, reviewer, "003_tasks.txt", 2022, UNITS_003)
    assert sorted(tasks) == list(range(1, 16))
    assert [tasks[n].key_point for n in (1, 6, 7, 11, 12, 14, 15)] == [
        "健全治理体系", "健全治理体系", "扎紧制度笼子", "扎紧制度笼子", "强化基层监督", "强化基层监督",
        "深化清廉文化建设",
    ]  # fmt: skip
    base = {"lead_text": "", "lead_units": [], "fan_out": "", "responsible_person": "", "subtasks": []}
    assert fields(tasks[1]) == base | {
        "number": 1,
        "key_point": "健全治理体系",
        "task": "加强软弱涣散村（社区）党组织整顿提升",
        "measures": (
            "乡镇（社区）党委书记带头，领导班子成员带队，逐村走访排查。乡镇（社区）党委“一村一策”研究整顿方案，"
            "落实1名副科级干部联村、1名乡镇股级干部包村的包联措施，限期解决问题。"
        ),
        "units_text": "组织",
        "units": ["组织"],
        "deadline_text": "9月底前完成整顿验收",
        "deadline": datetime.date(2022, 9, 30),
        "status": T.NOT_STARTED,
    }
    # measure 4 sits in a row of its own (merged cells): it continues task 8, with its own time limit
    eighth = fields(tasks[8])
    assert eighth["measures"].startswith("1、巩固拓展农村集体产权制度改革成果")
    assert eighth["measures"].endswith(
        "\n4、组织召开由县乡两级农经工作人员参加的农村集体“三资”管理规范化建设培训班，提高基层管理人员的政策水平和业务素质。"
    )
    assert (eighth["deadline_text"], eighth["deadline"]) == (
        "长期推进\n12月底前完成",
        datetime.date(2022, 12, 31),
    )
    assert fields(tasks[12]) == base | {
        "number": 12,
        "key_point": "强化基层监督",
        "task": "加强“三务”公开",
        "measures": "制定《关于规范村（社区）“三务”公开工作的实施方案》，实现“三务”公开规范化、制度化、常态化。",
        "units_text": "组织\n民政\n农业农村、经管",
        "units": sorted(["组织", "民政", "农业农村", "经管"]),
        "deadline_text": "长期推进",
        "deadline": None,
        "status": T.ONGOING,
    }
    assert fields(tasks[15]) == base | {
        "number": 15,
        "key_point": "深化清廉文化建设",
        "task": "加强村（社区）干部培训",
        "measures": (
            "按照全员、精准、有效要求，以村（社区）党组织书记为重点，精心组织实施新时代基层干部主题培训行动计划。"
            "推行“导师帮带制”，推动“领导干部上讲台”，乡镇党委书记带头讲好开班第一课。"
            "举办农村党组织书记、村（居）会主任县级示范培训班，打造“同步课堂”，让基层共享优质资源。"
        ),
        "units_text": "组织\n民政",
        "units": ["民政", "组织"],
        "deadline_text": "9月底前要完成一轮基层干部全部培训。",
        "deadline": datetime.date(2022, 9, 30),
        "status": T.NOT_STARTED,
    }
    assert [n for n, t in tasks.items() if t.status == T.ONGOING] == [3, 11, 12, 14]
    assert not PlanSubTask.objects.exists()


@pytest.mark.parametrize(
    ("name", "year", "units"),
    [
        ("001_tasks.txt", 2024, UNITS_001),
        ("002_tasks.txt", 2023, UNITS_002),
        ("003_tasks.txt", 2022, UNITS_003),
    ],
)
def test_export_and_reimport_gives_identical_tasks(org, reviewer, name, year, units):
    before = imported(org, reviewer, name, year, units)
    expected = [fields(before[n]) for n in sorted(before)]
    out = io.BytesIO()
    export_task_workbook([before[n] for n in sorted(before)], out)
    upload = SimpleUploadedFile("任务清单.xlsx", out.getvalue())
    svc.task_import(township=org.town, year=year, file=upload, actor=reviewer)
    after = list(PlanTask.objects.filter(township=org.town, year=year).order_by("number"))
    assert {t.pk for t in after}.isdisjoint(t.pk for t in before.values())  # really re-created
    assert [fields(t) for t in after] == expected


def test_txt_upload_reads_like_pasted_text(org, reviewer):
    add_units(org.town, UNITS_002)
    upload = SimpleUploadedFile("任务.txt", seed_text("002_tasks.txt").encode("gb18030"))
    created = svc.task_import(township=org.town, year=2023, file=upload, actor=reviewer)
    assert len(created) == 12 and PlanTask.objects.get(year=2023, number=5).lead_text == "镇农办"


def test_unknown_units_are_named_per_row_and_nothing_is_written(org, reviewer):
    add_units(org.town, [u for u in UNITS_002 if u not in ("镇派出所", "镇财政所")])
    with pytest.raises(svc.TaskImportError) as info:
        svc.task_import(township=org.town, year=2023, text=seed_text("002_tasks.txt"), actor=reviewer)
    messages = [(p.row, p.column, p.message) for p in info.value.problems]
    assert [(row, column) for row, column, _ in messages] == [(8, "责任单位"), (13, "责任单位")]
    assert "第8行责任单位“镇财政所、镇社会事务办、各村居”中的“镇财政所”" in messages[0][2]
    assert "“镇派出所”" in messages[1][2]
    assert not PlanTask.objects.exists() and not PlanSubTask.objects.exists()


def test_create_missing_units_when_the_township_chooses_it(org, reviewer):
    before = set(ResponsibleUnit.objects.filter(township=org.town).values_list("name", flat=True))
    svc.task_import(
        township=org.town,
        year=2024,
        text=seed_text("001_tasks.txt"),
        actor=reviewer,
        create_missing_units=True,
    )
    after = set(ResponsibleUnit.objects.filter(township=org.town).values_list("name", flat=True))
    assert after - before == {"纪委办", "组织科", "人社所", "医保办", "卫健办"}  # 经管站, 民政科 existed
    assert PlanTask.objects.get(year=2024, number=2).units.count() == 7


def test_a_task_without_its_duty_line_is_a_row_message(org, reviewer):
    add_units(org.town, UNITS_002)
    text = seed_text("002_tasks.txt").replace("（牵头单位：镇村镇建设办；责任单位：各村居）", "")
    with pytest.raises(svc.TaskImportError) as info:
        svc.task_import(township=org.town, year=2023, text=text, actor=reviewer)
    [problem] = info.value.problems
    assert problem.row == 9 and "规范村级小额工程项目管理" in problem.message
    assert not PlanTask.objects.exists()


def test_unit_aliases_link_the_plan_words_to_the_township_units_and_keep_the_text(org, reviewer):
    add_units(org.town, ["组织", "民政", "司法所", "纪委监委", "农业农村经管"])
    aliases = {
        "组织人事": "组织",
        "农业农村": "农业农村经管",
        "经管": "农业农村经管",
        "政法": "司法所",
        "信访": "纪委监委",
    }
    svc.task_import(
        township=org.town, year=2022, text=seed_text("003_tasks.txt"), actor=reviewer, unit_aliases=aliases
    )
    task = PlanTask.objects.get(year=2022, number=12)
    assert task.units_text == "组织\n民政\n农业农村、经管"
    assert sorted(u.name for u in task.units.all()) == ["农业农村经管", "民政", "组织"]
    assert not ResponsibleUnit.objects.filter(township=org.town, name__in=["经管", "政法"]).exists()


def test_import_page_previews_pasted_text_then_imports_it(client, org, reviewer):
    add_units(org.town, UNITS_002)
    client.force_login(reviewer)
    url = reverse("ledgers:task_import")
    text = seed_text("002_tasks.txt")
    response = client.post(url, {"year": 2023, "text": text, "preview": "1"})
    assert response.status_code == 200 and not PlanTask.objects.exists()
    rows = response.context["preview"]["rows"]
    assert [r.number for r in rows] == list(range(1, 13)) and rows[
        3
    ].lead_text == "镇纪检办、镇党建办（组织）"
    assert "确认导入" in response.content.decode()
    response = client.post(url, {"year": 2023, "text": text, "confirm": "1"})
    assert response.status_code == 302 and PlanTask.objects.filter(year=2023).count() == 12


def test_import_page_preview_of_a_txt_upload_names_unknown_units_by_row(client, org, reviewer):
    client.force_login(reviewer)
    url = reverse("ledgers:task_import")
    upload = SimpleUploadedFile("三管镇任务清单.txt", seed_text("003_tasks.txt").encode("utf-8"))
    response = client.post(url, {"year": 2022, "file": upload, "preview": "1"})
    html = response.content.decode()
    assert "第8行责任单位“组织”中的“组织”不是本镇街的责任单位" in html
    assert response.context["form"]["text"].value() == seed_text("003_tasks.txt")  # kept for the confirm
    response = client.post(
        url, {"year": 2022, "text": seed_text("003_tasks.txt"), "create_missing_units": "on", "preview": "1"}
    )
    assert response.context["preview"]["missing"][:3] == ["组织", "民政", "组织人事"]
    assert not PlanTask.objects.exists() and not ResponsibleUnit.objects.filter(name="组织").exists()
