"""Admin pages for standards, and imports racing for the same version."""

import pytest
from django.urls import reverse

from accounts.models import Role
from assessments.models import Campaign
from indices import services
from indices.importing import parse_and_validate
from indices.models import IndexStandard
from indices.services import StandardImportError, standard_import
from tests.factories import TownshipFactory, user_with_role

from .conftest import VILLAGE, row_counts


@pytest.fixture
def admin_client(client, db):
    user = user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_admin_lists_and_shows_standards_and_indicators(admin_client):
    std = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    indicator = std.indicators.get(code="V1.1")

    pages = [
        reverse("admin:indices_indexstandard_changelist"),
        reverse("admin:indices_indexstandard_change", args=[std.pk]),
        reverse("admin:indices_indicator_changelist"),
        reverse("admin:indices_indicator_change", args=[indicator.pk]),
    ]

    assert [admin_client.get(url).status_code for url in pages] == [200, 200, 200, 200]
    assert "班子清廉" in admin_client.get(pages[1]).content.decode()


def test_admin_makes_a_used_standard_read_only(admin_client):
    std = standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    Campaign.objects.create(
        township=(t := TownshipFactory()), region=t.region, year=2024, standard=std, name="2024年测评"
    )

    page = admin_client.get(reverse("admin:indices_indexstandard_change", args=[std.pk]))
    delete = admin_client.post(reverse("admin:indices_indexstandard_delete", args=[std.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert delete.status_code == 403
    assert IndexStandard.objects.filter(pk=std.pk).exists()


def test_a_concurrent_import_of_the_same_version_is_reported_not_crashed(db, monkeypatch):
    standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)
    before = row_counts()

    # The other import validated before this one committed: its existence check saw nothing.
    def blind(data, fmt, **kwargs):
        kwargs["version_exists"] = lambda code, year, version: False
        return parse_and_validate(data, fmt, **kwargs)

    monkeypatch.setattr(services, "parse_and_validate", blind)
    with pytest.raises(StandardImportError) as info:
        standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)

    assert [str(p) for p in info.value.problems] == [
        "基本信息（meta） 的 version：标准 QLCJ-VILLAGE 2024年 版本“2024-draft-1”已存在，请使用新的版本号"
    ]
    assert row_counts() == before
