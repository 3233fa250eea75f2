"""Both sample standards import unchanged and with the right shape."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from indices.importing import sha256_of
from indices.models import IndexStandard
from indices.services import standard_import

from .conftest import TOWNSHIP, VILLAGE


def _import(path, **kwargs):
    with path.open("rb") as fh:
        return standard_import(source=fh, fmt="yaml", actor=None, **kwargs)


def _dimension_scores(standard):
    return [(d.code, d.max_score) for d in standard.dimensions.order_by("sort_order")]


@pytest.mark.django_db
def test_village_sample_imports_with_its_totals_bonus_supervision_vetoes_and_grades():
    std = _import(VILLAGE)

    assert (std.code, std.level, std.year, std.version) == ("QLCJ-VILLAGE", "village", 2024, "2024-draft-1")
    assert std.status == IndexStandard.Status.DRAFT
    assert std.total_base_score == Decimal("100")
    assert std.score_precision == Decimal("0.5")
    assert _dimension_scores(std) == [("V1", 20), ("V2", 25), ("V3", 20), ("V4", 15), ("V5", 20)]
    assert [d.name for d in std.dimensions.order_by("sort_order")] == [
        "班子清廉",
        "权力清源",
        "村务清爽",
        "民风清朗",
        "监督清晰",
    ]
    assert std.indicators.count() == 26
    assert std.indicators.filter(parent__isnull=False).count() == 0
    assert std.bonus_total_cap == Decimal("5")
    assert list(std.bonus_items.order_by("sort_order").values_list("code", "per_item_cap")) == [
        ("B01", 2), ("B02", 2), ("B03", 1), ("B04", 1), ("B05", 1),
    ]  # fmt: skip
    assert std.supervision_deduction_cap == Decimal("10")
    assert std.supervision_items.count() == 5
    s05 = std.supervision_items.get(code="S05")
    assert (s05.points, s05.multiplier) == (None, Decimal("0.5"))
    assert std.veto_items.count() == 7
    assert std.veto_lookback == "近两年"
    assert std.veto_effect == IndexStandard.VetoEffect.FORCE_LOWEST
    assert std.veto_effect_label == "force_grade_CUJIN"
    grades = list(std.grades.order_by("rank"))
    assert [(g.rank, g.code, g.name, g.min_score) for g in grades] == [
        (1, "SHIFAN", "示范村", 90),
        (2, "DABIAO", "达标村", 80),
        (3, "TISHENG", "提升村", 70),
        (4, "CUJIN", "促进村", 0),
    ]
    assert [g.counts_as_qinglian for g in grades] == [True, True, True, False]
    assert [g.requires_no_veto for g in grades] == [True, True, True, False]
    assert grades[0].final_decision_by == "city"
    assert len(grades[0].extra_conditions) == 3
    assert std.source_sha256 == sha256_of(VILLAGE.read_bytes())


@pytest.mark.django_db
def test_village_sample_keeps_indicator_details_and_rules():
    std = _import(VILLAGE)

    v11 = std.indicators.get(code="V1.1")
    assert v11.scoring_method == "deduction"
    assert v11.scored_by == "village_and_township"
    assert v11.evidence == ["年度学习计划", "学习/主题党日会议记录", "签到表", "活动照片"]
    assert v11.assessment_methods == ["查阅资料"]
    assert list(v11.rules.order_by("sort_order").values_list("kind", "text", "points", "per")) == [
        ("deduction", "无年度学习计划", Decimal("1"), ""),
        ("deduction", "每缺少1个月的学习记录", Decimal("0.5"), "月"),
    ]
    v55 = std.indicators.get(code="V5.5")
    assert (v55.scoring_method, v55.scored_by) == ("tiered", "township_only")
    assert v55.rules.count() == 5
    assert std.indicators.get(code="V4.1").rules.filter(kind="check").count() == 3
    assert std.indicators.get(code="V5.3").linked_to == "daily_supervision_ledger"
    assert std.rules.count() == 67  # every deduction, tier and checklist item of the sample


@pytest.mark.django_db
def test_township_sample_imports_with_its_totals_grades_and_city_scoring():
    std = _import(TOWNSHIP)

    assert (std.code, std.level, std.year) == ("QLCJ-TOWNSHIP", "township", 2024)
    assert std.scored_by == "city"
    assert _dimension_scores(std) == [("T1", 20), ("T2", 30), ("T3", 25), ("T4", 15), ("T5", 10)]
    assert std.indicators.count() == 18
    assert std.indicators.filter(computed=True).count() == 7
    assert std.bonus_total_cap == Decimal("5")
    assert std.bonus_items.count() == 3
    assert std.supervision_items.count() == 0
    assert std.supervision_deduction_cap == 0
    assert std.veto_items.count() == 3
    assert (std.veto_effect, std.veto_effect_label) == ("force_lowest", "cap_grade_at: 不合格")
    grades = list(std.grades.order_by("rank"))
    assert [(g.name, g.min_score) for g in grades] == [
        ("优秀", 90),
        ("良好", 80),
        ("合格", 60),
        ("不合格", 0),
    ]
    assert [g.counts_as_qinglian for g in grades] == [True, True, True, True]
    assert [g.requires_no_veto for g in grades] == [True, True, True, False]


@pytest.mark.django_db
def test_import_writes_one_audit_row_with_the_file_hash():
    std = _import(VILLAGE)

    event = AuditEvent.objects.get(action="standard.import")
    assert event.result == "success"
    assert event.object_id == str(std.pk)
    assert event.detail["sha256"] == std.source_sha256


@pytest.mark.django_db
def test_import_accepts_bytes_and_a_path():
    a = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    b = standard_import(source=str(TOWNSHIP), fmt="yaml", actor=None)

    assert (a.code, b.code) == ("QLCJ-VILLAGE", "QLCJ-TOWNSHIP")
