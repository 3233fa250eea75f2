"""Who may manage which standard: capability from the role table, object reach from memberships."""

from accounts.models import Role
from accounts.roles import Cap
from accounts.scoping import scope_for
from villages.models import Region, Township

GLOBAL = "global"


def _reviewer_township_ids(user):
    """Townships where the user is 镇纪委审核人员 (a 镇领导 membership elsewhere must not count)."""
    return scope_for(user).nodes(Role.TOWNSHIP_REVIEWER)


def can_manage_standard(user, standard):
    """Edit rights: admin; the city office of the standard's region; the reviewer of its township."""
    scope = scope_for(user)
    if not scope.can(Cap.STANDARDS_MANAGE):
        return False
    if scope.is_admin:
        return True
    if standard.township_id is not None:
        if standard.township_id in _reviewer_township_ids(user):
            return True
    region_id = standard.region_id or (standard.township.region_id if standard.township_id else None)
    if region_id is not None and Role.CITY_OFFICE in scope.roles:
        return region_id in scope.region_ids
    return False


def can_create_standards(user):
    """Whether manageable_targets(user) is non-empty, without querying (for buttons on every page)."""
    scope = scope_for(user)
    if not scope.can(Cap.STANDARDS_MANAGE):
        return False
    return scope.is_admin or Role.CITY_OFFICE in scope.roles or Role.TOWNSHIP_REVIEWER in scope.roles


def manageable_targets(user):
    """Owners a user may give a new standard: [(value, label, region, township)], value r:ID/t:ID/GLOBAL.

    Admin: global, every region, every township; city office: its regions and their townships (local
    versions); township reviewer: its townships.
    """
    scope = scope_for(user)
    if not scope.can(Cap.STANDARDS_MANAGE):
        return []
    targets = []
    if scope.is_admin:
        targets.append((GLOBAL, "全局（所有地区通用）", None, None))
        regions = Region.objects.order_by("name")
        townships = Township.objects.select_related("region").order_by("region__name", "name")
    else:
        city_regions = scope.region_ids if Role.CITY_OFFICE in scope.roles else frozenset()
        regions = Region.objects.filter(pk__in=city_regions).order_by("name")
        townships = (
            (
                Township.objects.filter(region_id__in=city_regions)
                | Township.objects.filter(pk__in=_reviewer_township_ids(user))
            )
            .select_related("region")
            .order_by("region__name", "name")
        )
    for region in regions:
        targets.append((f"r:{region.pk}", f"{region.name}（全市通用）", region, None))
    for township in townships.distinct():
        targets.append(
            (
                f"t:{township.pk}",
                f"{township.region.name} {township.name}（本地版本）",
                township.region,
                township,
            )
        )
    return targets


def target_value(standard):
    if standard.township_id:
        return f"t:{standard.township_id}"
    if standard.region_id:
        return f"r:{standard.region_id}"
    return GLOBAL
