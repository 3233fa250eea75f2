"""The standard's version label: users read “2025年版” (or what the township wrote) on sheets and forms;
the internal version string (“2024-draft-1”) stays on the standards' own management pages."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from accounts.models import Role
from indices.models import IndexStandard
from indices.services import standard_copy, standard_import, standard_update_meta
from tests.factories import TownshipFactory, user_with_role

from .conftest import VILLAGE


@pytest.fixture
def std(db):
    return standard_import(source=VILLAGE.read_bytes(), fmt="yaml", actor=None)


def test_a_new_standard_is_labelled_by_its_year(std):
    assert (std.version, std.label) == ("2024-draft-1", "2024年版")
    assert IndexStandard.objects.get(pk=std.pk).label == "2024年版"


def test_the_migration_fills_the_label_of_existing_standards(std):
    IndexStandard.objects.filter(pk=std.pk).update(label="")
    migration = importlib.import_module("indices.migrations.0002_standard_label")
    migration.fill_labels(django_apps, None)
    assert IndexStandard.objects.get(pk=std.pk).label == "2024年版"


def test_the_label_is_edited_with_the_metadata_and_blank_restores_the_default(std):
    standard_update_meta(
        standard=std, actor=None, name=std.name, status=std.status, notes="", label="2024年试行版"
    )
    assert IndexStandard.objects.get(pk=std.pk).label == "2024年试行版"
    standard_update_meta(standard=std, actor=None, name=std.name, status=std.status, notes="", label="  ")
    assert IndexStandard.objects.get(pk=std.pk).label == "2024年版"
    # callers that do not pass a label keep it
    IndexStandard.objects.filter(pk=std.pk).update(label="自定义")
    standard_update_meta(standard=std, actor=None, name="新名称", status=std.status, notes="")
    assert IndexStandard.objects.get(pk=std.pk).label == "自定义"


def test_a_copy_takes_the_label_given_or_the_default_of_its_year(std):
    plain = standard_copy(standard=std, new_version="2025-1", year=2025, actor=None)
    assert plain.label == "2025年版"
    named = standard_copy(standard=std, new_version="2025-2", year=2025, actor=None, label="2025年修订版")
    assert IndexStandard.objects.get(pk=named.pk).label == "2025年修订版"


def test_the_edit_and_copy_pages_offer_the_label(client, std):
    town = TownshipFactory()
    IndexStandard.objects.filter(pk=std.pk).update(region=town.region)
    client.force_login(user_with_role(Role.CITY_OFFICE, town.region))
    edit = client.get(reverse("indices:standard_edit", args=[std.pk]))
    assert edit.status_code == 200 and 'name="label"' in edit.content.decode()
    assert 'value="2024年版"' in edit.content.decode()
    response = client.post(
        reverse("indices:standard_copy", args=[std.pk]),
        {
            "new_version": "2025-x",
            "year": 2025,
            "label": "2025年版（征求意见稿）",
            "target": f"r:{town.region.pk}",
        },
    )
    assert response.status_code == 302
    assert IndexStandard.objects.get(version="2025-x").label == "2025年版（征求意见稿）"
    detail = client.get(response["Location"]).content.decode()
    assert "2025年版（征求意见稿）" in detail and "内部版本号 2025-x" in detail
