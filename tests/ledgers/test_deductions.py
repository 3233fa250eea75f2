"""Confirmed ledger problems feed the village's yearly supervision deduction, within the cap."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import deductions
from assessments.deductions import supervision_deduction_sources, supervision_deductions
from assessments.services.totals import assessment_recompute
from ledgers.deductions import ledger_deduction_amounts, ledger_deduction_entries
from ledgers.models import LedgerEntry, LedgerSubmission
from tests.assessments import conftest as campaign_fixtures
from tests.assessments.test_review import submit_and_forward

pytestmark = pytest.mark.django_db

# The sample campaign of the assessment tests (甲镇, sample standard with a deduction cap of 10).
standard = campaign_fixtures.standard
cycle = campaign_fixtures.cycle


def entry(unit, village, amount, *, seq, month=5, year=2024, confirmed=True, confirmed_amount=None, **kw):
    sub, _ = LedgerSubmission.objects.get_or_create(unit=unit, year=year, month=month)
    return LedgerEntry.objects.create(
        submission=sub,
        seq=seq,
        village=village,
        category=LedgerEntry.Category.SANZI,
        method=LedgerEntry.Method.ROUTINE,
        checked_on=datetime.date(year, month, 10),
        checker="检查组",
        finding=f"问题{seq}",
        level=LedgerEntry.Level.GENERAL,
        proposed_deduction=Decimal(amount),
        deduction_confirmed=confirmed,
        confirmed_deduction=confirmed_amount,
        **kw,
    )


def test_confirmed_entries_are_capped_and_lower_the_final_score(cycle):
    org, a = cycle.org, cycle.a["东村"]
    before = assessment_recompute(a)
    base, bonus = before.review_base, before.bonus_accepted
    entry(org.unit, org.village, "4", seq=1)
    entry(org.unit, org.village, "9", seq=2, confirmed_amount=Decimal("5"))  # the confirmed amount wins
    entry(org.unit, org.village, "3", seq=3)
    assert supervision_deductions(a) == [Decimal("4.00"), Decimal("5.00"), Decimal("3.00")]
    after = assessment_recompute(a)
    assert cycle.standard.supervision_deduction_cap == Decimal("10")
    assert after.supervision_deduction == Decimal("10.00")
    assert after.final_score == max(base + bonus - Decimal("10"), Decimal("0"))


def test_self_reported_problem_is_halved(cycle):
    org, a = cycle.org, cycle.a["东村"]
    entry(org.unit, org.village, "2", seq=1, self_reported=True)
    assert supervision_deductions(a) == [Decimal("1.00")]
    assert assessment_recompute(a).supervision_deduction == Decimal("1.00")


def test_unconfirmed_other_years_and_other_villages_do_not_count(cycle):
    org, a = cycle.org, cycle.a["东村"]
    entry(org.unit, org.village, "2", seq=1, confirmed=False)
    entry(org.unit, org.village, "2", seq=1, year=2023)
    entry(org.unit, org.cousin, "2", seq=2)
    entry(org.unit, org.village, "1.5", seq=3)
    assert supervision_deductions(a) == [Decimal("1.50")]


def test_deductions_take_one_query(cycle, django_assert_num_queries):
    org = cycle.org
    a = type(cycle.a["东村"]).objects.select_related("campaign").get(pk=cycle.a["东村"].pk)
    for seq in range(1, 6):
        entry(org.unit, org.village, "1", seq=seq, self_reported=seq % 2 == 0)
    with django_assert_num_queries(1):
        assert sum(supervision_deductions(a)) == Decimal("4.00")


def test_sources_list_unit_month_and_amount(cycle):
    org, a = cycle.org, cycle.a["东村"]
    entry(org.unit, org.village, "2", seq=1, self_reported=True)
    [source] = supervision_deduction_sources(a)
    assert (source.submission.unit.name, source.submission.month, source.village.name, source.amount) == (
        "经管站",
        5,
        "东村",
        Decimal("1.00"),
    )


def test_review_page_shows_deduction_sources(client, cycle):
    org = cycle.org
    entry(org.unit, org.village, "3", seq=1)
    a = submit_and_forward(cycle)
    assessment_recompute(a)
    client.force_login(cycle.reviewer)
    response = client.get(reverse("assessments:review_edit", args=[a.pk]))
    assert response.status_code == 200
    assert "日常监管扣分来源" in response.content.decode()
    assert "问题1" in response.content.decode()


def test_ledgers_registers_its_source_once():
    sources = [(s.amounts, s.entries) for s in deductions.registered_sources()]
    assert sources == [(ledger_deduction_amounts, ledger_deduction_entries)]
    deductions.register_supervision_source(amounts=ledger_deduction_amounts, entries=ledger_deduction_entries)
    assert len(deductions.registered_sources()) == 1


def test_township_assessments_have_no_ledger_and_read_nothing(cycle, django_assert_num_queries):
    a = cycle.a["东村"]
    a.village_id = None
    with django_assert_num_queries(0):
        assert supervision_deductions(a) == []
        assert supervision_deduction_sources(a) == []
