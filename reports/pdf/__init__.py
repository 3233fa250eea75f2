"""PDF formatters of the official forms (WeasyPrint): the village's 申请表, 评分表 and 示范村申请表, and the
township's 定级名册 and 清廉指数排名. The data comes from reports.data; these functions only lay it out.

Every form goes through `render_pdf`: a Django template (autoescaped) → HTML string → PDF bytes, with
no base URL and a fetcher that refuses every resource except inline `data:` URLs, so a form never
reaches the network or the file system.
"""

import io
from collections import Counter
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from assessments.models import Assessment
from common.dates import cn_date

from .fonts import FULL_FAMILY, SUBSET_FAMILY, register, subset_fonts

__all__ = [
    "application_form_pdf",
    "demonstration_form_pdf",
    "grade_roster_pdf",
    "ranking_pdf",
    "render_pdf",
    "score_sheet_pdf",
    "village_record_pdf",
    "year_summary_pdf",
]

TEMPLATES = "reports/pdf/"

# One font configuration per process, reused by every document: building it loads fontconfig's view of
# the system fonts, and a fresh one per document also drops Pango's font caches (measured: 0.96x the time
# per village on a loaded machine). The forms declare no @font-face; the subset family (fonts.py) is
# registered in it once.
_font_config = None
_has_subset = False


def font_config():
    global _font_config, _has_subset
    if _font_config is None:
        config = FontConfiguration()
        _has_subset = register(config)
        _font_config = config
    return _font_config


def render_pdf(template, context):
    """Render one template of reports/templates/reports/pdf/ to PDF bytes."""
    return render_document(template, context).write_pdf()


def render_document(template, context):
    """One template of reports/templates/reports/pdf/ laid out (a WeasyPrint Document: its pages can be
    inspected and a part of them written)."""
    config = font_config()
    html = render_to_string(TEMPLATES + template, {**context, "pdf_font": SUBSET_FAMILY})
    if not (_has_subset and subset_fonts.covers(html)):
        # a character outside the subset (a rare character in a name): the whole document in the full font
        html = html.replace(f'"{SUBSET_FAMILY}"', f'"{FULL_FAMILY}"')
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config=config)


# --- per village --------------------------------------------------------------------------------------


def _village_context(doc):
    a = doc.assessment
    return {
        "doc": doc,
        "a": a,
        "reviewed": doc.is_reviewed,
        "review_grade": (doc.final_grade_name or doc.proposed_grade_name) if doc.is_reviewed else "",
    }


def application_form_pdf(doc):
    """《“清廉村居”建设申请表》 of one village."""
    ctx = _village_context(doc)
    ctx["claims"] = [b for b in doc.bonus if b.claimed is not None]
    ctx["signoffs"] = {s.side: s for s in doc.signoffs}
    return render_pdf("application.html", ctx)


def score_sheet_pdf(doc):
    """评分表 of one village: the standard's tree with self and review scores, bonus, vetoes, totals."""
    return render_pdf("score_sheet.html", _village_context(doc))


def demonstration_form_pdf(doc):
    """《“清廉村居”建设示范村申请表》 of one candidate; blank fields where nothing was entered yet."""
    ctx = _village_context(doc)
    a = doc.assessment
    decided = not doc.masked and a.city_decision
    ctx["city_demo"] = bool(decided and a.city_decision == Assessment.CityDecision.CONFIRMED)
    ctx["city_pass"] = bool(decided and not ctx["city_demo"] and doc.city_grade_name == "达标村")
    ctx["city_other"] = (
        doc.city_grade_name if decided and not ctx["city_demo"] and not ctx["city_pass"] else ""
    )
    ctx["city_reason"] = a.city_reason if decided else ""
    return render_pdf("demonstration.html", ctx)


# --- campaign-wide ------------------------------------------------------------------------------------


def _campaign_context(table):
    campaign = table.campaign
    place = campaign.township.name if campaign.township_id else campaign.region.name
    # the counts are of the grade the document states (the grade in force once the city decided)
    counts = Counter(r.grade for r in table.rows)
    summary = [(name, counts.get(code, 0)) for code, name in table.grades]
    ungraded = len(table.rows) - sum(n for _, n in summary)
    if ungraded:
        summary.append(("未定级", ungraded))
    return {
        "table": table,
        "place": place,
        "year": campaign.year,
        "generated": cn_date(timezone.localdate()),
        "summary": summary,
        "total": len(table.rows),
        "grade_names": dict(table.grades),
        "subject": "村（社区）" if campaign.level == campaign.Level.VILLAGE else "镇街",
        "basis": table.basis,
        "city_decided": table.city_decided,
    }


# Rows of the 定级名册 laid out per WeasyPrint document. WeasyPrint keeps every page's boxes until the PDF is
# written, so one document of a 1,000-village township took a worker's peak RSS from 168 to 337 MB; in
# documents of this many rows the peak no longer depends on the township (bench/city_package.py). A
# document's last page, part-filled, is not kept: its rows begin the next document, so every page of the
# joined roster but the last is full whatever the size.
ROSTER_ROWS_PER_DOCUMENT = 66


@dataclass(frozen=True)
class RosterSection:
    """A run of one grade's rows in one document: `start` rows of the grade came before it; `offset` is
    the place of its first row in the whole roster."""

    name: str
    count: int
    rows: list
    start: int = 0
    offset: int = 0


def roster_window(groups, begin, size):
    """[RosterSection] of the roster's rows begin … begin+size-1 (counted across grades, best first); a
    grade that began before `begin` continues (its numbering goes on, its heading says 续)."""
    sections, offset = [], 0
    end = begin + size
    for name, rows in groups:
        lo, hi = max(begin, offset), min(end, offset + len(rows))
        if lo < hi:
            sections.append(RosterSection(name, len(rows), rows[lo - offset : hi - offset], lo - offset, lo))
        offset += len(rows)
    return sections


def _first_row_on(page):
    """The roster index of the first row laid out on this page (None when the page holds none)."""
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        if getattr(box, "element_tag", None) == "tr" and element is not None and element.get("data-row"):
            return int(element.get("data-row"))
    return None


def grade_roster_pdf(table, *, rows_per_document=None):
    """定级名册: the campaign's subjects grouped by grade, best grade first. A long roster is laid out in
    documents of ROSTER_ROWS_PER_DOCUMENT rows, joined and numbered 第 N 页 共 M 页 afterwards; each
    document but the last drops its last page, whose rows begin the next one."""
    ctx = _campaign_context(table)
    groups = [(name, rows) for name, rows in table.by_grade() if rows]
    size = rows_per_document or ROSTER_ROWS_PER_DOCUMENT
    total = sum(len(rows) for _, rows in groups)
    if total <= size:
        sections = roster_window(groups, 0, size)
        return render_pdf("grade_roster.html", {**ctx, "sections": sections, "first": True, "last": True})
    parts, begin = [], 0
    while begin < total:
        last = begin + size >= total
        document = render_document(
            "grade_roster.html",
            {
                **ctx,
                "sections": roster_window(groups, begin, size),
                "first": begin == 0,
                "last": last,
                "unnumbered": True,
            },
        )
        carried = None if last or len(document.pages) < 2 else _first_row_on(document.pages[-1])
        if carried is None or carried <= begin:
            parts.append(document.write_pdf())
            begin += size
        else:
            parts.append(document.copy(document.pages[:-1]).write_pdf())
            begin = carried
        del document
    return join_numbered(
        parts, title=f"{ctx['place']}{ctx['year']}年度“清廉村居”定级名册", orientation="landscape"
    )


def join_numbered(parts, *, title, orientation):
    """One PDF of the documents `parts` (laid out without page numbers), each page stamped with the
    footer the forms carry (第 N 页 共 M 页, from a document of empty pages laid out the same way)."""
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    numbers = PdfReader(
        io.BytesIO(
            render_pdf(
                "_page_numbers.html",
                {"pages": range(len(writer.pages)), "title": title, "orientation": orientation},
            )
        )
    )
    if len(numbers.pages) != len(writer.pages):  # the footer document must match page for page
        raise RuntimeError(f"page numbers: {len(numbers.pages)} pages for {len(writer.pages)}")
    for page, number in zip(writer.pages, numbers.pages, strict=True):
        page.merge_page(number)
    writer.add_metadata({"/Title": title, "/Producer": "WeasyPrint, pypdf"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def ranking_pdf(table):
    """年度村居清廉指数排名: every subject ranked by total score, with its dimension scores."""
    return render_pdf("ranking.html", _campaign_context(table))


def village_record_pdf(record):
    """档案 summary of one village: every year's grades, scores, review changes, bonus, vetoes,
    rectifications and evidence index (reports.data.record)."""
    return render_pdf(
        "village_record.html",
        {"record": record, "village": record.village, "generated": cn_date(timezone.localdate())},
    )


def year_summary_pdf(document):
    """年度总结 as PDF: the same blocks as the .docx (reports.data.summary_text)."""
    return render_pdf("year_summary.html", {"document": document, "generated": cn_date(timezone.localdate())})
