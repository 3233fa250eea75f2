"""issue 15: the user import cleans names at the door and reports what is not the template's."""

import pytest

from access.roles import Role
from accounts.importing import user_import_excel
from accounts.models import User
from audit.models import AuditEvent
from tests.factories import user_with_role

from .test_user_import import HEADER, ROWS, counts, messages, sheet


@pytest.fixture
def admin(org):
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei")


def refused(org, admin, rows, **kwargs):
    before = counts()
    result = user_import_excel(township=org.town, file=sheet(rows, **kwargs), actor=admin)
    assert not result.ok
    assert counts() == before
    assert AuditEvent.objects.get(action="user.import").result == "failure"
    return messages(result)


def test_a_name_with_a_zero_width_joiner_is_refused_and_no_account_is_made(org, admin):
    rows = [*ROWS, ["孙\u200d八", "13900000001", "", "村两委成员", "东村"]]
    assert refused(org, admin, rows) == [(8, "姓名", "含有不可见的零宽连字（U+200D），请删除后重新输入。")]


def test_a_bom_in_the_node_name_is_refused(org, admin):
    rows = [["孙八", "13900000001", "", "村两委成员", "\ufeff东村"]]
    assert refused(org, admin, rows) == [
        (2, "所属村（社区）/党总支/责任单位", "含有不可见的BOM 字节顺序标记（U+FEFF），请删除后重新输入。")
    ]


def test_full_width_digits_of_a_phone_are_folded(org, admin):
    rows = [["孙八", "１３９０００００００１", "", "村两委成员", "东村"]]
    result = user_import_excel(township=org.town, file=sheet(rows), actor=admin)
    assert result.ok, messages(result)
    assert [a.username for a in result.accounts] == ["13900000001"]


def test_an_extra_column_is_reported_by_its_header(org, admin):
    rows = [[*r, "备注"] for r in ROWS]
    assert refused(org, admin, rows, header=[*HEADER, "备注"]) == [
        (
            1,
            "",
            "有模板之外的列：“备注”。这些列不会被导入，请删除它们（或把内容移到模板中的对应列）后再导入。",
        )
    ]


def test_a_sheet_with_2000_columns_is_refused(org, admin):
    header = [*HEADER, *(f"列{i}" for i in range(2000))]
    assert refused(org, admin, ROWS, header=header) == [
        (None, "", "工作表“用户”的列数超过 20 列，不是本模板的格式，不能导入。请使用“下载模板”中的表格填写。")
    ]


def test_a_typed_name_with_a_format_character_is_refused_by_the_form():
    """The forms people type into clean text the same way (common.forms.CleanTextMixin)."""
    from accounts.forms import RegionCreateForm

    form = RegionCreateForm(data={"name": "示例\u2060市", "kind": "city"})
    assert not form.is_valid()
    assert form.errors["name"] == ["“名称”含有不可见的零宽不换行（U+2060），请删除后重新输入。"]
    typed = RegionCreateForm(data={"name": " 示例市(新区) ", "kind": "city"})
    assert typed.is_valid(), typed.errors
    assert typed.cleaned_data["name"] == "示例市（新区）"


def test_a_village_stored_with_ascii_parentheses_is_found_by_its_cleaned_name(org, admin):
    org.village.name = "东村(一组)"
    org.village.save(update_fields=["name"])
    rows = [["孙八", "13900000001", "", "村两委成员", "东村（一组）"]]
    result = user_import_excel(township=org.town, file=sheet(rows), actor=admin)
    assert result.ok, messages(result)
    assert User.objects.get(username="13900000001").memberships.get().village_id == org.village.pk
