"""Exporting the organisation workbook: same layout as the import, safe cells, a lossless round trip."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from accounts.models import Role
from audit.models import AuditEvent
from common.text import name_key
from tests.factories import BranchFactory, TownshipFactory, UnitFactory, VillageFactory, user_with_role
from villages.exporting import org_workbook_bytes, template_bytes
from villages.models import Village, WorkingGroupMember
from villages.services import org_export_excel, org_import_excel

from .workbooks import BRANCHES, GROUP, UNITS, VILLAGES, build, headers, org_state, sheets, upload

pytestmark = pytest.mark.django_db

SHEETS = [BRANCHES, VILLAGES, UNITS, GROUP]


@pytest.fixture
def township():
    return TownshipFactory(name="示例镇")


@pytest.fixture
def actor(township):
    return user_with_role(Role.TOWNSHIP_REVIEWER, township)


def _org_built_by_hand(township):
    """Data entered through the admin rather than an import: zero sort orders, odd names, phones."""
    branch = BranchFactory(township=township, name="一支部", sort_order=0)
    a = VillageFactory(township=township, branch=branch, name='=HYPERLINK("http://x","y")', code="-1")
    b = VillageFactory(
        township=township, branch=None, name="@南庄", kind=Village.Kind.COMMUNITY, is_active=False
    )
    c = VillageFactory(township=township, branch=branch, name="+北庄", sort_order=0)
    whole = UnitFactory(
        township=township, name="党建办", phone="+86 632 5550000", areas=["班子建设", "村务公开"]
    )
    whole.villages.set([a, b, c])
    part = UnitFactory(township=township, name="财政所", contact_name="=1+1")
    part.villages.set([c, a])
    UnitFactory(township=township, name="司法所")
    WorkingGroupMember.objects.create(township=township, name="韩星河", group_role="leader", unit=part)
    WorkingGroupMember.objects.create(
        township=township, name="叶知秋", position="-副镇长", group_role="member"
    )
    return township


def test_export_then_import_is_a_no_op(township, actor):
    org_import_excel(township=township, file=upload(build(sheets())), actor=actor)
    _org_built_by_hand(township)
    before = org_state(township)

    result = org_import_excel(township=township, file=upload(org_workbook_bytes(township)), actor=actor)

    assert result.ok, result.problems
    assert {s: (c.created, c.updated) for s, c in result.counts.items()} == {s: (0, 0) for s in SHEETS}
    assert {s: c.unchanged for s, c in result.counts.items()} == {
        BRANCHES: 3,
        VILLAGES: 7,
        UNITS: 6,
        GROUP: 5,
    }
    assert result.not_in_file == []
    assert org_state(township) == before


def test_exported_workbook_rebuilds_the_organisation_in_an_empty_township(township, actor):
    _org_built_by_hand(township)
    copy = TownshipFactory(name="新镇")

    result = org_import_excel(township=copy, file=upload(org_workbook_bytes(township)), actor=actor)

    assert result.ok, result.problems

    def shape(t):
        # issue 15: names are cleaned at the door, so the admin's ASCII parentheses come back full-width
        state = org_state(t)
        names = {pk: name_key(name) for pk, name, *_ in state["villages"]}
        units = {pk: name for pk, name, *_ in state["units"]}
        return (
            sorted((name_key(v[1]), *v[2:4], v[5], v[6]) for v in state["villages"]),
            sorted(u[1:6] for u in state["units"]),
            sorted((units[u], names[v]) for u, v in state["links"]),
            sorted(m[1:4] for m in state["members"]),
        )

    assert shape(copy) == shape(township)


def test_cells_starting_with_formula_characters_are_exported_as_text(township):
    _org_built_by_hand(township)
    data = org_workbook_bytes(township)

    ws = load_workbook(io.BytesIO(data))[VILLAGES]
    cells = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=1) for r in range(2, ws.max_row + 1)}
    for name in ('=HYPERLINK("http://x","y")', "@南庄", "+北庄"):
        assert cells[name].data_type == "s"
        assert cells[name].quotePrefix is True
    code = next(
        ws.cell(row=r, column=3) for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=3).value == "-1"
    )
    assert (code.data_type, code.quotePrefix) == ("s", True)
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert b"<f>" not in archive.read(name)


def test_export_has_bold_frozen_headers_and_column_widths(township):
    _org_built_by_hand(township)
    wb = load_workbook(io.BytesIO(org_workbook_bytes(township)))

    assert wb.sheetnames == [*SHEETS, "填写说明"]
    for sheet in SHEETS:
        ws = wb[sheet]
        assert [c.value for c in ws[1]] == headers(sheet)
        assert all(c.font.b for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width >= 12
    units = wb[UNITS]
    rows = {r[0]: r for r in units.iter_rows(min_row=2, values_only=True)}
    assert rows["党建办"][3:] == ("+86 632 5550000", "全部", "班子建设、村务公开")
    assert rows["财政所"][4] == '+北庄、=HYPERLINK("http://x","y")'
    assert rows["司法所"][4] is None


def test_blank_template_has_the_headers_and_no_rows():
    wb = load_workbook(io.BytesIO(template_bytes()))

    for sheet in SHEETS:
        ws = wb[sheet]
        assert ws.max_row == 1
        assert [c.value for c in ws[1]] == headers(sheet)


def test_blank_template_imports_as_an_empty_organisation(township, actor):
    result = org_import_excel(township=township, file=upload(template_bytes()), actor=actor)

    assert result.ok
    assert result.summary() == (
        "党总支：新增 0、更新 0、未变 0；村（社区）：新增 0、更新 0、未变 0；"
        "责任单位：新增 0、更新 0、未变 0；工作专班：新增 0、更新 0、未变 0"
    )


def test_export_writes_one_audit_row(township, actor):
    org_export_excel(township=township, actor=actor)

    event = AuditEvent.objects.get(action="org.export")
    assert (event.township_id, event.actor, event.result) == (township.pk, actor, AuditEvent.Result.SUCCESS)
    assert len(event.detail["sha256"]) == 64
