"""Word (.docx) formatter of the 年度总结 (python-docx): townships edit their reports in WPS or Word and
send them on, so the summary is a plain editable document with real headings and tables, not a PDF.
The content comes from reports.data.summary_text; this module only lays it out."""

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from .data.summary_text import Subheading, Table

# 公文 fonts as WPS and Word on Chinese systems have them: 仿宋 for the text, 黑体 for headings
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"


def _font(run, name, size, *, bold=False):
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = RGBColor(0, 0, 0)  # the default template's headings are blue; 公文 are black
    # East-Asian text takes the eastAsia font, not the ascii one
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _heading(doc, text, level, size):
    p = doc.add_heading("", level=level)
    _font(p.add_run(text), HEADING_FONT, size)
    return p


def _table(doc, table):
    t = doc.add_table(rows=1, cols=len(table.headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(t.rows[0].cells, table.headers, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), BODY_FONT, 12, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in table.rows:
        cells = t.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, 12)
            if i:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    return t


def year_summary_docx(document, out):
    """Write SummaryDocument `document` as .docx to the binary file `out`."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    doc.core_properties.title = document.title
    title = doc.add_heading("", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(document.title), TITLE_FONT, 22)
    for section in document.sections:
        _heading(doc, section.heading, 1, 16)
        for block in section.blocks:
            if isinstance(block, Table):
                _table(doc, block)
            elif isinstance(block, Subheading):
                _heading(doc, block.sub, 2, 16)
            else:
                p = doc.add_paragraph()
                p.paragraph_format.first_line_indent = Pt(32)
                _font(p.add_run(block), BODY_FONT, 16)
    doc.save(out)
