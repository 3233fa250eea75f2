"""Reading and checking a township's organisation workbook. Nothing here writes to the database.

`parse_org_workbook` turns the bytes into typed rows and collects every row-level problem;
`resolve_references` adds the problems that need the township's existing branches, villages and units.
The service (`services.org_import_excel`) writes only when both return no problem.
"""

import re
from dataclasses import dataclass, field

from common.text import check_text, name_key
from common.xlsx import (
    Problem,
    TooManyRows,
    WorkbookRefused,
    extra_columns,
    extra_columns_message,
    open_workbook,
    sheet_rows,
)

from .models import PartyBranch, ResponsibleUnit, Village, WorkingGroupMember
from .workbook import (
    ALL_VILLAGES,
    HEADERS,
    NO,
    REQUIRED_SHEETS,
    SHEET_BRANCHES,
    SHEET_GROUP,
    SHEET_UNITS,
    SHEET_VILLAGES,
    YES,
    normalise_label,
)

MAX_ROWS = 5000
MAX_COLS = 40
MAX_LIST_CELL = 20_000  # 监管村（社区）: every village of a large township, separated
# 、 and line breaks always separate; commas and semicolons separate only where the text between them
# is not itself a village name (so a village called “甲,乙” exported by the admin still round-trips).
PRIMARY_SEPARATORS = re.compile(r"[、\n\r]+")
SECONDARY_SEPARATORS = re.compile(r"[,，;；]+")
PHONE_RE = re.compile(r"^[0-9+\-()（） 转]+$")

VILLAGE_KINDS = {label: value for value, label in Village.Kind.choices}
GROUP_ROLES = {label: value for value, label in WorkingGroupMember.GroupRole.choices}


def _max_length(model, name):
    return model._meta.get_field(name).max_length


@dataclass
class BranchRow:
    row: int
    name: str
    sort_order: int | None


@dataclass
class VillageRow:
    row: int
    name: str
    kind: str
    code: str
    branch: str
    sort_order: int | None
    is_active: bool


@dataclass
class UnitRow:
    row: int
    name: str
    leader_name: str
    contact_name: str
    phone: str
    villages: list  # names, or [ALL_VILLAGES]
    areas: list


@dataclass
class MemberRow:
    row: int
    name: str
    position: str
    group_role: str
    unit: str


@dataclass
class ParsedOrg:
    """The workbook's rows per sheet; a sheet absent from the file is None (left untouched)."""

    branches: list | None = None
    villages: list | None = None
    units: list | None = None
    members: list | None = None
    problems: list = field(default_factory=list)
    # every name a sheet mentions, including rows with other problems, so that a bad 类型 in one
    # row does not also produce "unknown village" wherever that village is referenced
    names: dict = field(default_factory=dict)


class _RowReader:
    """Typed access to one row's cells, recording a Problem for every bad value."""

    def __init__(self, sheet, number, values, columns, problems):
        self.sheet, self.number, self.values, self.columns = sheet, number, values, columns
        self.problems = problems
        self.ok = True

    def fail(self, key, message):
        self.ok = False
        self.problems.append(Problem(self.sheet, self.number, HEADERS[self.sheet][key], message))

    def raw(self, key):
        index = self.columns[key]
        return self.values[index] if index < len(self.values) else None

    def text(self, key, *, max_length, required=False, multiline=False, name=False):
        """The cell cleaned by common.text (NFKC, no format/control characters, stripped, bounded);
        `multiline` cells (lists of names) may hold line breaks and are bounded per item by the caller."""
        value = self.raw(key)
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = YES if value else NO
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        text, reason = check_text(
            text,
            max_length=None if multiline else max_length,
            multiline=multiline,
            name=name and not multiline,
        )
        if reason:
            self.fail(key, reason)
        elif required and not text:
            self.fail(key, "不能为空。")
        return text

    def sort_order(self, key="sort_order"):
        value = self.raw(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            value = None
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or value < 0 or value > 2_147_483_647:
            self.fail(key, f"须为非负整数，而不是“{self.raw(key)}”。")
            return None
        return value

    def choice(self, key, choices, *, default=None):
        text = self.text(key, max_length=10_000)
        if not text and default is not None:
            return default
        if text not in choices:
            allowed = "”或“".join(choices)
            self.fail(key, f"须为“{allowed}”，而不是“{text}”。" if text else f"不能为空，须为“{allowed}”。")
            return None
        return choices[text]

    def names(self, key, *, max_length):
        """The cell's list of names, each cleaned as a name; the whole cell bounded by MAX_LIST_CELL."""
        items, before = [], len(self.problems)
        cell = self.text(key, max_length=max_length, multiline=True)
        if len(self.problems) > before:
            return items
        if len(cell) > MAX_LIST_CELL:
            self.fail(key, f"长度不能超过 {MAX_LIST_CELL} 个字（现有 {len(cell)} 个）。")
            return items
        for item in PRIMARY_SEPARATORS.split(cell):
            item, reason = check_text(item, max_length=None, name=True)
            if reason:
                self.fail(key, reason)
            elif item and item not in items:
                items.append(item)
        return items


def _parse_branches(reader):
    name = reader.text("name", max_length=_max_length(PartyBranch, "name"), required=True, name=True)
    return BranchRow(reader.number, name, reader.sort_order())


def _parse_villages(reader):
    name = reader.text("name", max_length=_max_length(Village, "name"), required=True, name=True)
    if name == ALL_VILLAGES:
        reader.fail("name", f"“{ALL_VILLAGES}”是保留词，不能作为村（社区）名称。")
    elif "、" in name:
        reader.fail("name", "名称不能包含分隔符“、”。")
    kind = reader.choice("kind", VILLAGE_KINDS)
    code = reader.text("code", max_length=_max_length(Village, "code"))
    branch = reader.text("branch", max_length=_max_length(PartyBranch, "name"), name=True)
    sort_order = reader.sort_order()
    is_active = reader.choice("is_active", {YES: True, NO: False}, default=True)
    return VillageRow(reader.number, name, kind, code, branch, sort_order, is_active)


def _parse_units(reader):
    name = reader.text("name", max_length=_max_length(ResponsibleUnit, "name"), required=True, name=True)
    leader = reader.text("leader_name", max_length=_max_length(ResponsibleUnit, "leader_name"))
    contact = reader.text("contact_name", max_length=_max_length(ResponsibleUnit, "contact_name"))
    before = len(reader.problems)
    phone = reader.text("phone", max_length=_max_length(ResponsibleUnit, "phone"))
    if phone and len(reader.problems) == before and not PHONE_RE.match(phone):
        reader.fail("phone", f"联系电话“{phone}”含有无效字符：只能包含数字、空格、“-”“+”“()”和“转”。")
    villages = reader.names("villages", max_length=0)  # split further by resolve_references
    if ALL_VILLAGES in villages and len(villages) > 1:
        reader.fail("villages", f"填了“{ALL_VILLAGES}”就不能再列出具体的村（社区）。")
    areas = reader.names("areas", max_length=0)
    for area in areas:
        if len(area) > 50:
            reader.fail("areas", f"监管领域“{area[:20]}…”超过 50 个字。")
    return UnitRow(reader.number, name, leader, contact, phone, villages, areas)


def _parse_members(reader):
    name = reader.text("name", max_length=_max_length(WorkingGroupMember, "name"), required=True, name=True)
    position = reader.text("position", max_length=_max_length(WorkingGroupMember, "position"))
    group_role = reader.choice("group_role", GROUP_ROLES, default=WorkingGroupMember.GroupRole.MEMBER)
    unit = reader.text("unit", max_length=_max_length(ResponsibleUnit, "name"), name=True)
    return MemberRow(reader.number, name, position, group_role, unit)


PARSERS = {
    SHEET_BRANCHES: ("branches", _parse_branches),
    SHEET_VILLAGES: ("villages", _parse_villages),
    SHEET_UNITS: ("units", _parse_units),
    SHEET_GROUP: ("members", _parse_members),
}


def _columns(sheet, header, problems, rows=()):
    """Header → column index, or None after recording which headers are missing or repeated, and which
    columns hold something the template does not have (reported, so nothing typed there is lost
    silently)."""
    wanted = {normalise_label(label): key for key, label in HEADERS[sheet].items()}
    columns, ok = {}, True
    for index, cell in enumerate(header):
        key = wanted.get(normalise_label(cell))
        if key is None:
            continue  # reported below when the column holds anything
        if key in columns:
            problems.append(Problem(sheet, 1, HEADERS[sheet][key], f"表头“{HEADERS[sheet][key]}”重复出现。"))
            ok = False
        columns[key] = index
    for key, label in HEADERS[sheet].items():
        if key not in columns:
            problems.append(Problem(sheet, 1, label, f"缺少表头“{label}”（应在第 1 行）。"))
            ok = False
    extra = extra_columns(header, set(columns.values()), rows) if ok else []
    if extra:
        problems.append(Problem(sheet, 1, "", extra_columns_message(extra)))
        ok = False
    return columns if ok else None


def _no_duplicates(sheet, rows, attr, label, problems, *, skip_blank=False):
    seen = {}
    for row in rows:
        value = getattr(row, attr)
        if skip_blank and not value:
            continue
        if value in seen:
            problems.append(Problem(sheet, row.row, label, f"“{value}”与第 {seen[value]} 行重复。"))
        else:
            seen[value] = row.row


def parse_org_workbook(data):
    """ParsedOrg with every row-level problem; raises WorkbookRefused when the file cannot be read."""
    workbook = open_workbook(data)
    try:
        by_label = {normalise_label(name): name for name in workbook.sheetnames}
        fatal, parsed = [], ParsedOrg()
        for sheet in REQUIRED_SHEETS:
            if normalise_label(sheet) not in by_label:
                fatal.append(Problem(sheet, None, "", f"缺少工作表“{sheet}”。"))
        raw = {}
        for sheet in PARSERS:
            actual = by_label.get(normalise_label(sheet))
            if actual is None:
                continue
            try:
                header, rows = sheet_rows(workbook[actual], max_rows=MAX_ROWS, max_cols=MAX_COLS)
            except TooManyRows:
                fatal.append(Problem(sheet, None, "", f"数据行超过 {MAX_ROWS} 行，请拆分后导入。"))
                continue
            columns = _columns(sheet, header, fatal, rows)
            if columns is not None:
                raw[sheet] = (columns, rows)
    finally:
        workbook.close()
    if fatal:
        raise WorkbookRefused(fatal)
    for sheet, (columns, rows) in raw.items():
        attr, parse = PARSERS[sheet]
        parsed_rows, names = [], set()
        for number, values in rows:
            reader = _RowReader(sheet, number, values, columns, parsed.problems)
            item = parse(reader)
            names.add(item.name)
            if reader.ok:
                parsed_rows.append(item)
        setattr(parsed, attr, parsed_rows)
        parsed.names[sheet] = names
    _no_duplicates(SHEET_BRANCHES, parsed.branches or [], "name", "党总支名称", parsed.problems)
    _no_duplicates(SHEET_VILLAGES, parsed.villages or [], "name", "村（社区）名称", parsed.problems)
    _no_duplicates(SHEET_VILLAGES, parsed.villages or [], "code", "编码", parsed.problems, skip_blank=True)
    _no_duplicates(SHEET_UNITS, parsed.units or [], "name", "单位名称", parsed.problems)
    _no_duplicates(SHEET_GROUP, parsed.members or [], "name", "姓名", parsed.problems)
    return parsed


@dataclass
class Existing:
    """Names already in the township, read inside the import's transaction."""

    branches: set
    villages: set
    units: set


def existing_names(township):
    return Existing(
        branches=set(PartyBranch.objects.filter(township=township).values_list("name", flat=True)),
        villages=set(Village.objects.filter(township=township).values_list("name", flat=True)),
        units=set(ResponsibleUnit.objects.filter(township=township).values_list("name", flat=True)),
    )


def _split_villages(pieces, known):
    names = []
    for piece in pieces:
        parts = [piece] if piece in known else [p.strip() for p in SECONDARY_SEPARATORS.split(piece)]
        names.extend(p for p in parts if p and p not in names)
    return names


def _spellings(names):
    """cleaned form → the stored spelling, for names stored before names were cleaned at the door."""
    return {name_key(n): n for n in names if name_key(n) != n}


def _adopt(name, spellings):
    return spellings.get(name, name)


def adopt_existing_spellings(parsed, existing):
    """A row naming a branch, village or unit the township already holds under an older spelling
    (ASCII parentheses, doubled spaces: stored before names were cleaned) means that one, not a new
    look-alike: the row takes the stored spelling, so an export of such data imports as a no-op."""
    branches, villages, units = (
        _spellings(existing.branches),
        _spellings(existing.villages),
        _spellings(existing.units),
    )
    for row in parsed.branches or []:
        row.name = _adopt(row.name, branches)
    for row in parsed.villages or []:
        row.name, row.branch = _adopt(row.name, villages), _adopt(row.branch, branches)
    for row in parsed.units or []:
        row.name = _adopt(row.name, units)
    for row in parsed.members or []:
        row.unit = _adopt(row.unit, units)
    for sheet, spellings in ((SHEET_BRANCHES, branches), (SHEET_VILLAGES, villages), (SHEET_UNITS, units)):
        if sheet in parsed.names:
            parsed.names[sheet] = {_adopt(n, spellings) for n in parsed.names[sheet]}
    return villages


def resolve_references(parsed, existing):
    """Problems where a row names a branch, village or unit neither in the file nor in the township.

    Also finishes splitting each unit's 监管村（社区） list, which needs the known village names, and
    gives every name the township's stored spelling where only the spelling differs.
    """
    village_spellings = adopt_existing_spellings(parsed, existing)
    problems = []
    branches = parsed.names.get(SHEET_BRANCHES, set()) | existing.branches
    villages = parsed.names.get(SHEET_VILLAGES, set()) | existing.villages
    units = parsed.names.get(SHEET_UNITS, set()) | existing.units
    for row in parsed.villages or []:
        if row.branch and row.branch not in branches:
            problems.append(
                Problem(
                    SHEET_VILLAGES,
                    row.row,
                    HEADERS[SHEET_VILLAGES]["branch"],
                    f"党总支“{row.branch}”不在“{SHEET_BRANCHES}”工作表中，本镇街也没有该党总支。",
                )
            )
    for row in parsed.units or []:
        if row.villages != [ALL_VILLAGES]:
            pieces = _split_villages(row.villages, villages | set(village_spellings))
            row.villages = [_adopt(n, village_spellings) for n in pieces]
            if ALL_VILLAGES in row.villages:
                problems.append(
                    Problem(
                        SHEET_UNITS,
                        row.row,
                        HEADERS[SHEET_UNITS]["villages"],
                        f"填了“{ALL_VILLAGES}”就不能再列出具体的村（社区）。",
                    )
                )
                continue
        for name in row.villages:
            if name != ALL_VILLAGES and name not in villages:
                problems.append(
                    Problem(
                        SHEET_UNITS,
                        row.row,
                        HEADERS[SHEET_UNITS]["villages"],
                        f"村（社区）“{name}”不在“{SHEET_VILLAGES}”工作表中，本镇街也没有该村（社区）。",
                    )
                )
    for row in parsed.members or []:
        if row.unit and row.unit not in units:
            problems.append(
                Problem(
                    SHEET_GROUP,
                    row.row,
                    HEADERS[SHEET_GROUP]["unit"],
                    f"单位“{row.unit}”不在“{SHEET_UNITS}”工作表中，本镇街也没有该责任单位。",
                )
            )
    return problems


def sort_problems(problems):
    order = {sheet: i for i, sheet in enumerate(("", *PARSERS))}
    return sorted(problems, key=lambda p: (order.get(p.sheet, 99), p.row or 0))
