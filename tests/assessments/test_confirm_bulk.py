"""确认定级 in bulk: a constant number of queries whatever the number of villages, and exactly the state
the one-village-at-a-time confirmation left (events, audit rows and their chain, notifications, grades)."""

from decimal import Decimal as D

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Notification, Role, User
from accounts.services import notify
from assessments.models import Assessment, AssessmentEvent, Campaign
from assessments.services import WorkflowError, assessment_transition
from assessments.services.common import record_event
from assessments.services.grading import campaign_confirm_grades, standard_grades, subject_members
from assessments.services.grading.base import CITY
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_log, audit_verify_chain
from tests.assessments.test_grading import grade, township
from tests.factories import user_with_role

S = Assessment.Status
# Every fourth village 示范村 (a city candidate), then 达标村, 提升村 and 促进村 in turn.
PLAN = ("SHIFAN", "DABIAO", "TISHENG", "CUJIN")
# Pinned: what confirming a campaign costs, at 10 villages and at 100 alike (see the test below);
# three of them read the distribution against the year's target (the guard on breaking it). The audit
# rows are one INSERT: no chain-head lock in the writer's transaction (sealed after commit).
# 15 for the confirmation itself, 9 for the dashboards' read models (assessments.readmodels)
CONFIRM_QUERIES = 24


def reviewed_township(cycle, n, name):
    """A township of `n` reviewed villages, each with a 两委 and a 监委会 member; the third village's
    supervisor is disabled (not notified), the fifth village has nobody to notify."""
    town, campaign, reviewer = township(cycle.org.city, cycle.standard, n, name)
    ids = list(campaign.assessments.order_by("village__sort_order").values_list("pk", flat=True))
    for i, pk in enumerate(ids):
        grade_code = PLAN[i % len(PLAN)]
        Assessment.objects.filter(pk=pk).update(
            status=S.REVIEWED,
            final_grade=grade_code,
            proposed_grade=grade_code,
            final_score=D("85"),
            round=1 + i % 2,
            version=3 + i % 3,
            # Some villages never opened their sheet (直接初审): the confirmation stamps a start.
            started_at=None if i % 3 == 0 else timezone.now(),
        )
    villages = list(town.villages.order_by("sort_order"))
    users = User.objects.bulk_create(
        User(username=f"{name}-{i}-{side}", is_active=not (i == 2 and side == "jw"))
        for i, v in enumerate(villages)
        for side in ("cw", "jw")
    )
    Membership.objects.bulk_create(
        Membership(
            user=users[2 * i + k],
            role=(Role.VILLAGE_COMMITTEE, Role.VILLAGE_SUPERVISOR)[k],
            village=v,
        )
        for i, v in enumerate(villages)
        if i != 4
        for k in (0, 1)
    )
    return town, Campaign.objects.get(pk=campaign.pk), reviewer


def confirm_one_by_one(*, campaign, actor, request=None):
    """The confirmation as it was before the bulk rewrite (kept verbatim as the reference): one
    transition, event and audit row per assessment, one notification callback per assessment."""
    with transaction.atomic():
        c = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("standard", "township")
            .get(pk=campaign.pk)
        )
        assessments = list(
            Assessment.objects.select_for_update(of=("self",))
            .filter(campaign=c)
            .select_related("village", "township")
            .order_by("village__sort_order", "township__name", "pk")
        )
        for a in assessments:
            assessment_transition(assessment=a, action="confirm_grade", actor=actor, request=request)
        grades = standard_grades(c.standard)
        candidates = []
        if c.level == Campaign.Level.VILLAGE and grades and grades[0].final_decision_by == CITY:
            candidates = [a for a in assessments if a.final_grade == grades[0].code]
            Assessment.objects.filter(pk__in=[a.pk for a in candidates]).update(city_candidate=True)
            for a in candidates:
                record_event(
                    assessment=a,
                    actor=actor,
                    action="city_candidate",
                    subject="报市级评选",
                    to_value=grades[0].name,
                    request=request,
                )
        c.grades_confirmed_at = timezone.now()
        c.grades_confirmed_by = actor
        c.save(update_fields=["grades_confirmed_at", "grades_confirmed_by"])
        names = {g.code: g.name for g in grades}
        distribution = {}
        for a in assessments:
            label = names.get(a.final_grade, a.final_grade or "未定级")
            distribution[label] = distribution.get(label, 0) + 1
        audit_log(
            action="campaign.confirm_grades",
            actor=actor,
            request=request,
            obj=c,
            township_id=c.township_id,
            message=f"确认{c.name}定级：{len(assessments)}个，报市评选{len(candidates)}个",
            detail={"distribution": distribution, "candidates": [a.pk for a in candidates]},
        )
        members = subject_members(assessments)
        for a in assessments:
            notify(
                users=members.get(a.pk, []),
                title=f"{c.year}年度“清廉村居”测评结果已公布",
                body=f"{a.subject_name}定级为：{names.get(a.final_grade, a.final_grade)}。",
                url=reverse("assessments:assessment_detail", args=[a.pk]),
            )
    return c


AUDIT_FIELDS = [
    "actor_id",
    "actor_username",
    "actor_roles",
    "ip",
    "action",
    "object_type",
    "object_id",
    "township_id",
    "village_id",
    "result",
    "message",
    "detail",
]
EVENT_FIELDS = ["assessment_id", "actor_id", "action", "subject", "from_value", "to_value", "reason", "round"]


def snapshot(campaign, audit_after, event_after, note_after):
    """Everything the confirmation writes, without ids and clock readings (kept only as 'set or not')."""
    assessments = [
        {
            **{f: v for f, v in row.items() if f != "started_at"},
            "started": row["started_at"] is not None,
        }
        for row in Assessment.objects.filter(campaign=campaign).order_by("pk").values()
    ]
    c = Campaign.objects.get(pk=campaign.pk)
    return {
        "assessments": assessments,
        "campaign": (c.grades_confirmed_by_id, c.grades_confirmed_at is not None),
        "events": list(
            AssessmentEvent.objects.filter(pk__gt=event_after).order_by("pk").values_list(*EVENT_FIELDS)
        ),
        "audit": list(
            AuditEvent.objects.filter(pk__gt=audit_after).order_by("pk").values_list(*AUDIT_FIELDS)
        ),
        "notifications": list(
            Notification.objects.filter(pk__gt=note_after)
            .order_by("pk")
            .values_list("user_id", "title", "body", "url", "read_at")
        ),
        "chain_ok": audit_verify_chain() is None,
    }


class Rollback(Exception):
    pass


def run(confirm, campaign, actor, capture):
    audit_after = AuditEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    event_after = AssessmentEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    note_after = Notification.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    with capture(execute=True) as callbacks:
        confirm(campaign=campaign, actor=actor)
    # the dashboards' data-version renewal (one per transaction) is not a notification callback
    renewals = [c for c in callbacks if getattr(c, "renews_data_versions", False)]
    assert len(renewals) <= 1
    return snapshot(campaign, audit_after, event_after, note_after), len(callbacks) - len(renewals)


@pytest.mark.parametrize("n", [3, 10])
def test_the_bulk_confirmation_leaves_exactly_what_the_one_by_one_confirmation_left(
    cycle, django_capture_on_commit_callbacks, n
):
    audit_log(action="test.seed", message="the chain has a head before the confirmation")
    _town, campaign, reviewer = reviewed_township(cycle, n, "比对镇")
    try:
        with transaction.atomic():
            before, callbacks_before = run(
                confirm_one_by_one, campaign, reviewer, django_capture_on_commit_callbacks
            )
            raise Rollback
    except Rollback:
        pass
    assert Campaign.objects.get(pk=campaign.pk).grades_confirmed_at is None
    assert callbacks_before == n

    after, callbacks_after = run(
        campaign_confirm_grades, campaign, reviewer, django_capture_on_commit_callbacks
    )

    assert after == before
    assert after["chain_ok"]
    assert callbacks_after == 1  # one callback creates every village's notifications
    # The reference did what the grading tests expect of a confirmation.
    candidates = [a for a in after["assessments"] if a["city_candidate"]]
    assert [a["final_grade"] for a in candidates] == ["SHIFAN"] * len(range(0, n, 4))
    assert all(a["status"] == S.CONFIRMED and a["started"] for a in after["assessments"])
    actions = [row[4] for row in after["audit"]]
    assert actions == ["assessment.confirm_grade"] * n + ["assessment.city_candidate"] * len(candidates) + [
        "campaign.confirm_grades"
    ]
    assert len(after["events"]) == n + len(candidates)
    notified = {user_id for user_id, *_ in after["notifications"]}
    assert len(after["notifications"]) == 2 * n - (2 if n > 4 else 0) - (1 if n > 2 else 0)
    assert not Notification.objects.filter(user=reviewer).exists() and reviewer.pk not in notified


def test_confirming_makes_the_same_number_of_queries_at_10_and_at_100_villages(
    cycle, django_assert_num_queries
):
    audit_log(action="test.seed", message="the chain has a head before the confirmation")
    small = reviewed_township(cycle, 10, "十村镇")
    big = reviewed_township(cycle, 100, "百村镇")
    for _town, campaign, reviewer in (small, big):
        with django_assert_num_queries(CONFIRM_QUERIES):
            campaign_confirm_grades(campaign=campaign, actor=reviewer)
    assert Assessment.objects.filter(campaign=big[1], status=S.CONFIRMED).count() == 100
    assert AssessmentEvent.objects.filter(assessment__campaign=big[1], action="confirm_grade").count() == 100
    assert AuditEvent.objects.filter(action="assessment.city_candidate").count() == 3 + 25
    assert audit_verify_chain() is None


def test_a_refused_confirmation_changes_nothing_and_the_chain_still_verifies(cycle):
    _town, campaign, reviewer = reviewed_township(cycle, 5, "拒绝镇")
    last = campaign.assessments.order_by("village__sort_order").last()
    Assessment.objects.filter(pk=last.pk).update(status=S.IN_REVIEW)
    counts = (AssessmentEvent.objects.count(), AuditEvent.objects.count(), AuditChainHead.objects.count())
    with pytest.raises(WorkflowError, match="尚未完成初审"):
        campaign_confirm_grades(campaign=campaign, actor=reviewer)
    with pytest.raises(WorkflowError, match="您不能确认"):
        campaign_confirm_grades(
            campaign=campaign, actor=user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.town)
        )
    assert (
        AssessmentEvent.objects.count(),
        AuditEvent.objects.count(),
        AuditChainHead.objects.count(),
    ) == counts
    assert not Assessment.objects.filter(campaign=campaign, status=S.CONFIRMED).exists()
    assert audit_verify_chain() is None


def test_a_township_level_campaign_is_confirmed_in_bulk_without_city_candidates(cycle):
    """The city office confirms a township-level campaign: no 示范村 candidates, the reviewers notified."""
    from assessments.services.campaigns import campaign_create_township_level

    campaign = campaign_create_township_level(
        actor=None, region=cycle.org.city, year=2024, standard=township_standard(cycle)
    )
    grade(campaign, [(standard_grades(campaign.standard)[0].code, campaign.assessments.count())])
    campaign_confirm_grades(campaign=campaign, actor=cycle.city)
    assert set(campaign.assessments.values_list("status", "city_candidate")) == {(S.CONFIRMED, False)}
    assert audit_verify_chain() is None


def township_standard(cycle):
    from pathlib import Path

    from indices.services import standard_import

    path = (
        Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "township_index_standard.sample.yaml"
    )
    with path.open("rb") as fh:
        return standard_import(source=fh, fmt="yaml", actor=None, year=2024)
