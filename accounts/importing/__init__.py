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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects

from audit.models import AuditEvent
from audit.services import audit_log
from common.xlsx import Problem, WorkbookRefused, read_upload
from villages.models import Township

from ..models import Membership, User
from ..services import membership_grant, user_create
from ..usercache import users_changed
from .passwords import _one_time_passwords, one_time_password
from .sheet import (
    GRANTABLE_LABELS,
    HEADERS,
    IMPORT_ACTION,
    MAX_ROWS,
    SHEET,
    NewAccount,
    UserImportResult,
    _check_in_sheet,
    _check_privilege,
    _match_existing,
    _resolve_nodes,
    read_rows,
    township_nodes,
)
from .template import user_template_bytes

__all__ = [
    "GRANTABLE_LABELS",
    "HEADERS",
    "IMPORT_ACTION",
    "MAX_ROWS",
    "SHEET",
    "NewAccount",
    "UserImportResult",
    "one_time_password",
    "read_rows",
    "township_nodes",
    "user_import_excel",
    "user_template_bytes",
]


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
                township=township,
                # the one-time passwords were made and hashed above, in bulk (importing/passwords.py)
                usable_password=False,
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
    users_changed(u.pk for u in new_users)  # bulk_update sends no signal (accounts.usercache)


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
