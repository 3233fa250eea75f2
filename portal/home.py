"""The home page's "what can I do next" cards, per role, assembled from what each app registers
(see registry.py): first the work waiting for the user, then each app's cards, in their order."""

from django.urls import reverse

from access.roles import ROLE_HINTS, Role
from access.scope import scope_for

from .registry import registry


def home_cards(user):
    scope = scope_for(user)
    cards = []

    def add(title, text, url, button="进入", urgent=False):
        cards.append({"title": title, "text": text, "url": url, "button": button, "urgent": urgent})

    for title, text, url in pending_work(user, scope):
        add(title, text, url, button="去办理", urgent=True)
    for title, text, url in registry.cards(user, scope):
        add(title, text, url)
    if not cards:
        add(
            "暂无可用功能",
            "您的账户尚未分配角色，请联系镇纪委或系统管理员。",
            reverse("accounts:password_change"),
            "修改密码",
        )
    return cards


def role_hints(user):
    scope = scope_for(user)
    return [(Role(r).label, ROLE_HINTS[r]) for r in sorted(scope.role_values)]


def pending_work(user, scope):
    """Work waiting for this user right now, first on the home page (a fixed number of queries)."""
    return list(registry.pending(user, scope))
