"""Log in with the login name or the mobile number (User.phone, unique among active users).

django-axes' backend stays first in AUTHENTICATION_BACKENDS and counts failures by the name as typed,
so a lockout applies to what the person keeps typing, login name or number alike.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


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
