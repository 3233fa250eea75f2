"""What portal's own pages contribute to the home page, declared like every other app's (see
registry.py)."""

from django.urls import reverse


def audit_cards(user, scope):
    if scope.can("audit.view"):
        yield ("审计日志", "登录、授权、导入、修改等操作记录。", reverse("audit:event_list"))


HOME_CARDS = [
    (220, audit_cards),
]
