from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from access.roles import NODE_KINDS, Role
from common.forms import CleanTextMixin
from villages.models import Region, Township


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


class UserCreateForm(CleanTextMixin, forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(
        label="手机号", max_length=30, required=False, help_text="可用于登录，在用账户之间不得重复。"
    )
    username = forms.CharField(
        label="登录名", max_length=150, required=False, help_text="可不填：不填时以手机号作为登录名。"
    )
    township = forms.ModelChoiceField(label="所属镇街", queryset=None, required=False)

    def __init__(self, *args, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
        if townships.count() <= 1:
            del self.fields["township"]

    def clean(self):
        data = super().clean()
        if not (data.get("username") or "").strip() and not (data.get("phone") or "").strip():
            raise forms.ValidationError("请填写登录名或手机号。")
        return data


class UserEditForm(CleanTextMixin, forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=30, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)


class GrantForm(CleanTextMixin, forms.Form):
    """A role and the node it is held at; the node is offered as "kind:id" among the actor's nodes."""

    # every role validates: the page offers only the actor's grantable ones, and a forged choice reaches
    # the service, which refuses it with its reason and an audit row
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    node = forms.CharField(label="组织节点", required=False)

    def clean_node(self):
        value = self.cleaned_data.get("node") or ""
        if not value:
            return None
        kind, _, pk = value.partition(":")
        if kind not in NODE_KINDS or not pk.isdigit():
            raise forms.ValidationError("请选择组织节点。")
        return kind, int(pk)


class RegionCreateForm(CleanTextMixin, forms.Form):
    """A new 市（县、区） node (the system administrator)."""

    name = forms.CharField(label="名称", max_length=50)
    kind = forms.ChoiceField(label="类型", choices=Region.Kind.choices, initial=Region.Kind.CITY)


class TownshipCreateForm(CleanTextMixin, forms.Form):
    """A new township of the actor's region, and optionally its administrator (a new account)."""

    region = forms.ModelChoiceField(label="所属市（县、区）", queryset=None)
    name = forms.CharField(label="镇街名称", max_length=50)
    kind = forms.ChoiceField(label="类型", choices=Township.Kind.choices, initial=Township.Kind.TOWN)
    admin_full_name = forms.CharField(label="管理员姓名", max_length=50, required=False)
    admin_phone = forms.CharField(label="管理员手机号", max_length=30, required=False)
    admin_username = forms.CharField(
        label="管理员登录名", max_length=150, required=False, help_text="可不填：不填时以手机号作为登录名。"
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        if regions.count() == 1:
            self.fields["region"].initial = regions.first()
            self.fields["region"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        named = any((data.get(f) or "").strip() for f in ("admin_full_name", "admin_phone", "admin_username"))
        if named and not (data.get("admin_full_name") or "").strip():
            self.add_error("admin_full_name", "请填写管理员姓名。")
        if named and not (
            (data.get("admin_phone") or "").strip() or (data.get("admin_username") or "").strip()
        ):
            self.add_error("admin_phone", "请填写管理员手机号或登录名。")
        return data
