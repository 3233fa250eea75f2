"""Users visible to a user: administrators see all; township and city roles see the people in their scope;
everyone else sees only themselves."""

from django.db.models import Prefetch, Q
from django.http import Http404

from access.roles import Cap
from access.scope import scope_for
from villages.models import Township

from .models import Membership, User


def user_list_for_user(user):
    scope = scope_for(user)
    memberships = Membership.objects.select_related("region", "township", "branch", "village", "unit")
    base = User.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).order_by("username")
    cap = Cap.USERS_VIEW
    if scope.everywhere:
        return base
    if not (scope.held(cap, "township") or scope.held(cap, "region")):
        return base.filter(pk=user.pk)
    towns = Township.objects.filter(scope.township_q(cap))
    reached = Q(township__in=towns) | Q(branch__township__in=towns)
    reached |= Q(village__township__in=towns) | Q(unit__township__in=towns)
    if regions := scope.held(cap, "region"):
        reached |= Q(region_id__in=regions)
    user_ids = Membership.objects.filter(reached).values("user_id")
    return base.filter(Q(pk__in=user_ids) | Q(pk=user.pk))


def user_get_for_user(user, pk):
    try:
        return user_list_for_user(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
