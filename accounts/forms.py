from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm


class LoginForm(AuthenticationForm):
    error_messages = {
        # The same text whether the account exists or not (SECURITY.md AUTH-3).
        "invalid_login": "用户名或密码不正确。",
        "inactive": "用户名或密码不正确。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名或手机号"
        self.fields["password"].label = "密码"


class ChangePasswordForm(PasswordChangeForm):
    """Needs the current password (SECURITY.md AUTH-5); changing it ends the user's other sessions."""
