"""Reads of the monthly ledgers, scoped to the user. Out of scope is the same 404 as missing.

Unit staff see their own units' ledgers; township reviewers and leaders every unit of their townships;
the city office its region; the administrator everything (access.table).
"""

from django.db.models import Count, Q
from django.http import Http404

from access.roles import Cap
from access.scope import scope_for
from assessments.models import Campaign
from indices.models import Indicator
from villages.models import ResponsibleUnit, Township

from .models import LedgerEntry, LedgerSubmission


def _unit_q(scope, prefix=""):
    return scope.unit_q(Cap.LEDGER_VIEW, prefix=prefix)


def ledger_units_for_user(user):
    """Units whose ledgers the user may read."""
    return (
        ResponsibleUnit.objects.filter(_unit_q(scope_for(user)))
        .select_related("township")
        .order_by("township_id", "sort_order", "name")
    )


def ledger_unit_get_for_user(user, pk):
    try:
        return ledger_units_for_user(user).get(pk=pk)
    except (ResponsibleUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ledger_list_for_user(user):
    q = _unit_q(scope_for(user), prefix="unit__")
    return (
        LedgerSubmission.objects.filter(q)
        .select_related("unit", "unit__township")
        .annotate(
            row_count=Count("entries", distinct=True),
            problem_count=Count("entries", filter=~Q(entries__level=""), distinct=True),
        )
        .order_by("-year", "-month", "unit__township_id", "unit__sort_order", "unit__name")
    )


def ledger_for_unit_month(unit, year, month):
    """The unit's ledger of that month (already scope-checked through the unit), or None."""
    return LedgerSubmission.objects.filter(unit=unit, year=year, month=month).first()


def entry_get_for_user(user, pk):
    try:
        return LedgerEntry.objects.select_related("submission__unit__township", "village").get(
            pk=pk, submission__unit__in=ledger_units_for_user(user).values("pk")
        )
    except (LedgerEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def ledger_standard_for_township(township):
    """The village-level standard of the township's newest campaign, or None before any campaign."""
    campaign = (
        Campaign.objects.filter(township=township, level=Campaign.Level.VILLAGE)
        .select_related("standard")
        .order_by("-year", "-pk")
        .first()
    )
    return campaign.standard if campaign else None


def indicator_codes_for_township(township):
    """Indicator codes a ledger row may cite; None means no standard yet (codes are not checked)."""
    standard = ledger_standard_for_township(township)
    if standard is None:
        return None
    return list(Indicator.objects.filter(standard=standard).values_list("code", flat=True))


def township_choices_for_compliance(user):
    """Townships whose whole matrix the user sees, plus those of the user's own units."""
    scope = scope_for(user)
    q = scope.township_q(Cap.LEDGER_VIEW) | Q(units__id__in=scope.held(Cap.LEDGER_VIEW, "unit"))
    return Township.objects.filter(q).distinct().order_by("region__name", "name")
