"""The audit log page (moved from audit to portal): same URL, same namespace, same reach."""

import pytest
from django.urls import reverse

from accounts.models import Role
from audit.services import audit_log
from portal.auditlog.selectors import event_list_for_user
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(org):
    return {
        "town": audit_log(action="demo.town", township_id=org.town.pk, message="本镇事件"),
        "village": audit_log(action="demo.village", village_id=org.cousin.pk, message="本镇村事件"),
        "other": audit_log(action="demo.other", township_id=org.other_town.pk, message="他镇事件"),
        "far": audit_log(action="demo.far", village_id=org.far.pk, message="外市村事件"),
    }


def test_the_page_keeps_its_url_and_namespace():
    assert reverse("audit:event_list") == "/audit/"


def test_a_township_reviewer_sees_the_events_of_their_township_and_its_villages(org, events):
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    seen = set(event_list_for_user(reviewer).values_list("action", flat=True))
    assert seen == {"demo.town", "demo.village"}


def test_an_administrator_sees_every_event(org, events):
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    seen = set(event_list_for_user(admin).values_list("action", flat=True))
    assert {"demo.town", "demo.village", "demo.other", "demo.far"} <= seen


def test_the_page_lists_and_searches_the_events_in_reach(client, org, events):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    page = client.get("/audit/").content.decode()
    assert "本镇事件" in page and "本镇村事件" in page
    assert "他镇事件" not in page and "外市村事件" not in page
    found = client.get("/audit/", {"q": "村事件"}).content.decode()
    assert "本镇村事件" in found and "本镇事件" not in found
