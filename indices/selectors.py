"""Reads of index standards, scoped to the user. Out of scope is indistinguishable from missing.

Visibility:
  * administrators see every standard;
  * a standard with neither region nor township (a global fixture) is visible to every logged-in user;
  * a city standard (region R, no township) is visible to everyone whose memberships lie in R: the city
    office of R and every township, branch, village and unit member of a township in R;
  * a local version (township T) is visible to the members of T and to the city office of T's region.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from access.checks import deny
from access.roles import Cap
from access.scope import scope_for

from .importing import tree_prefetches
from .importing.layout import METHOD_SHORT
from .models import Dimension, IndexStandard, Indicator

NOTHING = Q(pk__in=[])


def standard_scope_q(user):
    scope = scope_for(user)
    if scope.anonymous:
        return NOTHING
    if scope.everywhere:
        return Q()
    cap = Cap.STANDARDS_VIEW
    regions = scope.held(cap, "region") | scope.touched_region_ids(cap)
    q = Q(region__isnull=True, township__isnull=True)
    q |= Q(township__isnull=True, region_id__in=regions)
    q |= Q(township_id__in=scope.touched_township_ids(cap))
    q |= Q(township__region_id__in=scope.held(cap, "region"))
    return q


def _count(model):
    sub = model.objects.filter(standard=OuterRef("pk")).order_by().values("standard")
    return Coalesce(Subquery(sub.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


def standard_list_for_user(user):
    return (
        IndexStandard.objects.filter(standard_scope_q(user))
        .select_related("region", "township")
        .annotate(
            in_use=Exists(IndexStandard.objects.filter(pk=OuterRef("pk"), campaigns__isnull=False)),
            dimension_count=_count(Dimension),
            indicator_count=_count(Indicator),
        )
    )


def standard_get_for_user(user, pk, *, tree=False):
    """One standard in the user's scope (404 otherwise); `tree=True` prefetches the whole tree."""
    qs = standard_list_for_user(user)
    if tree:
        qs = qs.select_related("derived_from", "created_by").prefetch_related(*tree_prefetches())
    try:
        return qs.get(pk=pk)
    except (IndexStandard.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_standard_by_id(user, pk, *, need=None, request=None, tree=False):
    """(standard, sides): MANAGER edits, copies and replaces it (its township's reviewer, its city office,
    the administrator), while it is not in use."""
    standard = standard_get_for_user(user, pk, tree=tree)
    scope = scope_for(user)
    sides = scope.sides("standard", standard) if scope.can(Cap.STANDARDS_MANAGE) else frozenset()
    if need is not None and need not in sides:
        deny(request, standard, f"缺少权限 {Cap.STANDARDS_MANAGE}")
    return standard, sides


def standard_tree(standard):
    """The prefetched standard as rows for the detail page: dimensions, each with its indicators in order
    and each indicator's sub-items after it. No queries beyond the prefetches."""
    indicators = sorted(standard.indicators.all(), key=lambda i: i.sort_order)
    children = {}
    for ind in indicators:
        ind.method_short = METHOD_SHORT.get(ind.scoring_method, "")
        if ind.parent_id is not None:
            children.setdefault(ind.parent_id, []).append(ind)
    by_dim = {}
    for ind in indicators:
        if ind.parent_id is None:
            ind.sub_items = children.get(ind.pk, [])
            by_dim.setdefault(ind.dimension_id, []).append(ind)
    dims = sorted(standard.dimensions.all(), key=lambda d: d.sort_order)
    for dim in dims:
        dim.tree = by_dim.get(dim.pk, [])
    return dims
