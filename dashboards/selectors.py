"""The subjects of a dashboard, reached through the access table: out of scope answers 404 like missing.

The township or region comes from the cache (villages.selectors.township_row) and the user's reach is
checked against it with the access table's own rule (access.scope.Scope.reaches_township /
reaches_region, which township_q / node_q express in SQL): a dashboard request makes no query for it.
"""

from django.http import Http404

from access.roles import Cap
from access.scope import scope_for
from villages.selectors import region_row, township_row


def access_dashboard_township_by_id(user, pk):
    """A township whose dashboard the user may open: DASHBOARD_VIEW held at it or at its region."""
    township = township_row(pk)
    if township is None or not scope_for(user).reaches_township(Cap.DASHBOARD_VIEW, township):
        raise Http404
    return township


def access_dashboard_region_by_id(user, pk):
    """A city (市/县/区) whose dashboard the user may open: DASHBOARD_VIEW held at the region itself."""
    region = region_row(pk)
    if region is None or not scope_for(user).reaches_region(Cap.DASHBOARD_VIEW, region.pk):
        raise Http404
    return region
