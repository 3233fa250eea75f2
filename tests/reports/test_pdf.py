"""The printed forms (WeasyPrint): read back with poppler's pdftotext / pdfinfo / pdffonts.

Rendering takes about a second per form, so each test renders only the forms it checks.
"""

import dataclasses
import io
import re
import subprocess

import pytest
from django.utils import timezone

from assessments.models import Assessment
from common.dates import cn_date
from reports.data import campaign_table, fmt, mask_review, village_document
from reports.pdf import (
    application_form_pdf,
    demonstration_form_pdf,
    grade_roster_pdf,
    ranking_pdf,
    score_sheet_pdf,
)


def poppler(tool, pdf, *args):
    out = subprocess.run(
        [tool, *args, "-", "-"] if tool == "pdftotext" else [tool, "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return out.stdout.decode()


def text_of(pdf):
    """The PDF's text in reading order without whitespace, so that a table row reads as one string."""
    return re.sub(r"\s+", "", poppler("pdftotext", pdf, "-raw"))


def assert_a4_and_noto(pdf, *, landscape=False):
    info = poppler("pdfinfo", pdf)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    w, h = float(size[1]), float(size[2])
    assert (round(w), round(h)) == ((842, 595) if landscape else (595, 842))
    fonts = [line.split()[0] for line in poppler("pdffonts", pdf).splitlines()[2:]]
    assert fonts
    # the forms' subset of Noto Serif CJK SC (reports/pdf/fonts.py), or the full font
    assert all(re.search(r"Noto-?(Serif|Sans)-?CJK|QL-?Serif-?SC", f) for f in fonts), fonts


def doc_of(cycle, name):
    return village_document(Assessment.objects.get(campaign=cycle.campaign, village__name=name))


@pytest.fixture
def east(confirmed):
    a = confirmed.a["东村"]
    Assessment.objects.filter(pk=a.pk).update(
        secretary_name="张书记",
        households=321,
        collective_income="12.50",
        achievements="<script>alert(1)</script>坚持“四议两公开”",
        problems="村务公开栏更新不及时，已落实专人负责。",
    )
    return confirmed


def test_application_form_prints_basic_fields_self_scores_and_four_signoff_blocks(east):
    doc = doc_of(east, "东村")
    pdf = application_form_pdf(doc)
    text = text_of(pdf)
    assert_a4_and_noto(pdf)
    assert "“清廉村居”建设申请表" in text
    assert "村（社区）名称东村所属镇街甲镇" in text
    assert "所属党总支第一党总支" in text
    assert "村党组织书记张书记" in text
    assert "户数321" in text
    assert "12.5" in text and "12.50" not in text
    assert f"自评总分{fmt(doc.assessment.self_total)}分" in text
    dims = doc.dimensions
    assert (
        "".join(f"{b.name}（{fmt(b.max_score)}分）" for b in dims) + "".join(fmt(b.self_sum) for b in dims)
        in text
    )
    claim = next(b for b in doc.bonus if b.claimed is not None)
    assert claim.name in text and "市级表彰文件.pdf" in text
    assert doc.vetoes[0].description[:10] in text
    for label in ("村党组织意见", "村务监督委员会意见", "镇街纪（工）委初审意见", "镇街党（工）委意见"):
        assert label in text
    assert text.count("（盖章）") >= 5  # four blocks and the header
    assert f"初审得分：{fmt(doc.assessment.final_score)}分" in text
    assert f"初审等次：{doc.final_grade_name}" in text
    assert "None" not in text


def test_application_form_prints_user_text_literally(east):
    text = text_of(application_form_pdf(doc_of(east, "东村")))
    assert "<script>alert(1)</script>坚持“四议两公开”" in text
    assert "村务公开栏更新不及时，已落实专人负责。" in text


def test_application_form_leaves_review_blank_when_the_village_may_not_see_it(east):
    doc = mask_review(doc_of(east, "东村"))
    text = text_of(application_form_pdf(doc))
    assert "初审得分：分初审等次：审核人（签字）：" in text
    assert "示范村" not in text


def test_score_sheet_prints_tree_subtotals_adjustment_reasons_totals_and_reviewers(east):
    doc = doc_of(east, "西村")
    a = doc.assessment
    pdf = score_sheet_pdf(doc)
    text = text_of(pdf)
    assert_a4_and_noto(pdf)
    assert "“清廉村居”建设评分表" in text
    assert "村（社区）：西村" in text and "所属镇街：甲镇" in text
    for block in doc.dimensions:
        assert f"{block.name}小计{fmt(block.max_score)}{fmt(block.self_sum)}{fmt(block.review_sum)}" in text
    assert "按实核定" in text  # the reviewer's adjustment reason
    row = doc.dimensions[0].rows[0]
    assert row.name[:6] in text and row.rules[0][:8] in text
    std = doc.standard
    assert f"加分（封顶{fmt(std.bonus_total_cap)}分）" in text
    assert f"日常监管扣分（封顶{fmt(std.supervision_deduction_cap)}分）" in text
    totals = [a.self_total, a.review_base, a.bonus_accepted, a.supervision_deduction, a.final_score]
    assert "".join(fmt(v) for v in totals) + doc.final_grade_name in text
    assert doc.reviewers and f"初审人员：{'、'.join(doc.reviewers)}" in text
    assert f"初审日期：{doc.reviewed_on}" in text
    assert doc.vetoes[0].review == "不属实" and "经核查不存在" in text
    assert "None" not in text


def test_score_sheet_repeats_the_table_header_on_every_page(east):
    pdf = score_sheet_pdf(doc_of(east, "东村"))
    pages = poppler("pdftotext", pdf, "-raw").split("\f")
    pages = [re.sub(r"\s+", "", p) for p in pages if p.strip()]
    assert len(pages) >= 3
    table_pages = [p for p in pages if "小计" in p]
    assert len(table_pages) >= 2
    assert all("编号指标分值评分标准自评分自评说明初审得分扣分原因/调整说明" in p for p in table_pages)
    assert all(re.search(r"第\d+页共" + str(len(pages)) + "页", p) for p in pages)


def test_demonstration_form_prints_the_application_and_ticks_the_city_decision(east):
    a = east.a["东村"]
    Assessment.objects.filter(pk=a.pk).update(
        city_decision="confirmed", city_grade="SHIFAN", city_reason="亮点突出"
    )
    doc = doc_of(east, "东村")
    pdf = demonstration_form_pdf(doc)
    text = text_of(pdf)
    assert_a4_and_noto(pdf)
    assert "“清廉村居”建设示范村申请表" in text
    assert "村（社区）名称东村所属镇街甲镇" in text
    assert f"镇街初审得分{fmt(doc.assessment.final_score)}分" in text
    assert "".join(fmt(b.review_sum) for b in doc.dimensions) in text
    assert "清风东村" in text and "第2位" in text and "一月一公开。" in text
    assert "镇街党（工）委推荐意见" in text and "市级评审得分" in text
    assert "√认定为示范村认定为达标村" in text
    assert "评审意见亮点突出" in text


def test_demonstration_form_without_application_prints_blank_fields(east):
    doc = doc_of(east, "西村")
    assert doc.demonstration is None
    text = text_of(demonstration_form_pdf(doc))
    assert "特色亮点/清廉品牌名称群众满意度测评结果镇街推荐排序" in text
    assert "认定为示范村认定为达标村" in text and "√" not in text
    assert "None" not in text


def test_grade_roster_groups_villages_by_grade_with_counts_and_stamp_block(east):
    table = campaign_table(east.campaign)
    pdf = grade_roster_pdf(table)
    text = text_of(pdf)
    assert_a4_and_noto(pdf, landscape=True)
    assert "甲镇2024年度“清廉村居”定级名册" in text
    groups = [(name, rows) for name, rows in table.by_grade() if rows]
    assert len(groups) >= 2
    for name, rows in groups:
        assert f"{name}（{len(rows)}个）" in text
        for r in rows:
            assert f"{r.branch}{r.name}{fmt(r.review_base)}{fmt(r.bonus)}{fmt(r.deduction)}" in text
    assert text.index(groups[0][0] + "（") < text.index(groups[1][0] + "（")
    assert f"共{len(table.rows)}个村（社区）" in text
    assert "报市评选" in text
    assert "甲镇纪（工）委（盖章）" in text
    assert f"生成日期：{cn_date(timezone.localdate())}" in text


def test_ranking_lists_villages_by_score_with_dimension_scores(east):
    table = campaign_table(east.campaign)
    pdf = ranking_pdf(table)
    text = text_of(pdf)
    assert_a4_and_noto(pdf, landscape=True)
    assert "甲镇2024年度村居清廉指数排名" in text
    positions = []
    for r in table.rows:
        dims = "".join(fmt(r.dimension_scores.get(code)) for code, _, _ in table.dimensions)
        line = f"{r.rank}{r.name}{r.branch}{dims}{fmt(r.final_score)}"
        assert line in text
        positions.append(text.index(line))
    assert positions == sorted(positions)


def test_a_long_roster_is_laid_out_in_several_documents_and_numbered_across_them(east):
    """A roster longer than one document's rows (bounded for memory) reads as one document: every row
    once with its number running on within its grade, a grade continued as 续, the heading once, the
    stamp block once at the end, 第 N 页 共 M 页 on every page, and no part-filled page inside."""
    table = campaign_table(east.campaign)
    table.rows = [
        dataclasses.replace(r, name=f"{r.name}{i:03d}", assessment_id=i * 10 + k)
        for i in range(40)
        for k, r in enumerate(table.rows)
    ]
    groups = [(name, rows) for name, rows in table.by_grade() if rows]
    pdf = grade_roster_pdf(table, rows_per_document=25)
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", pdf))[1])
    assert len(table.rows) > 100 and pages >= 4
    assert_a4_and_noto(pdf, landscape=True)
    text = text_of(pdf)
    for name, rows in groups:
        for n, r in enumerate(rows, 1):
            assert text.count(f"{n}{r.branch}{r.name}{fmt(r.review_base)}") == 1, (name, n, r.name)
        assert text.count(f"{name}（{len(rows)}个）") == 1
    assert "个，续）" in text
    assert text.count("年度“清廉村居”定级名册") == 1 and text.count("甲镇纪（工）委（盖章）") == 1
    assert text.index("甲镇纪（工）委（盖章）") > text.index(groups[-1][1][-1].name)
    rows_on = []
    for k in range(1, pages + 1):
        page = re.sub(r"\s+", "", poppler("pdftotext", pdf, "-f", str(k), "-l", str(k)))
        assert page.endswith(f"第{k}页共{pages}页") or f"第{k}页共{pages}页" in page
        rows_on.append(sum(page.count(r.name) for r in table.rows))
    # no part-filled page where one document ends (its last page's rows began the next document): every
    # page between the first (the heading) and the last (the stamp block) is full
    middle = rows_on[1:-1]
    assert middle and min(middle) >= max(middle) / 2, rows_on
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(pdf)).metadata.title == "甲镇2024年度“清廉村居”定级名册"


def test_roster_windows_split_by_rows_keep_grades_in_order():
    from reports.pdf import roster_window

    groups = [("示范村", list(range(3))), ("达标村", list(range(5)))]
    assert [(s.name, s.count, s.rows, s.start, s.offset) for s in roster_window(groups, 0, 4)] == [
        ("示范村", 3, [0, 1, 2], 0, 0),
        ("达标村", 5, [0], 0, 3),
    ]
    assert [(s.name, s.count, s.rows, s.start, s.offset) for s in roster_window(groups, 2, 4)] == [
        ("示范村", 3, [2], 2, 2),
        ("达标村", 5, [0, 1, 2], 0, 3),
    ]
    assert [(s.name, s.rows, s.start) for s in roster_window(groups, 4, 4)] == [("达标村", [1, 2, 3, 4], 1)]
    assert roster_window([], 0, 4) == []


def test_roster_and_ranking_before_the_city_decided_state_they_show_the_township_grade(east):
    table = campaign_table(east.campaign)
    for pdf in (grade_roster_pdf(table), ranking_pdf(table)):
        text = text_of(pdf)
        assert "等次口径：镇街定级" in text and "现行等次" not in text


def test_roster_and_ranking_after_the_city_decided_show_and_count_the_grade_in_force(east):
    """The township confirmed 东村 and 南村 as 示范村; the city recognised only 东村, 南村 as 达标村: the
    documents say so, count 1 示范村 (not 2) and print the township's grade beside 南村's."""
    a = east.a
    assert (a["东村"].final_grade, a["南村"].final_grade) == ("SHIFAN", "SHIFAN")
    Assessment.objects.filter(pk=a["东村"].pk).update(
        city_candidate=True, city_decision="confirmed", city_grade="SHIFAN"
    )
    Assessment.objects.filter(pk=a["南村"].pk).update(
        city_candidate=True, city_decision="other", city_grade="DABIAO"
    )
    table = campaign_table(east.campaign)
    assert table.basis == "市级认定后等次（现行等次）"
    roster = text_of(grade_roster_pdf(table))
    assert "等次口径：市级认定后等次（现行等次）" in roster
    assert "示范村1个" in roster and "示范村2个" not in roster
    assert "示范村（1个）" in roster and "达标村（1个）" in roster
    assert "达标村（镇街定级：示范村）" in roster
    ranking = text_of(ranking_pdf(table))
    assert "等次口径：市级认定后等次（现行等次）" in ranking and "现行等次" in ranking
    assert "示范村1个" in ranking
    south = next(r for r in table.rows if r.name == "南村")
    assert f"{fmt(south.final_score)}达标村（镇街定级：示范村）" in ranking


def embedded_fonts(pdf):
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    text = "".join(page.extract_text() for page in reader.pages)
    return names, re.sub(r"\s+", "", text)


def test_forms_use_the_small_font_file_and_a_rare_character_sets_the_whole_form_in_the_full_font(confirmed):
    """A name with a character outside the subset (𠮷, 鿏) is printed in the full Noto Serif CJK SC, never
    as a missing-glyph box; every other form embeds the subset."""
    from reports.pdf.fonts import subset_fonts
    from villages.models import Village

    assert subset_fonts.load().files  # the machine has Noto Serif CJK SC: the subset exists
    assert (
        not subset_fonts.covers("𠮷") and not subset_fonts.covers("鿏") and subset_fonts.covers("南村 甲镇")
    )
    plain = application_form_pdf(doc_of(confirmed, "南村"))
    fonts, text = embedded_fonts(plain)
    assert fonts and all(f.startswith("QL-Serif-SC") for f in fonts), fonts
    assert "南村" in text
    Village.objects.filter(pk=confirmed.a["东村"].village_id).update(name="𠮷鿏村")
    rare = application_form_pdf(doc_of(confirmed, "𠮷鿏村"))
    fonts, text = embedded_fonts(rare)
    assert fonts and all(f.startswith("Noto-Serif-CJK-SC") for f in fonts), fonts
    assert "𠮷鿏村" in text
    # the glyphs are the font's own (the PDF's text maps back to the characters, no .notdef box)
    assert "\ufffd" not in text
