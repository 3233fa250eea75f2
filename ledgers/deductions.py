"""Confirmed ledger problems as the source of a village's supervision deduction (日常监管扣分).

Registered with assessments.deductions in `LedgersConfig.ready()`: assessments sits below ledgers and
does not import it; it asks its registered sources instead.
"""

from decimal import Decimal

from django.db.models import Case, DecimalField, F, Subquery, Value, When
from django.db.models.functions import Coalesce

from indices.models import SupervisionDeductionItem

from .models import LedgerEntry

DEC = DecimalField(max_digits=9, decimal_places=2)


def _supervision_entries(assessment):
    """The village's confirmed ledger problems of the campaign year, each annotated with `amount`:
    the confirmed deduction (else the proposed one), times the standard's self-report multiplier
    when the village reported the problem itself. The multiplier is a subquery: one query in all."""
    campaign = assessment.campaign
    multiplier = Subquery(
        SupervisionDeductionItem.objects.filter(standard_id=campaign.standard_id, multiplier__isnull=False)
        .order_by("pk")
        .values("multiplier")[:1],
        output_field=DEC,
    )
    base = Coalesce("confirmed_deduction", "proposed_deduction", output_field=DEC)
    return (
        LedgerEntry.objects.filter(
            village_id=assessment.village_id,
            deduction_confirmed=True,
            checked_on__year=campaign.year,
        )
        .annotate(base_amount=base)
        .annotate(
            amount=Case(
                When(self_reported=True, then=F("base_amount") * Coalesce(multiplier, Value(Decimal("1")))),
                default=F("base_amount"),
                output_field=DEC,
            )
        )
        .order_by("checked_on", "pk")
    )


def ledger_deduction_amounts(assessment):
    """The amounts of the confirmed ledger problems, in one query. Township-level assessments have no
    ledger of their own."""
    if not assessment.village_id:
        return []
    return list(_supervision_entries(assessment).values_list("amount", flat=True))


def ledger_deduction_entries(assessment):
    """The ledger entries behind the deduction, for the reviewer: unit, month, village, finding, amount."""
    if not assessment.village_id:
        return []
    return list(
        _supervision_entries(assessment)
        .select_related("submission__unit", "village")
        .only(
            "checked_on",
            "finding",
            "self_reported",
            "submission__year",
            "submission__month",
            "submission__unit__name",
            "village__name",
        )
    )
