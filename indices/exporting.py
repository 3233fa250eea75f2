"""A standard → an .xlsx in the layout the Excel importer reads (export → import gives the same tree)."""

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .formulas import formula_text
from .importing import ir_from_standard
from .importing.layout import (
    BONUS,
    GRADES,
    KIND_SHORT,
    META,
    META_ROWS,
    METHOD_SHORT,
    ROW_DIMENSION,
    ROW_INDICATOR,
    ROW_SUB,
    RULES,
    SUPERVISION,
    TREE,
    VETOES,
)
from .models import IndexStandard, Indicator

# Text a spreadsheet would read as a formula or a command (SECURITY.md XLS-2).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")


def _put(ws, row, column, value):
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        # Stored as a plain string with Excel's quote prefix: shown as typed, never evaluated, and
        # read back unchanged (no leading apostrophe ends up in the text).
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
        if "\n" in value:
            cell.alignment = WRAP
    else:
        cell.value = value
    return cell


def _yes_no(value):
    return "是" if value else "否"


def _lines(items):
    return "\n".join(items)


def _sheet(wb, sheet, rows, *, first=False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = sheet.title
    for i, column in enumerate(sheet.columns, 1):
        cell = _put(ws, 1, i, column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = column.width
    for r, values in enumerate(rows, 2):
        for i, value in enumerate(values, 1):
            if value is None or value == "":
                continue
            _put(ws, r, i, value)
    ws.freeze_panes = "A2"
    return ws


def _meta_rows(ir):
    level = IndexStandard.Level(ir.level).label if ir.level else ""
    status = IndexStandard.Status(ir.status).label if ir.status else ""
    effect = ir.veto_effect_text or IndexStandard.VetoEffect.FORCE_LOWEST.label
    values = {
        "code": ir.code,
        "name": ir.name,
        "level": level,
        "year": ir.year,
        "version": ir.version,
        "status": status,
        "total_base_score": ir.total_base_score,
        "score_precision": ir.score_precision,
        "scored_by": ir.scored_by,
        "bonus_total_cap": ir.bonus_total_cap,
        "supervision_deduction_cap": ir.supervision_deduction_cap,
        "veto_lookback": ir.veto_lookback,
        "veto_effect_text": effect,
        "notes": ir.notes,
    }
    return [(label, values[name]) for name, label, _ in META_ROWS]


def _indicator_row(kind, ind, parent_code):
    scored_by = Indicator.ScoredBy(ind.scored_by).label if ind.scored_by else ""
    return (
        kind,
        ind.code,
        ind.name,
        parent_code,
        ind.max_score,
        METHOD_SHORT.get(ind.scoring_method, ""),
        scored_by,
        ind.guidance,
        _lines(ind.evidence),
        _lines(ind.assessment_methods),
        _yes_no(ind.computed),
        ind.linked_to,
        ind.source,
        formula_text(ind.formula),
    )


def _tree_rows(ir):
    rows, rules = [], []
    for dim in ir.dimensions:
        rows.append((ROW_DIMENSION, dim.code, dim.name, "", dim.max_score, "", "", dim.description))
        for ind in dim.indicators:
            rows.append(_indicator_row(ROW_INDICATOR, ind, dim.code))
            rules += [(ind.code, r) for r in ind.rules]
            for child in ind.children:
                rows.append(_indicator_row(ROW_SUB, child, ind.code))
                rules += [(child.code, r) for r in child.rules]
    rule_rows = [(code, KIND_SHORT[r.kind], r.text, r.points, r.per) for code, r in rules]
    return rows, rule_rows


def workbook_for(ir):
    wb = Workbook()
    _sheet(wb, META, _meta_rows(ir), first=True)
    tree, rules = _tree_rows(ir)
    _sheet(wb, TREE, tree)
    _sheet(wb, RULES, rules)
    _sheet(
        wb,
        BONUS,
        [(b.code, b.name, b.rule, b.per_item_cap, _lines(b.evidence), b.note) for b in ir.bonus_items],
    )
    _sheet(
        wb,
        SUPERVISION,
        [(s.code, s.condition, s.points, s.per, s.multiplier, s.note) for s in ir.supervision_items],
    )
    _sheet(wb, VETOES, [(v.code, v.description, v.source) for v in ir.vetoes])
    _sheet(
        wb,
        GRADES,
        [
            (
                g.code,
                g.name,
                g.min_score,
                _yes_no(g.counts_as_qinglian),
                _yes_no(g.requires_no_veto),
                g.min_dimension_ratio,
                _lines(g.extra_conditions),
                g.final_decision_by,
            )
            for g in ir.grades
        ],
    )
    return wb


def standard_export_xlsx(standard):
    """The workbook bytes of a standard (prefetch with importing.tree_prefetches() to keep it cheap)."""
    buffer = io.BytesIO()
    workbook_for(ir_from_standard(standard)).save(buffer)
    return buffer.getvalue()


def export_filename(standard):
    """(ASCII fallback, full Chinese name) for the download."""
    full = f"{standard.name}-{standard.year}-{standard.version}.xlsx"
    full = re.sub(r'[\\/:*?"<>|\r\n\t]+', "_", full)
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{standard.code}-{standard.year}-{standard.version}")
    return f"{ascii_name.strip('_') or 'standard'}.xlsx", full
