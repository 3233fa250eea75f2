"""The main menu is rendered once per set of capabilities (accounts.templatetags.ql.main_menu): for every
role it is exactly what the template renders with the user's own scope."""

import pytest
from django.template.loader import get_template

from access.roles import ROLE_NODE
from access.scope import scope_for
from accounts.models import Role
from accounts.templatetags.ql import _menu_caps, main_menu
from tests.factories import user_with_role

NODES = {"village": "village", "branch": "branch", "unit": "unit", "township": "town", "region": "city"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_the_cached_menu_is_the_menu_of_the_users_own_scope(org, role):
    kind = ROLE_NODE[role]
    user = user_with_role(role, getattr(org, NODES[kind]) if kind else None)
    scope = scope_for(user)
    expected = get_template("includes/main_menu.html").render({"scope": scope})
    assert main_menu(scope) == expected
    assert main_menu(scope) is main_menu(scope)  # the same string: rendered once


def test_the_menu_capabilities_are_read_from_the_template():
    caps = _menu_caps()
    assert {"campaign.view", "ledger.view", "users.view", "audit.view"} <= set(caps)


def test_select_options_marks_the_chosen_value_and_escapes_the_labels():
    from accounts.templatetags.ql import select_options

    html = select_options([(1, "甲镇"), (12, "<乙镇>")], "12")
    assert html == '<option value="1">甲镇</option><option value="12" selected>&lt;乙镇&gt;</option>'
    assert select_options([(1, "甲镇")], 1) == '<option value="1" selected>甲镇</option>'
    assert " selected" not in select_options([(1, "甲镇")], None)
    assert " selected" not in select_options([(1, "甲镇")], "")
