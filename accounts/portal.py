"""What accounts contributes to the home page: users and roles, and the Django admin; and the
demo accounts. Declared as data; portal collects it (see portal/registry.py)."""

from django.urls import reverse

from access.roles import Cap

from .demo import seed_demo_accounts


def user_cards(user, scope):
    if scope.reaches_a_township(Cap.USERS_VIEW):
        yield ("用户与角色", "查看本辖区用户及其角色授权。", reverse("accounts:user_list"))


def admin_cards(user, scope):
    if scope.can(Cap.ADMIN_SITE):
        yield ("系统管理", "Django 管理后台（仅系统管理员）。", reverse("admin:index"))


HOME_CARDS = [
    (200, user_cards),
    (230, admin_cards),
]
DEMO = [
    (30, seed_demo_accounts),
]
