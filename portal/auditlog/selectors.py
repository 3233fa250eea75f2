from django.db.models import Q

from access.roles import Cap
from access.scope import scope_for
from audit.models import AuditEvent
from villages.models import Township, Village


def event_list_for_user(user):
    """Administrators see every event; a township reviewer sees the events of their townships."""
    scope = scope_for(user)
    events = AuditEvent.objects.all()
    if scope.everywhere:
        return events
    townships = Township.objects.filter(scope.township_q(Cap.AUDIT_VIEW)).values("pk")
    villages = Village.objects.filter(township__in=townships).values("pk")
    return events.filter(Q(township_id__in=townships) | Q(village_id__in=villages))
