"""Bulk user import for one township: the Excel template, checking every row, and writing all or nothing.

`user_template_bytes` builds the workbook (drop-downs for 角色 and the township's node names, frozen
header, a 说明 sheet). `user_import_excel` reads an upload through common.xlsx (corrupt, encrypted,
macro-enabled and oversized files are refused), checks every row against the township's nodes, the
existing accounts and the actor's privilege (access.grants.grant_refusal, per row), and writes only when
every row passes, in one transaction. Re-importing the same sheet changes nothing: a person is matched
by phone or login, missing roles are added, nothing is duplicated.

New accounts get a one-time password that is returned to the caller (for the slip sheet) and never
stored in clear: only its hash reaches the database.
"""

import hashlib
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, prefetch_related_objects

from access.grants import TOWNSHIP_GRANTABLE, grant_refusal
from access.roles import ROLE_NODE, Role
from access.scope import scope_for
from audit.models import AuditEvent
from audit.services import audit_log
from common.xlsx import Problem, TooManyRows, WorkbookRefused, open_workbook, read_upload, sheet_rows
from villages.models import PartyBranch, ResponsibleUnit, Township, Village

from .models import Membership, User
from .services import membership_grant, user_create

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
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Every role label is recognised, so a city or administrator role gets grant_refusal's own sentence.
ROLE_BY_LABEL = {Role(value).label: Role(value) for value in Role.values}
GRANTABLE_LABELS = [Role(value).label for value in Role.values if value in TOWNSHIP_GRANTABLE]
NODE_WORDS = {"village": "村（社区）", "branch": "党总支", "unit": "责任单位", "township": "镇街"}

# One-time passwords: 12 characters from an alphabet without look-alikes (0/O, 1/l/I), in three groups.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# ~69 bits of randomness (12 characters of 55) make guessing hopeless whatever the hash cost: even at
# 10^10 PBKDF2 rounds a second, 5,000 rounds per guess leave half the space at ~10^7 years. So the first
# hash uses 5,000 rounds instead of Django's 1,000,000 (2,000 accounts in seconds instead of ~15 minutes);
# Django re-hashes with the full count at the first login, which must change the password anyway.
ONE_TIME_ITERATIONS = 5_000
HASH_THREADS = min(8, os.cpu_count() or 1)  # hashlib's PBKDF2 releases the GIL


def normalise_label(value):
    return re.sub(r"\s+", "", str(value or "")).replace("(", "（").replace(")", "）")


def one_time_password(user=None):
    """A random, readable password that passes the project's validators."""
    while True:
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        password = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _hash_one_time(password):
    hasher = get_hasher("default")
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=ONE_TIME_ITERATIONS)
    return make_password(password)


# --- the template ------------------------------------------------------------------------------------


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


def user_template_bytes(township):
    """The import workbook for `township`: header, drop-downs, frozen header, 说明 sheet."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from common.xlsx import set_text_cell

    nodes = township_nodes(township)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for column, label in enumerate(HEADERS.values(), start=1):
        cell = ws.cell(1, column)
        set_text_cell(cell, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
    for letter, width in zip("ABCDE", (12, 16, 18, 22, 34), strict=True):
        ws.column_dimensions[letter].width = width
    for row in range(2, MAX_ROWS + 2):
        ws.cell(row, 2).number_format = "@"  # phone numbers stay text
    ws.freeze_panes = "A2"

    lists = wb.create_sheet(SHEET_LISTS)
    lists.sheet_state = "hidden"
    set_text_cell(lists.cell(1, 1), "角色")
    set_text_cell(lists.cell(1, 2), "组织节点")
    for i, label in enumerate(GRANTABLE_LABELS, start=2):
        set_text_cell(lists.cell(i, 1), label)
    names = [township.name]
    for kind in ("village", "branch", "unit"):
        names.extend(n for n in nodes[kind] if n not in names)
    for i, name in enumerate(names, start=2):
        set_text_cell(lists.cell(i, 2), name)

    last = MAX_ROWS + 1
    roles = DataValidation(
        type="list", formula1=f"={SHEET_LISTS}!$A$2:$A${len(GRANTABLE_LABELS) + 1}", allow_blank=True
    )
    roles.error, roles.errorTitle = "请从下拉列表中选择角色。", "角色"
    roles.add(f"D2:D{last}")
    where = DataValidation(type="list", formula1=f"={SHEET_LISTS}!$B$2:$B${len(names) + 1}", allow_blank=True)
    where.error, where.errorTitle = "请从下拉列表中选择本镇街的村（社区）、党总支或责任单位。", "所属"
    where.add(f"E2:E{last}")
    ws.add_data_validation(roles)
    ws.add_data_validation(where)

    help_sheet = wb.create_sheet(SHEET_HELP)
    help_sheet.column_dimensions["A"].width = 100
    lines = [
        f"{township.name}用户批量导入模板",
        "1. 每行一个角色授权；同一人有多个角色时写多行，姓名、手机号、登录名须一致。",
        "2. 姓名、手机号、角色必填；手机号为 11 位数字，以 1 开头。",
        "3. 登录名可不填，不填时以手机号作为登录名；只能包含字母、数字和 _ . @ + -。",
        f"4. 角色从下拉列表中选择：{'、'.join(GRANTABLE_LABELS)}。",
        "5. 村两委成员、村务监督委员会成员填所属村（社区）；党总支书记填党总支；责任单位工作人员填责任单位；"
        f"镇纪委审核人员、镇领导可不填或填“{township.name}”。",
        "6. 已有账号（按手机号或登录名匹配）只补充缺少的角色，不重复创建；重复导入同一文件不会产生变化。",
        f"7. 任何一行有错误，整个文件都不会导入；最多 {MAX_ROWS} 行。",
        "8. 导入成功后立即下载《账号通知单》，一次性密码只显示这一次，系统不保存明文。",
    ]
    for i, line in enumerate(lines, start=1):
        set_text_cell(help_sheet.cell(i, 1), line)
    help_sheet["A1"].font = Font(bold=True, size=14)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading and checking ----------------------------------------------------------------------------


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


def _columns(header, problems):
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
    columns = _columns(header, fatal)
    if fatal:
        raise WorkbookRefused(fatal)
    if not raw:
        raise WorkbookRefused([Problem(SHEET, None, "", "工作表中没有数据行。")])
    problems, rows = [], []
    for number, values in raw:

        def cell(key, values=values):
            index = columns[key]
            return _text(values[index] if index < len(values) else None)

        def fail(key, message, number=number):
            problems.append(Problem(SHEET, number, HEADERS[key], message))

        row = Row(number, cell("name"), cell("phone"), cell("login"), None, cell("node"))
        for key in HEADERS:
            if CONTROL_RE.search(cell(key)):
                fail(key, "含有换行符或不可见的控制字符。")
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
        label = cell("role")
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
    for row in rows:
        if row.role is None:
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
        row.node = nodes[kind].get(text)
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


def _existing_grants(rows):
    user_ids = {r.user.pk for r in rows if r.user is not None}
    found = set()
    for m in Membership.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "role", "township_id", "branch_id", "village_id", "unit_id"
    ):
        user_id, role, *node_ids = m
        node = next((n for n in node_ids if n is not None), None)
        found.add((user_id, role, node))
    return found


def _one_time_passwords(rows):
    """{phone: (password, hash)} for every person without an account, hashed on several threads."""
    people = {}
    for row in rows:
        if row.user is None and row.phone not in people:
            people[row.phone] = one_time_password(User(username=row.login, full_name=row.name))
    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        hashes = pool.map(_hash_one_time, people.values())
        return {
            phone: (password, hashed)
            for (phone, password), hashed in zip(people.items(), hashes, strict=True)
        }


def _write(rows, township, actor, request, result):
    existing = _existing_grants(rows)
    credentials = _one_time_passwords(rows)
    if actor is not None:
        # audit_log reads the actor's roles for every row it writes: once from the database is enough.
        prefetch_related_objects([actor], "memberships")
    people = {}  # phone → user (new or existing)
    new_users, slips = [], {}  # slips: new user's pk → NewAccount
    for row in rows:
        user = people.get(row.phone) or row.user
        if user is None:
            user = user_create(
                username=row.login,
                full_name=row.name,
                password=None,
                must_change_password=True,
                actor=actor,
                request=request,
            )
            password, user.password = credentials[row.phone]
            user.phone = row.phone
            new_users.append(user)
            slips[user.pk] = NewAccount(row.name, row.login, password)
            result.accounts.append(slips[user.pk])
            result.created += 1
        people[row.phone] = user
        key = (user.pk, row.role.value, row.node.pk)
        if key in existing:
            result.unchanged += 1
            continue
        membership_grant(user=user, role=row.role, node=row.node, actor=actor, request=request)
        existing.add(key)
        result.granted += 1
        if user.pk in slips:
            slips[user.pk].where.append(f"{row.node}（{row.role.label}）")
    User.objects.bulk_update(new_users, ["password", "phone"], batch_size=500)


def _audit(result, actor, request):
    detail = {"sha256": result.sha256, "filename": result.filename, "rows": result.rows}
    if result.ok:
        detail["counts"] = {"新建": result.created, "新增授权": result.granted, "无变化": result.unchanged}
        message = f"批量导入用户（{result.township.name}）：{result.summary()}"
    else:
        detail["problem_count"] = len(result.problems)
        detail["problems"] = [
            {"row": p.row, "column": p.column, "message": p.message} for p in result.problems[:20]
        ]
        message = f"批量导入用户失败（{result.township.name}）：{len(result.problems)} 个问题"
    audit_log(
        action=IMPORT_ACTION,
        actor=actor,
        request=request,
        obj=result.township,
        township_id=result.township.pk,
        result=AuditEvent.Result.SUCCESS if result.ok else AuditEvent.Result.FAILURE,
        message=message,
        detail=detail,
    )


def user_import_excel(*, township, file, actor, request=None):
    """Import the township's user sheet: every row valid, or nothing written. One audit row either way
    (plus the per-account rows user_create and membership_grant write)."""
    result = UserImportResult(township=township, filename=str(getattr(file, "name", "") or "")[-200:])
    try:
        data = read_upload(file, settings.QL_IMPORT_MAX_BYTES)
        result.sha256 = hashlib.sha256(data).hexdigest()
        rows, problems = read_rows(data)
    except WorkbookRefused as refused:
        result.problems = refused.problems
        _audit(result, actor, request)
        return result
    result.rows = len(rows)
    try:
        with transaction.atomic():
            # One import per township at a time (PostgreSQL); the checks then see committed accounts.
            list(Township.objects.select_for_update().filter(pk=township.pk).order_by().values_list("pk"))
            _check_in_sheet(rows, problems)
            _resolve_nodes(rows, township, township_nodes(township), problems)
            _match_existing(rows, township, problems)
            _check_privilege(rows, actor, problems)
            if not problems:
                _write(rows, township, actor, request, result)
                _audit(result, actor, request)
    except (ValidationError, IntegrityError) as error:
        # An account created elsewhere between the checks and the write (another township's import):
        # everything is rolled back and the user is asked to import again.
        detail = "；".join(getattr(error, "messages", None) or [str(error)])[:200]
        problems.append(
            Problem(SHEET, None, "", f"写入时与其他修改冲突，未导入任何数据，请重新导入。（{detail}）")
        )
        result.created = result.granted = result.unchanged = 0
    if problems:
        order = {label: i for i, label in enumerate(HEADERS.values())}
        result.problems = sorted(problems, key=lambda p: (p.row or 0, order.get(p.column, 99)))
        result.accounts = []
        _audit(result, actor, request)
    return result
