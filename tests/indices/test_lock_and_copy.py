"""A standard used by a campaign is immutable; a new version is a full deep copy."""

import pytest

from assessments.models import Campaign
from audit.models import AuditEvent
from indices.importing import as_dict, ir_from_standard, tree_prefetches
from indices.models import Dimension, Grade, IndexStandard, Indicator, StandardLockedError
from indices.services import (
    StandardCopyError,
    StandardImportError,
    standard_copy,
    standard_import,
    standard_replace_from_file,
    standard_update_meta,
)
from tests.factories import TownshipFactory

from .conftest import TOWNSHIP, VILLAGE, dump, row_counts, sample

LOCKED = (
    "《村级“清廉村居”建设指数标准（样例）》（2024-draft-1）已被测评使用，不能修改；请“以此为基础新建版本”。"
)


@pytest.fixture
def used(db):
    std = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    Campaign.objects.create(
        township=(t := TownshipFactory()), region=t.region, year=2024, standard=std, name="2024年测评"
    )
    return std


def _counts(std):
    return (
        std.dimensions.count(),
        std.indicators.count(),
        std.rules.count(),
        std.bonus_items.count(),
        std.supervision_items.count(),
        std.veto_items.count(),
        std.grades.count(),
    )


def test_metadata_edit_of_a_used_standard_is_refused_with_the_lock_message(used):
    with pytest.raises(StandardLockedError) as info:
        standard_update_meta(standard=used, actor=None, name="新名称", status="published", notes="")

    assert str(info.value) == LOCKED
    used.refresh_from_db()
    assert (used.name, used.status) == ("村级“清廉村居”建设指数标准（样例）", "draft")
    event = AuditEvent.objects.get(action="standard.update")
    assert (event.result, event.message) == ("failure", LOCKED)


def test_model_save_and_delete_of_a_used_standard_and_its_parts_are_refused(used):
    before = row_counts()
    used.name = "改名"
    with pytest.raises(StandardLockedError, match="已被测评使用"):
        used.save()
    with pytest.raises(StandardLockedError):
        used.delete()
    dim = Dimension.objects.get(standard=used, code="V1")
    dim.max_score = 30
    with pytest.raises(StandardLockedError):
        dim.save()
    with pytest.raises(StandardLockedError):
        Indicator.objects.get(standard=used, code="V1.1").delete()
    with pytest.raises(StandardLockedError):
        Grade.objects.get(standard=used, code="CUJIN").delete()

    assert row_counts() == before


def test_replace_from_file_of_a_used_standard_is_refused(used):
    before = row_counts()

    with pytest.raises(StandardLockedError, match="请“以此为基础新建版本”"):
        standard_replace_from_file(standard=used, source=VILLAGE.read_bytes(), fmt="yaml", actor=None)

    assert row_counts() == before


def test_a_used_standard_can_be_copied_to_a_new_version_with_every_part(used):
    copy = standard_copy(standard=used, new_version="2025-1", year=2025, actor=None)

    assert (copy.code, copy.year, copy.version, copy.status) == ("QLCJ-VILLAGE", 2025, "2025-1", "draft")
    assert copy.derived_from == used
    assert copy.is_in_use() is False
    assert _counts(copy) == _counts(used) == (5, 26, 67, 5, 5, 7, 4)

    def tree(std):
        data = as_dict(
            ir_from_standard(IndexStandard.objects.prefetch_related(*tree_prefetches()).get(pk=std.pk))
        )
        for key in ("year", "version"):
            data.pop(key)
        return data

    assert tree(copy) == tree(used)
    assert AuditEvent.objects.filter(action="standard.copy", object_id=str(copy.pk)).count() == 1


def test_the_copy_is_editable_while_the_original_stays_locked(used):
    copy = standard_copy(standard=used, new_version="2025-1", year=2025, actor=None)

    standard_update_meta(standard=copy, actor=None, name="2025年村级标准", status="published", notes="试行")

    copy.refresh_from_db()
    assert (copy.name, copy.status, copy.notes) == ("2025年村级标准", "published", "试行")
    with pytest.raises(StandardLockedError):
        standard_update_meta(standard=used, actor=None, name="x", status="draft", notes="")


def test_copy_refuses_an_existing_version(used):
    with pytest.raises(StandardCopyError, match="版本“2024-draft-1”已存在"):
        standard_copy(standard=used, new_version="2024-draft-1", year=2024, actor=None)


def test_copy_can_make_a_local_version_for_a_township(used):
    town = TownshipFactory()

    copy = standard_copy(standard=used, new_version="local-1", year=2025, actor=None, township=town)

    assert (copy.township, copy.region) == (town, town.region)


@pytest.mark.django_db
def test_replace_from_file_rewrites_an_unused_draft_in_place():
    std = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    data = sample()
    data["bonus"]["items"] = data["bonus"]["items"][:2]
    data["meta"]["version"] = "whatever"

    replaced = standard_replace_from_file(standard=std, source=dump(data), fmt="yaml", actor=None)

    assert replaced.pk == std.pk
    assert (replaced.year, replaced.version) == (2024, "2024-draft-1")
    assert replaced.bonus_items.count() == 2
    assert replaced.indicators.count() == 26
    assert IndexStandard.objects.count() == 1
    assert AuditEvent.objects.filter(action="standard.replace", result="success").count() == 1


@pytest.mark.django_db
def test_replace_from_file_with_errors_keeps_the_old_content():
    std = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    before = row_counts()
    data = sample()
    data["meta"]["total_base_score"] = 95

    with pytest.raises(StandardImportError):
        standard_replace_from_file(standard=std, source=dump(data), fmt="yaml", actor=None)

    assert row_counts() == before


@pytest.mark.django_db
def test_replace_from_file_refuses_another_standard_code_and_a_published_standard():
    std = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)

    with pytest.raises(StandardImportError) as info:
        standard_replace_from_file(standard=std, source=TOWNSHIP.read_bytes(), fmt="yaml", actor=None)
    assert "基本信息（meta） 的 code：文件中的标准编码“QLCJ-TOWNSHIP”与当前标准“QLCJ-VILLAGE”不一致" in [
        str(p) for p in info.value.problems
    ]

    standard_update_meta(standard=std, actor=None, name=std.name, status="published", notes="")
    with pytest.raises(StandardImportError) as info:
        standard_replace_from_file(standard=std, source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    assert [str(p) for p in info.value.problems] == [
        "标准：只有草稿状态的标准可以重新导入，当前状态为“已发布”"
    ]
