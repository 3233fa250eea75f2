"""Compliance states (按时/逾期/未报/零报告/未到期/不适用) on Asia/Shanghai dates, and the matrix page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from ledgers.compliance import LEDGER_START_MONTH, State, compliance_matrix, due_date, ledger_state
from ledgers.models import LedgerSubmission
from tests.factories import TownshipFactory, UnitFactory, user_with_role

UTC = dt.UTC


def state(submitted_at=None, *, today=dt.date(2024, 6, 1), zero=False, month=4, due_day=2, year=2024):
    return ledger_state(
        year=year, month=month, due_day=due_day, submitted_at=submitted_at, zero_report=zero, today=today
    )


def test_due_date_is_the_due_day_of_the_following_month_and_rolls_over_the_year():
    assert due_date(2024, 4, 2) == dt.date(2024, 5, 2)
    assert due_date(2024, 12, 2) == dt.date(2025, 1, 2)
    assert due_date(2024, 4, 5) == dt.date(2024, 5, 5)


def test_submitted_at_2330_shanghai_on_the_due_day_is_on_time():
    assert state(dt.datetime(2024, 5, 2, 15, 30, tzinfo=UTC)) == State.ON_TIME


def test_submitted_at_0010_shanghai_after_the_due_day_is_late_though_utc_date_is_the_due_day():
    assert state(dt.datetime(2024, 5, 2, 16, 10, tzinfo=UTC)) == State.LATE


def test_nothing_submitted_is_missing_after_the_due_day_and_not_yet_due_on_it():
    assert state(today=dt.date(2024, 5, 3)) == State.MISSING
    assert state(today=dt.date(2024, 5, 2)) == State.NOT_DUE


def test_zero_report_on_time_is_its_own_state_but_late_zero_report_is_late():
    assert state(dt.datetime(2024, 5, 1, 2, 0, tzinfo=UTC), zero=True) == State.ZERO
    assert state(dt.datetime(2024, 5, 6, 2, 0, tzinfo=UTC), zero=True) == State.LATE


def test_a_due_day_of_5_moves_the_deadline():
    at = dt.datetime(2024, 5, 5, 10, 0, tzinfo=UTC)
    assert state(at, due_day=5) == State.ON_TIME
    assert state(at, due_day=2) == State.LATE
    assert state(today=dt.date(2024, 5, 4), due_day=5) == State.NOT_DUE


def test_december_is_due_in_january_of_the_next_year():
    assert state(dt.datetime(2025, 1, 1, 17, 0, tzinfo=UTC), month=12) == State.ON_TIME  # 01-02 01:00 local
    assert state(today=dt.date(2025, 1, 3), month=12) == State.MISSING


def test_months_before_the_plan_starts_are_not_applicable():
    assert LEDGER_START_MONTH == 4
    assert state(month=3, today=dt.date(2024, 12, 31)) == State.NOT_APPLICABLE


def test_matrix_counts_states_per_unit_and_month(org):
    LedgerSubmission.objects.create(
        unit=org.unit,
        year=2024,
        month=4,
        status="submitted",
        submitted_at=dt.datetime(2024, 5, 2, 15, 30, tzinfo=UTC),
    )
    LedgerSubmission.objects.create(
        unit=org.unit, year=2024, month=5, status="submitted", zero_report=True,
        submitted_at=dt.datetime(2024, 6, 1, 1, 0, tzinfo=UTC),
    )  # fmt: skip
    units = [org.unit, org.other_unit]
    for u in units:
        u.township = org.town
    matrix = compliance_matrix(units=units, year=2024, today=dt.date(2024, 7, 3))
    first = [c.state for c in matrix.rows[0].cells]
    assert first[:7] == ["na", "na", "na", "on_time", "zero", "missing", "not_due"]
    assert matrix.totals[State.MISSING] == 1 + 3  # 经管站 June; 民政科 April to June
    assert matrix.history[0][0] == 2024


def _township_with_units(n):
    town = TownshipFactory()
    for i in range(n):
        unit = UnitFactory(township=town, name=f"单位{i}")
        LedgerSubmission.objects.create(
            unit=unit,
            year=2024,
            month=4,
            status="submitted",
            submitted_at=dt.datetime(2024, 5, 1, tzinfo=UTC),
        )
    return town


def test_compliance_page_query_count_does_not_grow_with_units(client, db, django_assert_num_queries):
    admin = user_with_role(Role.ADMIN, None)
    client.force_login(admin)
    small, large = _township_with_units(5), _township_with_units(50)
    url = reverse("ledgers:compliance")
    client.get(url, {"township": small.pk, "year": 2024})
    with CaptureQueriesContext(connection) as five:
        response = client.get(url, {"township": small.pk, "year": 2024})
    assert response.status_code == 200
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(url, {"township": large.pk, "year": 2024})
    assert response.content.decode().count('data-state="on_time"') == 50


def test_unit_staff_sees_only_their_own_row(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    response = client.get(reverse("ledgers:compliance"), {"year": 2024})
    assert [r.unit.name for r in response.context["matrix"].rows] == ["经管站"]


def test_reviewer_sees_every_unit_of_the_township_with_legend(client, org):
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    response = client.get(reverse("ledgers:compliance"), {"year": 2024, "township": org.town.pk})
    assert {r.unit.name for r in response.context["matrix"].rows} == {"经管站", "民政科"}
    assert "未到期" in response.content.decode() and "不适用" in response.content.decode()


@pytest.mark.parametrize("role", [Role.VILLAGE_COMMITTEE])
def test_roles_without_ledger_view_get_404(client, org, role):
    client.force_login(user_with_role(role, org.village))
    assert client.get(reverse("ledgers:compliance")).status_code == 404
