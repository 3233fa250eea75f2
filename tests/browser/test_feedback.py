"""A villager leaves a message on the public card from a phone; the township turns it into a 整改 item."""

import pytest
from django.core.cache import cache

from accounts.models import Role
from feedback.models import Feedback
from ledgers.models import Rectification
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.feedback.card_urls"),
]


def test_villager_leaves_a_message_on_a_phone_and_the_township_turns_it_into_a_rectification(
    monkeypatch, live_server, browser, page, shot, org
):
    cache.clear()
    # the gate (messages only on published cards) is tested in tests/publication/test_public.py
    monkeypatch.setattr("feedback.services.village_is_published", lambda key: True)
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    card = phone.new_page()
    card.goto(f"{live_server.url}/test-card/{org.village.public_key}/")
    card.select_option("#fb-category", "problem")
    card.fill("#fb-text", "短")
    card.click("text=提交意见")
    card.wait_for_selector(".feedback-result.text-danger")
    assert card.locator(".feedback-result").inner_text() == "意见内容请至少填写 5 个字。"
    card.fill("#fb-text", "村务公开栏<b>三个月</b>没有更新，希望按月公开。")
    card.fill("#fb-contact", "13800000000")
    card.click("text=提交意见")
    card.wait_for_selector(".feedback-result.text-success")
    assert "感谢您的意见" in card.locator(".feedback-result").inner_text()
    shot(card, "feedback-public-form-phone")
    phone.close()
    item = Feedback.objects.get()
    assert item.text == "村务公开栏三个月没有更新，希望按月公开。"

    user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei")
    login(page, live_server, "jiwei", TEST_PASSWORD)
    assert "1 条群众意见待处理" in page.content()
    page.click("a[href='/feedback/?status=new']")
    page.wait_for_load_state("networkidle")
    shot(page, "feedback-list")
    page.click("#feedback-list a")
    page.wait_for_load_state("networkidle")
    page.click("text=转为整改事项")
    page.wait_for_load_state("networkidle")
    assert "已转为整改事项。" in page.content()
    shot(page, "feedback-detail-rectified")
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    mobile = phone.new_page()
    login(mobile, live_server, "jiwei", TEST_PASSWORD)
    mobile.goto(f"{live_server.url}/feedback/")
    assert "已转整改" in mobile.locator("#feedback-list").inner_text()
    shot(mobile, "feedback-list-phone")
    phone.close()
    rect = Rectification.objects.get()
    assert rect.source == Rectification.Source.FEEDBACK and Feedback.objects.get().rectification == rect
