"""The assessment workflow as data. One table drives every state change and the buttons the UI shows.

No database access here: services.transition() locks the row, evaluates the guards named in the table,
changes the state and writes the event; views ask `available(...)` which buttons to draw.

Actors are the *sides* of the workflow, not roles: for a village-level campaign the village committee and
supervision committee members are SELF, the party-branch secretary is BRANCH, the township 纪委 reviewer is
REVIEWER and the city office is CITY; for a township-level campaign the township reviewer is SELF and the
city office is REVIEWER (there is no branch). `access.table.SIDES` and `permissions.actor_sides` map a
user to their sides for one assessment.
"""

from dataclasses import dataclass
from enum import StrEnum

from access.roles import Side

from .models import Assessment

S = Assessment.Status


class Guard(StrEnum):
    """Checks the service evaluates before a transition; each failure has its own Chinese message."""

    SELF_WINDOW_OPEN = "self_window_open"  # before the self-assessment deadline, or reopened
    COMPLETE = "complete"  # every village-scored indicator filled, veto self-check answered
    APPLICATION_FORM = "application_form"  # the scanned stamped form is uploaded
    SIGNED = "signed"  # signed off by a 两委 member and a 监委会 member this round
    HAS_BRANCH = "has_branch"  # the village belongs to a party branch
    REVIEW_COMPLETE = "review_complete"  # every indicator reviewed, every claim and veto decided
    NOT_CONFIRMED = "not_confirmed"  # the campaign's grades are not confirmed yet
    PAST_SUBMISSION_DEADLINE = "past_submission_deadline"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset
    target: str
    sides: frozenset
    reason_required: bool = False
    guards: tuple = ()
    confirm: str = ""
    style: str = "primary"
    # Campaign-wide steps run for every assessment at once by a service (the grading board's
    # confirmation); they are never offered, nor accepted, for a single assessment.
    campaign_wide: bool = False


def _t(action, label, sources, target, sides, **kw):
    return Transition(action, label, frozenset(sources), target, frozenset(sides), **kw)


TRANSITIONS = (
    _t(
        "submit",
        "提交自评",
        {S.DRAFT, S.RETURNED},
        S.SUBMITTED,
        {Side.SELF},
        guards=(Guard.SELF_WINDOW_OPEN, Guard.COMPLETE, Guard.APPLICATION_FORM, Guard.SIGNED),
        confirm="提交后本村不能再修改自评内容，确定提交吗？",
    ),
    _t(
        "withdraw",
        "撤回提交",
        {S.SUBMITTED},
        S.DRAFT,
        {Side.SELF},
        guards=(Guard.SELF_WINDOW_OPEN,),
        confirm="撤回后需重新签署并提交，确定撤回吗？",
        style="outline-secondary",
    ),
    _t(
        "forward",
        "报送镇街",
        {S.SUBMITTED},
        S.FORWARDED,
        {Side.BRANCH, Side.SYSTEM},
        confirm="确定将所选村的材料报送镇街吗？",
    ),
    _t(
        "branch_return",
        "退回村修改",
        {S.SUBMITTED},
        S.RETURNED,
        {Side.BRANCH},
        reason_required=True,
        guards=(Guard.HAS_BRANCH,),
        style="outline-danger",
    ),
    _t(
        "start_review", "开始初审", {S.FORWARDED}, S.IN_REVIEW, {Side.REVIEWER}, guards=(Guard.NOT_CONFIRMED,)
    ),
    _t(
        "review_unsubmitted",
        "逾期未报，直接初审",
        {S.DRAFT, S.RETURNED},
        S.IN_REVIEW,
        {Side.REVIEWER},
        reason_required=True,
        guards=(Guard.PAST_SUBMISSION_DEADLINE, Guard.NOT_CONFIRMED),
        confirm="该村未按期报送。直接初审后，村里将不能再修改自评，确定吗？",
        style="outline-secondary",
    ),
    _t(
        "return",
        "退回修改",
        {S.FORWARDED, S.IN_REVIEW},
        S.RETURNED,
        {Side.REVIEWER},
        reason_required=True,
        guards=(Guard.NOT_CONFIRMED,),
        confirm="退回后村里可修改并重新提交，确定退回吗？",
        style="outline-danger",
    ),
    _t(
        "complete_review",
        "完成初审",
        {S.IN_REVIEW},
        S.REVIEWED,
        {Side.REVIEWER},
        guards=(Guard.REVIEW_COMPLETE, Guard.NOT_CONFIRMED),
        confirm="确定完成初审吗？完成后进入定级。",
        style="success",
    ),
    _t(
        "reopen_review",
        "重新初审",
        {S.REVIEWED},
        S.IN_REVIEW,
        {Side.REVIEWER},
        reason_required=True,
        guards=(Guard.NOT_CONFIRMED,),
        style="outline-secondary",
    ),
    # Applied to every reviewed assessment at once when the township confirms the grades.
    _t(
        "confirm_grade",
        "确认定级",
        {S.REVIEWED},
        S.CONFIRMED,
        {Side.REVIEWER},
        guards=(Guard.NOT_CONFIRMED,),
        campaign_wide=True,
    ),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}
assert len(BY_ACTION) == len(TRANSITIONS), "duplicate action in the transition table"

# States in which each side may edit the lines (scores, claims, evidence, form fields).
SELF_EDITABLE = frozenset({S.DRAFT, S.RETURNED})
REVIEW_EDITABLE = frozenset({S.IN_REVIEW})


def get(action):
    try:
        return BY_ACTION[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}") from None


def allowed(action, state, sides):
    """Is `action` allowed from `state` for someone acting as any of `sides` (guards aside)?"""
    t = BY_ACTION.get(action)
    return t is not None and state in t.sources and bool(t.sides & set(sides))


def available(state, sides):
    """The per-assessment transitions (buttons) open to these sides in this state, in table order."""
    return [t for t in TRANSITIONS if state in t.sources and t.sides & set(sides) and not t.campaign_wide]
