"""Logging in with a phone number: the slip sheet of the user import tells people they may use either
their login name or their phone number.

Tried after Django's ModelBackend (which already matches the login name, and so the phone number of
every account whose login is its phone). A phone number opens an account only when exactly one active
account carries it; django-axes counts failures for the phone number as for any user name.
"""

import re

from django.contrib.auth.backends import ModelBackend

from .models import User

PHONE_RE = re.compile(r"^1[0-9]{10}$")


class PhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None or not PHONE_RE.match(username):
            return None
        users = list(User.objects.filter(phone=username, is_active=True).exclude(username=username)[:2])
        if len(users) != 1:
            User().set_password(password)  # the same work as a real check (timing)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
