"""Login, lockout, passwords and sessions (SECURITY.md AUTH-*, SESS-*)."""

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.middleware import SESSION_LOGIN_AT
from accounts.models import Role, User
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory, user_with_role

LOGIN = "/accounts/login/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7")


@pytest.mark.django_db
def test_login_with_right_password_redirects_home_and_is_audited(client):
    user = UserFactory(username="alice")
    response = _login(client, "alice", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == user
    assert event.ip == "10.0.0.7"
    assert event.result == "success"


@pytest.mark.django_db
def test_unknown_user_and_wrong_password_get_the_same_message(client):
    UserFactory(username="bob")
    wrong = _login(client, "bob", "Wrong-pass-123").content.decode()
    unknown = _login(client, "nobody", "Wrong-pass-123").content.decode()
    assert "用户名或密码不正确。" in wrong
    assert "用户名或密码不正确。" in unknown
    failures = AuditEvent.objects.filter(action="auth.login_failed", result="failure")
    assert sorted(failures.values_list("actor_username", flat=True)) == ["bob", "nobody"]


@pytest.mark.django_db
def test_sixth_attempt_is_refused_even_with_the_right_password(client):
    UserFactory(username="carol")
    for _ in range(5):
        _login(client, "carol", "Wrong-pass-123")
    response = _login(client, "carol", TEST_PASSWORD)
    assert response.status_code == 429
    assert "登录已被暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.locked_out", actor_username="carol").exists()


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off(client, settings):
    from axes.models import AccessAttempt

    UserFactory(username="dave")
    for _ in range(5):
        _login(client, "dave", "Wrong-pass-123")
    assert _login(client, "dave", TEST_PASSWORD).status_code == 429
    # Move the recorded failures back past the 15-minute cool-off.
    from datetime import timedelta

    from django.utils import timezone

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = _login(client, "dave", TEST_PASSWORD)
    assert response.status_code == 302


WEAK_PASSWORDS = [
    "qinglian123",
    "Qinglian123",
    "admin2024",
    "Admin2024!",
    "password1",
    "Passw0rd!",
    "12345678901",
    "baogou2024",
    "sanguan123",
    "demo12345",
    "test12345",
    "abc123456",
    "qwerty123",
    "welcome1",
    "letmein12",
    "short1!",
    "aaaaaaaaaa",
    "abcdefghij",
    "ABCDEFGHIJ",
    "1234567890",
    "jiwei2024",
    "shifan2024",
    "dabiao2024",
    "tengzhou12",
    "root123456",
    "user123456",
    "cunwei2024",
    "zhenjie123",
    "iloveyou12",
    "monkey1234",
    "qlcj2024",
    "cunju12345",
]


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_weak_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        validate_password(password, User(username="village001", full_name="测试"))


@pytest.mark.parametrize("length", [64, 128])
def test_long_passphrases_are_accepted(length):
    password = ("Lantern-river-7 " * 10)[:length]
    validate_password(password, User(username="someone"))


@pytest.mark.django_db
def test_password_change_needs_the_current_password_and_clears_the_first_login_flag(client):
    user = UserFactory(must_change_password=True)
    client.force_login(user)
    assert client.get("/").status_code == 302  # forced to the change page first
    bad = client.post(
        "/accounts/password/",
        {
            "old_password": "not-it",
            "new_password1": "Cedar-harbor-5521",
            "new_password2": "Cedar-harbor-5521",
        },
    )
    assert bad.status_code == 200
    assert "旧密码不正确" in bad.content.decode() or "您的旧密码不正确" in bad.content.decode()
    ok = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Cedar-harbor-5521",
            "new_password2": "Cedar-harbor-5521",
        },
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.must_change_password is False
    assert user.check_password("Cedar-harbor-5521")
    assert AuditEvent.objects.filter(action="auth.password_change", actor=user).count() == 1
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_user_who_must_change_password_is_sent_to_the_change_page(client):
    client.force_login(UserFactory(must_change_password=True))
    response = client.get("/org/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"


@pytest.mark.django_db
def test_session_key_changes_at_login(client):
    UserFactory(username="erin")
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    _login(client, "erin", TEST_PASSWORD)
    assert client.session.session_key != before


@pytest.mark.django_db
def test_absolute_session_lifetime_logs_out(client, settings):
    client.force_login(UserFactory())
    assert client.get("/").status_code == 200
    session = client.session
    session[SESSION_LOGIN_AT] = time.time() - settings.QL_SESSION_ABSOLUTE_SECONDS - 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302


def test_idle_timeout_is_thirty_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60


@pytest.mark.django_db
def test_the_idle_timeout_is_renewed_at_most_once_a_minute_and_reads_write_no_session(client, settings):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    settings.QL_SESSION_RENEW_SECONDS = 60
    client.force_login(UserFactory())  # logging in stamps the session as seen
    key = client.session.session_key
    first = Session.objects.get(pk=key).expire_date
    assert client.get("/").status_code == 200
    time.sleep(0.01)
    assert client.get("/").status_code == 200
    assert Session.objects.get(pk=key).expire_date == first  # within the minute: nothing written
    settings.QL_SESSION_RENEW_SECONDS = 0
    assert client.get("/").status_code == 200
    renewed = Session.objects.get(pk=key).expire_date
    assert renewed > first and renewed > timezone.now() + timezone.timedelta(minutes=29)


@pytest.mark.django_db
def test_logout_is_post_only_and_ends_the_session(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout").count() == 1


@pytest.mark.django_db
def test_disabling_a_user_ends_their_sessions(client):
    from accounts.services import user_set_active

    user = UserFactory()
    client.force_login(user)
    assert client.get("/").status_code == 200
    user_set_active(user=user, is_active=False)
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_session_cookie_is_httponly_and_samesite_lax(client):
    UserFactory(username="fay")
    response = _login(client, "fay", TEST_PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_django_admin_is_only_for_administrators(client, org, role):
    node = {
        "village": org.village,
        "branch": org.branch,
        "unit": org.unit,
        "township": org.town,
        "region": org.city,
    }
    from accounts.models import ROLE_NODE

    user = user_with_role(role, node[ROLE_NODE[role]], is_staff=True)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


def _login_via_proxy(client, username, password, client_addr):
    """A login as the README's reverse proxy forwards it: REMOTE_ADDR is the proxy for everyone."""
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR=f"198.51.100.77, {client_addr}",  # the first hop is the client's own claim
    )


@pytest.mark.django_db
def test_behind_the_proxy_wrong_passwords_lock_only_that_account_from_that_address(client, settings):
    settings.QL_TRUSTED_PROXY_COUNT = 1
    UserFactory(username="erin")
    UserFactory(username="frank")
    for _ in range(5):
        _login_via_proxy(client, "erin", "Wrong-pass-123", "203.0.113.5")
    assert _login_via_proxy(client, "erin", TEST_PASSWORD, "203.0.113.5").status_code == 429
    # another account through the same proxy, from another address, logs in
    assert _login_via_proxy(client, "frank", TEST_PASSWORD, "203.0.113.6").status_code == 302
    client.logout()
    # and so does the locked account's owner from their own address
    assert _login_via_proxy(client, "erin", TEST_PASSWORD, "203.0.113.9").status_code == 302
    # the audit log names the client, not the proxy, and not the address the client claimed
    failed = AuditEvent.objects.filter(action="auth.login_failed", actor_username="erin")
    assert set(failed.values_list("ip", flat=True)) == {"203.0.113.5"}
    assert AuditEvent.objects.filter(action="auth.login", actor_username="frank").get().ip == "203.0.113.6"


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_forwarded_header_is_ignored(client, settings):
    settings.QL_TRUSTED_PROXY_COUNT = 0
    UserFactory(username="gina")
    _login_via_proxy(client, "gina", TEST_PASSWORD, "203.0.113.5")
    assert AuditEvent.objects.get(action="auth.login").ip == "10.9.9.9"


@pytest.mark.parametrize(
    "count, forwarded, remote, expected",
    [
        (0, "1.2.3.4", "10.0.0.1", "10.0.0.1"),
        (1, "1.2.3.4", "10.0.0.1", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "10.0.0.1", "1.2.3.4"),
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "10.0.0.1", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.1", "10.0.0.1"),  # fewer hops than proxies: not trusted
        (1, "not-an-address", "10.0.0.1", "10.0.0.1"),
        (1, "", "10.0.0.1", "10.0.0.1"),
        (1, " 2001:db8::1 ", "10.0.0.1", "2001:db8::1"),
    ],
)
def test_client_address_takes_the_hop_the_nearest_trusted_proxy_saw(
    settings, rf, count, forwarded, remote, expected
):
    from common.net import client_address

    settings.QL_TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
