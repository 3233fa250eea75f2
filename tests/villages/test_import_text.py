"""issue 15: the org import cleans every name at the door — look-alikes are refused or merged, never
created next to the real village."""

import pytest

from accounts.models import Role
from audit.models import AuditEvent
from common.xlsx import Problem
from tests.factories import TownshipFactory, VillageFactory, user_with_role
from villages.models import Village
from villages.services import org_import_excel

from .workbooks import UNITS, VILLAGES, build, row_counts, sheets, upload

pytestmark = pytest.mark.django_db

ROWS = sheets()[VILLAGES]


@pytest.fixture
def township():
    return TownshipFactory(name="示例镇")


@pytest.fixture
def actor(township):
    return user_with_role(Role.TOWNSHIP_REVIEWER, township)


def refused(township, actor, data):
    before = row_counts()
    result = org_import_excel(township=township, file=upload(data), actor=actor)
    assert not result.ok
    assert row_counts() == before
    assert AuditEvent.objects.get(action="org.import").result == AuditEvent.Result.FAILURE
    return result.problems


def with_village(name):
    return build(sheets(villages=[*ROWS, [name, "村", "", "", 9, "是"]]))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("小\u200b孙官村", "含有不可见的零宽空格（U+200B），请删除后重新输入。"),
        ("\ufeff小孙官村", "含有不可见的BOM 字节顺序标记（U+FEFF），请删除后重新输入。"),
        ("小孙官村\u202e", "含有不可见的文字方向控制符（U+202E），请删除后重新输入。"),
    ],
    ids=["zero-width-space", "bom", "rlo"],
)
def test_a_village_name_with_an_invisible_character_is_refused_and_nothing_is_written(
    township, actor, name, message
):
    VillageFactory(township=township, name="小孙官村")
    assert refused(township, actor, with_village(name)) == [Problem(VILLAGES, 6, "村（社区）名称", message)]
    assert list(Village.objects.values_list("name", flat=True)) == ["小孙官村"]


def test_a_unit_list_naming_a_village_with_a_zero_width_joiner_is_refused(township, actor):
    units = [list(r) for r in sheets()[UNITS]]
    units[0][4] = "桃园村、杏\u200d林村"
    assert refused(township, actor, build(sheets(units=units))) == [
        Problem(UNITS, 2, "监管村（社区）", "含有不可见的零宽连字（U+200D），请删除后重新输入。")
    ]


def test_spellings_that_differ_only_in_width_spaces_or_parentheses_are_duplicates(township, actor):
    rows = [*ROWS, ["小孙官村(东)", "村", "", "", 5, "是"], ["小孙官村（东） ", "村", "", "", 6, "是"]]
    assert refused(township, actor, build(sheets(villages=rows))) == [
        Problem(VILLAGES, 7, "村（社区）名称", "“小孙官村（东）”与第 6 行重复。")
    ]


def test_a_name_already_stored_with_ascii_parentheses_is_the_same_village_not_a_new_one(township, actor):
    old = VillageFactory(township=township, name="小孙官村(东)")
    result = org_import_excel(township=township, file=upload(with_village("小孙官村（东）")), actor=actor)
    assert result.ok, result.problems
    assert Village.objects.filter(township=township, name__startswith="小孙官村").get().pk == old.pk


def test_full_width_letters_and_digits_are_folded_so_the_name_is_stored_once(township, actor):
    result = org_import_excel(township=township, file=upload(with_village("ＸＹ新村１号")), actor=actor)
    assert result.ok, result.problems
    assert Village.objects.filter(name="XY新村1号").count() == 1
