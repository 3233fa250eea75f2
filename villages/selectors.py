"""Reads of the organisation, always scoped to the user. Out of scope is indistinguishable from missing."""

from django.db.models import Count, Q, Subquery
from django.http import Http404

from accounts.scoping import scope_for

from .models import (
    AnnualTarget,
    CreationBatch,
    PartyBranch,
    ResponsibleUnit,
    Township,
    Village,
    WorkingGroupMember,
)

NOTHING = Q(pk__in=[])


def village_scope_q(scope, prefix=""):
    """Q selecting the villages a scope reaches; `prefix` lets other models filter through their FK."""
    if scope.is_admin:
        return Q()
    p = prefix
    q = NOTHING
    if scope.region_ids:
        q |= Q(**{f"{p}township__region_id__in": scope.region_ids})
    if scope.township_ids:
        q |= Q(**{f"{p}township_id__in": scope.township_ids})
    if scope.branch_ids:
        q |= Q(**{f"{p}branch_id__in": scope.branch_ids})
    if scope.village_ids:
        q |= Q(**{f"{p}id__in": scope.village_ids})
    if scope.unit_ids:
        supervised = ResponsibleUnit.villages.through.objects.filter(responsibleunit_id__in=scope.unit_ids)
        q |= Q(**{f"{p}id__in": Subquery(supervised.values("village_id"))})
    return q


def township_scope_q(scope):
    """Townships a user may open: those at or below their roles (a village member sees its own)."""
    if scope.is_admin:
        return Q()
    q = NOTHING
    if scope.region_ids:
        q |= Q(region_id__in=scope.region_ids)
    if scope.member_township_ids:
        q |= Q(id__in=scope.member_township_ids)
    return q


def township_wide_q(scope):
    """Townships where the user sees everything (township-level roles, city office, admin)."""
    if scope.is_admin:
        return Q()
    q = NOTHING
    if scope.region_ids:
        q |= Q(region_id__in=scope.region_ids)
    if scope.township_ids:
        q |= Q(id__in=scope.township_ids)
    return q


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
    if scope.is_admin:
        q = Q()
    else:
        q = Q(township__in=Township.objects.filter(township_wide_q(scope))) | Q(id__in=scope.branch_ids)
        q |= Q(id__in=Village.objects.filter(village_scope_q(scope)).values("branch_id"))
    return PartyBranch.objects.filter(q).select_related("township")


def unit_list_for_user(user):
    scope = scope_for(user)
    if scope.is_admin:
        q = Q()
    else:
        q = Q(township__in=Township.objects.filter(township_wide_q(scope))) | Q(id__in=scope.unit_ids)
    return (
        ResponsibleUnit.objects.filter(q)
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
