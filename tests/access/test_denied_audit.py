"""Every refusal audited (issue 15, SECURITY.md AC-3): a 404 decided anywhere in a view — access's `deny`,
`access_by_id`, or a selector's own "missing or out of reach" — leaves exactly one `access.denied` row,
written by one middleware of the access module after the view gave up; the allowed path costs no query.
(The route matrix, tests/access/test_routes_matrix.py, checks one row per 404 on every id route.)"""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.checks import NOT_FOUND
from access.roles import Role
from audit.models import AuditEvent
from tests.factories import user_with_role

MIDDLEWARE = "access.middleware.DeniedAuditMiddleware"
WITHOUT = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]


@pytest.fixture
def reviewer_client(org):
    client = Client()
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    # the session's first stamp (accounts.middleware) is not the page's, nor the user's scope and unread
    # count, which later requests read from the cache
    client.get(reverse("home"))
    return client


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    return status, len(queries.captured_queries)


def test_the_middleware_is_installed():
    assert MIDDLEWARE in settings.MIDDLEWARE


def test_a_selectors_404_writes_one_row_and_an_allowed_page_none(reviewer_client, org):
    # villages' village_get_for_user raises Http404 itself: before issue 15 this refusal left no trace
    foreign = reverse("villages:village_detail", args=[org.far.pk])
    assert reviewer_client.get(foreign).status_code == 404
    row = AuditEvent.objects.get(action="access.denied")
    assert (row.message, row.result, row.detail) == (NOT_FOUND, "failure", {"path": foreign, "method": "GET"})
    assert row.actor.memberships.get().role == Role.TOWNSHIP_REVIEWER
    assert reviewer_client.get(reverse("villages:village_detail", args=[org.village.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="access.denied").count() == 1


def test_deny_carries_its_message_and_object_to_the_one_row(client, org):
    # a unit's staff asks for another unit's ledger month: access_by_id refuses (no UNIT side)
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    url = reverse("ledgers:ledger_edit", args=[org.other_unit.pk, 2024, 5])
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied").count() == 1


def test_an_unknown_address_is_no_decision_of_access(reviewer_client):
    assert reviewer_client.get("/no/such/page/").status_code == 404
    assert not AuditEvent.objects.filter(action="access.denied").exists()


def test_anonymous_public_404s_write_nothing(client, db):
    assert client.get(reverse("publication:public_village", args=["no-such-key"])).status_code == 404
    assert not AuditEvent.objects.filter(action="access.denied").exists()


def test_the_allowed_path_costs_no_query_and_the_denied_one_its_row(
    reviewer_client, org, django_assert_num_queries
):
    own = reverse("villages:village_detail", args=[org.village.pk])
    foreign = reverse("villages:village_detail", args=[org.far.pk])
    with override_settings(MIDDLEWARE=WITHOUT):
        bare = Client()  # a client builds its middleware chain once: a new one, with the same session
        bare.cookies = reviewer_client.cookies
        allowed_without = _count(bare, own)
        denied_without = _count(bare, foreign)
    assert _count(reviewer_client, own) == allowed_without
    status, denied = _count(reviewer_client, foreign)
    assert status == 404 and denied == denied_without[1] + 2
    # pinned: the page's own 3 queries (the session, the user, the user's scope and unread count come
    # from the cache); the refusal's 2, plus its audit row: the actor's roles and the insert (the sealer chains
    # it after commit)
    with django_assert_num_queries(ALLOWED_QUERIES):
        assert reviewer_client.get(own).status_code == 200
    with django_assert_num_queries(DENIED_QUERIES):
        assert reviewer_client.get(foreign).status_code == 404


ALLOWED_QUERIES = 3
DENIED_QUERIES = 3
