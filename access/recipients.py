"""The reverse of a side: which memberships make their holders that side of given nodes.

Used to address notifications and reminders ("the village's 两委 and 监委会", "the township's 纪委"),
from the same table the access checks read.
"""

from django.db.models import Q

from .roles import ROLE_NODE
from .scope import NOTHING
from .table import ANYWHERE, CAPS, SIDES


def holders_q(entity, side, *, anywhere=False, **nodes):
    """Q over Membership for the holders of `side` of `entity` at the given nodes.

    `nodes`: node kind → ids, e.g. `village=[1, 2]`, `township=[3]`. Roles counted anywhere (the
    administrator) are left out unless `anywhere`: they may act everywhere but are nobody's addressee.
    """
    q = NOTHING
    for role, path in SIDES[entity][side]:
        if path == ANYWHERE:
            if anywhere:
                q |= Q(role=role)
            continue
        kind = ROLE_NODE[role]
        if kind in nodes:
            q |= Q(role=role, **{f"{kind}_id__in": list(nodes[kind])})
    return q


def holder_roles(entity, side):
    """The roles that can be `side` of `entity` (for grouping recipients by what they are asked to do)."""
    return frozenset(role for role, _path in SIDES[entity][side])


def system_holders_q(cap):
    """Q over Membership for the holders of `cap` over the whole system (roles held at no node, such as
    the administrator): the addressees of system matters like the audit chain's integrity."""
    roles = [
        role for role, caps in CAPS.items() if cap in caps and role in ROLE_NODE and ROLE_NODE[role] is None
    ]
    return Q(role__in=roles) if roles else NOTHING
