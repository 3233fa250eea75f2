"""结果公开 on a phone (390×844): the township publishes, a visitor with no account opens the township's
page and a village card from the poster's address, the township publishes a correction and the card says
the first version was superseded. Screenshots: test-artifacts/publication-*.png."""

import pytest
from django.urls import reverse

from publication.models import Publication
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD
from tests.publication.conftest import decided  # noqa: F401
from tests.reports.conftest import confirmed  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def test_publish_visit_and_correct_on_a_phone(browser, live_server, decided, shot):  # noqa: F811
    c = decided
    staff = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
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

    visitor = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    v = visitor.new_page()
    # the address the poster's QR code carries
    v.goto(live_server.url + reverse("publication:public_village", args=[c.org.village.public_key]))
    assert v.locator("h1").inner_text() == "东村"
    assert "示范村" in v.content()
    shot(v, "publication-village-phone")
    v.get_by_role("link", name="查看甲镇2024年度全部排名").click()
    v.wait_for_selector("text=等次分布")
    shot(v, "publication-township-phone")
    assert v.locator(".pub-ranking li").count() == 3
    width = v.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the public page scrolls sideways on a phone"

    page.fill("#id_reason", "南村等次以市级认定结果为准")
    page.check("#id_confirm")
    page.get_by_role("button", name="发布更正（第2版）").click()
    page.wait_for_selector("text=已发布更正（第2版）")
    shot(page, "publication-history-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("details summary").first.click()
    shot(page, "publication-manage-desktop")

    v.goto(live_server.url + reverse("publication:public_village", args=[c.org.cousin.public_key]))
    assert "原第1版" in v.content() and "南村等次以市级认定结果为准" in v.content()
    shot(v, "publication-village-corrected-phone")
    staff.close()
    visitor.close()
