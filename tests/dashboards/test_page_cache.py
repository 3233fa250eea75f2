"""Whole pages cached per data version and user (accounts.pages, issue 16): the second look renders no
template, and everything of the user the page draws (name, reach, unread count, messages) is never
served stale."""

from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.pages import cached_page
from accounts.services import membership_grant, notify, user_update
from tests.dashboards.conftest import YEAR
from tests.factories import user_with_role


def _url(dash):
    return reverse("dashboards:township", args=[dash.org.town.pk, YEAR])


def _without_token(html):
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_second_look_renders_nothing_and_shows_the_same_page(dash):
    client = Client()
    client.force_login(dash.leader)
    first = client.get(_url(dash))
    assert first.context is not None and first.templates
    second = client.get(_url(dash))
    assert second.status_code == 200 and not second.templates  # from the cache: no template rendered
    assert _without_token(second.content.decode()) == _without_token(first.content.decode())
    assert 'name="csrfmiddlewaretoken" value="' in second.content.decode()
    assert "QLCSRFSLOT" not in second.content.decode()


def test_the_logout_form_of_a_cached_page_works(dash):
    """The CSRF token in the cached page is the request's own (checked as the browser sends it)."""
    import re

    client = Client(enforce_csrf_checks=True)
    client.force_login(dash.leader)
    client.get(_url(dash))
    page = client.get(_url(dash))
    assert not page.templates
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    assert client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get(_url(dash)).status_code == 302  # logged out: to the login page


def _token(page):
    import re

    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]


def test_a_cached_page_is_sent_compressed_as_it_was_stored(dash):
    """The entry is the gzip response: sent as it is to a browser that accepts gzip, decompressed for
    one that does not, with the same page in both."""
    import gzip

    client = Client()
    client.force_login(dash.leader)
    client.get(_url(dash))
    packed = client.get(_url(dash), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    plain = client.get(_url(dash))
    assert not packed.templates and not plain.templates
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert not plain.has_header("Content-Encoding")
    html = gzip.decompress(packed.content).decode()
    assert html == plain.content.decode() and "清廉" in html and html.rstrip().endswith("</html>")
    assert len(packed.content) < len(plain.content) / 3


def test_each_browser_of_one_user_gets_a_token_of_its_own(dash):
    """The key holds the browser's CSRF secret: a second browser (another login) of the same user gets
    its own page, whose token works there, and the first browser's token does not."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(dash.leader)
    second.force_login(dash.leader)
    for client in (first, second):
        client.get(_url(dash))
    mine, theirs = second.get(_url(dash)), first.get(_url(dash))
    assert not mine.templates and not theirs.templates
    logout = reverse("accounts:logout")
    assert second.post(logout, {"csrfmiddlewaretoken": _token(theirs)}).status_code == 403
    assert second.post(logout, {"csrfmiddlewaretoken": _token(mine)}).status_code == 302
    assert first.post(logout, {"csrfmiddlewaretoken": _token(theirs)}).status_code == 302


def test_each_user_gets_their_own_page(dash):
    leader, city = Client(), Client()
    leader.force_login(dash.leader)
    city.force_login(dash.city)
    for _ in range(2):
        mine = leader.get(_url(dash)).content.decode()
        theirs = city.get(_url(dash)).content.decode()
    assert "返回全市看板" in theirs and "返回全市看板" not in mine


def test_a_new_notification_shows_its_badge_on_the_next_look(dash, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(dash.leader)
    client.get(_url(dash))
    assert 'text-bg-warning">1<' not in client.get(_url(dash)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[dash.leader], title="请查看")
    assert 'text-bg-warning">1<' in client.get(_url(dash)).content.decode()


def test_a_renamed_user_and_a_new_role_show_on_the_next_look(dash):
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True, username="admin_pages")
    client = Client()
    client.force_login(dash.leader)
    client.get(_url(dash))
    nav = client.get(_url(dash)).content.decode().split("</nav>")[0]
    assert "新名字" not in nav and Role.TOWNSHIP_REVIEWER.label not in nav
    user_update(user=dash.leader, actor=admin, full_name="新名字")
    membership_grant(user=dash.leader, role=Role.TOWNSHIP_REVIEWER, node=dash.org.town)
    nav = client.get(_url(dash)).content.decode().split("</nav>")[0]
    assert "新名字" in nav and Role.TOWNSHIP_REVIEWER.label in nav


def test_a_page_with_a_message_to_show_is_rendered_and_shows_it_once(dash, rf):
    client = Client()
    client.force_login(dash.leader)
    client.get(_url(dash))
    client.get(_url(dash))  # cached
    # a message queued by the previous request (a redirect after a form), as the message cookie holds it
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage

    client.cookies[CookieStorage.cookie_name] = CookieStorage(rf.get("/"))._encode([Message(25, "已保存。")])
    shown = client.get(_url(dash))
    assert shown.templates and "已保存。" in shown.content.decode()
    assert "已保存。" not in client.get(_url(dash)).content.decode()


def test_without_a_shared_cache_the_page_is_rendered_every_time(dash, settings, rf):
    settings.QL_SHARED_CACHE = False
    request = rf.get("/")
    request.user = dash.leader
    request.session = {}
    request._messages = FallbackStorage(request)
    calls = []

    def context():
        calls.append(1)
        return {}

    for _ in range(2):
        assert cached_page(request, "bench/bare.html", context=context).status_code == 200
    assert len(calls) == 2 and not list(get_messages(request))


def test_only_addresses_of_the_pages_own_short_parameters_are_cached(dash):
    """A made-up parameter or a long value would make every address an entry of its own: rendered."""
    client = Client()
    client.force_login(dash.leader)
    branch = dash.org.town.branches.first().pk
    for query, cached in (
        ({"branch": branch}, True),
        ({"made_up": "1"}, False),
        ({"round": "x" * 40}, False),
    ):
        client.get(_url(dash), query)
        again = client.get(_url(dash), query)
        assert again.status_code == 200
        assert bool(again.templates) is not cached, query
