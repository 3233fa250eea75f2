"""The transition table, exhaustively: every state × action × side, and every role through actor_sides.

The expected table is written out by hand from DOMAIN.md ("The yearly assessment workflow"), not read from
workflow.py: the first test pins workflow.TRANSITIONS to it, the others check that assessment_transition
allows exactly what it says (guards made to pass) and that every refused attempt changes nothing.
"""

import datetime
from pathlib import Path

import pytest
from django.db import transaction

from accounts.models import Role
from assessments import workflow
from assessments.models import Assessment, AssessmentEvent, Campaign, IndicatorScore
from assessments.permissions import actor_sides
from assessments.services import WorkflowError, assessment_transition
from assessments.workflow import Side
from tests.assessments.conftest import fill_self
from tests.factories import user_with_role

S = Assessment.Status
STATES = list(S)
EXPECTED = {
    # action: (from-states, to-state, sides, reason required)
    "submit": ({S.DRAFT, S.RETURNED}, S.SUBMITTED, {Side.SELF}, False),
    "withdraw": ({S.SUBMITTED}, S.DRAFT, {Side.SELF}, False),
    "forward": ({S.SUBMITTED}, S.FORWARDED, {Side.BRANCH, Side.SYSTEM}, False),
    "branch_return": ({S.SUBMITTED}, S.RETURNED, {Side.BRANCH}, True),
    "start_review": ({S.FORWARDED}, S.IN_REVIEW, {Side.REVIEWER}, False),
    "review_unsubmitted": ({S.DRAFT, S.RETURNED}, S.IN_REVIEW, {Side.REVIEWER}, True),
    "return": ({S.FORWARDED, S.IN_REVIEW}, S.RETURNED, {Side.REVIEWER}, True),
    "complete_review": ({S.IN_REVIEW}, S.REVIEWED, {Side.REVIEWER}, False),
    "reopen_review": ({S.REVIEWED}, S.IN_REVIEW, {Side.REVIEWER}, True),
    "confirm_grade": ({S.REVIEWED}, S.CONFIRMED, {Side.REVIEWER}, False),
}
# Each role of the org fixture (held at 东村, its branch, its township, its city, or 经管站 which supervises
# 东村) and the sides it acts as on 东村's assessment in a village-level campaign.
ROLE_SIDES = {
    Role.VILLAGE_COMMITTEE: {Side.SELF},
    Role.VILLAGE_SUPERVISOR: {Side.SELF},
    Role.BRANCH_SECRETARY: {Side.BRANCH},
    Role.TOWNSHIP_REVIEWER: {Side.REVIEWER},
    Role.TOWNSHIP_LEADER: set(),
    Role.CITY_OFFICE: {Side.CITY},
    Role.ADMIN: set(),
    Role.UNIT_STAFF: set(),
}


def test_the_table_in_workflow_py_is_the_documented_one():
    actual = {
        t.action: (set(t.sources), t.target, set(t.sides), t.reason_required) for t in workflow.TRANSITIONS
    }
    assert actual == EXPECTED


@pytest.fixture
def ready(cycle):
    """东村 with every guard satisfied: self-assessment complete, signed and stamped, every indicator
    reviewed, the submission deadline passed (for review_unsubmitted), grades not confirmed."""
    a = cycle.a["东村"]
    fill_self(a, cycle.committee, cycle.supervisor)
    IndicatorScore.objects.filter(assessment=a).update(review_score=1)
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    Campaign.objects.filter(pk=cycle.campaign.pk).update(submission_deadline=yesterday)
    return a


def _attempt(a, state, action, actor, sides):
    """Try one transition from `state` inside a savepoint that is always rolled back.

    Returns (allowed, problems, what changed)."""
    sid = transaction.savepoint()
    try:
        Assessment.objects.filter(pk=a.pk).update(status=state)
        version = Assessment.objects.get(pk=a.pk).version
        events = AssessmentEvent.objects.filter(assessment=a).count()
        try:
            assessment_transition(
                assessment=Assessment(pk=a.pk), action=action, actor=actor, reason="理由", sides=sides
            )
        except WorkflowError as exc:
            after = Assessment.objects.get(pk=a.pk)
            changed = (after.status, after.version, AssessmentEvent.objects.filter(assessment=a).count())
            return False, exc.problems, changed != (state, version, events)
        after = Assessment.objects.get(pk=a.pk)
        new_events = list(AssessmentEvent.objects.filter(assessment=a).order_by("id")[events:])
        return True, [], (after.status, after.version - version, [e.action for e in new_events])
    finally:
        transaction.savepoint_rollback(sid)


def _check_every_cell(a, actor, sides, expected_sides):
    mismatches = []
    for state in STATES:
        for action, (sources, target, allowed_sides, _) in EXPECTED.items():
            expected = state in sources and bool(allowed_sides & expected_sides)
            allowed, problems, outcome = _attempt(a, state, action, actor, sides)
            cell = f"{state} × {action}"
            if allowed != expected:
                mismatches.append(f"{cell}: expected {'allowed' if expected else 'refused'}, got {problems}")
            elif allowed and outcome != (target, 1, [action]):
                mismatches.append(f"{cell}: allowed but did {outcome}")
            elif not allowed:
                if outcome:
                    mismatches.append(f"{cell}: refused but changed the row or wrote an event")
                # Refused by the table (side or state), never by a guard: every guard was made to pass.
                if not (problems[0].startswith("您不能对") or "不能执行" in problems[0]):
                    mismatches.append(f"{cell}: refused by {problems}")
    return mismatches


@pytest.mark.parametrize("side", list(Side))
def test_every_state_action_and_side_is_allowed_exactly_when_the_table_says(ready, cycle, side):
    assert _check_every_cell(ready, cycle.reviewer, {side}, {side}) == []


@pytest.fixture
def role_users(cycle):
    return {
        Role.VILLAGE_COMMITTEE: cycle.committee,
        Role.VILLAGE_SUPERVISOR: cycle.supervisor,
        Role.BRANCH_SECRETARY: cycle.secretary,
        Role.TOWNSHIP_REVIEWER: cycle.reviewer,
        Role.TOWNSHIP_LEADER: cycle.leader,
        Role.CITY_OFFICE: cycle.city,
        Role.ADMIN: user_with_role(Role.ADMIN, None, username="admin_x", is_staff=True),
        Role.UNIT_STAFF: user_with_role(Role.UNIT_STAFF, cycle.org.unit, username="unit_x"),
    }


@pytest.mark.parametrize("role", list(ROLE_SIDES))
def test_every_role_gets_exactly_the_transitions_of_its_sides(ready, role_users, role):
    user = role_users[role]
    a = Assessment.objects.select_related("campaign", "village").get(pk=ready.pk)
    assert set(actor_sides(user, a)) == ROLE_SIDES[role]
    assert _check_every_cell(ready, user, None, ROLE_SIDES[role]) == []


def test_roles_of_another_village_branch_or_township_have_no_side_on_this_one(cycle):
    a = Assessment.objects.select_related("campaign", "village").get(pk=cycle.a["东村"].pk)
    outsiders = [
        user_with_role(Role.VILLAGE_COMMITTEE, cycle.org.sibling, username="o1"),
        user_with_role(Role.BRANCH_SECRETARY, cycle.org.other_branch, username="o2"),
        user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.other_town, username="o3"),
        user_with_role(Role.CITY_OFFICE, cycle.org.other_city, username="o4"),
    ]
    assert [set(actor_sides(u, a)) for u in outsiders] == [set(), set(), set(), set()]


@pytest.mark.parametrize("action", [a for a, spec in EXPECTED.items() if spec[3]])
def test_a_reason_is_required_where_the_table_says_and_its_absence_changes_nothing(ready, cycle, action):
    sources, _, sides, _ = EXPECTED[action]
    state = sorted(sources)[0]
    Assessment.objects.filter(pk=ready.pk).update(status=state)
    with pytest.raises(WorkflowError) as err:
        assessment_transition(assessment=ready, action=action, actor=cycle.reviewer, reason="  ", sides=sides)
    assert err.value.problems == [f"“{workflow.get(action).label}”须填写理由。"]
    ready.refresh_from_db()
    assert (ready.status, ready.version) == (state, 1)
    assert not AssessmentEvent.objects.filter(assessment=ready).exists()


def test_guards_refuse_with_their_own_message_when_not_met(cycle):
    a = cycle.a["东村"]
    Assessment.objects.filter(pk=a.pk).update(status=S.IN_REVIEW)
    with pytest.raises(WorkflowError) as err:
        assessment_transition(assessment=a, action="complete_review", actor=cycle.reviewer)
    assert err.value.problems == ["还有 26 项指标未初审打分。"]
    Assessment.objects.filter(pk=a.pk).update(status=S.DRAFT)
    with pytest.raises(WorkflowError) as err:
        assessment_transition(assessment=a, action="review_unsubmitted", actor=cycle.reviewer, reason="逾期")
    assert err.value.problems == ["报送截止日未到，不能直接初审未报送的村。"]
    Campaign.objects.filter(pk=cycle.campaign.pk).update(
        grades_confirmed_at=datetime.datetime.now(datetime.UTC)
    )
    Assessment.objects.filter(pk=a.pk).update(status=S.REVIEWED)
    with pytest.raises(WorkflowError) as err:
        assessment_transition(assessment=a, action="reopen_review", actor=cycle.reviewer, reason="复核")
    assert err.value.problems == ["本年度等次已确认，不能再修改。"]
    a.refresh_from_db()
    assert (a.status, a.version) == (S.REVIEWED, 1)


def test_in_a_township_level_campaign_the_township_is_self_and_the_city_reviews(cycle):
    from assessments.services.campaigns import campaign_create_township_level
    from indices.services import standard_import

    sample = (
        Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "township_index_standard.sample.yaml"
    )
    with sample.open("rb") as fh:
        std = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
    campaign = campaign_create_township_level(actor=None, region=cycle.org.city, year=2024, standard=std)
    a = Assessment.objects.select_related("campaign").get(campaign=campaign, township=cycle.org.town)
    sides = {
        name: set(actor_sides(getattr(cycle, name), a))
        for name in ("committee", "supervisor", "secretary", "reviewer", "leader", "city")
    }
    assert sides == {
        "committee": set(),
        "supervisor": set(),
        "secretary": set(),
        "reviewer": {Side.SELF},
        "leader": set(),
        "city": {Side.REVIEWER},
    }
