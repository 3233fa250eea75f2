"""The township's 结果公开 page: preview, publish with confirmation, double submit, correction with a
reason, withdrawal, history; other roles get the 404 of a missing page."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from publication.models import Publication


def _msgs(response):
    """The messages the page the redirect leads to shows."""
    return [str(m) for m in response.context["messages"]]


def manage_url(c):
    return reverse("publication:manage", args=[c.campaign.pk])


def test_the_page_explains_why_it_cannot_publish_yet(client, confirmed):
    client.force_login(confirmed.reviewer)
    html = client.get(manage_url(confirmed)).content.decode()
    assert "示范村候选对象尚待市级认定，认定后才能公开结果：东村、南村。" in html
    assert "发布公开" not in html


def test_the_township_previews_publishes_corrects_and_withdraws(client, decided):
    c = decided
    client.force_login(c.reviewer)
    html = client.get(manage_url(c)).content.decode()
    assert "公开内容预览" in html and "达标村" in html and "发布公开" in html
    publish = reverse("publication:publish", args=[c.campaign.pk])
    # without the confirmation box nothing happens
    response = client.post(publish, {"expected_version": "0"}, follow=True)
    assert _msgs(response) == ["请勾选确认后再发布。"]
    assert not Publication.objects.exists()
    response = client.post(publish, {"expected_version": "0", "confirm": "1"}, follow=True)
    assert _msgs(response) == ["2024年测评结果已公开（第1版）。"]
    # the same form sent twice: refused, still one version
    response = client.post(publish, {"expected_version": "0", "confirm": "1"}, follow=True)
    assert _msgs(response) == ["公开结果已被他人更新，请刷新页面核对后再操作。"]
    assert Publication.objects.count() == 1
    response = client.post(publish, {"expected_version": "1", "confirm": "1", "reason": ""}, follow=True)
    assert _msgs(response) == ["更正已公开的结果须填写理由。"]
    response = client.post(
        publish, {"expected_version": "1", "confirm": "1", "reason": "南村等次以市级认定为准"}, follow=True
    )
    assert _msgs(response) == ["2024年测评结果已发布更正（第2版）。"]
    html = client.get(manage_url(c)).content.decode()
    assert "已更正（作废）" in html and "南村等次以市级认定为准" in html and "第2版" in html
    withdraw = reverse("publication:withdraw", args=[c.campaign.pk])
    response = client.post(withdraw, {"expected_version": "2", "reason": ""}, follow=True)
    assert _msgs(response) == ["撤回公开结果须填写理由。"]
    response = client.post(withdraw, {"expected_version": "2", "reason": "发现录入错误"}, follow=True)
    assert _msgs(response) == ["已撤回2024年测评结果的公开。"]
    assert list(Publication.objects.order_by("version").values_list("status", flat=True)) == [
        "superseded",
        "withdrawn",
    ]
    assert AuditEvent.objects.filter(action__startswith="publication.").count() == 3


@pytest.mark.parametrize("who", ["leader", "city", "committee", "secretary"])
def test_other_roles_get_a_404(client, decided, who):
    client.force_login(getattr(decided, who))
    for name in ("manage", "township_posters"):
        assert client.get(reverse(f"publication:{name}", args=[decided.campaign.pk])).status_code == 404
    response = client.post(
        reverse("publication:publish", args=[decided.campaign.pk]), {"expected_version": "0", "confirm": "1"}
    )
    assert response.status_code == 404
    assert not Publication.objects.exists()
