"""The organisation models are managed in the Django admin by system administrators."""

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.factories import user_with_role

MODELS = [
    "region",
    "township",
    "partybranch",
    "village",
    "responsibleunit",
    "workinggroupmember",
    "annualtarget",
    "creationbatch",
]


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelist_and_add_pages_render_for_the_system_administrator(client, org, model):
    client.force_login(user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True))
    assert client.get(reverse(f"admin:villages_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:villages_{model}_add")).status_code == 200


def test_township_change_page_shows_its_branches_inline(client, org):
    client.force_login(user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:villages_township_change", args=[org.town.pk])).content.decode()
    assert "第一党总支" in page
    assert "第二党总支" in page
