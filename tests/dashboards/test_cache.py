"""The dashboards' cached figures: served while nothing changed, recomputed after any service write
that changes them, and never a way around the access check."""

import datetime as dt
import itertools

from django.urls import reverse

from accounts.models import Role
from assessments.models import Assessment
from assessments.services import assessment_transition
from ledgers.models import Rectification
from ledgers.services.rectification import rectification_create
from tests.dashboards.conftest import YEAR
from tests.factories import user_with_role
from villages.models import Village

S = Assessment.Status


_fresh = itertools.count()


def _page(client, url):
    """The page rendered (an address of its own: the whole page is cached per address, accounts.pages),
    its figures as the cache holds them."""
    response = client.get(url, {"_": next(_fresh)})
    assert response.context is not None
    return response


def township_page(client, dash):
    return _page(client, reverse("dashboards:township", args=[dash.org.town.pk, YEAR]))


def city_row(client, dash):
    page = _page(client, reverse("dashboards:city", args=[dash.org.city.pk, YEAR]))
    return next(r for r in page.context["c"].towns if r.township.pk == dash.org.town.pk)


def test_an_assessment_transition_shows_on_the_next_request_of_both_dashboards(
    client, dash, django_capture_on_commit_callbacks
):
    client.force_login(dash.city)
    before = township_page(client, dash).context["d"].progress_total.copy()
    city_before = city_row(client, dash).progress.copy()
    a = Assessment.objects.filter(campaign=dash.campaign, status=S.FORWARDED).first()
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, dash.org.town, username="jw_cache")
    with django_capture_on_commit_callbacks(execute=True):
        assessment_transition(assessment=a, action="return", actor=reviewer, reason="材料不全")
    after = township_page(client, dash).context["d"].progress_total
    assert (after["submitted"], after["returned"]) == (before["submitted"] - 1, before["returned"] + 1)
    city_after = city_row(client, dash).progress
    assert (city_after["submitted"], city_after["returned"]) == (
        city_before["submitted"] - 1,
        city_before["returned"] + 1,
    )


def test_the_figures_are_served_from_the_cache_until_a_service_write(client, dash):
    """A row changed behind the services' back is not seen (the cache holds), the next service write
    in the township brings both changes."""
    client.force_login(dash.leader)
    before = township_page(client, dash).context["d"].progress_total.copy()
    forwarded = list(Assessment.objects.filter(campaign=dash.campaign, status=S.FORWARDED).order_by("pk"))
    Assessment.objects.filter(pk=forwarded[0].pk).update(status=S.RETURNED)
    assert township_page(client, dash).context["d"].progress_total == before
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, dash.org.town, username="jw_cache")
    a = Assessment.objects.filter(campaign=dash.campaign, status__in=[S.FORWARDED, S.IN_REVIEW]).first()
    assessment_transition(assessment=a, action="return", actor=reviewer, reason="材料不全")
    after = township_page(client, dash).context["d"].progress_total
    assert after["submitted"] == before["submitted"] - 2
    assert after["returned"] == before["returned"] + 2


def test_a_new_rectification_shows_on_the_next_request(client, dash, django_capture_on_commit_callbacks):
    client.force_login(dash.city)
    before = township_page(client, dash).context["d"].rectifications["total"]
    city_before = city_row(client, dash).rectifications["total"]
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, dash.org.town, username="jw_cache")
    with django_capture_on_commit_callbacks(execute=True):
        rectification_create(
            township=dash.org.town,
            village=Village.objects.filter(township=dash.org.town).first(),
            source=Rectification.Source.REVIEW,
            problem="公开不及时",
            requirement="限期整改",
            owner="",
            deadline=dt.date.today() + dt.timedelta(days=10),
            actor=reviewer,
        )
    assert township_page(client, dash).context["d"].rectifications["total"] == before + 1
    assert city_row(client, dash).rectifications["total"] == city_before + 1


def test_a_cached_dashboard_is_still_refused_to_a_user_out_of_reach(client, dash):
    client.force_login(dash.city)
    assert township_page(client, dash).status_code == 200  # cached now
    neighbour = user_with_role(Role.TOWNSHIP_LEADER, dash.org.other_town, username="leader_yi")
    client.force_login(neighbour)
    assert township_page(client, dash).status_code == 404
    assert client.get(reverse("dashboards:city", args=[dash.org.city.pk, YEAR])).status_code == 404


def test_a_village_renamed_in_the_setup_pages_shows_on_the_cached_pages_at_once(client, dash):
    """A change to the tree renews the township's data version (accounts/signals.py), not only the
    access token: the cached dashboard does not wait for its entry to expire."""
    from common.dataversion import data_version

    town = dash.org.town
    before = data_version("t", town.pk), data_version("r", town.region_id)
    village = dash.org.village
    village.name = "更名村"
    village.save()
    after = data_version("t", town.pk), data_version("r", town.region_id)
    assert before[0] != after[0] and before[1] != after[1]
