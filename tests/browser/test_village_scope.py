"""A village committee member logs in and sees only their own village."""

import pytest

from accounts.models import Role
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_village_member_logs_in_and_sees_only_its_own_village(live_server, page, shot, org):
    user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cun_dong")
    login(page, live_server, "cun_dong", TEST_PASSWORD)
    assert page.locator("h1").first.inner_text().startswith("您好")
    assert page.get_by_text("本村：东村").is_visible()
    shot(page, "village-home")

    page.click("a.dropdown-toggle:has-text('组织机构')")
    page.click(".dropdown-menu.show >> text=村（社区）")
    page.wait_for_load_state("networkidle")
    table = page.locator("table").first.inner_text()
    assert "东村" in table
    for other in ("西村", "南村", "北村", "远村"):
        assert other not in table
    shot(page, "village-list")

    # Forging another village's id in the address bar gets the same page as a missing one.
    response = page.goto(f"{live_server.url}/org/villages/{org.sibling.pk}/")
    assert response.status == 404
    assert "页面不存在" in page.content()
    response = page.goto(f"{live_server.url}/org/villages/{org.village.pk}/")
    assert response.status == 200
    assert "东村" in page.locator("h1").first.inner_text()
