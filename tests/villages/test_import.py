"""Importing a township's organisation workbook: what is written, and that bad rows write nothing."""

import pytest

from accounts.models import Role
from audit.models import AuditEvent
from common.xlsx import Problem
from tests.factories import BranchFactory, TownshipFactory, UnitFactory, VillageFactory, user_with_role
from villages.models import PartyBranch, ResponsibleUnit, Village, WorkingGroupMember
from villages.services import org_import_excel

from .workbooks import BRANCHES, GROUP, UNITS, VILLAGES, build, row_counts, sheets, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def township():
    return TownshipFactory(name="示例镇")


@pytest.fixture
def actor(township):
    return user_with_role(Role.TOWNSHIP_REVIEWER, township)


def run(township, actor, data, name="组织机构.xlsx"):
    return org_import_excel(township=township, file=upload(data, name), actor=actor)


def counts_of(result):
    return {sheet: c.as_dict() for sheet, c in result.counts.items()}


def test_valid_workbook_creates_every_row_with_its_links(township, actor):
    result = run(township, actor, build(sheets()))

    assert result.ok, result.problems
    assert counts_of(result) == {
        BRANCHES: {"新增": 2, "更新": 0, "未变": 0},
        VILLAGES: {"新增": 4, "更新": 0, "未变": 0},
        UNITS: {"新增": 3, "更新": 0, "未变": 0},
        GROUP: {"新增": 3, "更新": 0, "未变": 0},
    }
    villages = {v.name: v for v in Village.objects.filter(township=township).select_related("branch")}
    assert {n: (v.branch.name if v.branch else None) for n, v in villages.items()} == {
        "桃园村": "城东党总支",
        "杏林村": "城东党总支",
        "柳岸社区": "城西党总支",
        "竹溪村": None,
    }
    assert villages["柳岸社区"].kind == Village.Kind.COMMUNITY
    assert villages["桃园村"].code == "370481001"
    assert villages["竹溪村"].is_active is False
    assert [v.sort_order for v in villages.values()] == [1, 2, 3, 4]
    units = {u.name: u for u in ResponsibleUnit.objects.filter(township=township)}
    assert {n: sorted(u.villages.values_list("name", flat=True)) for n, u in units.items()} == {
        "经管站": ["杏林村", "桃园村"],
        "民政科": ["柳岸社区", "桃园村", "竹溪村"],
        "纪委": ["杏林村", "柳岸社区", "桃园村", "竹溪村"],
    }
    assert units["经管站"].areas == ["三资管理", "财务公开"]
    assert units["经管站"].phone == "0632-5551234"
    assert units["民政科"].leader_name == ""
    roster = list(WorkingGroupMember.objects.filter(township=township).order_by("sort_order"))
    assert [(m.name, m.group_role, m.unit.name if m.unit else None) for m in roster] == [
        ("林知远", "leader", None),
        ("顾清源", "deputy", "经管站"),
        ("沈若溪", "member", "民政科"),
    ]


def test_reimporting_the_same_file_creates_and_updates_nothing(township, actor):
    data = build(sheets())
    run(township, actor, data)
    before = row_counts()

    result = run(township, actor, data)

    assert result.ok
    assert counts_of(result) == {
        BRANCHES: {"新增": 0, "更新": 0, "未变": 2},
        VILLAGES: {"新增": 0, "更新": 0, "未变": 4},
        UNITS: {"新增": 0, "更新": 0, "未变": 3},
        GROUP: {"新增": 0, "更新": 0, "未变": 3},
    }
    assert result.repeated is True
    assert result.changed is False
    assert row_counts() == before


def test_existing_rows_are_updated_by_name_and_omitted_villages_are_listed(township, actor):
    old_branch = BranchFactory(township=township, name="城东党总支", sort_order=9)
    kept = VillageFactory(township=township, name="桃园村", branch=None, code="OLD", sort_order=7)
    VillageFactory(township=township, name="老街村", sort_order=8)
    unit = UnitFactory(township=township, name="经管站", phone="1")

    result = run(township, actor, build(sheets()))

    assert result.ok
    assert counts_of(result)[BRANCHES] == {"新增": 1, "更新": 1, "未变": 0}
    assert counts_of(result)[VILLAGES] == {"新增": 3, "更新": 1, "未变": 0}
    assert counts_of(result)[UNITS] == {"新增": 2, "更新": 1, "未变": 0}
    assert result.not_in_file == ["老街村"]
    kept.refresh_from_db()
    assert (kept.branch_id, kept.code, kept.sort_order) == (old_branch.pk, "370481001", 1)
    unit.refresh_from_db()
    assert unit.phone == "0632-5551234"
    assert Village.objects.filter(township=township, name="老街村").exists()


def test_township_without_branches_imports_villages_without_a_branch_sheet(township, actor):
    data = build(sheets(branches=None, units=None, group=None, villages=[["甲村", "村", "", "", "", ""]]))

    result = run(township, actor, data)

    assert result.ok
    assert counts_of(result) == {VILLAGES: {"新增": 1, "更新": 0, "未变": 0}}
    village = Village.objects.get(township=township)
    assert (village.branch_id, village.is_active, village.sort_order) == (None, True, 1)


def test_branch_may_be_an_existing_one_not_listed_in_the_file(township, actor):
    BranchFactory(township=township, name="城东党总支")
    BranchFactory(township=township, name="城西党总支")

    result = run(township, actor, build(sheets(branches=None)))

    assert result.ok
    assert PartyBranch.objects.filter(township=township).count() == 2


def test_successful_import_writes_one_audit_row_with_hash_and_counts(township, actor):
    import hashlib

    data = build(sheets())
    run(township, actor, data)

    event = AuditEvent.objects.get(action="org.import")
    assert event.result == AuditEvent.Result.SUCCESS
    assert event.township_id == township.pk
    assert event.actor == actor
    assert event.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert event.detail["counts"][VILLAGES] == {"新增": 4, "更新": 0, "未变": 0}


def _replace(sheet_rows, index, column, value):
    rows = [list(r) for r in sheet_rows]
    rows[index][column] = value
    return rows


V = sheets()[VILLAGES]
U = sheets()[UNITS]
G = sheets()[GROUP]
B = sheets()[BRANCHES]

BAD_ROWS = [
    (
        "unknown_kind",
        {"villages": _replace(V, 0, 1, "镇")},
        Problem(VILLAGES, 2, "类型", "须为“村”或“社区”，而不是“镇”。"),
    ),
    (
        "empty_kind",
        {"villages": _replace(V, 0, 1, None)},
        Problem(VILLAGES, 2, "类型", "不能为空，须为“村”或“社区”。"),
    ),
    (
        "empty_name",
        {"villages": [*V, ["  ", "村", "", "", 5, "是"]]},
        Problem(VILLAGES, 6, "村（社区）名称", "不能为空。"),
    ),
    (
        "duplicate_village",
        {"villages": [*V, ["桃园村", "村", "", "", 5, "是"]]},
        Problem(VILLAGES, 6, "村（社区）名称", "“桃园村”与第 2 行重复。"),
    ),
    (
        "duplicate_code",
        {"villages": _replace(V, 1, 2, "370481001")},
        Problem(VILLAGES, 3, "编码", "“370481001”与第 2 行重复。"),
    ),
    (
        "unknown_branch",
        {"villages": _replace(V, 0, 3, "城北党总支")},
        Problem(VILLAGES, 2, "所属党总支", "党总支“城北党总支”不在“党总支”工作表中，本镇街也没有该党总支。"),
    ),
    (
        "bad_sort_order",
        {"villages": _replace(V, 2, 4, "第三")},
        Problem(VILLAGES, 4, "排序", "须为非负整数，而不是“第三”。"),
    ),
    (
        "negative_sort_order",
        {"branches": _replace(B, 1, 1, -1)},
        Problem(BRANCHES, 3, "排序", "须为非负整数，而不是“-1”。"),
    ),
    (
        "bad_active",
        {"villages": _replace(V, 3, 5, "可能")},
        Problem(VILLAGES, 5, "参与建设", "须为“是”或“否”，而不是“可能”。"),
    ),
    (
        "name_too_long",
        {"villages": [*V, ["长" * 51, "村", "", "", 5, "是"]]},
        Problem(VILLAGES, 6, "村（社区）名称", "长度不能超过 50 个字（现有 51 个）。"),
    ),
    (
        "separator_in_name",
        {"villages": [*V, ["梅、村", "村", "", "", 5, "是"]]},
        Problem(VILLAGES, 6, "村（社区）名称", "名称不能包含分隔符“、”。"),
    ),
    ("empty_branch_name", {"branches": [*B, [None, 3]]}, Problem(BRANCHES, 4, "党总支名称", "不能为空。")),
    (
        "unknown_village_in_unit",
        {"units": _replace(U, 0, 4, "桃园村、梨花村")},
        Problem(
            UNITS,
            2,
            "监管村（社区）",
            "村（社区）“梨花村”不在“村（社区）”工作表中，本镇街也没有该村（社区）。",
        ),
    ),
    (
        "invalid_phone",
        {"units": _replace(U, 1, 3, "138-0000-abcd")},
        Problem(
            UNITS,
            3,
            "联系电话",
            "联系电话“138-0000-abcd”含有无效字符：只能包含数字、空格、“-”“+”“()”和“转”。",
        ),
    ),
    (
        "all_mixed_with_names",
        {"units": _replace(U, 2, 4, "全部、桃园村")},
        Problem(UNITS, 4, "监管村（社区）", "填了“全部”就不能再列出具体的村（社区）。"),
    ),
    (
        "all_mixed_with_names_by_comma",
        {"units": _replace(U, 2, 4, "全部,桃园村")},
        Problem(UNITS, 4, "监管村（社区）", "填了“全部”就不能再列出具体的村（社区）。"),
    ),
    (
        "duplicate_unit",
        {"units": [*U, ["经管站", "", "", "", "", ""]]},
        Problem(UNITS, 5, "单位名称", "“经管站”与第 2 行重复。"),
    ),
    (
        "control_character",
        {"units": _replace(U, 0, 2, "顾\t清源")},
        Problem(UNITS, 2, "责任人", "含有换行符或制表符，此项只能填写一行。"),
    ),
    (
        "bad_group_role",
        {"group": _replace(G, 0, 2, "主任")},
        Problem(GROUP, 2, "专班职务", "须为“组长”或“副组长”或“成员”，而不是“主任”。"),
    ),
    (
        "unknown_member_unit",
        {"group": _replace(G, 1, 3, "财政所")},
        Problem(GROUP, 3, "所在单位", "单位“财政所”不在“责任单位”工作表中，本镇街也没有该责任单位。"),
    ),
    ("empty_member_name", {"group": _replace(G, 2, 0, None)}, Problem(GROUP, 4, "姓名", "不能为空。")),
]


@pytest.mark.parametrize("changes,expected", [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_bad_row_is_reported_at_its_cell_and_nothing_is_written(township, actor, changes, expected):
    VillageFactory(township=township, name="旧村")
    before = row_counts()

    result = run(township, actor, build(sheets(**changes)))

    assert result.problems == [expected]
    assert result.counts == {}
    assert row_counts() == before


def test_every_problem_in_a_file_is_reported_in_sheet_and_row_order(township, actor):
    villages = _replace(_replace(V, 0, 1, "镇"), 2, 3, "城北党总支")
    units = _replace(U, 1, 3, "电话abc")
    data = build(sheets(villages=villages, units=units, branches=_replace(B, 0, 1, "x")))

    result = run(township, actor, data)

    assert [(p.sheet, p.row, p.column) for p in result.problems] == [
        (BRANCHES, 2, "排序"),
        (VILLAGES, 2, "类型"),
        (VILLAGES, 4, "所属党总支"),
        (UNITS, 3, "联系电话"),
    ]
    assert Village.objects.count() == 0


def test_a_row_with_a_bad_type_is_not_also_reported_as_an_unknown_village(township, actor):
    result = run(township, actor, build(sheets(villages=_replace(V, 0, 1, "镇"))))

    assert [(p.sheet, p.row, p.column) for p in result.problems] == [(VILLAGES, 2, "类型")]


def test_failed_import_writes_one_failure_audit_row_with_the_problem_count(township, actor):
    run(township, actor, build(sheets(villages=_replace(V, 0, 1, "镇"))))

    event = AuditEvent.objects.get(action="org.import")
    assert event.result == AuditEvent.Result.FAILURE
    assert event.detail["problem_count"] == 1
    assert event.detail["problems"][0]["column"] == "类型"


def test_numbers_typed_as_numbers_are_read_as_text(township, actor):
    rows = _replace(_replace(V, 0, 2, 370481001), 0, 4, 3.0)
    units = _replace(U, 1, 3, 13800000000)

    result = run(township, actor, build(sheets(villages=rows, units=units)))

    assert result.ok
    village = Village.objects.get(name="桃园村")
    assert (village.code, village.sort_order) == ("370481001", 3)
    assert ResponsibleUnit.objects.get(name="民政科").phone == "13800000000"


def test_formula_cells_are_read_as_their_cached_value_never_evaluated(township, actor):
    # openpyxl writes formulas without a cached value, so a values-only read sees an empty cell.
    result = run(township, actor, build(sheets(villages=_replace(V, 0, 0, '=CONCAT("桃","园村")'))))

    assert result.problems[0] == Problem(VILLAGES, 2, "村（社区）名称", "不能为空。")
    assert Village.objects.count() == 0


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_excel(township, actor):
    rows = [V[0], [None] * 6, ["", "", "", "", "", ""], _replace(V, 1, 1, "镇")[1]]

    result = run(township, actor, build(sheets(villages=rows, units=None, group=None)))

    assert result.problems == [Problem(VILLAGES, 5, "类型", "须为“村”或“社区”，而不是“镇”。")]


def test_a_village_name_with_a_comma_is_matched_whole_in_a_unit_list(township, actor):
    villages = [*V, ["梅,李村", "村", "", "", 5, "是"]]
    units = [["农办", "", "", "", "梅,李村、桃园村，杏林村", ""]]

    result = run(township, actor, build(sheets(villages=villages, units=units, group=None)))

    assert result.ok, result.problems
    unit = ResponsibleUnit.objects.get(township=township, name="农办")
    assert sorted(unit.villages.values_list("name", flat=True)) == ["杏林村", "桃园村", "梅,李村"]
