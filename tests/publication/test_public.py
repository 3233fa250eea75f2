"""The public pages: readable without a login once published, 404 for anything unpublished, withdrawn,
another township's or forged; no person, evidence or internal id in them; cached; a fixed number of
queries whatever the size of the township."""

import io
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments.models import Assessment, Campaign
from assessments.services.campaigns import campaign_create
from publication.services import publication_publish, publication_withdraw
from publication.views import feedback_form_exists
from tests.assessments.test_grading import grade, township
from tests.publication.conftest import PERSON


def town_url(town, year=2024):
    return reverse("publication:public_township", args=[town.public_key, year])


def card_url(village):
    return reverse("publication:public_village", args=[village.public_key])


def poster_url(village):
    return reverse("publication:public_village_poster", args=[village.public_key])


@pytest.fixture
def published(decided, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decided.pub = publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    return decided


def test_a_visitor_without_an_account_reads_the_township_page(client, published):
    org = published.org
    response = client.get(town_url(org.town))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    html = response.content.decode()
    assert "甲镇 2024年度村居清廉指数" in html
    assert "第1版" in html
    for village in (org.village, org.sibling, org.cousin):
        assert f'href="{card_url(village)}"' in html
    assert "示范村 <strong>1</strong> 个" in html
    assert "达标村 <strong>1</strong> 个" in html
    assert "关于村居清廉指数" in html


def test_the_village_card_shows_the_grade_in_force_scores_and_lost_points(client, published):
    org = published.org
    html = client.get(card_url(org.cousin)).content.decode()
    assert "南村" in html and "达标村" in html and "经市级认定" in html
    html = client.get(card_url(org.sibling)).content.decode()
    west = published.a["西村"]
    assert f"{west.final_score.normalize():f}" in html
    assert "失分情况" in html and "扣" in html
    assert "2024年度" in html


def _public_pages(client, org):
    urls = [town_url(org.town)] + [card_url(v) for v in (org.village, org.sibling, org.cousin)]
    return {url: client.get(url).content.decode() for url in urls}


def test_no_public_page_names_a_person_links_evidence_or_shows_an_id(client, published):
    users = [published.reviewer, published.committee, published.city, published.leader, published.secretary]
    org = published.org
    keys = {org.town.public_key} | {v.public_key for v in (org.village, org.sibling, org.cousin)}
    public = re.compile(r"^/public/(?:t/([^/]+)/2024|v/([^/]+))/$")
    for url, html in _public_pages(client, published.org).items():
        assert PERSON not in html, url
        assert not any(u.username in html for u in users), url
        assert "evidence" not in html.lower() and "佐证" not in html, url
        for href in re.findall(r'href="([^"]+)"', html):
            # links go to public pages by their opaque keys only (or to static files): no id anywhere
            m = public.match(href)
            assert href.startswith("/static/") or (m and (m[1] or m[2]) in keys), (url, href)


@pytest.mark.parametrize("what", ["township", "village", "poster"])
def test_unpublished_other_townships_and_forged_addresses_answer_404(client, decided, what):
    org = decided.org
    # 乙镇 has a campaign of its own, a draft
    campaign_create(actor=None, township=org.other_town, year=2024, standard=decided.standard)
    urls = {
        "township": [
            town_url(org.town),  # confirmed but not published
            town_url(org.other_town),  # another township's draft
            town_url(org.far_town),
            reverse("publication:public_township", args=["x" * 16, 2024]),
            reverse("publication:public_township", args=[org.village.public_key, 2024]),
            reverse("publication:public_township", args=[str(org.town.pk), 2024]),
            reverse("publication:public_township", args=[org.town.public_key, 99999999999]),
            reverse("publication:public_township", args=[org.town.public_key + "x" * 300, 2024]),
        ],
        "village": [card_url(v) for v in (org.village, org.foreign, org.far)]
        + [
            reverse("publication:public_village", args=[k])
            for k in ("x" * 16, org.town.public_key, str(org.village.pk))
        ],
        "poster": [poster_url(v) for v in (org.village, org.foreign)]
        + [reverse("publication:public_village_poster", args=["nope"])],
    }[what]
    for url in urls:
        assert client.get(url).status_code == 404, url
    # once 甲镇 publishes, its own addresses open, nothing else does; another year stays 404
    publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    opened = {town_url(org.town), card_url(org.village), poster_url(org.village)}
    for url in urls:
        assert client.get(url).status_code == (200 if url in opened else 404), url
    for url in (town_url(org.town, 2023), town_url(org.town, 99999999999)):
        assert client.get(url).status_code == 404, url


def test_a_withdrawn_year_disappears_at_once_even_from_the_cache(
    client, published, django_capture_on_commit_callbacks
):
    org = published.org
    assert client.get(town_url(org.town)).status_code == 200
    assert client.get(card_url(org.village)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        publication_withdraw(publication=published.pub, actor=published.reviewer, reason="等次有误")
    for url in (town_url(org.town), card_url(org.village), card_url(org.sibling), poster_url(org.village)):
        assert client.get(url).status_code == 404, url


def test_a_correction_republishes_and_the_old_version_says_it_was_superseded(
    client, published, django_capture_on_commit_callbacks
):
    org = published.org
    assert "更正" not in client.get(town_url(org.town)).content.decode()
    Assessment.objects.filter(pk=published.a["西村"].pk).update(final_score=88)
    with django_capture_on_commit_callbacks(execute=True):
        publication_publish(campaign=published.campaign, actor=published.reviewer, reason="西村得分复核更正")
    html = client.get(town_url(org.town)).content.decode()
    assert "第2版" in html and "第1版" in html and "更正理由：西村得分复核更正" in html
    card = client.get(card_url(org.sibling)).content.decode()
    assert "88分" in card
    assert "原第1版" in card and "已作废" in card


def _publish_township(region, standard, n, name):
    town, campaign, reviewer = township(region, standard, n, name)
    grade(campaign, [("DABIAO", n)], status=Assessment.Status.CONFIRMED)
    Campaign.objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
    campaign.refresh_from_db()
    publication_publish(campaign=campaign, actor=reviewer)
    return town, town.villages.order_by("sort_order").first()


@pytest.mark.parametrize("n", [3, 25])
def test_public_pages_make_a_fixed_number_of_queries_and_none_when_cached(
    client, org, standard, n, django_assert_num_queries
):
    town, village = _publish_township(org.city, standard, n, f"规模{n}镇")
    for url in (town_url(town), card_url(village)):
        with django_assert_num_queries(1):
            assert client.get(url).status_code == 200
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200


def test_the_posters_are_one_a4_page_per_village_with_its_name(client, published):
    org = published.org
    response = client.get(poster_url(org.cousin))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "南村" in text and "达标村" in text and "2024" in text
    client.force_login(published.reviewer)
    response = client.get(reverse("publication:township_posters", args=[published.campaign.pk]))
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 3
    names = [p.extract_text() for p in reader.pages]
    assert [n for n in ("东村", "南村", "西村") if any(n in t for t in names)] == ["东村", "南村", "西村"]
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4


@pytest.fixture
def feedback_template(tmp_path, settings):
    """The feedback app's form, as it will provide it: included on the card by name only."""
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "public_form.html").write_text(
        '<form method="post" class="feedback">{% csrf_token %}FORM-FOR-{{ village_key }}</form>',
        encoding="utf-8",
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    feedback_form_exists.cache_clear()
    yield
    feedback_form_exists.cache_clear()


def test_the_card_includes_the_feedback_form_only_where_the_feedback_app_provides_it(client, published):
    feedback_form_exists.cache_clear()
    assert "FORM-FOR-" not in client.get(card_url(published.org.village)).content.decode()


def test_the_card_passes_the_village_key_to_the_feedback_form(client, published, feedback_template):
    key = published.org.village.public_key
    html = client.get(card_url(published.org.village)).content.decode()
    assert f"FORM-FOR-{key}" in html and "csrfmiddlewaretoken" in html
    # the form is rendered per request around the cached card
    assert f"FORM-FOR-{key}" in client.get(card_url(published.org.village)).content.decode()


def _message(client, village):
    return client.post(
        reverse("feedback:public_submit", args=[village.public_key]),
        {"category": "problem", "text": "村务公开栏三个月没有更新"},
        HTTP_ACCEPT="application/json",
    )


def test_a_message_is_taken_only_on_a_published_card(client, decided, django_capture_on_commit_callbacks):
    from feedback.models import Feedback

    village = decided.campaign.assessments.first().village
    cache.clear()
    assert _message(client, village).status_code == 404  # not published yet: no card, no message
    assert not Feedback.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        pub = publication_publish(campaign=decided.campaign, actor=decided.reviewer)
    assert _message(client, village).status_code in (200, 201)
    assert Feedback.objects.filter(village=village).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        publication_withdraw(publication=pub, actor=decided.reviewer, reason="数据有误，撤回核实")
    assert _message(client, village).status_code == 404
    assert Feedback.objects.count() == 1


def test_one_client_reading_too_many_public_pages_gets_a_chinese_429(client, published, settings):
    settings.QL_PUBLIC_REQUESTS_PER_MINUTE = 5
    org = published.org
    for _ in range(5):
        assert client.get(card_url(org.village)).status_code == 200
    refused = client.get(town_url(org.town))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "访问过于频繁" in refused.content.decode()
    # another client (another address) is not held back by the first one
    assert client.get(card_url(org.village), REMOTE_ADDR="10.0.0.9").status_code == 200
    # a logged-in user is never counted against the public limit
    client.force_login(published.reviewer)
    assert client.get(town_url(org.town)).status_code == 200
    # turned off, nothing is counted
    client.logout()
    settings.QL_PUBLIC_REQUESTS_PER_MINUTE = 0
    assert client.get(town_url(org.town)).status_code == 200


def test_the_public_limit_counts_only_public_pages(client, published, settings):
    settings.QL_PUBLIC_REQUESTS_PER_MINUTE = 2
    for _ in range(5):  # the login page and a redirect to it are not public views
        assert client.get(reverse("accounts:login")).status_code == 200
        assert client.get("/").status_code == 302
    assert client.get(card_url(published.org.village)).status_code == 200
