"""Users read the standard's label (“2024年版”) on sheets and campaign pages, not its internal version."""

from django.urls import reverse

from assessments.models import Campaign


def test_the_sheet_and_campaign_pages_show_the_label_not_the_version_string(client, cycle):
    """cycle: a campaign of 甲镇 on the sample standard (version “2024-draft-1”)."""
    assert cycle.standard.version == "2024-draft-1"
    a = cycle.a["东村"]
    client.force_login(cycle.committee)
    sheet = client.get(reverse("assessments:self_edit", args=[a.pk])).content.decode()
    assert "2024年版" in sheet and "2024-draft-1" not in sheet
    client.force_login(cycle.reviewer)
    for url in (
        reverse("assessments:campaign_list"),
        reverse("assessments:campaign_detail", args=[cycle.campaign.pk]),
        reverse("assessments:campaign_edit", args=[cycle.campaign.pk]),
    ):
        html = client.get(url).content.decode()
        assert "2024年版" in html and "2024-draft-1" not in html, url


def test_the_campaign_create_form_names_standards_by_label(client, cycle):
    client.force_login(cycle.reviewer)
    html = client.get(reverse("assessments:campaign_create")).content.decode()
    assert "2024年版" in html and "2024-draft-1" not in html
    assert Campaign.objects.count() == 1
