"""Who may manage which standard: capability from the role table, object reach from memberships."""

from access.roles import Cap, Side
from access.scope import scope_for
from villages.models import Region, Township

GLOBAL = "global"


def can_manage_standard(user, standard):
    """Edit rights: the MANAGER side of the standard (its township's reviewer, its city office, admin)."""
    scope = scope_for(user)
    return scope.can(Cap.STANDARDS_MANAGE) and Side.MANAGER in scope.sides("standard", standard)


def can_create_standards(user):
    """Whether manageable_targets(user) is non-empty, without querying (for buttons on every page)."""
    return scope_for(user).reaches_a_township(Cap.STANDARDS_MANAGE)


def manageable_targets(user):
    """Owners a user may give a new standard: [(value, label, region, township)], value r:ID/t:ID/GLOBAL.

    Admin: global, every region, every township; city office: its regions and their townships (local
    versions); township reviewer: its townships.
    """
    scope = scope_for(user)
    if not scope.can(Cap.STANDARDS_MANAGE):
        return []
    targets = []
    if scope.everywhere:
        targets.append((GLOBAL, "全局（所有地区通用）", None, None))
        regions = Region.objects.order_by("name")
        townships = Township.objects.select_related("region").order_by("region__name", "name")
    else:
        regions = Region.objects.filter(pk__in=scope.held(Cap.STANDARDS_MANAGE, "region")).order_by("name")
        townships = (
            Township.objects.filter(scope.township_q(Cap.STANDARDS_MANAGE))
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
