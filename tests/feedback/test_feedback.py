"""群众意见: the public form (limits, throttling, no HTML, forged keys) and the township's handling."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from audit.models import AuditEvent
from common.errors import ConflictError, InvalidInputError, NotPermittedError
from feedback import services as svc
from feedback import throttle
from feedback.models import Feedback
from ledgers.models import Rectification
from tests.factories import user_with_role

S = Feedback.Status


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _published(monkeypatch):
    """Messages are taken only on a published card; here every village counts as published (the gate
    itself is tested with real publications in tests/publication/test_public.py)."""
    monkeypatch.setattr("feedback.services.village_is_published", lambda key: True)


@pytest.fixture
def people(org):
    class P:
        reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev")
        other_reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.far_town, username="rev2")
        leader = user_with_role(Role.TOWNSHIP_LEADER, org.town, username="lead")
        committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cw")

    return P


def post(client, village, ip="10.0.0.1", json=True, **data):
    values = {"category": "problem", "text": "村务公开栏三个月没有更新", "contact": ""} | data
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(
        reverse("feedback:public_submit", args=[village.public_key]), values, REMOTE_ADDR=ip, **headers
    )


def message(village, text="村务公开栏三个月没有更新"):
    return svc.feedback_submit(village_key=village.public_key, category="problem", text=text, ip="10.0.0.9")


# ---- the public form --------------------------------------------------------------------------------


def test_a_visitor_without_account_leaves_a_message_stored_with_a_hash_not_the_address(client, org):
    response = post(client, org.village, ip="203.0.113.7", contact="13800000000")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": "感谢您的意见，我们会认真处理。"}
    item = Feedback.objects.get()
    assert (item.village, item.township, item.category, item.status) == (
        org.village,
        org.town,
        "problem",
        S.NEW,
    )
    assert item.text == "村务公开栏三个月没有更新" and item.contact == "13800000000"
    assert len(item.client_hash) == 64 and "203.0.113.7" not in item.client_hash
    event = AuditEvent.objects.get(action="feedback.submit")
    assert event.ip is None and "203.0.113.7" not in str(event.detail)


def test_the_21st_message_from_one_client_within_an_hour_is_refused_and_not_stored(client, org):
    for _ in range(throttle.PER_CLIENT):
        assert post(client, org.village).status_code == 200
    response = post(client, org.village)
    assert response.status_code == 429
    assert response.json() == {"ok": False, "message": "您在一小时内已提交 20 条意见，请稍后再试。"}
    assert Feedback.objects.count() == 20
    # another sender is not held back by it
    assert post(client, org.village, ip="10.0.0.2").status_code == 200
    assert Feedback.objects.count() == 21


def test_refused_input_does_not_use_up_the_senders_quota(client, org):
    for _ in range(25):
        assert post(client, org.village, text="短").status_code == 400
    assert post(client, org.village).status_code == 200


def test_a_village_takes_at_most_200_messages_an_hour(client, org, monkeypatch):
    monkeypatch.setattr(throttle, "PER_VILLAGE", 3)
    for n in range(3):
        assert post(client, org.village, ip=f"10.0.1.{n}").status_code == 200
    response = post(client, org.village, ip="10.0.1.99")
    assert response.status_code == 429
    assert response.json()["message"] == "本村（社区）近一小时收到的意见过多，请稍后再试。"
    assert Feedback.objects.count() == 3
    # the refused sender's own quota was given back, and another village is not affected
    assert post(client, org.sibling, ip="10.0.1.99").status_code == 200


def test_the_village_limit_is_200(org):
    assert (throttle.PER_CLIENT, throttle.PER_VILLAGE, throttle.WINDOW_SECONDS) == (20, 200, 3600)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"text": "  四个字啊  "}, "意见内容请至少填写 5 个字。"),
        ({"text": "字" * 501}, "意见内容不能超过 500 个字（现为 501 个字）。"),
        ({"contact": "1" * 51}, "联系方式不能超过 50 个字。"),
        ({"category": "spam"}, "请选择意见类别。"),
        ({"text": "<b></b><i>ab</i>"}, "意见内容请至少填写 5 个字。"),
    ],
)
def test_length_and_category_limits_refuse_with_a_chinese_message(client, org, data, error):
    response = post(client, org.village, **data)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": error}
    assert not Feedback.objects.exists()


def test_500_characters_are_accepted(client, org):
    assert post(client, org.village, text="字" * 500).status_code == 200


def test_html_is_stored_as_plain_text_and_escaped_on_the_township_page(client, org, people):
    post(client, org.village, text='<script>alert(1)</script>公开栏<img src=x onerror="alert(2)">没更新 a<b')
    item = Feedback.objects.get()
    assert "<script" not in item.text and "<img" not in item.text
    assert "公开栏" in item.text
    client.force_login(people.reviewer)
    page = client.get(reverse("feedback:detail", args=[item.pk])).content.decode()
    assert "<script>alert" not in page and "onerror" not in page
    # what is left of a stray "<" is shown as text, not markup
    Feedback.objects.filter(pk=item.pk).update(text="<script>alert(3)</script>")
    page = client.get(reverse("feedback:detail", args=[item.pk])).content.decode()
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page and "<script>alert(3)" not in page


def test_a_forged_or_unknown_key_is_a_404_and_stores_nothing(client, org):
    for key in ("forged-key", "AAAAAAAAAAAA", org.town.public_key):
        response = client.post(
            reverse("feedback:public_submit", args=[key]),
            {"category": "problem", "text": "村务公开栏没有更新"},
        )
        assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_the_public_endpoint_takes_only_post(client, org):
    response = client.get(reverse("feedback:public_submit", args=[org.village.public_key]))
    assert response.status_code == 405


def test_the_honeypot_thanks_the_bot_and_stores_nothing(client, org):
    response = post(client, org.village, website="http://spam.example")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert not Feedback.objects.exists()


def test_csrf_stays_on_for_the_public_form(org):
    client = Client(enforce_csrf_checks=True)
    response = post(client, org.village)
    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_without_js_the_form_redirects_back_to_the_card_with_a_message(client, org):
    response = client.post(
        reverse("feedback:public_submit", args=[org.village.public_key]),
        {"category": "praise", "text": "村干部办事很热情"},
        HTTP_REFERER="http://testserver/public/v/abc/",
    )
    assert response.status_code == 302 and response["Location"] == "http://testserver/public/v/abc/"
    # a foreign referrer is not followed: a plain page answers instead
    response = client.post(
        reverse("feedback:public_submit", args=[org.village.public_key]),
        {"category": "praise", "text": "村干部办事很热情"},
        HTTP_REFERER="https://evil.example/",
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 200 and "感谢您的意见" in response.content.decode()


def test_the_public_form_include_posts_to_the_endpoint_with_a_token(rf, org):
    from django.template.loader import render_to_string

    request = rf.get("/")
    html = render_to_string("feedback/public_form.html", {"village_key": org.village.public_key}, request)
    assert f'action="{reverse("feedback:public_submit", args=[org.village.public_key])}"' in html
    assert "csrfmiddlewaretoken" in html and 'name="website"' in html


# ---- the township side ------------------------------------------------------------------------------


def test_the_list_shows_the_townships_messages_with_filters(client, org, people):
    mine = message(org.village)
    message(org.sibling, text="西村的路灯坏了很久")
    far = message(org.far, text="远村的意见不属于甲镇")
    client.force_login(people.reviewer)
    page = client.get(reverse("feedback:list")).content.decode()
    assert "村务公开栏" in page and "西村的路灯" in page and "远村的意见" not in page
    page = client.get(reverse("feedback:list"), {"village": org.sibling.pk}).content.decode()
    assert "西村的路灯" in page and "村务公开栏" not in page
    page = client.get(reverse("feedback:list"), {"q": "路灯"}).content.decode()
    assert "西村的路灯" in page and "村务公开栏" not in page
    svc.feedback_dismiss(feedback=mine, actor=people.reviewer, reason="重复", expected_version=1)
    page = client.get(reverse("feedback:list"), {"status": "new"}).content.decode()
    assert "西村的路灯" in page and "村务公开栏" not in page
    assert far.pk


def test_out_of_scope_township_user_gets_404_on_the_detail_and_the_actions(client, org, people):
    item = message(org.village)
    client.force_login(people.other_reviewer)
    assert client.get(reverse("feedback:detail", args=[item.pk])).status_code == 404
    for name in ("feedback:answer", "feedback:dismiss", "feedback:rectify"):
        response = client.post(reverse(name, args=[item.pk]), {"version": 1, "answer": "好", "reason": "x"})
        assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == S.NEW and item.version == 1


def test_village_roles_do_not_see_messages_and_the_leader_only_reads(client, org, people):
    item = message(org.village)
    client.force_login(people.committee)
    assert client.get(reverse("feedback:detail", args=[item.pk])).status_code == 404
    assert client.get(reverse("feedback:list")).status_code == 404
    client.force_login(people.leader)
    page = client.get(reverse("feedback:detail", args=[item.pk]))
    assert page.status_code == 200 and "转为整改事项" not in page.content.decode()
    assert (
        client.post(reverse("feedback:answer", args=[item.pk]), {"version": 1, "answer": "好"}).status_code
        == 404
    )
    with pytest.raises(NotPermittedError):
        svc.feedback_answer(feedback=item, actor=people.leader, answer="好", expected_version=1)


def test_answer_sets_the_text_and_writes_one_audit_row(client, org, people):
    item = message(org.village)
    client.force_login(people.reviewer)
    response = client.post(
        reverse("feedback:answer", args=[item.pk]), {"version": 1, "answer": "已督促村里本周更新。"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.answer, item.handled_by, item.version) == (
        S.ANSWERED,
        "已督促村里本周更新。",
        people.reviewer,
        2,
    )
    events = AuditEvent.objects.filter(action="feedback.answer", object_id=str(item.pk))
    assert events.count() == 1 and events.get().actor == people.reviewer


def test_dismiss_needs_a_reason_and_writes_one_audit_row(org, people):
    item = message(org.village)
    with pytest.raises(InvalidInputError, match="不予处理须填写理由。"):
        svc.feedback_dismiss(feedback=item, actor=people.reviewer, reason="  ", expected_version=1)
    item.refresh_from_db()
    assert item.status == S.NEW
    svc.feedback_dismiss(feedback=item, actor=people.reviewer, reason="与清廉村居无关", expected_version=1)
    item.refresh_from_db()
    assert (item.status, item.reason) == (S.DISMISSED, "与清廉村居无关")
    assert AuditEvent.objects.filter(action="feedback.dismiss", object_id=str(item.pk)).count() == 1


def test_a_stale_version_is_refused(org, people):
    item = message(org.village)
    svc.feedback_answer(feedback=item, actor=people.reviewer, answer="第一次答复", expected_version=1)
    with pytest.raises(ConflictError, match="该意见已被他人处理"):
        svc.feedback_dismiss(feedback=item, actor=people.reviewer, reason="晚了", expected_version=1)
    item.refresh_from_db()
    assert (item.status, item.answer, item.reason) == (S.ANSWERED, "第一次答复", "")


def test_turning_into_a_rectification_creates_exactly_one_linked_item_and_a_second_click_is_refused(
    client, org, people
):
    item = message(org.village)
    client.force_login(people.reviewer)
    url = reverse("feedback:rectify", args=[item.pk])
    assert client.post(url, {"version": 1}).status_code == 302
    response = client.post(url, {"version": 1}, follow=True)
    assert "该意见已被他人处理，请刷新页面后查看。" in response.content.decode()
    item.refresh_from_db()
    rect = Rectification.objects.get()
    assert item.status == S.RECTIFIED and item.rectification == rect and rect.feedback == item
    assert (rect.village, rect.township, rect.source) == (
        org.village,
        org.town,
        Rectification.Source.FEEDBACK,
    )
    assert "村务公开栏三个月没有更新" in rect.problem
    assert AuditEvent.objects.filter(action="feedback.rectify", object_id=str(item.pk)).count() == 1
    assert AuditEvent.objects.filter(action="rectification.create", object_id=str(rect.pk)).count() == 1
    # even with the fresh version, a handled message is not turned twice
    with pytest.raises(ConflictError, match="当前状态为“已转整改”"):
        svc.feedback_to_rectification(feedback=item, actor=people.reviewer, expected_version=item.version)
    assert Rectification.objects.count() == 1
    page = client.get(reverse("feedback:detail", args=[item.pk])).content.decode()
    assert reverse("ledgers:rectification_detail", args=[rect.pk]) in page


def test_the_home_page_counts_new_messages_for_the_reviewer_only(client, org, people):
    message(org.village)
    message(org.sibling)
    client.force_login(people.reviewer)
    assert "2 条群众意见待处理" in client.get(reverse("home")).content.decode()
    client.force_login(people.leader)
    assert "条群众意见待处理" not in client.get(reverse("home")).content.decode()


def test_a_visitor_of_a_cached_card_gets_a_token_of_its_own_and_can_post(org):
    """The card is cached: its rendered token is the first visitor's. The token endpoint gives the next
    visitor one of its own, which the POST then passes the CSRF check with."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(reverse("feedback:public_token"))
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    token = response.json()["token"]
    response = post(client, org.village, csrfmiddlewaretoken=token)
    assert response.status_code == 200 and Feedback.objects.count() == 1


def test_the_list_makes_a_constant_number_of_queries(client, org, people, django_assert_max_num_queries):
    for n in range(3):
        message(org.village, text=f"第{n}条：村务公开栏没有更新")
    client.force_login(people.reviewer)
    cache.clear()  # both requests measured with an empty cache (the loop below empties it)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("feedback:list")).status_code == 200
    for n in range(3, 25):
        cache.clear()  # one sender's hourly limit is not what this test is about
        message(org.sibling if n % 2 else org.village, text=f"第{n}条：村务公开栏没有更新")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("feedback:list")).content.decode()
    assert "第24条" in page


def test_the_public_forms_categories_are_the_models_choices():
    import re

    from django.template.loader import render_to_string

    from feedback.models import Feedback

    html = render_to_string("feedback/public_form.html", {"village_key": "k"})
    assert re.findall(r'<option value="([^"]+)">([^<]+)</option>', html) == list(Feedback.Category.choices)
