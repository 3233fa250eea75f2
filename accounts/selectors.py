"""Users visible to a user: administrators see all; township and city roles see the people in their scope;
everyone else sees only themselves."""

from django.db.models import Prefetch, Q
from django.http import Http404

from access.roles import Cap
from access.scope import scope_for
from villages.models import PartyBranch, Region, ResponsibleUnit, Township, Village

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
    # accounts opened for one of these townships that hold no role yet
    fresh = Q(created_in_township__in=towns) & ~Q(pk__in=Membership.objects.values("user_id"))
    return base.filter(Q(pk__in=user_ids) | fresh | Q(pk=user.pk))


def user_get_for_user(user, pk):
    try:
        return user_list_for_user(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# ---- management (issue 11): whose accounts and roles a user may change --------------------------------


def townships_managed_by(user):
    """Townships where `user` manages accounts and roles: held at the township, or at its region."""
    return Township.objects.filter(scope_for(user).township_q(Cap.USERS_MANAGE)).select_related("region")


def _inside(towns):
    """Q over memberships held at a node inside `towns` (township roles and everything below them)."""
    return (
        Q(township__in=towns)
        | Q(branch__township__in=towns)
        | Q(village__township__in=towns)
        | Q(unit__township__in=towns)
    )


def users_managed_by(user):
    """The accounts `user` may create, edit, disable, enable and reset: everyone for the administrator;
    otherwise the users all of whose roles lie inside the townships `user` manages (so nobody holding a
    role elsewhere, a city role or the administrator role), and the accounts opened for one of those
    townships that hold no role yet. Never a superuser, unless `user` is the administrator."""
    scope = scope_for(user)
    if scope.everywhere:
        return User.objects.all()
    if not scope.can(Cap.USERS_MANAGE):
        return User.objects.none()
    towns = townships_managed_by(user).values("pk")
    outside = Membership.objects.exclude(_inside(towns)).values("user_id")
    inside = Membership.objects.filter(_inside(towns)).values("user_id")
    fresh = Q(created_in_township__in=towns) & ~Q(pk__in=Membership.objects.values("user_id"))
    return User.objects.filter(Q(pk__in=inside) | fresh).exclude(pk__in=outside).exclude(is_superuser=True)


def user_manage_refusal(actor, target):
    """Why `actor` may not change `target`'s account, or None when it may."""
    if scope_for(actor).everywhere:
        return None
    if not scope_for(actor).can(Cap.USERS_MANAGE):
        return "您无权管理用户和角色授权。"
    if not users_managed_by(actor).filter(pk=target.pk).exists():
        return "只能管理本人所辖镇街的用户。"
    return None


def grant_nodes_for_user(user):
    """{node kind: queryset} of the nodes `user` may grant roles at: the villages, branches and units of
    the townships it manages and those townships (the city office: the townships of its region)."""
    scope = scope_for(user)
    towns = townships_managed_by(user)
    # below a township: only where USERS_MANAGE is held at the township itself (or everywhere); the city
    # office names the townships' own roles
    below = towns if scope.everywhere else towns.filter(pk__in=scope.held(Cap.USERS_MANAGE, "township"))
    return {
        "region": Region.objects.all() if scope.everywhere else Region.objects.none(),
        "township": towns,
        "branch": PartyBranch.objects.filter(township__in=below).select_related("township"),
        "village": Village.objects.filter(township__in=below).select_related("township"),
        "unit": ResponsibleUnit.objects.filter(township__in=below).select_related("township"),
    }


USER_STATES = {"active": True, "inactive": False}


def user_filter_nodes(user):
    """{kind: queryset} of the villages, branches and units the user list may be filtered by."""
    towns = Township.objects.filter(scope_for(user).township_q(Cap.USERS_VIEW))
    return {
        "village": Village.objects.filter(township__in=towns).select_related("township"),
        "branch": PartyBranch.objects.filter(township__in=towns).select_related("township"),
        "unit": ResponsibleUnit.objects.filter(township__in=towns).select_related("township"),
    }


def user_list_filtered(user, *, q="", role="", state="", village=None, branch=None, unit=None):
    """The user list of `user` narrowed by the list page's filters (the page and its Excel export)."""
    users = user_list_for_user(user)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(phone__icontains=q))
    held = Q()
    if role:
        held &= Q(role=role)
    for field, value in (("village_id", village), ("branch_id", branch), ("unit_id", unit)):
        if value is not None:
            held &= Q(**{field: value})
    if held:
        users = users.filter(pk__in=Membership.objects.filter(held).values("user_id"))
    if state in USER_STATES:
        users = users.filter(is_active=USER_STATES[state])
    return users
