"""assessments asks its registered sources for the supervision deduction (assessments/deductions.py);
without a source (ledgers not installed) there is none."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from assessments import deductions
from assessments.services.totals import assessment_recompute

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sources(monkeypatch):
    monkeypatch.setattr(deductions, "_sources", [])


def test_without_a_source_there_is_no_deduction_and_no_query(no_sources, django_assert_num_queries):
    a = SimpleNamespace(village_id=1)
    with django_assert_num_queries(0):
        assert deductions.supervision_deductions(a) == []
        assert deductions.supervision_deduction_sources(a) == []


def test_sources_are_asked_in_order_and_each_amount_is_rounded_to_the_cent(no_sources):
    rows = {"a": [Decimal("1.004"), Decimal("2")], "b": [Decimal("0.5")]}
    for key in ("a", "b"):
        deductions.register_supervision_source(
            amounts=lambda a, key=key: rows[key],
            entries=lambda a, key=key: [SimpleNamespace(amount=x) for x in rows[key]],
        )
    assert deductions.supervision_deductions(None) == [Decimal("1.00"), Decimal("2.00"), Decimal("0.50")]
    assert [e.amount for e in deductions.supervision_deduction_sources(None)] == [
        Decimal("1.004"),
        Decimal("2"),
        Decimal("0.5"),
    ]


def test_recompute_without_a_source_deducts_nothing(no_sources, cycle):
    assert assessment_recompute(cycle.a["东村"]).supervision_deduction == Decimal("0")
