from django.db.models import Q

from accounts.scoping import scope_for
from villages.models import Township, Village
from villages.selectors import township_wide_q

from .models import AuditEvent


def event_list_for_user(user):
    """Administrators see every event; a township reviewer sees the events of their townships."""
    scope = scope_for(user)
    events = AuditEvent.objects.all()
    if scope.is_admin:
        return events
    townships = Township.objects.filter(township_wide_q(scope)).values("pk")
    villages = Village.objects.filter(township__in=townships).values("pk")
    return events.filter(Q(township_id__in=townships) | Q(village_id__in=villages))
