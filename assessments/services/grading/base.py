"""Shared pieces of 定级: who acts for a campaign, the standard's grades, whom to notify."""

from access.recipients import holders_q
from access.scope import scope_for
from accounts.models import Membership

from ...models import Assessment
from ...workflow import Side

S = Assessment.Status
CITY = "city"


def campaign_actor_sides(user, campaign):
    """The sides a user acts as for a whole campaign (the campaign-level mirror of actor_sides)."""
    return scope_for(user).sides(f"campaign.{campaign.level}", campaign) & {Side.REVIEWER, Side.CITY}


def standard_grades(standard):
    """The standard's grades, best first."""
    return list(standard.grades.order_by("rank"))


def lock_assessment(assessment):
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__standard", "village", "township")
        .get(pk=assessment.pk)
    )


def subject_members(assessments):
    """{assessment pk: [users]}: a village's 两委 and 监委会 members, or a township's reviewers."""
    assessments = list(assessments)
    by_village = {a.village_id: a.pk for a in assessments if a.village_id}
    by_township = {a.township_id: a.pk for a in assessments if not a.village_id}
    rows = Membership.objects.filter(
        holders_q("assessment.village", Side.SELF, village=by_village)
        | holders_q("assessment.township", Side.SELF, township=by_township),
        user__is_active=True,
    ).select_related("user")
    members = {}
    for m in rows:
        pk = by_village.get(m.village_id) if m.village_id else by_township.get(m.township_id)
        users = members.setdefault(pk, [])
        if m.user not in users:
            users.append(m.user)
    return members
