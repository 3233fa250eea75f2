"""Authentication events in the audit trail (SECURITY.md LOG-1), and the access token renewed by every
write to memberships or to the tree (the cached scopes of access.scope)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from audit.services import audit_log
from common.dataversion import access_version_bump, data_version_bump
from villages.models import PartyBranch, Region, ResponsibleUnit, Township, Village

from .middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT
from .models import Membership, User
from .usercache import users_changed


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    import time

    if request is not None and hasattr(request, "session"):
        # seen now: the requests of the next minute write nothing to the session
        request.session[SESSION_LOGIN_AT] = request.session[SESSION_SEEN_AT] = time.time()
    audit_log(action="auth.login", actor=user, request=request, obj=user, message="登录成功")


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    audit_log(
        action="auth.login_failed",
        request=request,
        username=username,
        result="failure",
        message="登录失败",
    )


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_log(action="auth.logout", actor=user, request=request, obj=user, message="退出登录")


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    audit_log(
        action="auth.locked_out",
        request=request,
        username=username or "",
        result="failure",
        message="连续登录失败，账户已锁定",
    )


# --- who reaches what: every cached scope (access.scope) is keyed by the access token -------------------
# A change to the tree also changes what the township's pages show (a village's or branch's name, a
# unit's villages): the township's and region's data versions are renewed with it, so that the cached
# dashboards and boards show it at once instead of when their entries expire.
def _access_changed(sender, instance, **kwargs):
    if sender is Membership:
        access_version_bump()
        return
    if sender is Region:
        data_version_bump(regions=[instance.pk], access=True)
        return
    township_id = instance.pk if sender is Township else instance.township_id
    region_id = (
        instance.region_id
        if sender is Township
        else Township.objects.filter(pk=township_id).values_list("region_id", flat=True).first()
    )
    data_version_bump(townships=[township_id], regions=[region_id], access=True)


def _unit_villages_changed(sender, instance, action, **kwargs):
    # `instance` is the unit, or the village when the change came from the village's side
    if action in ("post_add", "post_remove", "post_clear"):
        _access_changed(type(instance), instance)


for _model in (Membership, Region, Township, PartyBranch, Village, ResponsibleUnit):
    post_save.connect(_access_changed, sender=_model, dispatch_uid=f"access-token-save-{_model.__name__}")
    post_delete.connect(_access_changed, sender=_model, dispatch_uid=f"access-token-delete-{_model.__name__}")
m2m_changed.connect(
    _unit_villages_changed, sender=ResponsibleUnit.villages.through, dispatch_uid="access-token-unit-villages"
)


# --- the logged-in user of every request is read from the cache (accounts.usercache) ------------------
def _user_changed(sender, instance, **kwargs):
    users_changed([instance.pk])


post_save.connect(_user_changed, sender=User, dispatch_uid="user-cache-save")
post_delete.connect(_user_changed, sender=User, dispatch_uid="user-cache-delete")
