"""Writes to accounts: one named function each, atomic, with its audit row."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.grants import account_create_refusal, account_flags_refusal, grant_refusal
from access.scope import scope_for
from audit.bulk import bulk_insert
from audit.services import audit_log
from common.errors import InvalidInputError, NotPermittedError

from .models import NODE_FIELDS, ROLE_NODE, Membership, Role, User
from .passwords import one_time_password
from .selectors import townships_managed_by, user_manage_refusal
from .unread import unread_changed


class AccountInputError(InvalidInputError, ValidationError):
    """A refused account value; also a ValidationError, which callers of these services always caught."""


def _refuse(*, action, actor, request, obj=None, message, detail=None):
    """Record the refused attempt (result failure, naming the actor) and raise; nothing else is written.

    Written outside any transaction of the service, so the row stays when the refusal propagates."""
    audit_log(
        action=action,
        actor=actor,
        request=request,
        obj=obj,
        result="failure",
        message=message,
        detail=detail or {},
    )
    raise NotPermittedError(message)


def _check_manage(*, action, actor, request, user, detail=None):
    if actor is None:
        return
    message = user_manage_refusal(actor, user)
    if message:
        _refuse(action=action, actor=actor, request=request, obj=user, message=message, detail=detail)


def _check_phone(phone, *, user=None):
    """A mobile number logs its user in, so it names one active account and no other's login name."""
    if not phone:
        return
    others = User.objects.exclude(pk=user.pk) if user is not None and user.pk else User.objects.all()
    if others.filter(phone=phone, is_active=True).exists():
        raise AccountInputError(f"手机号 {phone} 已被其他在用账户使用。")
    if others.filter(username=phone).exists():
        raise AccountInputError(f"手机号 {phone} 与其他账户的登录名相同。")


def user_create(
    *,
    username="",
    full_name="",
    password=None,
    must_change_password=True,
    actor=None,
    request=None,
    phone="",
    township=None,
    usable_password=True,
):
    """Open an account. Without `password` (and with `usable_password`) a one-time password is generated:
    only its hash is stored, the caller gets it once as `user.one_time_password`, and the user must
    change it at the first login. An empty `username` becomes the mobile number.

    With an `actor` below the administrator the account belongs to `township` (by default the one
    township the actor manages), which must be one the actor manages."""
    phone = (phone or "").strip()
    username = (username or "").strip() or phone
    if not username:
        raise AccountInputError("请填写登录名或手机号。")
    if actor is not None:
        scope = scope_for(actor)
        if township is None and account_create_refusal(scope, township=None):
            managed = list(townships_managed_by(actor)[:2])
            township = managed[0] if len(managed) == 1 else None
        if message := account_create_refusal(scope, township=township):
            _refuse(
                action="user.create",
                actor=actor,
                request=request,
                message=message,
                detail={"username": username},
            )
    if User.objects.filter(username=username).exists():
        raise AccountInputError(f"登录名“{username}”已被使用。")
    one_time = None
    with transaction.atomic():
        user = User(
            username=username,
            full_name=full_name,
            phone=phone,
            must_change_password=must_change_password,
            created_in_township=township,
        )
        _check_phone(phone, user=user)
        if password:
            validate_password(password, user)
            user.set_password(password)
            user.password_changed_at = timezone.now()
        elif usable_password:
            one_time = one_time_password(user)
            user.set_password(one_time)
            user.must_change_password = True
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit_log(
            action="user.create",
            actor=actor,
            request=request,
            obj=user,
            message=f"创建用户 {username}" + ("（一次性密码）" if one_time else ""),
            township_id=township.pk if township is not None else None,
        )
    user.one_time_password = one_time
    return user


def membership_grant(*, user, role, node=None, actor=None, request=None):
    """Give `user` a role at `node`; the node must be of the kind ROLE_NODE names for that role.

    With an `actor`, the access boundaries (access.grants) and the account boundary
    (users_managed_by) apply: a refusal is audited and raised as NotPermittedError."""
    role = Role(role)
    field = ROLE_NODE[role]
    if actor is not None:
        detail = {"role": role.value, "node": str(node) if node else None}
        message = grant_refusal(scope_for(actor), role=role, node=node, actor=actor, target=user)
        message = message or user_manage_refusal(actor, user)
        if message:
            _refuse(
                action="membership.grant",
                actor=actor,
                request=request,
                obj=user,
                message=message,
                detail=detail,
            )
    if field is None and node is not None:
        raise ValidationError("系统管理员角色不关联组织节点。")
    if field is not None:
        expected = Membership._meta.get_field(field).related_model
        if not isinstance(node, expected):
            raise ValidationError(f"“{role.label}”须关联到{expected._meta.verbose_name}。")
    values = {f: None for f in NODE_FIELDS}
    if field:
        values[field] = node
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, role=role, **values)
        if created:
            audit_log(
                action="membership.grant",
                actor=actor,
                request=request,
                obj=user,
                message=f"授予 {user.username} 角色 {role.label}（{node or '全局'}）",
                detail={"role": role.value, "node": str(node) if node else None},
            )
    return membership


def membership_revoke(*, membership, actor=None, request=None):
    user = membership.user
    if actor is not None:
        node = membership.node
        message = grant_refusal(scope_for(actor), role=membership.role, node=node, actor=actor, target=user)
        message = message or user_manage_refusal(actor, user)
        if message:
            _refuse(
                action="membership.revoke",
                actor=actor,
                request=request,
                obj=user,
                message=message,
                detail={"role": membership.role, "node": str(node) if node else None},
            )
    with transaction.atomic():
        label = str(membership)
        membership.delete()
        audit_log(action="membership.revoke", actor=actor, request=request, obj=user, message=f"撤销 {label}")


def password_change(*, user, new_password, request=None):
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit_log(action="auth.password_change", actor=user, request=request, obj=user, message="修改密码")
    return user


def user_set_active(*, user, is_active, actor=None, request=None):
    """Disabling a user also ends every session they hold (SECURITY.md SESS-4)."""
    from django.contrib.sessions.models import Session

    action = "user.enable" if is_active else "user.disable"
    if actor is not None and actor.pk == user.pk and not is_active:
        _refuse(action=action, actor=actor, request=request, obj=user, message="不能停用自己的账户。")
    _check_manage(action=action, actor=actor, request=request, user=user)
    if is_active:
        _check_phone(user.phone, user=user)
    with transaction.atomic():
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        if not is_active:
            # through the session engine, not the model: the cached_db engine keeps a copy in the cache
            store = import_module(settings.SESSION_ENGINE).SessionStore
            for session in Session.objects.all().iterator():
                if session.get_decoded().get("_auth_user_id") == str(user.pk):
                    store(session_key=session.session_key).delete()
        audit_log(
            action=action,
            actor=actor,
            request=request,
            obj=user,
            message=("启用" if is_active else "停用") + f"用户 {user.username}",
        )
    return user


# Account fields an administrator may change on a user (is_active has its own service: user_set_active).
USER_FIELDS = {
    "username": "用户名",
    "full_name": "姓名",
    "phone": "联系电话",
    "email": "电子邮箱",
    "is_staff": "管理后台登录",
    "is_superuser": "超级用户",
    "must_change_password": "首次登录须修改密码",
}


def user_update(*, user, actor, request=None, **values):
    """Change account fields (USER_FIELDS) of `user`; one audit row names what changed, old → new."""
    unknown = set(values) - set(USER_FIELDS)
    if unknown:
        raise ValueError(f"not account fields: {sorted(unknown)}")
    _check_manage(action="user.update", actor=actor, request=request, user=user)
    flags = {"is_staff", "is_superuser"} & set(values)
    if actor is not None and flags and (message := account_flags_refusal(scope_for(actor))):
        _refuse(action="user.update", actor=actor, request=request, obj=user, message=message)
    if "phone" in values:
        values["phone"] = (values["phone"] or "").strip()
        _check_phone(values["phone"], user=user)
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        changes = {f: [getattr(current, f), v] for f, v in values.items() if getattr(current, f) != v}
        if changes:
            for field, (_, new) in changes.items():
                setattr(current, field, new)
            current.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in changes])
            current.save(update_fields=list(changes))
            audit_log(
                action="user.update",
                actor=actor,
                request=request,
                obj=current,
                message=f"修改用户 {current.username}：{'、'.join(USER_FIELDS[f] for f in changes)}",
                detail={"changes": changes},
            )
    for field, value in values.items():
        setattr(user, field, value)
    return user


def user_password_set(*, user, password, actor, request=None):
    """An administrator sets `user`'s password, or (password None) turns password login off."""
    _check_manage(action="user.password_set", actor=actor, request=request, user=user)
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            validate_password(password, user)
            user.set_password(password)
            user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit_log(
            action="user.password_set" if password is not None else "user.password_unset",
            actor=actor,
            request=request,
            obj=user,
            message=(
                f"重设用户 {user.username} 的密码"
                if password is not None
                else f"停用用户 {user.username} 的密码登录"
            ),
        )
    return user


def user_password_reset(*, user, actor, request=None):
    """Give `user` a new one-time password and return it (once: only its hash is stored, and neither the
    audit row nor the log names it); the user must change it at the next login."""
    if actor is not None and actor.pk == user.pk:
        _refuse(
            action="user.password_reset",
            actor=actor,
            request=request,
            obj=user,
            message="请通过“修改密码”页面修改自己的密码。",
        )
    _check_manage(action="user.password_reset", actor=actor, request=request, user=user)
    password = one_time_password(user)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        audit_log(
            action="user.password_reset",
            actor=actor,
            request=request,
            obj=user,
            message=f"重置用户 {user.username} 的密码（一次性密码）",
        )
    return password


def login_attempts_clear(*, attempts, actor, request=None):
    """Unlock: delete the failed-login records (django-axes AccessAttempt) that lock a user name or an
    address, one audit row each."""
    attempts = list(attempts)
    with transaction.atomic():
        for attempt in attempts:
            username, ip = attempt.username or "", attempt.ip_address or ""
            attempt.delete()
            audit_log(
                action="auth.unlock",
                actor=actor,
                request=request,
                object_type="axes.accessattempt",
                object_id=str(username or ip),
                message=f"解除登录锁定：{username or '（无用户名）'} {ip}".strip(),
                detail={"username": username, "ip": ip},
            )
    return len(attempts)


def notify(*, users, title, body="", url=""):
    """Queue an in-app notification for each user once the current transaction commits."""
    notify_each([(users, title, body, url)])


def notify_each(messages):
    """Queue several notifications at once: messages are (users, title, body, url); one callback once
    the current transaction commits creates them all, in order, in one statement."""
    from .models import Notification

    rows = [(u, title, body, url) for users, title, body, url in messages for u in users if u is not None]

    def create():
        bulk_insert(Notification, (Notification(user=u, title=t, body=b, url=link) for u, t, b, link in rows))
        unread_changed(u.pk for u, *_ in rows)

    transaction.on_commit(create)


def notifications_mark_read(*, user, ids):
    """Mark these of the user's own notifications read (opening the list reads what it shows).

    No audit row: reading one's own messages changes nothing anyone else sees."""
    from .models import Notification

    if not ids:
        return 0
    count = Notification.objects.filter(user=user, pk__in=ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    unread_changed([user.pk])
    return count
