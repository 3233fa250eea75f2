"""Authentication events in the audit trail (SECURITY.md LOG-1)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import audit_log

from .middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT


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
