"""Campaign list and detail: each role sees exactly its scope, counts come from SQL, query counts are flat.

甲镇 (cycle fixture): 东村 and 西村 are in 第一党总支, 南村 in 第二党总支; 经管站 supervises 东村 and 南村.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import Assessment, Campaign
from assessments.services.campaigns import campaign_create
from assessments.services.transitions import assessment_transition
from tests.assessments.conftest import fill_self
from tests.factories import BranchFactory, TownshipFactory, user_with_role
from villages.models import Village

S = Assessment.Status


def _names(response):
    return sorted(a.village.name for a in response.context["page_obj"].object_list)


def _detail(cycle, **query):
    return reverse("assessments:campaign_detail", args=[cycle.campaign.pk]), query


@pytest.fixture
def users(cycle):
    org = cycle.org
    return {
        "committee": cycle.committee,
        "secretary": cycle.secretary,
        "secretary2": user_with_role(Role.BRANCH_SECRETARY, org.other_branch, username="zz_2"),
        "unit": user_with_role(Role.UNIT_STAFF, org.unit, username="jgz"),
        "reviewer": cycle.reviewer,
        "leader": cycle.leader,
        "city": cycle.city,
        "other_reviewer": user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="jiwei_yi"),
        "far_city": user_with_role(Role.CITY_OFFICE, org.other_city, username="city_yi"),
        "admin": user_with_role(Role.ADMIN, None, username="root", is_staff=True, is_superuser=True),
    }


# Who sees which rows of 甲镇's campaign, written out by hand from the org tree.
ROWS = {
    "committee": ["东村"],
    "secretary": ["东村", "西村"],
    "secretary2": ["南村"],
    "unit": ["东村", "南村"],
    "reviewer": ["东村", "南村", "西村"],
    "leader": ["东村", "南村", "西村"],
    "city": ["东村", "南村", "西村"],
    "admin": ["东村", "南村", "西村"],
    "other_reviewer": None,  # 乙镇: the campaign is a 404
    "far_city": None,  # another city
}


@pytest.mark.parametrize("who", list(ROWS))
def test_detail_lists_exactly_the_rows_in_the_users_scope(client, cycle, users, who):
    client.force_login(users[who])
    response = client.get(reverse("assessments:campaign_detail", args=[cycle.campaign.pk]))
    if ROWS[who] is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert _names(response) == ROWS[who]
    assert response.context["totals"]["total"] == len(ROWS[who])


@pytest.mark.parametrize("who", list(ROWS))
def test_list_shows_the_campaign_with_counts_of_the_users_scope_only(client, cycle, users, who):
    fill_self(cycle.a["东村"], cycle.committee, cycle.supervisor)
    assessment_transition(assessment=cycle.a["东村"], action="submit", actor=cycle.committee)
    client.force_login(users[who])
    response = client.get(reverse("assessments:campaign_list"))
    assert response.status_code == 200
    listed = list(response.context["page_obj"].object_list)
    if ROWS[who] is None:
        assert listed == []
        return
    (campaign,) = listed
    expected_submitted = 1 if "东村" in ROWS[who] else 0
    assert campaign.subject_count == len(ROWS[who])
    assert campaign.n_submitted == expected_submitted
    assert campaign.n_draft == len(ROWS[who]) - expected_submitted
    assert campaign.n_forwarded == campaign.n_confirmed == 0


def test_the_city_offices_list_is_cached_and_shows_a_submission_and_a_new_round_at_once(client, cycle, users):
    """A city office's page is the same for everyone holding its regions: cached per their data
    versions (accounts.pages), which a transition and a new campaign renew."""
    url = reverse("assessments:campaign_list")
    client.force_login(users["city"])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    assert not page.templates and len(ctx.captured_queries) <= 1  # the session's user at most
    assert "已提交" not in page.content.decode()
    fill_self(cycle.a["东村"], cycle.committee, cycle.supervisor)
    assessment_transition(assessment=cycle.a["东村"], action="submit", actor=cycle.committee)
    assert "村已提交" in client.get(url).content.decode()
    campaign_create(
        actor=None,
        township=cycle.org.other_town,
        year=2024,
        standard=cycle.standard,
        name="乙镇新的测评",
    )
    assert "乙镇新的测评" in client.get(url).content.decode()
    # a township's reviewer reaches less than whole regions: rendered each time
    client.force_login(users["reviewer"])
    client.get(url)
    assert client.get(url).templates


def test_list_shows_deadlines_standard_and_create_button_only_for_managers(client, cycle, users):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(self_deadline=datetime.date(2024, 6, 25))
    client.force_login(users["reviewer"])
    page = client.get(reverse("assessments:campaign_list")).content.decode()
    assert "2024年6月25日" in page
    assert cycle.standard.label in page and cycle.standard.version not in page  # users read “2024年版”
    assert "新建测评" in page
    client.force_login(users["leader"])
    page = client.get(reverse("assessments:campaign_list")).content.decode()
    assert "新建测评" not in page
    assert "未确认" in page


def test_confirmed_campaign_shows_the_badge(client, cycle, users):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(grades_confirmed_at=timezone.now())
    client.force_login(users["committee"])
    assert "已确认定级" in client.get(reverse("assessments:campaign_list")).content.decode()


def test_roles_without_campaign_view_get_404(client, cycle):
    from accounts.models import User

    client.force_login(User.objects.create_user("nobody", password="Zx9!kettle-lamp"))
    assert client.get(reverse("assessments:campaign_list")).status_code == 404
    assert client.get(reverse("assessments:campaign_detail", args=[cycle.campaign.pk])).status_code == 404


def test_review_scores_reach_the_village_side_only_after_confirmation(client, cycle, users):
    url = reverse("assessments:campaign_detail", args=[cycle.campaign.pk])
    client.force_login(users["committee"])
    response = client.get(url, {"sort": "-final"})
    assert response.context["show_scores"] is False
    assert "定级</th>" not in response.content.decode()
    client.force_login(users["secretary"])
    assert client.get(url).context["show_scores"] is False
    client.force_login(users["reviewer"])
    assert client.get(url).context["show_scores"] is True
    Campaign.objects.filter(pk=cycle.campaign.pk).update(grades_confirmed_at=timezone.now())
    client.force_login(users["committee"])
    assert client.get(url).context["show_scores"] is True


def test_detail_search_filter_and_sort(client, cycle, users):
    fill_self(cycle.a["西村"], cycle.committee, cycle.supervisor)
    Assessment.objects.filter(pk=cycle.a["西村"].pk).update(status=S.SUBMITTED)
    url = reverse("assessments:campaign_detail", args=[cycle.campaign.pk])
    client.force_login(users["reviewer"])
    assert _names(client.get(url, {"q": "东"})) == ["东村"]
    assert _names(client.get(url, {"status": "submitted"})) == ["西村"]
    assert _names(client.get(url, {"branch": cycle.org.other_branch.pk})) == ["南村"]
    assert _names(client.get(url, {"branch": "x; drop"})) == ["东村", "南村", "西村"]
    ordered = [a.village.name for a in client.get(url, {"sort": "-status"}).context["page_obj"]]
    assert ordered[0] == "西村"
    ordered = [a.village.name for a in client.get(url, {"sort": "branch"}).context["page_obj"]]
    assert ordered[-1] == "南村"


def test_detail_links_to_grading_board_for_the_reviewer_and_branch_boards_to_their_secretary_only(
    client, cycle, users
):
    url = reverse("assessments:campaign_detail", args=[cycle.campaign.pk])
    grading = reverse("assessments:grading_board", args=[cycle.campaign.pk])
    board1 = reverse("assessments:branch_board", args=[cycle.campaign.pk, cycle.org.branch.pk])
    board2 = reverse("assessments:branch_board", args=[cycle.campaign.pk, cycle.org.other_branch.pk])
    client.force_login(users["reviewer"])
    page = client.get(url).content.decode()
    # The 党总支报送 buttons are the branch secretaries' (issue 12): the reviewer sees its own actions.
    assert grading in page and board1 not in page and board2 not in page
    assert "党总支报送" not in page and "第一党总支报送" not in page
    # ... and opens each village's review straight from the list.
    assert reverse("assessments:review_edit", args=[cycle.a["东村"].pk]) in page
    client.force_login(users["secretary"])
    page = client.get(url).content.decode()
    assert grading not in page and board1 in page and board2 not in page
    client.force_login(users["committee"])
    page = client.get(url).content.decode()
    assert grading not in page and board1 not in page
    assert reverse("assessments:assessment_detail", args=[cycle.a["东村"].pk]) in page
    assert reverse("assessments:campaign_edit", args=[cycle.campaign.pk]) not in page


def test_detail_shows_the_years_target_to_township_roles_only(client, cycle, users):
    from assessments.services.campaigns import annual_target_save

    annual_target_save(
        township=cycle.org.town,
        year=2024,
        mode="counts",
        counts=[("SHIFAN", "示范村", 1), ("DABIAO", "达标村", 2)],
        actor=None,
    )
    url = reverse("assessments:campaign_detail", args=[cycle.campaign.pk])
    client.force_login(users["leader"])
    page = client.get(url).content.decode()
    assert "示范村 1 个，达标村 2 个" in page
    client.force_login(users["committee"])
    assert "示范村 1 个" not in client.get(url).content.decode()


def test_navigation_and_home_cards(client, cycle, users):
    client.force_login(users["secretary"])
    page = client.get("/").content.decode()
    assert reverse("assessments:campaign_list") in page
    assert "本党总支报送：第一党总支" in page
    assert reverse("assessments:branch_board", args=[cycle.campaign.pk, cycle.org.branch.pk]) in page
    client.force_login(users["committee"])
    page = client.get("/").content.decode()
    assert "测评年度" in page
    assert "本党总支报送" not in page


# --- Query budgets -------------------------------------------------------------------------------


def _town(standard, n, year=2024, name=None):
    """A township with n villages in one branch and its campaign."""
    town = TownshipFactory(name=name or f"规模镇{n}")
    branch = BranchFactory(township=town, name="规模党总支")
    Village.objects.bulk_create(
        Village(township=town, branch=branch, name=f"村{i:03d}", sort_order=i) for i in range(n)
    )
    today = timezone.localdate()
    campaign = campaign_create(
        actor=None,
        township=town,
        year=year,
        standard=standard,
        self_deadline=today - datetime.timedelta(days=1),
        submission_deadline=today + datetime.timedelta(days=5),
    )
    Assessment.objects.filter(campaign=campaign, village__sort_order__lt=n // 2).update(status=S.SUBMITTED)
    return town, branch, campaign


def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("role", [Role.TOWNSHIP_REVIEWER, Role.BRANCH_SECRETARY])
def test_detail_query_count_is_the_same_for_10_and_200_villages(client, standard, role):
    counts = []
    for n in (10, 200):
        town, branch, campaign = _town(standard, n)
        user = user_with_role(role, town if role == Role.TOWNSHIP_REVIEWER else branch)
        client.force_login(user)
        url = reverse("assessments:campaign_detail", args=[campaign.pk])
        queries, response = _count_queries(client, url, {"sort": "-submitted"})
        assert response.context["page_obj"].paginator.count == n
        assert len(response.context["page_obj"].object_list) == min(n, 50)
        counts.append(queries)
    assert counts[0] == counts[1]
    # session, user, memberships, campaign, scope checks, status totals, page count and rows, grades,
    # branches, target; plus the session save of a first request.
    assert counts[1] <= 15


def test_list_query_count_does_not_grow_with_villages_or_campaigns(client, standard):
    admin = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    # the session's first stamp (accounts.middleware) is not the page's, nor the unread count, which
    # later pages read from the cache
    client.get(reverse("home"))
    _town(standard, 10, name="小镇")
    few, _ = _count_queries(client, reverse("assessments:campaign_list"))
    for year in (2023, 2024, 2025):
        _town(standard, 200 if year == 2024 else 20, year=year, name=f"大镇{year}")
    many, response = _count_queries(client, reverse("assessments:campaign_list"))
    assert len(response.context["page_obj"].object_list) == 4
    big = next(c for c in response.context["page_obj"].object_list if c.subject_count == 200)
    assert (big.n_submitted, big.n_draft) == (100, 100)
    assert few == many
    # memberships (the villages created renewed the access token), count, rows, the page's status
    # counts; the session, the user and the unread count come from the cache
    assert many == 4
