"""The session's user is read from the shared cache, with the user's scope, access token and unread
count in the same round trip (accounts.usercache, common.prefetch; issue 16): a page costs no query for
who is asking, and every change to the account takes effect at the user's next request."""

import pickle

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import (
    notify,
    password_change,
    user_password_reset,
    user_set_active,
    user_update,
)
from accounts.unread import unread_count
from accounts.usercache import cached_user, user_key
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

HOME = "/"


def _user_queries(ctx):
    return [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]


def test_the_second_request_reads_no_user_row_and_the_cache_holds_no_password(client, org):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    client.force_login(user)
    assert client.get(HOME).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(HOME).status_code == 200
    assert _user_queries(ctx) == []
    entry = cache.get(user_key(user.pk))
    assert entry is not None and "password" not in entry[0]
    hashed = User.objects.get(pk=user.pk).password
    assert hashed and hashed.encode() not in pickle.dumps(entry)


def test_a_cached_user_has_its_password_deferred_and_loads_it_when_asked(org):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    user.set_password("Lantern-2468-x")
    user.save()
    cached_user(user.pk)
    again = cached_user(user.pk)
    assert "password" not in again.__dict__
    assert again.get_session_auth_hash() == User.objects.get(pk=user.pk).get_session_auth_hash()
    assert again.check_password("Lantern-2468-x")  # the deferred field is read from the database


def test_a_renamed_user_shows_the_new_name_at_the_next_request(client, org):
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, full_name="甲审核员")
    client.force_login(user)
    assert "甲审核员" in client.get(HOME).content.decode()
    assert "甲审核员" in client.get(HOME).content.decode()  # from the cache
    user_update(user=user, actor=admin, full_name="乙审核员")
    html = client.get(HOME).content.decode()
    assert "乙审核员" in html and "甲审核员" not in html


def test_a_password_reset_by_the_administrator_ends_the_users_other_sessions(client, org):
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    client.force_login(user)
    assert client.get(HOME).status_code == 200
    assert client.get(HOME).status_code == 200  # the user is now cached
    user_password_reset(user=User.objects.get(pk=user.pk), actor=admin)
    response = client.get(HOME)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_changing_ones_own_password_keeps_the_session_that_changed_it(org):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    user.set_password("Old-lantern-2468")
    user.save()
    mine, other = Client(), Client()
    for c in (mine, other):
        assert c.post(reverse("accounts:login"), {"username": user.username, "password": "Old-lantern-2468"})
        assert c.get(HOME).status_code == 200
        assert c.get(HOME).status_code == 200  # cached
    response = mine.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Old-lantern-2468",
            "new_password1": "New-lantern-8642",
            "new_password2": "New-lantern-8642",
        },
    )
    assert response.status_code == 302
    assert mine.get(HOME).status_code == 200
    assert other.get(HOME).status_code == 302


def test_a_disabled_user_is_out_at_the_next_request(client, org):
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    client.force_login(user)
    assert client.get(HOME).status_code == 200
    assert client.get(HOME).status_code == 200
    user_set_active(user=User.objects.get(pk=user.pk), is_active=False, actor=admin)
    assert client.get(HOME).status_code == 302


def test_an_entry_made_with_another_secret_key_is_not_used(org, settings):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    cached_user(user.pk)
    before = user_key(user.pk)
    settings.SECRET_KEY = "another-test-only-key-0123456789abcdef0123456789abcdef"
    assert user_key(user.pk) != before and cache.get(user_key(user.pk)) is None


def test_a_write_in_the_same_process_retires_what_was_fetched_with_the_user(
    org, django_capture_on_commit_callbacks
):
    """The unread count fetched with the user is not answered again once notifications were written."""
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    assert unread_count(User.objects.get(pk=user.pk)) == 0  # cached: 0
    loaded = cached_user(user.pk)  # fetches the count with the row
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], title="新的待办")
    with CaptureQueriesContext(connection) as ctx:
        assert unread_count(loaded) == 1
    assert len(ctx.captured_queries) == 1
    fresh = cached_user(user.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert unread_count(fresh) == 1
    assert ctx.captured_queries == []


def test_a_password_changed_through_the_service_is_what_the_next_login_needs(org):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    cached = cached_user(user.pk)
    password_change(user=cached, new_password="Fresh-lantern-1357")
    assert User.objects.get(pk=user.pk).check_password("Fresh-lantern-1357")
    assert (
        cached_user(user.pk).get_session_auth_hash() == User.objects.get(pk=user.pk).get_session_auth_hash()
    )
