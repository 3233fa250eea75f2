"""结果公开 and 群众意见 end to end on phones (390×844): the township publishes; a visitor with no account
opens a village card at the address its poster's QR code carries and the township's page from it, and
leaves a message; the township turns the message into a 整改 item; a correction republishes and the card
says the first version was superseded. Screenshots: test-artifacts/publication-*.png, feedback-*.png."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from feedback.models import Feedback
from ledgers.models import Rectification
from publication.models import Publication
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD
from tests.publication.conftest import decided  # noqa: F401
from tests.reports.conftest import confirmed  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def phone(browser):
    return browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True, has_touch=True
    )


def qr_address(pdf_bytes):
    """The address the poster prints under its QR code (the QR image itself encodes the same string)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages)
    return next(word for word in text.split() if "/public/v/" in word)


def test_publish_visit_message_rectify_and_correct_on_phones(browser, live_server, decided, shot):  # noqa: F811
    c = decided
    staff = phone(browser)
    page = staff.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, c.reviewer.username, TEST_PASSWORD)
    page.goto(live_server.url + reverse("assessments:campaign_detail", args=[c.campaign.pk]))
    page.get_by_role("link", name="结果公开").click()
    page.wait_for_selector("text=公开内容预览")
    shot(page, "publication-manage-phone")
    page.check("#id_confirm")
    page.get_by_role("button", name="发布公开").click()
    page.wait_for_selector("text=已公开（第1版）")
    assert Publication.objects.get().version == 1

    # the village's poster, as the township prints it for the 村务公开栏
    poster = page.request.get(
        live_server.url + reverse("publication:public_village_poster", args=[c.org.village.public_key])
    )
    assert poster.status == 200 and poster.headers["content-type"] == "application/pdf"
    address = qr_address(poster.body())
    assert address.endswith(reverse("publication:public_village", args=[c.org.village.public_key]))

    visitor = phone(browser)
    v = visitor.new_page()
    v.set_default_timeout(15_000)
    v.goto(live_server.url + address[address.index("/public/") :])
    assert v.locator("h1").inner_text() == "东村"
    assert "示范村" in v.content()
    shot(v, "publication-village-phone")
    assert v.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the card scrolls sideways"

    v.get_by_role("link", name="查看甲镇2024年度全部排名").click()
    v.wait_for_selector("text=等次分布")
    shot(v, "publication-township-phone")
    assert v.locator(".pub-ranking li").count() == 3
    assert v.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    v.go_back()

    # a message on the card: too short is refused in place, then accepted; markup is kept out
    v.select_option("#fb-category", "problem")
    v.fill("#fb-text", "短")
    v.get_by_role("button", name="提交意见").tap()
    v.wait_for_selector(".feedback-result.text-danger")
    assert v.locator(".feedback-result").inner_text() == "意见内容请至少填写 5 个字。"
    v.fill("#fb-text", "村务公开栏<b>三个月</b>没有更新，希望按月公开。")
    v.fill("#fb-contact", "13800000000")
    v.get_by_role("button", name="提交意见").tap()
    v.wait_for_selector(".feedback-result.text-success")
    assert "感谢您的意见" in v.locator(".feedback-result").inner_text()
    shot(v, "feedback-public-form-phone")
    item = Feedback.objects.get()
    assert item.village == c.org.village and item.text == "村务公开栏三个月没有更新，希望按月公开。"

    # the township, on its phone: the home page counts the message, one tap opens it, one turns it into 整改
    page.goto(live_server.url + "/")
    assert "1 条群众意见待处理" in page.content()
    page.click("a[href='/feedback/?status=new']")
    page.wait_for_load_state("networkidle")
    shot(page, "feedback-list-phone")
    page.click("#feedback-list a")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="转为整改事项").click()
    page.wait_for_load_state("networkidle")
    assert "已转为整改事项。" in page.content()
    shot(page, "feedback-detail-rectified-phone")
    rect = Rectification.objects.get()
    assert rect.source == Rectification.Source.FEEDBACK and Feedback.objects.get().rectification == rect
    assert rect.village == c.org.village
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # a correction: version 2 with its reason; the card says version 1 was superseded
    page.goto(live_server.url + reverse("publication:manage", args=[c.campaign.pk]))
    page.fill("#id_reason", "南村等次以市级认定结果为准")
    page.check("#id_confirm")
    page.get_by_role("button", name="发布更正（第2版）").click()
    page.wait_for_selector("text=已发布更正（第2版）")
    shot(page, "publication-history-phone")
    assert list(Publication.objects.order_by("version").values_list("version", "status")) == [
        (1, Publication.Status.SUPERSEDED),
        (2, Publication.Status.PUBLISHED),
    ]
    v.goto(live_server.url + reverse("publication:public_village", args=[c.org.cousin.public_key]))
    assert "原第1版" in v.content() and "南村等次以市级认定结果为准" in v.content()
    shot(v, "publication-village-corrected-phone")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("details summary").first.click()
    shot(page, "publication-manage-desktop")
    staff.close()
    visitor.close()
