"""The user sheet: its columns, reading the rows and checking them against the township, the existing
accounts and the actor's privilege. Nothing here writes."""

import re
from dataclasses import dataclass, field

from django.db.models import Q

from access.grants import TOWNSHIP_GRANTABLE, grant_refusal
from access.roles import ROLE_NODE, Role
from access.scope import scope_for
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
from villages.models import PartyBranch, ResponsibleUnit, Village

from ..models import Membership, User

IMPORT_ACTION = "user.import"
SHEET = "用户"
SHEET_HELP = "说明"
SHEET_LISTS = "选项"
MAX_ROWS = 5000
MAX_COLS = 20
HEADERS = {
    "name": "姓名",
    "phone": "手机号",
    "login": "登录名（可选）",
    "role": "角色",
    "node": "所属村（社区）/党总支/责任单位",
}
PHONE_RE = re.compile(r"^1[0-9]{10}$")
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.@+-]+$")
# Every role label is recognised, so a city or administrator role gets grant_refusal's own sentence.
ROLE_BY_LABEL = {Role(value).label: Role(value) for value in Role.values}
GRANTABLE_LABELS = [Role(value).label for value in Role.values if value in TOWNSHIP_GRANTABLE]
NODE_WORDS = {"village": "村（社区）", "branch": "党总支", "unit": "责任单位", "township": "镇街"}


# One-time passwords: 12 characters from an alphabet without look-alikes (0/O, 1/l/I), in three groups.
def normalise_label(value):
    return re.sub(r"\s+", "", str(value or "")).replace("(", "（").replace(")", "）")


def township_nodes(township):
    """{kind: {name: node}} of the township (villages, branches, units), each node's township cached."""
    nodes = {"township": {township.name: township}}
    for kind, model in (("village", Village), ("branch", PartyBranch), ("unit", ResponsibleUnit)):
        found = {}
        for node in model.objects.filter(township=township).order_by("sort_order", "name"):
            node.township = township
            found[node.name] = node
        nodes[kind] = found
    return nodes


@dataclass
class Row:
    row: int
    name: str
    phone: str
    login: str
    role: Role | None
    node_text: str = ""
    node: object = None
    user: User | None = None  # the existing account this row's person is
    node_refused: bool = False  # the node cell was refused by common.text: not looked up


@dataclass
class NewAccount:
    """What the slip sheet prints; the password exists only in memory."""

    full_name: str
    username: str
    password: str
    where: list = field(default_factory=list)


@dataclass
class UserImportResult:
    township: object
    filename: str = ""
    sha256: str = ""
    rows: int = 0
    problems: list = field(default_factory=list)
    created: int = 0
    granted: int = 0
    unchanged: int = 0
    accounts: list = field(default_factory=list)  # NewAccount, in sheet order

    @property
    def ok(self):
        return not self.problems

    def summary(self):
        return f"新建账号 {self.created} 个、新增授权 {self.granted} 项、无变化 {self.unchanged} 行"


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(header, problems, rows=()):
    wanted = {normalise_label(label): key for key, label in HEADERS.items()}
    columns = {}
    for index, cell in enumerate(header):
        key = wanted.get(normalise_label(cell))
        if key is None:
            continue
        if key in columns:
            problems.append(Problem(SHEET, 1, HEADERS[key], f"表头“{HEADERS[key]}”重复出现。"))
        columns[key] = index
    for key, label in HEADERS.items():
        if key not in columns:
            problems.append(Problem(SHEET, 1, label, f"缺少表头“{label}”（应在第 1 行）。"))
    extra = extra_columns(header, set(columns.values()), rows) if not problems else []
    if extra:
        problems.append(Problem(SHEET, 1, "", extra_columns_message(extra)))
    return columns


def read_rows(data):
    """(rows, problems) of the sheet; raises WorkbookRefused when the file or its header is unusable."""
    workbook = open_workbook(data)
    try:
        names = {normalise_label(n): n for n in workbook.sheetnames}
        worksheet = workbook[names.get(SHEET, workbook.sheetnames[0])]
        try:
            header, raw = sheet_rows(worksheet, max_rows=MAX_ROWS, max_cols=MAX_COLS)
        except TooManyRows:
            raise WorkbookRefused(
                [Problem(SHEET, None, "", f"数据行超过 {MAX_ROWS} 行，请拆分后导入。")]
            ) from None
    finally:
        workbook.close()
    fatal = []
    columns = _columns(header, fatal, raw)
    if fatal:
        raise WorkbookRefused(fatal)
    if not raw:
        raise WorkbookRefused([Problem(SHEET, None, "", "工作表中没有数据行。")])
    problems, rows = [], []
    for number, values in raw:

        def fail(key, message, number=number):
            problems.append(Problem(SHEET, number, HEADERS[key], message))

        def cell(key, values=values, fail=fail):
            """The cell cleaned by common.text; names (姓名, 所属…) as names, the rest as one line."""
            index = columns[key]
            text, reason = check_text(
                _text(values[index] if index < len(values) else None),
                max_length=None,
                name=key in ("name", "node"),
            )
            if reason:
                fail(key, reason)
            return text

        row = Row(number, cell("name"), cell("phone"), cell("login"), None, "")
        label = cell("role")
        before = len(problems)
        row.node_text = cell("node")
        row.node_refused = len(problems) > before
        if not row.name:
            fail("name", "不能为空。")
        elif len(row.name) > User._meta.get_field("full_name").max_length:
            fail("name", f"长度不能超过 {User._meta.get_field('full_name').max_length} 个字。")
        if not row.phone:
            fail("phone", "不能为空。")
        elif not PHONE_RE.match(row.phone):
            fail("phone", f"手机号“{row.phone[:30]}”格式不正确：须为 11 位数字，以 1 开头。")
        if row.login:
            if len(row.login) > 150 or not LOGIN_RE.match(row.login):
                fail("login", "登录名只能包含字母、数字和 _ . @ + -，不超过 150 个字符。")
            elif PHONE_RE.match(row.login) and row.login != row.phone:
                fail("login", "登录名不能是另一个手机号。")
        else:
            row.login = row.phone
        if not label:
            fail("role", f"不能为空，须为：{'、'.join(GRANTABLE_LABELS)}。")
        elif label not in ROLE_BY_LABEL:
            fail("role", f"未知的角色“{label[:30]}”，须为：{'、'.join(GRANTABLE_LABELS)}。")
        else:
            row.role = ROLE_BY_LABEL[label]
        rows.append(row)
    return rows, problems


def _check_in_sheet(rows, problems):
    """Rows of one person agree on name, phone and login; no grant is listed twice."""
    by_phone, by_login, grants = {}, {}, {}
    for row in rows:
        first = by_phone.setdefault(row.phone, row) if row.phone else row
        if first is not row and (first.login != row.login or first.name != row.name):
            problems.append(
                Problem(
                    SHEET,
                    row.row,
                    HEADERS["phone"],
                    f"手机号“{row.phone}”与第 {first.row} 行重复，但姓名或登录名不同。",
                )
            )
        first = by_login.setdefault(row.login, row) if row.login else row
        if first is not row and first.phone != row.phone:
            problems.append(
                Problem(SHEET, row.row, HEADERS["login"], f"登录名“{row.login}”与第 {first.row} 行重复。")
            )
        key = (row.phone, row.role, row.node_text)
        if row.role is not None and key in grants:
            problems.append(
                Problem(SHEET, row.row, HEADERS["role"], f"与第 {grants[key]} 行的角色授权重复。")
            )
        grants.setdefault(key, row.row)


def _resolve_nodes(rows, township, nodes, problems):
    # a node stored before names were cleaned (ASCII parentheses, doubled spaces) is found by its
    # cleaned spelling too, so the sheet's cleaned name does not miss it
    cleaned = {kind: {name_key(n): node for n, node in found.items()} for kind, found in nodes.items()}
    for row in rows:
        if row.role is None or row.node_refused:
            continue
        kind = ROLE_NODE.get(row.role)
        if kind is None or kind == "region":
            continue  # city and administrator roles: grant_refusal words the refusal
        text = row.node_text
        if kind == "township":
            if text and text != township.name:
                problems.append(
                    Problem(
                        SHEET,
                        row.row,
                        HEADERS["node"],
                        f"“{row.role.label}”属于镇街，此列可不填或填“{township.name}”，而不是“{text[:50]}”。",
                    )
                )
            row.node = township
            continue
        if not text:
            problems.append(
                Problem(SHEET, row.row, HEADERS["node"], f"“{row.role.label}”须填写所属{NODE_WORDS[kind]}。")
            )
            continue
        row.node = nodes[kind].get(text) or cleaned[kind].get(text)
        if row.node is not None:
            continue
        other = [NODE_WORDS[k] for k in ("village", "branch", "unit") if k != kind and text in nodes[k]]
        if other:
            message = f"“{text}”是{other[0]}，“{row.role.label}”须填写所属{NODE_WORDS[kind]}。"
        else:
            message = f"{township.name}没有名为“{text[:50]}”的{NODE_WORDS[kind]}。"
        problems.append(Problem(SHEET, row.row, HEADERS["node"], message))


def _user_townships(user_ids):
    """{user id: township ids the user holds a role in} in one query."""
    touched = {}
    rows = Membership.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "township_id", "village__township_id", "branch__township_id", "unit__township_id"
    )
    for user_id, *townships in rows:
        touched.setdefault(user_id, set()).update(t for t in townships if t is not None)
    return touched


def _match_existing(rows, township, problems):
    """Attach the existing account of each row (by login or phone); refuse other townships' accounts."""
    logins = {r.login for r in rows if r.login}
    phones = {r.phone for r in rows if r.phone}
    users = list(User.objects.filter(Q(username__in=logins) | Q(phone__in=phones)))
    by_login = {u.username: u for u in users}
    by_phone = {}
    for u in users:
        if u.phone:
            by_phone.setdefault(u.phone, []).append(u)
    townships = _user_townships([u.pk for u in users])
    for row in rows:
        found = {}
        if row.login in by_login:
            found[by_login[row.login].pk] = by_login[row.login]
        for u in by_phone.get(row.phone, ()):
            found[u.pk] = u
        if not found:
            continue
        if len(found) > 1:
            problems.append(
                Problem(
                    SHEET,
                    row.row,
                    HEADERS["login"],
                    "手机号与登录名分别属于两个不同的已有账号，请核对。",
                )
            )
            continue
        user = next(iter(found.values()))
        if township.pk not in townships.get(user.pk, set()):
            column, what = (
                ("login", f"登录名“{row.login}”")
                if user.username == row.login
                else ("phone", f"手机号“{row.phone}”")
            )
            problems.append(
                Problem(SHEET, row.row, HEADERS[column], f"{what}已被其他镇街（或未分配角色）的账号使用。")
            )
            continue
        if user.phone and user.phone != row.phone:
            problems.append(
                Problem(
                    SHEET,
                    row.row,
                    HEADERS["login"],
                    f"登录名“{row.login}”已属于本镇街另一手机号的账号。",
                )
            )
            continue
        row.user = user


def _check_privilege(rows, actor, problems):
    scope = scope_for(actor)
    for row in rows:
        if row.role is None or (row.node is None and ROLE_NODE.get(row.role) in NODE_WORDS):
            continue  # already reported: no role, or a node that does not resolve
        refusal = grant_refusal(scope, role=row.role, node=row.node, actor=actor, target=row.user)
        if refusal is None and row.role not in TOWNSHIP_GRANTABLE:
            refusal = "用户批量导入只能授予镇街范围内的角色。"
        if refusal is not None:
            problems.append(Problem(SHEET, row.row, HEADERS["role"], refusal))
