"""A missing month can be opened from the UI: the compliance grid's cells link to that unit's ledger of
the month (its staff land on the blank form, everyone else on a read-only page saying it is missing),
and the unit's own list offers every month it has not submitted yet, plus any month on request."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from access.checks import NOT_FOUND
from accounts.models import Role
from audit.models import AuditEvent
from ledgers.models import LedgerSubmission
from tests.factories import user_with_role

LAST_YEAR = timezone.localdate().year - 1


def grid_links(html, unit_name):
    """{month: (href, label)} of one unit's row of the compliance grid."""
    row = re.search(rf'<tr><th scope="row" class="sticky-col">{unit_name}</th>(.*?)</tr>', html, re.S)
    cells = re.findall(r"<td [^>]*>(.*?)</td>", row.group(1), re.S)
    links = {}
    for month, cell in enumerate(cells, start=1):
        m = re.search(r'<a class="([^"]*)" href="([^"]*)"[^>]*>([^<]*)</a>', cell)
        links[month] = (m.group(2), m.group(3), m.group(1)) if m else (None, cell.strip(), "")
    return links


def edit_url(unit, month, year=LAST_YEAR):
    return reverse("ledgers:ledger_edit", args=[unit.pk, year, month])


def test_every_missing_cell_links_to_that_months_ledger_for_the_units_staff(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    LedgerSubmission.objects.create(
        unit=org.unit, year=LAST_YEAR, month=5, status="submitted",
        submitted_at=timezone.make_aware(timezone.datetime(LAST_YEAR, 6, 1, 9)),
    )  # fmt: skip
    html = client.get(reverse("ledgers:compliance"), {"township": org.town.pk, "year": LAST_YEAR}).content
    links = grid_links(html.decode(), "经管站")
    assert [links[m][1] for m in range(1, 13)] == ["不适用"] * 3 + ["未报", "按时"] + ["未报"] * 7
    for month in (4, *range(6, 13)):
        href, label, css = links[month]
        assert (href, label) == (edit_url(org.unit, month), "未报")
        assert "cell-fill" in css  # the unit's own row: the link opens the form to fill
    assert links[5][0] == edit_url(org.unit, 5)
    assert links[1][0] is None  # 不适用: nothing to open


def test_the_missing_month_opens_as_a_blank_form_for_the_unit_and_saves(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    html = client.get(edit_url(org.unit, 7)).content.decode()
    assert "本月台账尚未填报。" in html and f"应于{LAST_YEAR}年8月2日（含）前报送，已逾期未报。" in html
    assert 'id="ledger-rows"' in html and "零报告" in html
    data = {"version": 1, "zero_report": "on", "rows-TOTAL_FORMS": 0, "rows-INITIAL_FORMS": 0}
    assert client.post(edit_url(org.unit, 7), data).status_code == 302
    assert LedgerSubmission.objects.get(unit=org.unit, year=LAST_YEAR, month=7).zero_report


@pytest.mark.parametrize("role", [Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_LEADER])
def test_reviewers_and_leaders_follow_the_same_cell_to_a_read_only_page_saying_why(client, org, role):
    client.force_login(user_with_role(role, org.town))
    html = client.get(reverse("ledgers:compliance"), {"township": org.town.pk, "year": LAST_YEAR}).content
    href, label, css = grid_links(html.decode(), "经管站")[7]
    assert (href, label) == (edit_url(org.unit, 7), "未报") and "cell-fill" not in css
    page = client.get(href).content.decode()
    assert f"经管站尚未填报{LAST_YEAR}年7月台账。" in page
    assert f"应于{LAST_YEAR}年8月2日（含）前报送，已逾期未报。" in page
    assert 'id="ledger-rows"' not in page and "ledger_upload" not in page
    data = {"version": 1, "zero_report": "on", "rows-TOTAL_FORMS": 0, "rows-INITIAL_FORMS": 0}
    assert client.post(href, data).status_code == 404
    assert not LedgerSubmission.objects.exists()


def test_a_unit_sees_only_its_own_row_and_another_units_month_is_a_404(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    html = client.get(reverse("ledgers:compliance"), {"township": org.town.pk, "year": LAST_YEAR}).content
    assert "民政科" not in html.decode()
    assert client.get(edit_url(org.other_unit, 7)).status_code == 404


def test_the_list_offers_each_month_not_yet_submitted_and_opens_any_month(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    today = timezone.localdate()
    response = client.get(reverse("ledgers:ledger_list"))
    ((unit, months),) = response.context["open_months"]
    assert unit == org.unit
    started = [(today.year, m) for m in range(4, today.month + 1)]
    if today.month <= 2:
        started = [(today.year - 1, m) for m in range(4, 13)]
    assert [(y, m) for y, m, _state in months] == started
    for y, m in started:
        assert edit_url(org.unit, m, y) in response.content.decode()

    opened = client.get(reverse("ledgers:ledger_open"), {"unit": org.unit.pk, "year": 2023, "month": 9})
    assert opened.status_code == 302 and opened["Location"] == edit_url(org.unit, 9, 2023)


def test_opening_a_month_checks_the_unit_through_the_access_module(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    url = reverse("ledgers:ledger_open")
    assert client.get(url, {"unit": org.other_unit.pk, "year": 2023, "month": 9}).status_code == 404
    bad = client.get(url, {"unit": org.unit.pk, "year": 2023, "month": 13}, follow=True)
    assert "年份或月份无效。" in [str(m) for m in bad.context["messages"]]
    # A township reviewer reads ledgers but does not fill them: the form is not theirs.
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    assert client.get(url, {"unit": org.unit.pk, "year": 2023, "month": 9}).status_code == 404
    # both refusals are audited: the unit out of reach (the selector's 404) and the missing capability to fill it
    denied = AuditEvent.objects.filter(action="access.denied", result="failure").order_by("id")
    assert [e.message for e in denied] == [NOT_FOUND, "缺少权限 ledger.submit"]
