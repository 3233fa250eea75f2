"""The assessment models in the Django admin: visible to the system administrator, never a workflow bypass."""

from django.urls import reverse

from accounts.models import Role
from assessments.models import Assessment, Campaign, Evidence
from tests.assessments.conftest import fill_self
from tests.factories import user_with_role


def _admin(client):
    client.force_login(user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True))


def test_campaign_and_assessment_changelists_render_with_filters(client, cycle):
    _admin(client)
    page = client.get(reverse("admin:assessments_campaign_changelist"))
    assert page.status_code == 200 and "甲镇2024年度" in page.content.decode()
    page = client.get(reverse("admin:assessments_assessment_changelist"), {"status__exact": "draft"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 3
    page = client.get(
        reverse("admin:assessments_assessment_changelist"), {"campaign__id__exact": cycle.campaign.pk}
    )
    assert page.context["cl"].result_count == 3


def test_assessment_page_is_read_only_with_its_lines_inline_and_no_file_link(client, cycle):
    fill_self(cycle.a["东村"], cycle.committee, cycle.supervisor)
    _admin(client)
    url = reverse("admin:assessments_assessment_change", args=[cycle.a["东村"].pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "申请表（盖章）.pdf" in html
    assert Evidence.objects.get(assessment=cycle.a["东村"]).file.url not in html
    before = Assessment.objects.get(pk=cycle.a["东村"].pk).status
    assert client.post(url, {"status": "confirmed"}).status_code == 403
    assert Assessment.objects.get(pk=cycle.a["东村"].pk).status == before
    assert client.get(reverse("admin:assessments_assessment_add")).status_code == 403
    assert (
        client.get(reverse("admin:assessments_assessment_delete", args=[cycle.a["东村"].pk])).status_code
        == 403
    )


def test_campaigns_are_not_added_or_deleted_in_the_admin_and_the_standard_is_read_only(client, cycle):
    _admin(client)
    assert client.get(reverse("admin:assessments_campaign_add")).status_code == 403
    assert (
        client.get(reverse("admin:assessments_campaign_delete", args=[cycle.campaign.pk])).status_code == 403
    )
    page = client.get(reverse("admin:assessments_campaign_change", args=[cycle.campaign.pk]))
    assert page.status_code == 200
    assert 'name="standard"' not in page.content.decode()
    assert 'name="self_deadline"' in page.content.decode()
    assert Campaign.objects.count() == 1


def test_non_admin_roles_are_kept_out_of_the_admin(client, cycle):
    client.force_login(cycle.reviewer)
    response = client.get(reverse("admin:assessments_campaign_changelist"))
    assert response.status_code in (302, 403, 404)
