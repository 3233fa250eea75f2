"""manage.py import_standard: a summary on success; every problem and a non-zero exit on error."""

import io

import pytest
from django.core.management import CommandError, call_command

from indices.models import IndexStandard
from tests.factories import RegionFactory

from .conftest import TOWNSHIP, VILLAGE, nothing_written, sample


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_standard", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_command_imports_the_village_sample_and_prints_a_chinese_summary():
    out, err = _run(str(VILLAGE))

    assert err == ""
    assert "已导入：村级“清廉村居”建设指数标准（样例）" in out
    assert "年度：2024年" in out
    assert "维度数：5（班子清廉 20、权力清源 25、村务清爽 20、民风清朗 15、监督清晰 20）" in out
    assert "指标数：26" in out
    assert "基础分合计：100" in out
    assert "加分上限：5" in out
    assert "等次线：示范村 ≥90、达标村 ≥80、提升村 ≥70、促进村 ≥0" in out
    assert IndexStandard.objects.count() == 1


@pytest.mark.django_db
def test_command_attaches_the_region_by_name():
    region = RegionFactory(name="甲市")

    out, _ = _run(str(TOWNSHIP), "--region", "甲市")

    std = IndexStandard.objects.get()
    assert std.region == region
    assert "等次线：优秀 ≥90、良好 ≥80、合格 ≥60、不合格 ≥0" in out


@pytest.mark.django_db
def test_command_prints_every_problem_exits_non_zero_and_writes_nothing(write_yaml):
    data = sample()
    data["meta"]["total_base_score"] = 95
    data["bonus"]["items"][0]["per_item_cap"] = 6
    path = write_yaml(data)
    err = io.StringIO()

    with pytest.raises(CommandError, match="导入失败：共 2 个问题，未写入任何内容。"):
        call_command("import_standard", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "基本信息（meta） 的 total_base_score：各维度分值合计 100 与基础分满分 95 不符",
        "加分项 B01 的 per_item_cap：单项上限 6 超过加分总上限 5",
    ]
    assert nothing_written()


@pytest.mark.django_db
def test_command_reads_the_year_option_when_the_file_has_none(write_yaml):
    data = sample()
    data["meta"]["version"] = "v2"
    path = write_yaml(data)

    with pytest.raises(CommandError):
        call_command("import_standard", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert nothing_written()

    out, _ = _run(str(path), "--year", "2025")
    assert "年度：2025年" in out


@pytest.mark.django_db
def test_command_refuses_an_unknown_region_and_an_unknown_extension(tmp_path):
    with pytest.raises(CommandError, match="找不到市（县、区）“无此市”"):
        _run(str(VILLAGE), "--region", "无此市")
    odd = tmp_path / "standard.txt"
    odd.write_bytes(VILLAGE.read_bytes())
    with pytest.raises(CommandError, match="无法从扩展名判断格式"):
        _run(str(odd))
    out, _ = _run(str(odd), "--format", "yaml")
    assert "指标数：26" in out


@pytest.mark.django_db
def test_command_refuses_a_missing_file(tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_standard", str(tmp_path / "none.yaml"), stdout=io.StringIO(), stderr=err)
    assert "找不到文件" in err.getvalue()
    assert nothing_written()
