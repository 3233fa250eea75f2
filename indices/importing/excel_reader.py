"""Excel workbook (the layout in layout.py, as the exporter writes it) → StandardIR, with every problem."""

import io
import zipfile

from openpyxl.utils import get_column_letter

from common.uploads import UploadError, check_ooxml
from common.xlsx import DECLARED_COLUMNS_LIMIT

from .ir import BonusIR, DimensionIR, GradeIR, IndicatorIR, Loc, RuleIR, StandardIR, SupervisionIR, VetoIR
from .layout import (
    BONUS,
    DEFAULT_SCORED_BY,
    GRADES,
    LEVELS,
    MAX_LEN,
    META,
    META_ROWS,
    METHOD_RULE,
    ROW_DIMENSION,
    ROW_INDICATOR,
    ROW_SUB,
    RULE_KINDS,
    RULES,
    SHEETS,
    STATUSES,
    SUPERVISION,
    TREE,
    VETOES,
)
from .values import RATIO_PLACES, Collector, is_blank, read_indicator_fields

MAX_ZIP_ENTRIES = 500
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 40
BOOK = "工作簿"


def _sheet_label(title):
    return f"工作表“{title}”"


def _check_zip(data, col):
    """Refuse what is not an xlsx before openpyxl unpacks it: not a zip, corrupt, macros, zip bombs."""
    if not data.startswith(b"PK"):
        col.add("文件", "不是有效的 Excel（.xlsx）文件")
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
                col.add("文件", "工作簿解压后过大，已拒绝")
                return False
            if "xl/vbaProject.bin" in names:
                col.add("文件", "不接受含宏的工作簿（.xlsm），请另存为 .xlsx")
                return False
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                col.add("文件", "不是有效的 Excel（.xlsx）文件")
                return False
            if zf.testzip() is not None:
                col.add("文件", "Excel 文件已损坏")
                return False
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        col.add("文件", "Excel 文件已损坏或不是 .xlsx 文件")
        return False
    # The upload checks every other upload passes (common.uploads.check_ooxml): XML parts through
    # defusedxml, no external relationships, zip-slip, symlinks, encrypted entries or actual-size bombs.
    try:
        kind = check_ooxml(data)
    except UploadError as exc:
        col.add("文件", exc.message)
        return False
    if kind != "xlsx":
        col.add("文件", "不是有效的 Excel（.xlsx）文件")
        return False
    return True


def _open_workbook(data, col):
    from openpyxl import load_workbook

    if not _check_zip(data, col):
        return None
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on broken parts
        col.add("文件", "无法读取 Excel 文件，文件可能已损坏")
        return None


def _rows(ws, sheet, col):
    """The data rows of a sheet as (Loc, {field: value}); None if its header row is unusable."""
    label = _sheet_label(sheet.title)
    # A sheet declaring thousands of columns is refused before any cell is read; one that hides them
    # (no dimension) is refused at its first row holding anything that far right.
    declared = ws.max_column
    if isinstance(declared, int) and declared > DECLARED_COLUMNS_LIMIT:
        col.add(label, f"列数过多（超过 {MAX_COLUMNS} 列）")
        return None
    iterator = ws.iter_rows(values_only=True)
    header = next(iterator, None)
    if header is None:
        col.add(label, "工作表为空，缺少表头")
        return None
    if len(header) > MAX_COLUMNS:
        col.add(label, f"列数过多（超过 {MAX_COLUMNS} 列）")
        return None
    known = sheet.headers
    positions = {}
    for idx, cell in enumerate(header):
        if is_blank(cell):
            continue
        text = str(cell).strip()
        column = known.get(text)
        if column is None:
            col.add(f"{label}第 1 行", f"未知的列“{text}”")
        elif column.name in positions:
            col.add(f"{label}第 1 行", f"列“{text}”重复")
        else:
            positions[column.name] = idx
    missing = [c.header for c in sheet.columns if c.required and c.name not in positions]
    if missing:
        col.add(f"{label}第 1 行", "缺少表头列：" + "、".join(f"“{h}”" for h in missing))
        return None
    rows, used = [], set(positions.values())
    for number, values in enumerate(iterator, 2):
        if number > MAX_ROWS + 1:
            col.add(label, f"行数过多（超过 {MAX_ROWS} 行）")
            break
        if len(values) > MAX_COLUMNS and not all(is_blank(v) for v in values[MAX_COLUMNS:]):
            col.add(label, f"列数过多（超过 {MAX_COLUMNS} 列）")
            return None
        data = {name: (values[i] if i < len(values) else None) for name, i in positions.items()}
        stray = [
            get_column_letter(i + 1)
            for i, v in enumerate(values)
            if i not in used and (i >= len(header) or is_blank(header[i])) and not is_blank(v)
        ]
        if stray:
            col.add(
                f"{label}第 {number} 行",
                f"表头之外的列（{'、'.join(stray)} 列）有内容，这些内容不会被导入，请删除或移到对应的列",
            )
        if all(is_blank(v) for v in data.values()):
            continue
        rows.append((Loc(f"{label}第 {number} 行", columns=sheet.by_name), data))
    return rows


class _ExcelReader:
    def __init__(self, col):
        self.col = col

    def read(self, wb):
        col = self.col
        ir = StandardIR()
        titles = set(wb.sheetnames)
        for sheet in SHEETS:
            if sheet.title not in titles:
                col.add(BOOK, f"缺少工作表“{sheet.title}”")
        rows = {s.title: (_rows(wb[s.title], s, col) if s.title in titles else None) for s in SHEETS}
        self.meta(ir, rows[META.title])
        self.tree(ir, rows[TREE.title])
        self.rules(ir, rows[RULES.title])
        for loc, data in rows[BONUS.title] or []:
            ir.bonus_items.append(self.bonus(loc, data))
        for loc, data in rows[SUPERVISION.title] or []:
            ir.supervision_items.append(self.supervision(loc, data))
        for loc, data in rows[VETOES.title] or []:
            ir.vetoes.append(self.veto(loc, data))
        for loc, data in rows[GRADES.title] or []:
            ir.grades.append(self.grade(loc, data))
        return ir

    def meta(self, ir, rows):
        col = self.col
        label = _sheet_label(META.title)
        labels = {lab: name for name, lab, _ in META_ROWS}
        places = {name: f"{label}“{lab}”" for name, lab, _ in META_ROWS}
        values = {}
        for loc, data in rows or []:
            key = "" if is_blank(data.get("key")) else str(data["key"]).strip()
            name = labels.get(key)
            if name is None:
                col.add(loc.at("key"), f"未知的项目“{key}”")
                continue
            if name in values:
                col.add(loc.at("key"), f"项目“{key}”重复")
                continue
            values[name] = data.get("value")
            places[name] = loc.at("value")
        ir.loc = loc = Loc(label, field_places=places)
        if rows is None:
            return
        ir.code = col.text(
            values.get("code"), loc, "code", required=True, max_length=MAX_LEN["standard.code"]
        )
        ir.name = col.text(
            values.get("name"), loc, "name", required=True, max_length=MAX_LEN["standard.name"]
        )
        ir.level = col.choice(values.get("level"), loc, "level", LEVELS, what="层级")
        ir.year = col.integer(values.get("year"), loc, "year")
        ir.version = col.text(
            values.get("version"), loc, "version", required=True, max_length=MAX_LEN["standard.version"]
        )
        ir.status = col.choice(
            values.get("status"), loc, "status", STATUSES, what="状态", required=False, default="draft"
        )
        ir.total_base_score = col.decimal(
            values.get("total_base_score"), loc, "total_base_score", required=True
        )
        ir.score_precision = col.decimal(
            values.get("score_precision"), loc, "score_precision", default=ir.score_precision
        )
        ir.scored_by = col.text(
            values.get("scored_by"), loc, "scored_by", max_length=MAX_LEN["standard.scored_by"]
        )
        ir.bonus_total_cap = col.decimal(
            values.get("bonus_total_cap"), loc, "bonus_total_cap", default=ir.bonus_total_cap
        )
        ir.supervision_deduction_cap = col.decimal(
            values.get("supervision_deduction_cap"),
            loc,
            "supervision_deduction_cap",
            default=ir.supervision_deduction_cap,
        )
        ir.veto_lookback = col.text(
            values.get("veto_lookback"), loc, "veto_lookback", max_length=MAX_LEN["standard.veto_lookback"]
        )
        ir.veto_effect_text = col.text(
            values.get("veto_effect_text"),
            loc,
            "veto_effect_text",
            max_length=MAX_LEN["standard.veto_effect_text"],
        )
        ir.notes = col.text(values.get("notes"), loc, "notes")
        ir.bonus_loc = Loc(_sheet_label(BONUS.title), field_places={"total_cap": places["bonus_total_cap"]})
        ir.supervision_loc = Loc(
            _sheet_label(SUPERVISION.title), field_places={"total_cap": places["supervision_deduction_cap"]}
        )
        ir.vetoes_loc = Loc(
            _sheet_label(VETOES.title),
            field_places={"effect": places["veto_effect_text"], "lookback": places["veto_lookback"]},
        )
        ir.grades_loc = Loc(_sheet_label(GRADES.title))
        ir.dimensions_loc = Loc(_sheet_label(TREE.title))

    def tree(self, ir, rows):
        col = self.col
        dims, inds = {}, {}
        current_dim = current_ind = None
        for loc, data in rows or []:
            kind = "" if is_blank(data.get("kind")) else str(data["kind"]).strip()
            parent = "" if is_blank(data.get("parent")) else str(data["parent"]).strip()
            if kind == ROW_DIMENSION:
                d = DimensionIR(loc=loc)
                d.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
                d.name = col.text(
                    data.get("name"), loc, "name", required=True, max_length=MAX_LEN["dimension.name"]
                )
                d.max_score = col.decimal(data.get("max_score"), loc, "max_score", required=True)
                d.description = col.text(data.get("guidance"), loc, "guidance")
                for name in (
                    "parent",
                    "scoring_method",
                    "scored_by",
                    "evidence",
                    "assessment_methods",
                    "computed",
                    "formula",
                ):
                    if not is_blank(data.get(name)):
                        col.add(loc.at(name), "维度行不填写此列")
                ir.dimensions.append(d)
                dims.setdefault(d.code, d)
                current_dim, current_ind = d, None
            elif kind == ROW_INDICATOR:
                dim = dims.get(parent) if parent else current_dim
                if dim is None:
                    msg = f"上级编码“{parent}”不是此前列出的维度" if parent else "指标行之前没有维度行"
                    col.add(loc.at("parent"), msg)
                ind = self.indicator(loc, data, DEFAULT_SCORED_BY)
                if dim is not None:
                    dim.indicators.append(ind)
                inds.setdefault(ind.code, ind)
                current_ind = ind
                if dim is not None:
                    current_dim = dim
            elif kind == ROW_SUB:
                owner = inds.get(parent) if parent else current_ind
                if owner is None:
                    msg = f"上级编码“{parent}”不是此前列出的指标" if parent else "子项行之前没有指标行"
                    col.add(loc.at("parent"), msg)
                elif any(owner is child for i in inds.values() for child in i.children):
                    col.add(loc.at("parent"), "子项下不能再设子项（标准最多两级：指标 → 子项）")
                    owner = None
                ind = self.indicator(loc, data, (owner.scored_by if owner else "") or DEFAULT_SCORED_BY)
                if owner is not None:
                    owner.children.append(ind)
                inds.setdefault(ind.code, ind)
            else:
                col.add(
                    loc.at("kind"), f"类型应为“{ROW_DIMENSION}”“{ROW_INDICATOR}”或“{ROW_SUB}”，实际为“{kind}”"
                )
        self.indicators_by_code = inds

    def indicator(self, loc, data, scored_by):
        col = self.col
        ind = IndicatorIR(loc=loc)
        return read_indicator_fields(col, ind, data, loc, scored_by)

    def rules(self, ir, rows):
        col = self.col
        inds = getattr(self, "indicators_by_code", {})
        for loc, data in rows or []:
            code = "" if is_blank(data.get("indicator")) else str(data["indicator"]).strip()
            ind = inds.get(code)
            if ind is None:
                msg = f"指标编码“{code}”在工作表“{TREE.title}”中不存在" if code else "缺少必填项"
                col.add(loc.at("indicator"), msg)
            kind = col.choice(data.get("kind"), loc, "kind", RULE_KINDS, what="规则类型", required=False)
            if kind == "" and ind is not None and ind.scoring_method in METHOD_RULE:
                kind = METHOD_RULE[ind.scoring_method][0].value
            rule = RuleIR(kind=kind or None, loc=loc)
            rule.text = col.text(
                data.get("text"), loc, "text", required=True, max_length=MAX_LEN["rule.text"]
            )
            rule.points = col.decimal(data.get("points"), loc, "points", required=True)
            rule.per = col.text(data.get("per"), loc, "per", max_length=MAX_LEN["rule.per"])
            if ind is not None:
                ind.rules.append(rule)

    def bonus(self, loc, data):
        col = self.col
        b = BonusIR(loc=loc)
        b.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        b.name = col.text(data.get("name"), loc, "name", required=True, max_length=MAX_LEN["bonus.name"])
        b.rule = col.text(data.get("rule"), loc, "rule")
        b.per_item_cap = col.decimal(data.get("per_item_cap"), loc, "per_item_cap", required=True)
        b.evidence = col.text_list(data.get("evidence"), loc, "evidence")
        b.note = col.text(data.get("note"), loc, "note")
        return b

    def supervision(self, loc, data):
        col = self.col
        s = SupervisionIR(loc=loc)
        s.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        s.condition = col.text(
            data.get("condition"),
            loc,
            "condition",
            required=True,
            max_length=MAX_LEN["supervision.condition"],
        )
        s.points = col.decimal(data.get("points"), loc, "points")
        s.per = col.text(data.get("per"), loc, "per", max_length=MAX_LEN["supervision.per"])
        s.multiplier = col.decimal(data.get("multiplier"), loc, "multiplier")
        s.note = col.text(data.get("note"), loc, "note")
        return s

    def veto(self, loc, data):
        col = self.col
        v = VetoIR(loc=loc)
        v.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        v.description = col.text(
            data.get("description"), loc, "description", required=True, max_length=MAX_LEN["veto.description"]
        )
        v.source = col.text(data.get("source"), loc, "source", max_length=MAX_LEN["veto.source"])
        return v

    def grade(self, loc, data):
        col = self.col
        g = GradeIR(loc=loc)
        g.code = col.text(data.get("code"), loc, "code", required=True, max_length=MAX_LEN["code"])
        g.name = col.text(data.get("name"), loc, "name", required=True, max_length=MAX_LEN["grade.name"])
        g.min_score = col.decimal(data.get("min_score"), loc, "min_score", required=True)
        g.counts_as_qinglian = col.boolean(
            data.get("counts_as_qinglian"), loc, "counts_as_qinglian", default=True
        )
        g.requires_no_veto = col.boolean(data.get("requires_no_veto"), loc, "requires_no_veto", default=None)
        g.min_dimension_ratio = col.decimal(
            data.get("min_dimension_ratio"), loc, "min_dimension_ratio", places=RATIO_PLACES
        )
        g.extra_conditions = col.text_list(
            data.get("extra_conditions"), loc, "extra_conditions", max_length=300
        )
        g.final_decision_by = col.text(
            data.get("final_decision_by"),
            loc,
            "final_decision_by",
            max_length=MAX_LEN["grade.final_decision_by"],
        )
        return g


def read_xlsx(data):
    """Bytes of a workbook → (StandardIR or None, problems)."""
    col = Collector()
    wb = _open_workbook(data, col)
    if wb is None:
        return None, col.problems
    try:
        ir = _ExcelReader(col).read(wb)
    finally:
        wb.close()
    return ir, col.problems
