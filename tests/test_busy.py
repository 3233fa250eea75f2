"""A busy database (SQLite's "database is locked", a PostgreSQL deadlock) is a clear Chinese 503 with
Retry-After, as a page or as JSON for the in-place saves, and never a 5xx page."""

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Role
from common.middleware import MESSAGE, DatabaseBusyMiddleware
from tests.factories import user_with_role


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


@pytest.mark.django_db
def test_a_locked_database_is_a_busy_page_not_a_server_error(client, org, monkeypatch):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    monkeypatch.setattr("portal.views.home_cards", locked)
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    "headers", [{"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}, {"HTTP_ACCEPT": "application/json"}]
)
def test_an_in_place_save_gets_the_busy_message_as_json(headers):
    request = RequestFactory().post("/x/", **headers)
    middleware = DatabaseBusyMiddleware(lambda r: None)
    response = middleware.process_exception(request, OperationalError("deadlock detected"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"ok": False, "errors": [MESSAGE], "error": MESSAGE}


def test_other_database_errors_stay_errors():
    request = RequestFactory().post("/x/")
    assert (
        DatabaseBusyMiddleware(lambda r: None).process_exception(request, OperationalError("no such table"))
        is None
    )
    assert (
        DatabaseBusyMiddleware(lambda r: None).process_exception(request, ValueError("database is locked"))
        is None
    )
