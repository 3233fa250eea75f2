"""Log in with the login name or the mobile number (User.phone, unique among active users).

django-axes' backend stays first in AUTHENTICATION_BACKENDS and counts failures by the name as typed,
so a lockout applies to what the person keeps typing, login name or number alike.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .usercache import cached_user


class LoginNameOrPhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        user = User._default_manager.filter(username=username).first()
        if user is None:
            user = User._default_manager.filter(phone=username.strip(), is_active=True).first()
        if user is None:
            # as ModelBackend does: hash anyway, so a missing account takes as long as a wrong password
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The session's user, from the shared cache where every process has one (accounts.usercache)."""
        if not settings.QL_SHARED_CACHE:
            return super().get_user(user_id)
        user = cached_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
