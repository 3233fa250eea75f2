"""Web entry, submission, confirmation and access to the monthly ledger pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from audit.models import AuditEvent
from ledgers.models import LedgerEntry, LedgerSubmission
from tests.factories import user_with_role

YEAR, MONTH = 2024, 4


def edit_url(unit, year=YEAR, month=MONTH):
    return reverse("ledgers:ledger_edit", args=[unit.pk, year, month])


def form_data(rows=(), *, zero=False, version=1, initial=0):
    data = {
        "filled_by_name": "王五", "approved_by_name": "赵六", "version": version,
        "rows-TOTAL_FORMS": len(rows), "rows-INITIAL_FORMS": initial, "rows-MIN_NUM_FORMS": 0,
        "rows-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    if zero:
        data["zero_report"] = "on"
    for i, r in enumerate(rows):
        base = {
            "seq": i + 1, "category": "sanzi", "method": "routine", "checked_on": "2024-04-10",
            "checker": "张三", "proposed_deduction": "0",
        }  # fmt: skip
        base.update(r)
        data.update({f"rows-{i}-{k}": v for k, v in base.items()})
    return data


@pytest.fixture
def staff(client, org):
    user = user_with_role(Role.UNIT_STAFF, org.unit)
    client.force_login(user)
    return user


def test_web_entry_saves_rows_and_submit_sets_submitted_at(client, org, staff):
    response = client.post(edit_url(org.unit), form_data([{"village": org.village.pk}]))
    assert response.status_code == 302
    sub = LedgerSubmission.objects.get()
    assert (sub.status, sub.filled_by_name, sub.entries.count(), sub.source) == ("draft", "王五", 1, "web")
    response = client.post(
        reverse("ledgers:ledger_submit", args=[org.unit.pk, YEAR, MONTH]), {"version": sub.version}
    )
    sub.refresh_from_db()
    assert sub.status == "submitted" and sub.submitted_at is not None and sub.submitted_by == staff
    first = sub.submitted_at
    client.post(
        edit_url(org.unit),
        form_data([{"village": org.cousin.pk, "id": sub.entries.get().pk}], version=sub.version, initial=1),
    )
    sub.refresh_from_db()
    client.post(reverse("ledgers:ledger_submit", args=[org.unit.pk, YEAR, MONTH]), {"version": sub.version})
    sub.refresh_from_db()
    assert sub.submitted_at == first and sub.entries.get().village == org.cousin
    assert AuditEvent.objects.filter(action="ledger.submit").count() == 2


def test_forged_village_and_date_outside_month_are_refused(client, org, staff):
    data = form_data([{"village": org.sibling.pk, "checked_on": "2024-05-01"}])
    response = client.post(edit_url(org.unit), data)
    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors
    assert errors["village"] == ["不是本单位监管的村（社区）。"]
    assert errors["checked_on"] == ["日期须在 2024年4月 内。"]
    assert not LedgerEntry.objects.exists()


def test_problem_row_needs_finding_requirement_and_deadline(client, org, staff):
    response = client.post(
        edit_url(org.unit),
        form_data([{"village": org.village.pk, "level": "general", "proposed_deduction": "-1"}]),
    )
    errors = response.context["formset"].forms[0].errors
    assert errors["finding"] == ["有问题等级的记录须填写问题描述。"]
    assert errors["requirement"] == ["有问题的记录须填写整改要求。"]
    assert errors["deadline"] == ["有问题的记录须填写整改时限。"]
    assert errors["proposed_deduction"] == ["拟扣分不能为负数。"]


def test_zero_report_must_have_no_rows_and_non_zero_needs_one(client, org, staff):
    client.post(edit_url(org.unit), form_data([{"village": org.village.pk}], zero=True))
    assert not LedgerSubmission.objects.filter(zero_report=True).exists()
    client.post(edit_url(org.unit), form_data([]))
    sub = LedgerSubmission.objects.get()
    client.post(reverse("ledgers:ledger_submit", args=[org.unit.pk, YEAR, MONTH]), {"version": sub.version})
    assert LedgerSubmission.objects.get().status == "draft"
    client.post(edit_url(org.unit), form_data([], zero=True, version=sub.version))
    sub.refresh_from_db()
    client.post(reverse("ledgers:ledger_submit", args=[org.unit.pk, YEAR, MONTH]), {"version": sub.version})
    sub.refresh_from_db()
    assert sub.zero_report and sub.status == "submitted"


def test_submit_without_or_with_a_stale_version_is_refused(client, org, staff):
    client.post(edit_url(org.unit), form_data([{"village": org.village.pk}]))
    sub = LedgerSubmission.objects.get()
    submit = reverse("ledgers:ledger_submit", args=[org.unit.pk, YEAR, MONTH])
    response = client.post(submit, follow=True)
    assert "页面已过期，请刷新后再报送" in response.content.decode()
    response = client.post(submit, {"version": sub.version + 1}, follow=True)
    assert "台账已被他人修改" in response.content.decode()
    sub.refresh_from_db()
    assert sub.status == "draft" and not AuditEvent.objects.filter(action="ledger.submit").exists()


def test_stale_version_is_refused(client, org, staff):
    client.post(edit_url(org.unit), form_data([{"village": org.village.pk}]))
    response = client.post(edit_url(org.unit), form_data([], version=1), follow=True)
    assert "台账已被他人修改" in response.content.decode()
    assert LedgerEntry.objects.count() == 1


def test_other_unit_staff_gets_404_for_reading_and_writing(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.other_unit))
    assert client.get(edit_url(org.unit)).status_code == 404
    assert client.post(edit_url(org.unit), form_data([{"village": org.village.pk}])).status_code == 404
    assert client.get(reverse("ledgers:ledger_template", args=[org.unit.pk, YEAR, MONTH])).status_code == 404


@pytest.mark.parametrize("role", [Role.TOWNSHIP_LEADER, Role.TOWNSHIP_REVIEWER])
def test_township_roles_read_but_cannot_write(client, org, role):
    client.force_login(user_with_role(role, org.town))
    assert client.get(edit_url(org.unit)).status_code == 200
    assert client.post(edit_url(org.unit), form_data([{"village": org.village.pk}])).status_code == 404
    submit = reverse("ledgers:ledger_submit", args=[org.unit.pk, YEAR, MONTH])
    assert client.post(submit).status_code == 404
    assert not LedgerSubmission.objects.exists()


def test_township_in_another_place_gets_404(client, org):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town))
    assert client.get(edit_url(org.unit)).status_code == 404


def _problem_entry(org):
    sub = LedgerSubmission.objects.create(unit=org.unit, year=YEAR, month=MONTH)
    return LedgerEntry.objects.create(
        submission=sub, seq=1, village=org.village, category="sanzi", method="routine",
        checked_on=dt.date(YEAR, MONTH, 3), checker="张三", finding="未公开", level="general",
        proposed_deduction=Decimal("2"), requirement="公开", deadline=dt.date(YEAR, 5, 1),
    )  # fmt: skip


def test_reviewer_confirms_deduction_and_a_change_needs_a_reason(client, org):
    entry = _problem_entry(org)
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    url = reverse("ledgers:entry_confirm", args=[entry.pk])
    client.post(url, {"confirmed_deduction": "1"})
    entry.refresh_from_db()
    assert not entry.deduction_confirmed
    client.post(url, {"confirmed_deduction": "1", "reason": "主动整改"})
    entry.refresh_from_db()
    assert entry.deduction_confirmed and entry.confirmed_deduction == Decimal("1")
    assert AuditEvent.objects.get(action="ledger.entry_confirm").detail["reason"] == "主动整改"


def test_leader_and_unit_staff_cannot_confirm(client, org):
    entry = _problem_entry(org)
    for user in (user_with_role(Role.TOWNSHIP_LEADER, org.town), user_with_role(Role.UNIT_STAFF, org.unit)):
        client.force_login(user)
        assert client.post(reverse("ledgers:entry_confirm", args=[entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert not entry.deduction_confirmed


def test_list_shows_own_ledgers_with_counts_and_shortcut(client, org, staff):
    _problem_entry(org)
    LedgerSubmission.objects.create(unit=org.other_unit, year=YEAR, month=MONTH)
    response = client.get(reverse("ledgers:ledger_list"), {"year": YEAR})
    ledgers = list(response.context["page_obj"])
    assert [(lg.unit.name, lg.row_count, lg.problem_count) for lg in ledgers] == [("经管站", 1, 1)]
    assert "本月台账" in response.content.decode()


def _ledgers_with_entries(org, months, entries_each):
    """Submitted ledgers of 经管站 for `months` months from January of YEAR-1, each with entries, one a problem."""
    created = []
    for k in range(months):
        sub = LedgerSubmission.objects.create(
            unit=org.unit, year=YEAR - 1 + k // 12, month=k % 12 + 1, status="submitted"
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                submission=sub,
                seq=i + 1,
                village=org.village,
                category="sanzi",
                method="routine",
                checked_on=dt.date(sub.year, sub.month, 1),
                checker="张三",
                level="general" if i == 0 else "",
            )
            for i in range(entries_each)
        )
        created.append(sub)
    return created


def test_list_counts_only_the_page_and_its_queries_do_not_grow_with_history(
    client, org, django_assert_num_queries
):
    """2 ledgers or 36 (more than a page) with more entries each: the same number of queries, and each
    row's entries and problems counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ledgers.views.ledger import PAGE_SIZE

    client.force_login(user_with_role(Role.TOWNSHIP_LEADER, org.town))
    url = reverse("ledgers:ledger_list")
    _ledgers_with_entries(org, 2, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert [(lg.row_count, lg.problem_count) for lg in response.context["page_obj"]] == [(2, 1), (2, 1)]
    LedgerSubmission.objects.all().delete()
    _ledgers_with_entries(org, 36, 5)
    with django_assert_num_queries(len(few.captured_queries)) as many:
        response = client.get(url)
    page = response.context["page_obj"]
    # entries are counted for the page's ledgers only, never joined to the whole list to be grouped
    entry_sql = [q["sql"] for q in many.captured_queries if "ledgers_ledgerentry" in q["sql"]]
    assert len(entry_sql) == 1 and 'FROM "ledgers_ledgerentry"' in entry_sql[0]
    assert page.paginator.count == 36 and len(page.object_list) == PAGE_SIZE < 36
    assert {(lg.row_count, lg.problem_count) for lg in page.object_list} == {(5, 1)}
    assert (page.object_list[0].year, page.object_list[0].month) == (YEAR + 1, 12)  # newest first


def test_across_townships_the_unit_picker_lists_the_chosen_townships_units_only(client, org):
    """A city user picks a township first; its ledgers and units only. Within one township the picker
    lists every unit as before."""
    from tests.factories import UnitFactory

    far_unit = UnitFactory(township=org.other_town, name="财政所")
    LedgerSubmission.objects.create(unit=org.unit, year=YEAR, month=MONTH)
    LedgerSubmission.objects.create(unit=far_unit, year=YEAR, month=MONTH)
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    url = reverse("ledgers:ledger_list")
    response = client.get(url)
    assert response.context["townships"] == [(org.other_town.pk, "乙镇"), (org.town.pk, "甲镇")]  # by name
    assert list(response.context["units"]) == []
    assert response.context["page_obj"].paginator.count == 2
    assert "先选镇街再选单位" in response.content.decode()
    response = client.get(url, {"township": org.other_town.pk})
    assert [u.name for u in response.context["units"]] == ["财政所"]
    assert [lg.unit.name for lg in response.context["page_obj"]] == ["财政所"]
    client.force_login(user_with_role(Role.TOWNSHIP_LEADER, org.town))
    response = client.get(url)
    assert response.context["townships"] == []
    assert sorted(u.name for u in response.context["units"]) == ["民政科", "经管站"]
