"""Writes to accounts: one named function each, atomic, with its audit row."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.bulk import bulk_insert
from audit.services import audit_log

from .models import NODE_FIELDS, ROLE_NODE, Membership, Role, User


def user_create(
    *, username, full_name="", password=None, must_change_password=True, actor=None, request=None
):
    with transaction.atomic():
        user = User(username=username, full_name=full_name, must_change_password=must_change_password)
        if password:
            validate_password(password, user)
            user.set_password(password)
            user.password_changed_at = timezone.now()
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit_log(
            action="user.create", actor=actor, request=request, obj=user, message=f"创建用户 {username}"
        )
    return user


def membership_grant(*, user, role, node=None, actor=None, request=None):
    """Give `user` a role at `node`; the node must be of the kind ROLE_NODE names for that role."""
    role = Role(role)
    field = ROLE_NODE[role]
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
    with transaction.atomic():
        user = membership.user
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

    with transaction.atomic():
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        if not is_active:
            for session in Session.objects.all().iterator():
                if session.get_decoded().get("_auth_user_id") == str(user.pk):
                    session.delete()
        audit_log(
            action="user.enable" if is_active else "user.disable",
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

    transaction.on_commit(create)
