"""Each user's compiled scope is kept in the shared cache under the access token (access.scope, issue 16):
a page reads no membership while nothing changed, and every write that changes who reaches what —
a role granted or revoked, a unit given a village, a village moved, an account made superuser, the
organisation workbook imported — takes effect at the user's next request."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.roles import Cap
from access.scope import scope_for
from accounts.models import Role, User
from accounts.services import membership_grant, membership_revoke
from common.dataversion import ACCESS, data_version
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def _detail(client, village):
    return client.get(reverse("villages:village_detail", args=[village.pk])).status_code


def _fresh_scope(user):
    """The scope as the next request sees it: a new user object, as the session loads one."""
    return scope_for(User.objects.get(pk=user.pk))


def _membership_queries(ctx):
    return [q["sql"] for q in ctx.captured_queries if '"accounts_membership"' in q["sql"]]


def test_a_second_request_reads_no_membership(client, org):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    assert _detail(client, org.village) == 200
    with CaptureQueriesContext(connection) as ctx:
        assert _detail(client, org.village) == 200
    assert _membership_queries(ctx) == []


def test_a_revoked_role_takes_effect_at_the_next_request(client, org):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    client.force_login(user)
    assert _detail(client, org.village) == 200
    assert _detail(client, org.village) == 200  # now from the cache
    membership_revoke(membership=user.memberships.get())
    assert _detail(client, org.village) == 404


def test_a_granted_role_takes_effect_at_the_next_request(client, org):
    user = user_with_role(Role.VILLAGE_COMMITTEE, org.village)
    client.force_login(user)
    assert _detail(client, org.foreign) == 404
    assert _detail(client, org.foreign) == 404
    membership_grant(user=user, role=Role.TOWNSHIP_REVIEWER, node=org.other_town)
    assert _detail(client, org.foreign) == 200


def test_a_unit_given_a_village_reaches_it_at_once(org):
    user = user_with_role(Role.UNIT_STAFF, org.unit)
    (grant,) = _fresh_scope(user).grants
    assert grant.supervised == {org.village.pk, org.cousin.pk}
    org.unit.villages.add(org.sibling)
    (grant,) = _fresh_scope(user).grants
    assert grant.supervised == {org.village.pk, org.cousin.pk, org.sibling.pk}
    org.unit.villages.clear()
    (grant,) = _fresh_scope(user).grants
    assert grant.supervised == frozenset()


def test_a_village_moved_to_another_township_moves_its_members_reach(org):
    user = user_with_role(Role.VILLAGE_COMMITTEE, org.village)
    assert _fresh_scope(user).touched_township_ids(Cap.CAMPAIGN_VIEW) == {org.town.pk}
    org.village.township, org.village.branch = org.other_town, None
    org.village.save()
    assert _fresh_scope(user).touched_township_ids(Cap.CAMPAIGN_VIEW) == {org.other_town.pk}


def test_the_superuser_flag_is_part_of_the_key(org):
    user = user_with_role(Role.VILLAGE_COMMITTEE, org.village)
    assert not _fresh_scope(user).everywhere
    User.objects.filter(pk=user.pk).update(is_superuser=True)  # no signal: the key itself differs
    assert _fresh_scope(user).everywhere


def test_an_organisation_import_renews_the_access_token(client, org):
    """The import writes branches, villages and a unit's villages in bulk (no signals)."""
    from tests.villages.workbooks import build, sheets, upload

    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    before = data_version(*ACCESS)
    response = client.post(
        reverse("villages:township_import", args=[org.town.pk]), {"file": upload(build(sheets()))}
    )
    assert response.status_code == 302
    assert data_version(*ACCESS) != before


def test_an_evicted_token_is_a_new_one_and_the_scope_is_compiled_again(org):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    _fresh_scope(user)
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert _fresh_scope(user).reaches_township(Cap.CAMPAIGN_VIEW, org.town)
    assert len(_membership_queries(ctx)) == 1


@override_settings(QL_SHARED_CACHE=False)
def test_without_a_shared_cache_every_request_reads_the_memberships(org):
    """Several processes with their own memory: a revocation in one must reach the others."""
    user = user_with_role(Role.TOWNSHIP_REVIEWER, org.town)
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            _fresh_scope(user)
        assert len(_membership_queries(ctx)) == 1
