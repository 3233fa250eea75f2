"""The Excel workbooks (reports.excel): layout, typed numbers and dates, formula escaping (XLS-2) and
query counts that do not grow with the number of villages, units or items."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from assessments.models import Assessment, BonusClaim, IndicatorScore
from assessments.services import assessment_transition
from assessments.services.campaigns import campaign_create
from assessments.services.review import bonus_claim_review, score_save_review
from assessments.services.totals import assessment_recompute
from indices.models import Grade, Indicator
from ledgers.exports import compliance_xlsx, rectification_xlsx
from ledgers.models import LedgerEntry, LedgerSubmission, Rectification, RectificationEvent
from reports.data import campaign_matrix, campaign_table, mask_review, village_document
from reports.excel import grade_roster_xlsx, package_index_xlsx, score_matrix_xlsx, score_sheet_xlsx
from tests.assessments.conftest import cycle, standard  # noqa: F401  (fixtures)
from tests.assessments.test_review import review_everything, submit_and_forward
from tests.factories import UnitFactory, VillageFactory
from villages.models import Township, Village

EVIL = '=HYPERLINK("http://x","y")'
UTC = dt.UTC


def read(write, *args, **kwargs):
    out = io.BytesIO()
    write(*args, out=out, **kwargs)
    out.seek(0)
    return load_workbook(out)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def num(value):
    return D(str(value)).normalize()


def plain(value):
    """A Decimal as written in the forms: 3, 2.5 (computed here, not with reports.data.fmt)."""
    return format(D(value).normalize(), "f")


def merged(ws):
    return {str(r) for r in ws.merged_cells.ranges}


def is_literal_text(cell, expected):
    return cell.value == expected and cell.data_type == "s"


def queries(build):
    with CaptureQueriesContext(connection) as ctx:
        build()
    return len(ctx)


def township_with_villages(region, standard, n, name):  # noqa: F811
    """A township of `n` villages with its campaign (every assessment and score row created)."""
    town = Township.objects.create(region=region, name=name)
    Village.objects.bulk_create(
        Village(township=town, name=f"{name}{i:02d}村", sort_order=i) for i in range(n)
    )
    return town, campaign_create(actor=None, township=town, year=2024, standard=standard)


def score_everything(campaign, *, seed=0):
    """Self scores on every line (max, or 0.5 less on every third line), review scores on every
    other line (0.5 less than self), then the stored totals recomputed. Returns {pk: {code: (s, r)}}."""
    written = {}
    for i, s in enumerate(
        IndicatorScore.objects.filter(assessment__campaign=campaign)
        .select_related("indicator")
        .order_by("assessment_id", "indicator__code")
    ):
        top = s.indicator.max_score
        s.self_score = top - (D("0.5") if (i + seed) % 3 == 0 else 0)
        s.review_score = max(s.self_score - D("0.5"), D(0)) if i % 2 == 0 else None
        s.save(update_fields=["self_score", "review_score"])
        written.setdefault(s.assessment_id, {})[s.indicator.code] = (s.self_score, s.review_score)
    for a in Assessment.objects.filter(campaign=campaign):
        assessment_recompute(a)
    return written


# --- 评分表 --------------------------------------------------------------------------------------------


@pytest.fixture
def reviewed_east(cycle, org):  # noqa: F811
    """东村 submitted with full marks, reviewed with two lines adjusted (one note starting with "="), a
    bonus accepted at 1 of 2 points, a confirmed ledger deduction of 1.5, review completed."""
    a = submit_and_forward(cycle, "东村")
    review_everything(a, cycle.reviewer)
    adjusted = {"V1.2": (D("2.5"), "=1+1 会议记录不全"), "V3.1": (D("1"), "公开不及时")}
    for code, (value, reason) in adjusted.items():
        s = IndicatorScore.objects.get(assessment=a, indicator__code=code)
        score_save_review(
            assessment=a,
            score=s,
            actor=cycle.reviewer,
            expected_version=s.version,
            value=value,
            reason=reason,
        )
    item = a.campaign.standard.bonus_items.get(code="B02")
    claim = BonusClaim.objects.create(
        assessment=a, bonus_item=item, claimed_points=D("2"), explanation="获表彰"
    )
    bonus_claim_review(
        assessment=a,
        claim=claim,
        expected_version=claim.version,
        actor=cycle.reviewer,
        accept=True,
        points="1",
        reason="县级表彰",
    )
    sub = LedgerSubmission.objects.create(unit=org.unit, year=2024, month=5, status="submitted")
    LedgerEntry.objects.create(
        submission=sub, seq=1, village=org.village, category="disclosure", method="routine",
        checked_on=dt.date(2024, 5, 10), checker="检查组", finding="公开栏未更新", level="general",
        proposed_deduction=D("2"), deduction_confirmed=True, confirmed_deduction=D("1.5"),
    )  # fmt: skip
    assessment_recompute(a)
    assessment_transition(assessment=a, action="complete_review", actor=cycle.reviewer)
    a.refresh_from_db()
    return a


def sheet_rows(ws):
    """{indicator code: row number} of the indicator lines, and the 小计 row numbers."""
    codes = {c.code for c in Indicator.objects.filter(children__isnull=True)}
    lines, subtotals = {}, []
    for r in range(5, ws.max_row + 1):
        value = ws.cell(r, 2).value
        if value in codes:
            lines[value] = r
        elif value == "小计":
            subtotals.append(r)
    return lines, subtotals


def label_row(ws, label):
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == label)


def test_score_sheet_has_the_merged_title_info_and_two_header_rows(reviewed_east):
    wb = read(lambda out: score_sheet_xlsx(village_document(reviewed_east), out))
    assert wb.sheetnames == ["评分表"]
    ws = wb["评分表"]
    assert ws["A1"].value == "2024年度东村“清廉村居”建设评分表"
    assert {"A1:I1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:G3", "H3:I3"} <= merged(ws)
    assert [ws.cell(2, c).value for c in (1, 4, 7)] == [
        "所属镇街：甲镇",
        "所属党总支：第一党总支",
        "状态：初审完成",
    ]
    assert [ws.cell(3, c).value for c in (1, 2, 3, 4, 5, 6, 8)] == [
        "维度", "指标编码", "指标", "分值", "评分标准", "自评", "初审",
    ]  # fmt: skip
    assert [ws.cell(4, c).value for c in (6, 7, 8, 9)] == [
        "自评分",
        "自评说明",
        "初审得分",
        "扣分原因/调整说明",
    ]
    assert ws.freeze_panes == "A5"
    assert ws.print_title_rows == "$3:$4"
    assert (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth) == (
        "landscape",
        9,
        1,
    )
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.column_dimensions["E"].width > ws.column_dimensions["D"].width


def test_score_sheet_lines_are_typed_numbers_equal_to_the_stored_scores(reviewed_east):
    ws = read(lambda out: score_sheet_xlsx(village_document(reviewed_east), out))["评分表"]
    lines, _ = sheet_rows(ws)
    stored = {
        s.indicator.code: s
        for s in IndicatorScore.objects.filter(assessment=reviewed_east).select_related("indicator")
    }
    assert set(lines) == set(stored)
    for code, r in lines.items():
        s = stored[code]
        assert is_number(ws.cell(r, 4).value) and num(ws.cell(r, 4).value) == s.indicator.max_score
        assert is_number(ws.cell(r, 8).value) and num(ws.cell(r, 8).value) == s.review_score
        if s.self_score is None:  # township-only line: no self score, the cell stays empty
            assert ws.cell(r, 6).value is None
        else:
            assert is_number(ws.cell(r, 6).value) and num(ws.cell(r, 6).value) == s.self_score
        assert ws.cell(r, 8).number_format == "0.00"
    assert any(stored[c].self_score is None for c in lines)
    v12 = lines["V1.2"]
    assert num(ws.cell(v12, 8).value) == D("2.5")
    # a reviewer's note starting with "=" is text, never a formula (XLS-2)
    assert is_literal_text(ws.cell(v12, 9), "=1+1 会议记录不全")


def test_score_sheet_subtotals_equal_their_rows_and_dimensions_are_merged_vertically(reviewed_east):
    ws = read(lambda out: score_sheet_xlsx(village_document(reviewed_east), out))["评分表"]
    _, subtotals = sheet_rows(ws)
    dims = list(reviewed_east.campaign.standard.dimensions.order_by("sort_order"))
    assert len(subtotals) == len(dims)
    start = 5
    for dim, sub in zip(dims, subtotals, strict=True):
        rows = range(start, sub)
        codes = set(
            Indicator.objects.filter(dimension=dim, children__isnull=True).values_list("code", flat=True)
        )
        assert {ws.cell(r, 2).value for r in rows} == codes
        assert f"A{start}:A{sub}" in merged(ws)
        assert ws.cell(start, 1).value.startswith(f"{dim.code} {dim.name}")
        review = [ws.cell(r, 8).value for r in rows]
        selfs = [ws.cell(r, 6).value or 0 for r in rows]
        assert num(ws.cell(sub, 8).value) == sum(num(v) for v in review)
        assert num(ws.cell(sub, 6).value) == sum(num(v) for v in selfs)
        assert num(ws.cell(sub, 4).value) == dim.max_score
        expected = sum(
            IndicatorScore.objects.filter(assessment=reviewed_east, indicator__dimension=dim).values_list(
                "review_score", flat=True
            )
        )
        assert num(ws.cell(sub, 8).value) == expected
        start = sub + 1


def test_score_sheet_totals_equal_the_stored_final_score_with_bonus_and_deduction(reviewed_east):
    ws = read(lambda out: score_sheet_xlsx(village_document(reviewed_east), out))["评分表"]
    base = sum(IndicatorScore.objects.filter(assessment=reviewed_east).values_list("review_score", flat=True))
    values = {
        label: ws.cell(label_row(ws, label), 8).value
        for label in ("基础分", "加分（封顶）", "日常监管扣分（封顶）", "总分")
    }
    assert all(is_number(v) for v in values.values())
    assert num(values["基础分"]) == base
    assert num(values["加分（封顶）"]) == D("1")
    assert num(values["日常监管扣分（封顶）"]) == D("1.5")
    assert num(values["总分"]) == base + D("1") - D("1.5") == reviewed_east.final_score
    grade = Grade.objects.get(
        standard=reviewed_east.campaign.standard, code=reviewed_east.proposed_grade
    ).name
    assert ws.cell(label_row(ws, "拟定等次"), 8).value == grade
    bonus = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "B02")
    assert [ws.cell(bonus, c).value for c in (6, 7, 8, 9)] == [2, "认定", 1, "县级表彰"]
    unclaimed = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "B01")
    assert (ws.cell(unclaimed, 6).value, ws.cell(unclaimed, 8).value) == (None, None)
    veto = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "N01")
    assert (ws.cell(veto, 6).value, ws.cell(veto, 8).value) == ("否", "不属实")


def test_masked_score_sheet_shows_the_village_its_own_entries_only(reviewed_east):
    ws = read(lambda out: score_sheet_xlsx(mask_review(village_document(reviewed_east)), out))["评分表"]
    lines, subtotals = sheet_rows(ws)
    assert all(ws.cell(r, 8).value is None and ws.cell(r, 9).value is None for r in lines.values())
    assert all(ws.cell(r, 8).value is None for r in subtotals)
    assert ws.cell(label_row(ws, "总分"), 8).value is None
    assert ws.cell(label_row(ws, "拟定等次"), 8).value is None
    assert num(ws.cell(label_row(ws, "基础分"), 6).value) == reviewed_east.self_total


def test_score_sheet_of_an_unscored_draft_leaves_scores_and_subtotals_empty(cycle):  # noqa: F811
    draft = cycle.a["西村"]
    assert draft.status == Assessment.Status.DRAFT
    ws = read(lambda out: score_sheet_xlsx(village_document(draft), out))["评分表"]
    lines, subtotals = sheet_rows(ws)
    assert lines and subtotals
    assert all(ws.cell(r, c).value is None for r in (*lines.values(), *subtotals) for c in (6, 8))
    assert all(is_number(ws.cell(r, 4).value) for r in (*lines.values(), *subtotals))
    assert [ws.cell(label_row(ws, label), c).value for label in ("基础分", "总分") for c in (6, 8)] == [
        None
    ] * 4


def test_score_sheet_formatter_makes_no_query_of_its_own(reviewed_east):
    doc = village_document(reviewed_east)
    assert queries(lambda: score_sheet_xlsx(doc, io.BytesIO())) == 0


# --- 得分汇总 ------------------------------------------------------------------------------------------


def test_score_matrix_has_dimension_headers_merged_over_indicators_and_effective_scores(cycle, org):  # noqa: F811
    Village.objects.filter(pk=org.cousin.pk).update(name=EVIL)
    written = score_everything(cycle.campaign)
    wb = read(lambda out: score_matrix_xlsx(campaign_matrix(cycle.campaign), out))
    assert wb.sheetnames == ["得分汇总", "自评得分"]
    ws = wb["得分汇总"]
    indicators = list(
        Indicator.objects.filter(standard=cycle.standard, children__isnull=True).order_by(
            "dimension__sort_order", "sort_order"
        )
    )
    assert [ws.cell(2, c).value for c in (1, 2, 3)] == ["序号", "村（社区）", "党总支"]
    assert [ws.cell(3, 4 + i).value for i in range(len(indicators))] == [
        f"{i.code} {i.name}（{plain(i.max_score)}）" for i in indicators
    ]
    col = 4
    for dim in cycle.standard.dimensions.order_by("sort_order"):
        n = sum(1 for i in indicators if i.dimension_id == dim.pk)
        assert ws.cell(2, col).value.startswith(f"{dim.code} {dim.name}")
        assert f"{ws.cell(2, col).coordinate}:{ws.cell(2, col + n - 1).coordinate}" in merged(ws)
        col += n
    assert (ws.cell(2, col).value, ws.cell(2, col + 1).value) == ("总分", "等次")
    assert f"A1:{get_column_letter(col + 1)}1" in merged(ws)
    assert ws["A1"].value == f"{cycle.campaign.name}各村指标初审得分（未初审的按自评分）汇总表"
    assert ws.freeze_panes == "D4"
    by_name = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    assert set(by_name) == {"东村", "西村", EVIL}
    assert is_literal_text(ws.cell(by_name[EVIL], 2), EVIL)
    grades = dict(Grade.objects.filter(standard=cycle.standard).values_list("code", "name"))
    selfs = wb["自评得分"]
    self_rows = {selfs.cell(r, 2).value: r for r in range(4, selfs.max_row + 1)}
    for a in Assessment.objects.filter(campaign=cycle.campaign).select_related("village"):
        r = by_name[a.village.name]
        for i, ind in enumerate(indicators):
            s, rv = written[a.pk][ind.code]
            value = ws.cell(r, 4 + i).value
            assert is_number(value) and num(value) == (rv if rv is not None else s)
            assert num(selfs.cell(self_rows[a.village.name], 4 + i).value) == s
        assert num(ws.cell(r, col).value) == a.final_score
        # a grade shows only once the village is reviewed (before that it is provisional)
        shown = grades[a.final_grade] if a.status in ("reviewed", "confirmed") else None
        assert ws.cell(r, col + 1).value == shown
        assert num(selfs.cell(self_rows[a.village.name], col).value) == sum(
            s for s, _ in written[a.pk].values()
        )


def test_score_matrix_leaves_a_village_that_scored_nothing_empty(cycle, org):  # noqa: F811
    written = score_everything(cycle.campaign)
    IndicatorScore.objects.filter(assessment=cycle.a["西村"]).update(self_score=None, review_score=None)
    ws = read(lambda out: score_matrix_xlsx(campaign_matrix(cycle.campaign), out))["得分汇总"]
    last = ws.max_column
    by_name = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    empty = by_name["西村"]
    assert all(ws.cell(empty, c).value is None for c in range(4, last + 1))
    east = by_name["东村"]
    assert num(ws.cell(east, last - 1).value) == Assessment.objects.get(pk=cycle.a["东村"].pk).final_score
    assert len(written[cycle.a["东村"].pk]) == last - 5


def test_score_matrix_query_count_does_not_grow_from_3_to_12_villages(org, standard):  # noqa: F811
    _, small = township_with_villages(org.city, standard, 3, "小镇")
    _, large = township_with_villages(org.city, standard, 12, "大镇")
    score_everything(small)
    score_everything(large)
    few = queries(lambda: score_matrix_xlsx(campaign_matrix(small), io.BytesIO()))
    many = queries(lambda: score_matrix_xlsx(campaign_matrix(large), io.BytesIO()))
    assert few == many


# --- 定级名册 ------------------------------------------------------------------------------------------


def set_result(a, *, grade, final, base, bonus=D(0), deduction=D(0), self_total=D(0), **extra):
    Assessment.objects.filter(pk=a.pk).update(
        status=Assessment.Status.CONFIRMED, final_grade=grade, proposed_grade=grade, final_score=final,
        review_base=base, bonus_accepted=bonus, supervision_deduction=deduction, self_total=self_total, **extra,
    )  # fmt: skip


def test_grade_roster_groups_villages_by_grade_best_first_with_typed_scores_and_ranks(cycle, org):  # noqa: F811
    Village.objects.filter(pk=org.sibling.pk).update(name=EVIL)
    set_result(
        cycle.a["东村"], grade="SHIFAN", final=D("95.5"), base=D("94"), bonus=D("2"), deduction=D("0.5"),
        self_total=D("96"), city_candidate=True, city_decision="confirmed",
    )  # fmt: skip
    set_result(cycle.a["西村"], grade="DABIAO", final=D("85"), base=D("85"), self_total=D("88"))
    set_result(
        cycle.a["南村"], grade="DABIAO", final=D("88"), base=D("88"), self_total=D("90"),
        grade_override_reason="=SUM(A1) 经研究调整",
    )  # fmt: skip
    wb = read(lambda out: grade_roster_xlsx(campaign_table(cycle.campaign), out))
    assert wb.sheetnames == ["定级名册", "等次统计"]
    ws = wb["定级名册"]
    assert "A1:O1" in merged(ws)
    assert ws.cell(1, 1).value.endswith("定级名册（等次口径：镇街定级）")
    assert [c.value for c in ws[2]] == [
        "序号", "党总支", "村（社区）", "自评总分", "初审基础分", "认定加分", "日常监管扣分", "总分", "排名",
        "拟定等次", "镇街定级", "现行等次", "调整理由", "报市评选", "市级认定",
    ]  # fmt: skip
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=ws.max_row)]
    assert body[0][0] == "示范村（1个）" and "A3:O3" in merged(ws)
    assert body[1][:12] == [1, "第一党总支", "东村", 96, 94, 2, 0.5, 95.5, 1, "示范村", "示范村", "示范村"]
    assert body[1][13:] == ["是", "认定为示范村"]
    assert body[2][0] == "达标村（2个）"
    assert body[3][:12] == [2, "第二党总支", "南村", 90, 88, 0, 0, 88, 2, "达标村", "达标村", "达标村"]
    assert is_literal_text(ws.cell(6, 13), "=SUM(A1) 经研究调整")
    assert body[4][:9] == [3, "第一党总支", EVIL, 88, 85, 0, 0, 85, 3]
    assert is_literal_text(ws.cell(7, 3), EVIL)
    assert len(body) == 5
    assert all(is_number(v) for row in (body[1], body[3], body[4]) for v in row[3:9])
    assert ws.freeze_panes == "D3"
    stats = wb["等次统计"]
    assert stats.cell(2, 1).value == "镇街定级"
    rows = [[c.value for c in row] for row in stats.iter_rows(min_row=3, max_row=stats.max_row)]
    assert [r[:2] for r in rows] == [["示范村", 1], ["达标村", 2], ["提升村", 0], ["促进村", 0], ["合计", 3]]
    assert rows[1][2] == pytest.approx(2 / 3)
    assert stats.cell(4, 3).number_format == "0.0%"
    assert [r[3] for r in rows] == [1, 0, 0, 0, 1]


def test_grade_roster_after_the_city_decided_groups_and_counts_by_the_grade_in_force(cycle, org):  # noqa: F811
    """The township confirmed 东村 and 南村 as 示范村; the city recognised 南村 only as 达标村. The roster
    says it shows the grade in force, groups and counts by it, and keeps the township's grade beside it."""
    set_result(
        cycle.a["东村"], grade="SHIFAN", final=D("96"), base=D("96"), city_candidate=True,
        city_decision="confirmed", city_grade="SHIFAN",
    )  # fmt: skip
    set_result(
        cycle.a["南村"], grade="SHIFAN", final=D("95"), base=D("95"), city_candidate=True,
        city_decision="other", city_grade="DABIAO",
    )  # fmt: skip
    set_result(cycle.a["西村"], grade="DABIAO", final=D("85"), base=D("85"))
    wb = read(lambda out: grade_roster_xlsx(campaign_table(cycle.campaign), out))
    ws = wb["定级名册"]
    assert ws.cell(1, 1).value.endswith("定级名册（等次口径：市级认定后等次（现行等次））")
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=ws.max_row)]
    assert body[0][0] == "示范村（1个）"
    assert body[1][2] == "东村" and body[1][9:12] == ["示范村", "示范村", "示范村"]
    assert body[2][0] == "达标村（2个）"
    assert body[3][2] == "南村" and body[3][9:12] == ["示范村", "示范村", "达标村"]
    assert body[4][2] == EVIL or body[4][2] == "西村"
    stats = wb["等次统计"]
    assert stats.cell(2, 1).value == "市级认定后等次（现行等次）"
    rows = [[c.value for c in row] for row in stats.iter_rows(min_row=3, max_row=stats.max_row)]
    assert [r[:2] for r in rows] == [["示范村", 1], ["达标村", 2], ["提升村", 0], ["促进村", 0], ["合计", 3]]


def test_grade_roster_query_count_does_not_grow_from_3_to_12_villages(org, standard):  # noqa: F811
    _, small = township_with_villages(org.city, standard, 3, "小镇")
    _, large = township_with_villages(org.city, standard, 12, "大镇")
    score_everything(small)
    score_everything(large)
    few = queries(lambda: grade_roster_xlsx(campaign_table(small), io.BytesIO()))
    many = queries(lambda: grade_roster_xlsx(campaign_table(large), io.BytesIO()))
    assert few == many


# --- 台账报送情况 -------------------------------------------------------------------------------------


def submit(unit, month, at, zero=False):
    LedgerSubmission.objects.create(
        unit=unit, year=2024, month=month, status="submitted", zero_report=zero, submitted_at=at
    )


def test_compliance_sheet_shows_state_and_local_submission_date_per_unit_and_month(org):
    org.other_unit.name = "=cmd|' /C calc'!A0"
    org.other_unit.save()
    submit(org.unit, 4, dt.datetime(2024, 5, 2, 15, 30, tzinfo=UTC))  # 23:30 on the due day: on time
    submit(org.unit, 5, dt.datetime(2024, 6, 1, 1, 0, tzinfo=UTC), zero=True)
    submit(org.unit, 6, dt.datetime(2024, 7, 2, 16, 10, tzinfo=UTC))  # 00:10 on 07-03 in Shanghai: late
    submit(org.other_unit, 4, dt.datetime(2024, 4, 30, 2, 0, tzinfo=UTC))
    wb = read(compliance_xlsx, township=org.town, year=2024, today=dt.date(2024, 7, 3))
    assert wb.sheetnames[0] == "台账报送情况"
    ws = wb["台账报送情况"]
    assert ws["A1"].value == "甲镇2024年度“清廉村居”日常监管台账报送情况"
    assert [ws.cell(3, 3 + 2 * i).value for i in range(9)] == [f"{m}月" for m in range(4, 13)]
    assert [ws.cell(4, c).value for c in (3, 4)] == ["状态", "报送日期"]
    assert "C3:D3" in merged(ws) and "A3:A4" in merged(ws)
    assert [ws.cell(4, c).value for c in range(21, 26)] == ["按时", "零报告", "逾期", "未报", "未到期"]
    assert ws.freeze_panes == "C5"
    rows = {ws.cell(r, 2).value: r for r in (5, 6)}
    assert set(rows) == {"经管站", "=cmd|' /C calc'!A0"}
    assert is_literal_text(ws.cell(rows["=cmd|' /C calc'!A0"], 2), "=cmd|' /C calc'!A0")
    r = rows["经管站"]
    states = [ws.cell(r, 3 + 2 * i).value for i in range(9)]
    assert states == ["按时", "零报告", "逾期", "未到期", "未到期", "未到期", "未到期", "未到期", "未到期"]
    dates = [ws.cell(r, 4 + 2 * i).value for i in range(3)]
    assert dates == [dt.datetime(2024, 5, 2), dt.datetime(2024, 6, 1), dt.datetime(2024, 7, 3)]
    assert ws.cell(r, 4).number_format == "yyyy-mm-dd"
    assert ws.cell(r, 10).value is None
    assert [ws.cell(r, c).value for c in range(21, 26)] == [1, 1, 1, 0, 6]
    o = rows["=cmd|' /C calc'!A0"]
    assert [ws.cell(o, 3 + 2 * i).value for i in range(3)] == ["按时", "未报", "未报"]
    assert [ws.cell(o, c).value for c in range(21, 26)] == [1, 0, 0, 2, 6]
    assert [ws.cell(7, c).value for c in range(21, 26)] == [2, 1, 1, 2, 12]
    # one colour per state: the two 按时 cells share it; 逾期 and 未报 have their own
    fill = lambda row, col: ws.cell(row, col).fill.fgColor.rgb  # noqa: E731
    assert fill(r, 3) == fill(o, 3) == fill(r, 4)
    assert len({fill(r, 3), fill(r, 5), fill(r, 7), fill(o, 5), fill(r, 9)}) == 5


def test_compliance_query_count_does_not_grow_from_3_to_12_units(org):
    small = Township.objects.create(region=org.city, name="小镇")
    large = Township.objects.create(region=org.city, name="大镇")
    for town, n in ((small, 3), (large, 12)):
        for i in range(n):
            submit(UnitFactory(township=town, name=f"单位{i}"), 4, dt.datetime(2024, 5, 1, 2, 0, tzinfo=UTC))
    today = dt.date(2024, 7, 3)
    few = queries(lambda: compliance_xlsx(township=small, year=2024, out=io.BytesIO(), today=today))
    many = queries(lambda: compliance_xlsx(township=large, year=2024, out=io.BytesIO(), today=today))
    assert few == many


# --- 整改清单 ------------------------------------------------------------------------------------------


def rectification(village, deadline, *, status="open", closed_on=None, events=(), **kw):
    item = Rectification.objects.create(
        township=village.township, village=village, source=kw.pop("source", "review"),
        problem=kw.pop("problem", "三务公开栏未按月更新"), requirement="补齐公开内容", owner="村务监督委员会",
        deadline=deadline, status=status, closed_on=closed_on, **kw,
    )  # fmt: skip
    for at, action, note in events:
        e = RectificationEvent.objects.create(rectification=item, action=action, note=note)
        RectificationEvent.objects.filter(pk=e.pk).update(at=at)
    return item


def test_rectification_list_has_date_cells_overdue_flag_latest_progress_and_escaped_text(org):
    sub = LedgerSubmission.objects.create(unit=org.unit, year=2024, month=5, status="submitted")
    entry = LedgerEntry.objects.create(
        submission=sub, seq=1, village=org.cousin, category="sanzi", method="routine",
        checked_on=dt.date(2024, 5, 10), checker="检查组", finding="开支无审核签字", level="general",
    )  # fmt: skip
    open_item = rectification(
        org.village, dt.date(2024, 6, 1), problem="=HYPERLINK(\"http://x\",\"y\")",
        events=[(dt.datetime(2024, 5, 1, 2, tzinfo=UTC), "create", "")],
    )  # fmt: skip
    closed = rectification(
        org.sibling, dt.date(2024, 6, 1), status="closed", closed_on=dt.date(2024, 6, 5),
        events=[
            (dt.datetime(2024, 5, 1, 2, tzinfo=UTC), "create", ""),
            (dt.datetime(2024, 5, 20, 2, tzinfo=UTC), "respond", "已补齐"),
            (dt.datetime(2024, 6, 4, 17, tzinfo=UTC), "accept", "同意销号"),  # 06-05 01:00 in Shanghai
        ],
    )  # fmt: skip
    from_ledger = rectification(org.cousin, dt.date(2024, 7, 1), source="ledger", ledger_entry=entry)
    items = Rectification.objects.filter(pk__in=[open_item.pk, closed.pk, from_ledger.pk]).order_by(
        "deadline", "pk"
    )
    wb = read(rectification_xlsx, rectifications=items, today=dt.date(2024, 6, 10))
    assert wb.sheetnames == ["整改清单"]
    ws = wb["整改清单"]
    assert "A1:L1" in merged(ws)
    assert [c.value for c in ws[3]] == [
        "序号", "所属镇街", "村（社区）", "来源", "问题描述", "整改要求", "整改责任人", "整改时限", "状态",
        "是否逾期", "销号日期", "最近进展",
    ]  # fmt: skip
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=ws.max_row)]
    assert [r[:3] for r in rows] == [[1, "甲镇", "东村"], [2, "甲镇", "西村"], [3, "甲镇", "南村"]]
    assert is_literal_text(ws["E4"], '=HYPERLINK("http://x","y")')
    assert rows[0][3] == "镇街初审" and rows[2][3] == "日常监管（经管站 2024年5月台账）"
    assert [r[7] for r in rows] == [dt.datetime(2024, 6, 1), dt.datetime(2024, 6, 1), dt.datetime(2024, 7, 1)]
    assert ws["H4"].number_format == "yyyy-mm-dd"
    assert [r[8] for r in rows] == ["未整改", "已销号", "未整改"]
    assert [r[9] for r in rows] == ["是", "否", "否"]
    assert [r[10] for r in rows] == [None, dt.datetime(2024, 6, 5), None]
    assert rows[0][11] == "2024-05-01 创建"
    assert rows[1][11] == "2024-06-05 验收通过并销号：同意销号"
    assert rows[2][11] is None
    assert ws.freeze_panes == "D4"


def test_rectification_list_reads_its_rows_in_one_query_whatever_their_number(org):
    def make(n):
        ids = []
        for i in range(n):
            village = VillageFactory(township=org.town)
            item = rectification(village, dt.date(2024, 6, 1) + dt.timedelta(days=i))
            RectificationEvent.objects.create(rectification=item, action="create")
            ids.append(item.pk)
        return Rectification.objects.filter(pk__in=ids).order_by("deadline")

    few, many = make(3), make(12)
    assert queries(lambda: rectification_xlsx(rectifications=few, out=io.BytesIO())) == 1
    assert queries(lambda: rectification_xlsx(rectifications=many, out=io.BytesIO())) == 1
    # a plain list (already fetched) is read again in one query, in the caller's order
    listed = list(many)[::-1]
    ws = read(rectification_xlsx, rectifications=listed)["整改清单"]
    assert [ws.cell(4 + i, 3).value for i in range(12)] == [item.village.name for item in listed]
    assert queries(lambda: rectification_xlsx(rectifications=listed, out=io.BytesIO())) == 1


# --- 目录 ----------------------------------------------------------------------------------------------


def test_package_index_lists_every_file_with_size_in_kb_and_sha256():
    entries = [
        {
            "village": "东村",
            "kind": "评分表",
            "path": "甲镇/01_东村/评分表.pdf",
            "size": 2048,
            "sha256": "a" * 64,
        },
        {"village": EVIL, "kind": "加分佐证 B01", "path": "=1+1.pdf", "size": 1536, "sha256": "b" * 64},
        {"village": "", "kind": "定级名册", "path": "甲镇/01_定级名册.pdf", "size": 10, "sha256": "c" * 64},
    ]
    wb = read(package_index_xlsx, title="甲镇2024年示范村报市材料目录", entries=entries)
    assert wb.sheetnames == ["目录"]
    ws = wb["目录"]
    assert ws["A1"].value == "甲镇2024年示范村报市材料目录" and "A1:F1" in merged(ws)
    assert [c.value for c in ws[2]] == [
        "序号",
        "村（社区）",
        "材料类型",
        "文件名（包内路径）",
        "大小（KB）",
        "SHA-256",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=5)]
    assert rows[0] == [1, "东村", "评分表", "甲镇/01_东村/评分表.pdf", 2, "a" * 64]
    assert rows[1][4] == 1.5 and rows[2][4] == 0.1  # a tiny file is not shown as 0 KB
    assert is_literal_text(ws["B4"], EVIL) and is_literal_text(ws["D4"], "=1+1.pdf")
    assert rows[2][1] is None
    assert ws["E3"].number_format == "0.0"
    assert ws.cell(6, 1).value == "合计" and ws.cell(6, 5).value == 3.5
    assert ws.cell(6, 6).value == "共 3 个文件" and "A6:D6" in merged(ws)
    assert ws["A2"].font.bold and ws["A1"].font.size == 16 and ws["D3"].alignment.wrap_text
    inside_merge = {(6, 2), (6, 3), (6, 4)}  # read back as merged cells, without a style of their own
    cells = [(r, c) for r in range(2, 7) for c in range(1, 7) if (r, c) not in inside_merge]
    assert all(ws.cell(r, c).border.left.style == "thin" for r, c in cells)
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$2:$2"
    assert ws.column_dimensions["D"].width == 60 and ws.page_setup.orientation == "landscape"
