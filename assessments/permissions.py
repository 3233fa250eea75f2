"""Which workflow sides a user acts as for one assessment (see access.table.SIDES)."""

from access.roles import Side
from access.scope import scope_for

WORKFLOW_SIDES = frozenset({Side.SELF, Side.BRANCH, Side.REVIEWER, Side.CITY})


def assessment_entity(assessment):
    """The access-table row of an assessment: village-level and township-level ones have other sides."""
    return f"assessment.{assessment.campaign.level}"


def actor_sides(user, assessment):
    """The workflow sides `user` may act as on `assessment`; empty for read-only viewers (leaders,
    admins)."""
    return scope_for(user).sides(assessment_entity(assessment), assessment) & WORKFLOW_SIDES


def signoff_sides(user, assessment):
    """Which 签署 the user may give: a 两委 member signs for the committee, a 监委会 member for supervision."""
    from .models import Signoff

    if assessment.village_id is None:
        return set()
    sides = scope_for(user).sides("assessment.village", assessment)
    return {s for s in (Signoff.Side.COMMITTEE, Signoff.Side.SUPERVISOR) if Side(s.value) in sides}


def manager_sides(user, assessment):
    """Whether the user keeps the township's paperwork about this village (示范村申请表 and the like)."""
    return scope_for(user).sides(assessment_entity(assessment), assessment) & {Side.MANAGER}
