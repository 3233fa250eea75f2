"""Reads of the organisation, always scoped to the user. Out of scope is indistinguishable from missing."""

from django.db.models import Count, Q
from django.http import Http404

from access.roles import Cap
from access.scope import scope_for
from common.dataversion import versioned

from .models import (
    AnnualTarget,
    CreationBatch,
    PartyBranch,
    Region,
    ResponsibleUnit,
    Township,
    Village,
    WorkingGroupMember,
)


def village_scope_q(scope, prefix="", cap=Cap.ORG_VIEW):
    """Q selecting the villages a scope reaches; `prefix` lets other models filter through their FK."""
    return scope.village_q(cap, prefix=prefix)


def township_scope_q(scope, cap=Cap.ORG_VIEW):
    """Townships a user may open: those at or below their roles (a village member sees its own)."""
    return scope.touched_township_q(cap)


def township_wide_q(scope, cap=Cap.ORG_VIEW):
    """Townships where the user sees everything (township-level roles, city office, admin)."""
    return scope.township_q(cap)


def township_list_for_user(user):
    scope = scope_for(user)
    visible_villages = village_scope_q(scope, prefix="villages__")
    return (
        Township.objects.filter(township_scope_q(scope))
        .select_related("region")
        .annotate(village_count=Count("villages", filter=visible_villages, distinct=True))
        .order_by("region__name", "name")
    )


def township_get_for_user(user, pk):
    try:
        return township_list_for_user(user).get(pk=pk)
    except (Township.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def village_list_for_user(user):
    scope = scope_for(user)
    return (
        Village.objects.filter(village_scope_q(scope))
        .select_related("township", "township__region", "branch")
        .order_by("township__name", "sort_order", "name")
    )


def village_get_for_user(user, pk):
    try:
        return village_list_for_user(user).get(pk=pk)
    except (Village.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def branch_list_for_user(user):
    scope = scope_for(user)
    q = scope.township_q(Cap.ORG_VIEW, prefix="township__") | Q(id__in=scope.held(Cap.ORG_VIEW, "branch"))
    q |= Q(id__in=Village.objects.filter(village_scope_q(scope)).values("branch_id"))
    return PartyBranch.objects.filter(q).select_related("township")


def unit_list_for_user(user):
    scope = scope_for(user)
    return (
        ResponsibleUnit.objects.filter(scope.unit_q(Cap.ORG_VIEW))
        .select_related("township")
        .annotate(village_count=Count("villages", distinct=True))
        .order_by("township_id", "sort_order", "name")
    )


def unit_get_for_user(user, pk):
    try:
        return unit_list_for_user(user).get(pk=pk)
    except (ResponsibleUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def working_group_for_user(user, township):
    scope = scope_for(user)
    if not Township.objects.filter(township_wide_q(scope), pk=township.pk).exists():
        return WorkingGroupMember.objects.none()
    return WorkingGroupMember.objects.filter(township=township).select_related("unit")


def targets_for_user(user, township):
    scope = scope_for(user)
    if not Township.objects.filter(township_wide_q(scope), pk=township.pk).exists():
        return AnnualTarget.objects.none()
    return AnnualTarget.objects.filter(township=township).prefetch_related("grade_counts")


def township_is_wide_for_user(user, township):
    return Township.objects.filter(township_wide_q(scope_for(user)), pk=township.pk).exists()


def wide_township_ids_for_user(user, township_ids):
    """Which of `township_ids` the user sees whole (one query, for pages listing several townships)."""
    return set(
        Township.objects.filter(township_wide_q(scope_for(user)), pk__in=township_ids).values_list(
            "pk", flat=True
        )
    )


def branches_in_township_for_user(user, township):
    return branch_list_for_user(user).filter(township=township).order_by("sort_order", "name")


def villages_in_township_for_user(user, township):
    return village_list_for_user(user).filter(township=township).order_by("sort_order", "name")


def units_in_township_for_user(user, township):
    return unit_list_for_user(user).filter(township=township)


def units_of_village_for_user(user, village):
    """Units supervising `village` that the user may see (none for village and branch roles)."""
    return unit_list_for_user(user).filter(villages=village)


def villages_of_unit_for_user(user, unit):
    """The unit's villages, limited to those in the user's scope."""
    return village_list_for_user(user).filter(units=unit).order_by("sort_order", "name")


def batches_for_user(user, township):
    """三管镇-style creation batches of the villages the user sees in `township`, by year."""
    visible = Village.objects.filter(village_scope_q(scope_for(user)), township=township)
    return (
        CreationBatch.objects.filter(township=township, village__in=visible)
        .select_related("village")
        .order_by("year", "-is_benchmark", "village__sort_order", "village__name")
    )


def batch_for_village(village):
    """The creation batch of a village already fetched through the user's scope, or None."""
    return CreationBatch.objects.filter(village=village).first()


# --- rows the busiest pages look up by the id in their address, before checking the user's reach -------


def township_row(pk):
    """The township (with its region) or None, cached under its data version, which a rename or a move
    renews (accounts.signals): the dashboards check the user's reach against it without a query."""
    return versioned(
        townships=[pk],
        parts=("township-row", pk),
        build=lambda: Township.objects.select_related("region").filter(pk=pk).first(),
        create=False,
    )


def region_row(pk):
    """The region or None, cached under its data version (see township_row)."""
    return versioned(
        regions=[pk],
        parts=("region-row", pk),
        build=lambda: Region.objects.filter(pk=pk).first(),
        create=False,
    )
