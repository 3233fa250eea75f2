"""Users visible to a user: administrators see all; township and city roles see the people in their scope;
everyone else sees only themselves."""

from django.db.models import Prefetch, Q
from django.http import Http404

from villages.models import Township
from villages.selectors import township_wide_q

from .models import Membership, User
from .scoping import scope_for


def user_list_for_user(user):
    scope = scope_for(user)
    memberships = Membership.objects.select_related("region", "township", "branch", "village", "unit")
    base = User.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).order_by("username")
    if scope.is_admin:
        return base
    if not (scope.region_ids or scope.township_ids):
        return base.filter(pk=user.pk)
    townships = Township.objects.filter(township_wide_q(scope))
    reached = Q(township__in=townships) | Q(branch__township__in=townships)
    reached |= Q(village__township__in=townships) | Q(unit__township__in=townships)
    if scope.region_ids:
        reached |= Q(region_id__in=scope.region_ids)
    user_ids = Membership.objects.filter(reached).values("user_id")
    return base.filter(Q(pk__in=user_ids) | Q(pk=user.pk))


def user_get_for_user(user, pk):
    try:
        return user_list_for_user(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
