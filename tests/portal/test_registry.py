"""The home page is assembled from what each app registers, in the registered order."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from access.scope import scope_for
from accounts.models import Role
from portal import home
from portal.registry import Registry, registry
from tests.factories import UserFactory, user_with_role


def _names(fns):
    return [f"{fn.__module__}.{fn.__name__}" for fn in fns]


def test_providers_come_out_in_their_order_not_in_registration_order():
    reg = Registry()
    reg.register_cards(20, lambda user, scope: [("B", "b", "/b")])
    reg.register_cards(10, lambda user, scope: [("A", "a", "/a"), ("A2", "a2", "/a2")])
    reg.register_cards(30, lambda user, scope: [])
    reg.register_pending(5, lambda user, scope: [("P", "p", "/p")])
    assert [t for t, _, _ in reg.cards(None, None)] == ["A", "A2", "B"]
    assert [t for t, _, _ in reg.pending(None, None)] == ["P"]


def test_an_order_is_taken_once_and_registering_the_same_provider_again_changes_nothing():
    reg = Registry()

    def first(user, scope):
        return []

    def second(user, scope):
        return []

    reg.register_demo(10, first)
    reg.register_demo(10, first)
    assert reg.demo_seeders() == [first]
    with pytest.raises(ImproperlyConfigured):
        reg.register_demo(10, second)
    with pytest.raises(ImproperlyConfigured):
        reg.register_cards("10", second)


def test_a_module_declares_its_contributions_as_data():
    def pending(user, scope):
        return []

    def cards(user, scope):
        return []

    def seed(demo):
        pass

    class Module:
        HOME_PENDING = [(1, pending)]
        HOME_CARDS = [(2, cards)]
        DEMO = [(3, seed)]

    reg = Registry()
    reg.register_module(Module)
    assert reg.providers("pending") == [pending]
    assert reg.providers("cards") == [cards]
    assert reg.demo_seeders() == [seed]


def test_every_app_registers_its_home_page_providers_in_the_pages_order():
    """The order of the page is the order users know; each app's cards come from its own module."""
    assert _names(registry.providers("pending")) == [
        "assessments.portal.self_assessment_pending",
        "ledgers.portal.open_rectification_pending",
        "ledgers.portal.subtask_pending",
        "assessments.portal.review_pending",
        "ledgers.portal.responded_rectification_pending",
        "feedback.portal.new_feedback_pending",
        "ledgers.portal.ledger_due_pending",
    ]
    assert _names(registry.providers("cards")) == [
        "assessments.portal.village_result_cards",
        "villages.portal.own_village_cards",
        "villages.portal.own_branch_cards",
        "assessments.portal.branch_board_cards",
        "villages.portal.own_unit_cards",
        "villages.portal.org_cards",
        "villages.portal.org_import_cards",
        "villages.portal.township_setup_cards",
        "assessments.portal.campaign_cards",
        "ledgers.portal.ledger_cards",
        "feedback.portal.feedback_cards",
        "indices.portal.standard_cards",
        "indices.portal.standard_import_cards",
        "accounts.portal.user_cards",
        "assessments.portal.city_board_cards",
        "portal.portal.audit_cards",
        "accounts.portal.admin_cards",
    ]


@pytest.mark.django_db
def test_the_home_page_shows_the_registered_cards_in_order(client):
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    scope = scope_for(admin)
    expected = [title for fn in registry.providers("cards") for title, _, _ in fn(admin, scope)]
    assert expected == [
        "组织机构",
        "导入组织机构",
        "测评年度",
        "日常监管台账",
        "群众意见",
        "指数标准",
        "导入指数标准",
        "用户与角色",
        "示范村市级评选",
        "审计日志",
        "系统管理",
    ]
    client.force_login(admin)
    cards = client.get("/").context["cards"]
    assert [c["title"] for c in cards] == expected
    assert {(c["button"], c["urgent"]) for c in cards} == {("进入", False)}


@pytest.mark.django_db
def test_pending_work_comes_first_as_urgent_cards(monkeypatch):
    reg = Registry()
    reg.register_cards(2, lambda user, scope: [("卡片", "说明", "/card/")])
    reg.register_pending(1, lambda user, scope: [("待办", "说明", "/todo/")])
    monkeypatch.setattr(home, "registry", reg)
    cards = home.home_cards(UserFactory())
    assert [(c["title"], c["url"], c["button"], c["urgent"]) for c in cards] == [
        ("待办", "/todo/", "去办理", True),
        ("卡片", "/card/", "进入", False),
    ]


@pytest.mark.django_db
def test_a_user_without_roles_gets_no_card_but_the_password_change(client):
    client.force_login(UserFactory())
    cards = client.get("/").context["cards"]
    assert [(c["title"], c["button"]) for c in cards] == [("暂无可用功能", "修改密码")]


def test_every_app_registers_its_demo_seeder_in_the_order_the_data_needs():
    assert _names(registry.demo_seeders()) == [
        "villages.demo.seed_demo_townships",
        "indices.demo.seed_demo_standards",
        "accounts.demo.seed_demo_accounts",
        "assessments.demo.seed_demo_campaigns",
        "ledgers.demo.seed_demo_ledgers",
        "publication.demo.seed_demo_publications",
        "feedback.demo.seed_demo_feedback",
    ]
