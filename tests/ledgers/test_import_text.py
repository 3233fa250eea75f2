"""issue 15: the ledger and task list imports clean every cell at the door; over-long cells and
columns beyond the template are row problems, and nothing is written."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEvent
from ledgers.excel import HEADER_ROW, SHEET
from ledgers.models import LedgerEntry, PlanTask
from ledgers.services import tasks as svc
from tests.factories import user_with_role
from tests.villages.workbooks import rewrite_zip

from .test_ledger_import import ledger_xlsx, problem_row, row, upload
from .test_tasks import HEADER, sanguan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, org):
    user = user_with_role(Role.UNIT_STAFF, org.unit)
    client.force_login(user)
    return user


def problems_of(client, org, data):
    response = upload(client, org.unit, data)
    assert response.status_code == 200
    assert not LedgerEntry.objects.exists()
    assert AuditEvent.objects.filter(action="ledger.import").latest("id").result == "failure"
    return [(p.row, p.column, p.message) for p in response.context["upload"].problems]


def edited(data, change):
    wb = load_workbook(io.BytesIO(data))
    change(wb[SHEET])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_40000_character_cell_is_a_row_problem_and_nothing_is_stored(client, org, staff):
    # openpyxl (like Excel) writes at most 32,767 characters; the hostile file is written by hand
    data = ledger_xlsx(org.unit, [{**problem_row(1), "finding": "PLACEHOLDER"}])
    parts = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/worksheets/")]
    long_text = "问".encode() * 40_000
    data = rewrite_zip(data, replace={n: lambda raw: raw.replace(b"PLACEHOLDER", long_text) for n in parts})
    assert any(long_text in zipfile.ZipFile(io.BytesIO(data)).read(n) for n in parts)
    assert problems_of(client, org, data) == [(7, "问题描述", "长度不能超过 2000 个字（现有 40000 个）。")]


def test_a_checker_name_with_a_zero_width_space_is_refused(client, org, staff):
    data = ledger_xlsx(org.unit, [row(1, checker="张\u200b三")])
    assert problems_of(client, org, data) == [
        (7, "检查人员", "含有不可见的零宽空格（U+200B），请删除后重新输入。")
    ]


def test_text_in_a_column_beyond_the_template_is_named(client, org, staff):
    data = edited(ledger_xlsx(org.unit, [row(1)]), lambda ws: ws.cell(HEADER_ROW + 1, 20, "附注"))
    assert problems_of(client, org, data) == [
        (
            7,
            "",
            "有模板之外的列：第 T 列。这些列不会被导入，请删除它们（或把内容移到模板中的对应列）后再导入。",
        )
    ]


def test_a_ledger_sheet_with_2000_columns_is_refused(client, org, staff):
    data = edited(ledger_xlsx(org.unit, [row(1)]), lambda ws: ws.cell(HEADER_ROW, 2000, "多余"))
    response = upload(client, org.unit, data)
    assert "列数超过 22 列" in response.content.decode()
    assert not LedgerEntry.objects.exists()


@pytest.fixture
def units(org):
    from tests.factories import UnitFactory

    from .test_tasks import UNITS

    return {name: UnitFactory(township=org.town, name=name) for name in UNITS}


@pytest.fixture
def reviewer(org):
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev")


def task_problems(org, reviewer, file=None, text=None):
    with pytest.raises(svc.TaskImportError) as info:
        svc.task_import(township=org.town, year=2022, file=file, text=text, actor=reviewer)
    assert not PlanTask.objects.exists()
    return [(p.row, p.column, p.message) for p in info.value.problems]


def test_a_task_cell_with_a_bidi_control_is_refused(org, units, reviewer):
    bad = [("民政", "加强\u202e宣传", "", "12月底前")]
    assert task_problems(org, reviewer, file=sanguan(bad)) == [
        (11, "重点任务", "含有不可见的文字方向控制符（U+202E），请删除后重新输入。")
    ]


def test_an_over_long_task_cell_is_refused_not_cut_short(org, units, reviewer):
    bad = [("民政", "加强宣传", "措" * 6000, "12月底前")]
    assert task_problems(org, reviewer, file=sanguan(bad)) == [
        (11, "推进措施", "长度不能超过 5000 个字（现有 6000 个）。")
    ]


def test_a_task_sheet_with_an_extra_column_names_it(org, units, reviewer):
    data = sanguan().read()
    wb = load_workbook(io.BytesIO(data))
    wb.active.cell(2, len(HEADER) + 2, "备注")
    out = io.BytesIO()
    wb.save(out)
    problems = task_problems(org, reviewer, file=SimpleUploadedFile("任务清单.xlsx", out.getvalue()))
    assert problems == [
        (
            2,
            "",
            "有模板之外的列：“备注”。这些列不会被导入，请删除它们（或把内容移到模板中的对应列）后再导入。",
        )
    ]


def test_pasted_task_text_with_a_zero_width_space_is_refused(org, units, reviewer):
    text = "1.加强宣\u200b传。\n责任单位：民政\n"
    assert task_problems(org, reviewer, text=text) == [
        (None, "", "任务清单含有不可见的零宽空格（U+200B），请删除后重新输入。")
    ]


def test_a_task_typed_on_the_page_is_bounded_and_cleaned_like_an_imported_one():
    from ledgers.forms_rectification import PlanTaskForm

    form = PlanTaskForm(data={"task": "加强\ufeff宣传", "measures": "措" * 5001})
    assert not form.is_valid()
    assert form.errors["task"] == ["“重点任务”含有不可见的BOM 字节顺序标记（U+FEFF），请删除后重新输入。"]
    assert form.errors["measures"] == ["“推进措施”长度不能超过 5000 个字（现有 5001 个）。"]


def test_a_village_stored_with_ascii_parentheses_is_still_found(client, org, staff):
    org.village.name = "东村(一组)"
    org.village.save(update_fields=["name"])
    response = upload(client, org.unit, ledger_xlsx(org.unit, [row(1, village="东村(一组)")]))
    assert response.status_code == 302
    assert LedgerEntry.objects.get().village_id == org.village.pk
