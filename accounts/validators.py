"""Password rules beyond Django's own (SECURITY.md AUTH-2; 等保 身份鉴别 a)."""

import re

from django.core.exceptions import ValidationError

# Words that township staff reach for first: the product, places, roles, default accounts.
DOMAIN_WORDS = (
    "qinglian",
    "qlcj",
    "cunju",
    "admin",
    "password",
    "passw0rd",
    "root",
    "user",
    "test",
    "demo",
    "baogou",
    "sanguan",
    "tengzhou",
    "cunwei",
    "jiwei",
    "zhenjie",
    "shifan",
    "dabiao",
    "qwerty",
    "abc",
    "welcome",
    "letmein",
)


class DomainWordValidator:
    """Refuse a password that is a predictable word plus digits or symbols, such as `qinglian123`."""

    def validate(self, password, user=None):
        core = re.sub(r"[^a-z]", "", password.lower())
        for word in DOMAIN_WORDS:
            if core == word or (core.startswith(word) and len(core) - len(word) <= 2):
                raise ValidationError(
                    "密码过于常见：不能以“%(word)s”等常用词加数字构成。",
                    code="domain_word",
                    params={"word": word},
                )

    def get_help_text(self):
        return "密码不能是平台名称、地名、角色名等常用词加数字。"


class CharacterClassValidator:
    """等保 complexity: at least N of upper case, lower case, digits and symbols."""

    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
        if classes < self.min_classes:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。",
                code="password_classes",
                params={"n": self.min_classes},
            )

    def get_help_text(self):
        return f"密码须包含大写字母、小写字母、数字、符号中的至少{self.min_classes}类。"
