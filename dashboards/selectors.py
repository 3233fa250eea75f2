"""The subjects of a dashboard, reached through the access table: out of scope answers 404 like missing."""

from access.checks import get_or_404
from access.roles import Cap
from access.scope import scope_for
from villages.models import Region, Township


def access_dashboard_township_by_id(user, pk):
    """A township whose dashboard the user may open: DASHBOARD_VIEW held at it or at its region."""
    scope = scope_for(user)
    townships = Township.objects.filter(scope.township_q(Cap.DASHBOARD_VIEW)).select_related("region")
    return get_or_404(townships, pk)


def access_dashboard_region_by_id(user, pk):
    """A city (市/县/区) whose dashboard the user may open: DASHBOARD_VIEW held at the region itself."""
    regions = Region.objects.filter(scope_for(user).node_q(Cap.DASHBOARD_VIEW, "region"))
    return get_or_404(regions, pk)
