"""The one function that changes an assessment's state: lock, check the table and guards, change, record."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audit.services import audit_log
from common.dates import cn_date
from common.text import NOTE_LIMIT, clean_text

from .. import workflow
from ..models import Assessment, BonusClaim, Evidence, IndicatorScore, Signoff, VetoCheck
from ..permissions import actor_sides
from ..readmodels import assessments_refresh
from ..workflow import Guard, Side
from .common import WorkflowError, record_event

S = Assessment.Status
TIMESTAMPS = {S.SUBMITTED: "submitted_at", S.FORWARDED: "forwarded_at", S.REVIEWED: "reviewed_at"}


def _today():
    return timezone.localdate()


def self_window_open(assessment, now=None):
    now = now or timezone.now()
    if assessment.reopened_until and assessment.reopened_until > now:
        return True
    deadline = assessment.campaign.self_deadline
    return deadline is None or timezone.localtime(now).date() <= deadline


@dataclass(frozen=True)
class GuardFailure:
    """One failed guard: the message the user reads, and what it is about so a page can link to it.

    targets: (kind, key, label) — kind "indicator" (key = IndicatorScore pk), "veto" (VetoCheck pk),
    "stamped" or "signoff" (key = the sign-off side); empty where there is nothing to point at.
    """

    guard: str
    message: str
    targets: tuple = ()


def guard_failures(assessment, guards, now=None):
    """Every guard the assessment fails, in the order of `guards` (an empty list means it may proceed).

    The one evaluation of the guards: the transition refuses with these messages, and the pages that
    explain why a button is disabled (the self-assessment sheet) show the same list.
    """
    failures = []
    campaign = assessment.campaign

    def fail(guard, message, targets=()):
        failures.append(GuardFailure(guard, message, tuple(targets)))

    for guard in guards:
        if guard == Guard.SELF_WINDOW_OPEN and not self_window_open(assessment, now):
            fail(guard, f"自评截止日（{cn_date(campaign.self_deadline)}）已过，如需修改请联系镇纪委延期。")
        elif guard == Guard.COMPLETE:
            missing = list(
                IndicatorScore.objects.filter(
                    assessment=assessment,
                    self_score__isnull=True,
                    indicator__scored_by="village_and_township",
                )
                .order_by("indicator__dimension__sort_order", "indicator__sort_order")
                .values_list("pk", "indicator__code", "indicator__name")
            )
            if missing:
                codes = [code for _, code, _ in missing]
                fail(
                    guard,
                    f"还有 {len(codes)} 项指标未自评：{'、'.join(codes[:10])}{'等' if len(codes) > 10 else ''}。",
                    [("indicator", pk, f"{code} {name}") for pk, code, name in missing],
                )
            unanswered = list(
                VetoCheck.objects.filter(assessment=assessment, self_answer__isnull=True)
                .order_by("veto_item__sort_order")
                .values_list("pk", "veto_item__code")
            )
            if unanswered:
                fail(
                    guard,
                    f"负面清单自查还有 {len(unanswered)} 项未作答。",
                    [("veto", pk, f"负面清单 {code}") for pk, code in unanswered],
                )
        elif guard == Guard.APPLICATION_FORM:
            if assessment.village_id is None:
                continue  # the stamped 申请表 and the 两委/监委会 sign-offs are village paperwork
            if not Evidence.objects.filter(
                assessment=assessment, kind=Evidence.Kind.APPLICATION_FORM
            ).exists():
                fail(
                    guard,
                    "请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。",
                    [("stamped", None, "上传盖章申请表")],
                )
        elif guard == Guard.SIGNED:
            if assessment.village_id is None:
                continue
            signed = set(
                Signoff.objects.filter(assessment=assessment, round=assessment.round + 1).values_list(
                    "side", flat=True
                )
            )
            for side in Signoff.Side:
                if side not in signed:
                    fail(
                        guard,
                        f"本轮提交尚须{side.label}成员签署确认。",
                        [("signoff", side.value, f"{side.label}签署")],
                    )
        elif guard == Guard.HAS_BRANCH:
            if assessment.village_id is None or assessment.village.branch_id is None:
                fail(guard, "该村未划分党总支。")
        elif guard == Guard.REVIEW_COMPLETE:
            unreviewed = IndicatorScore.objects.filter(
                assessment=assessment, review_score__isnull=True
            ).count()
            if unreviewed:
                fail(guard, f"还有 {unreviewed} 项指标未初审打分。")
            pending = BonusClaim.objects.filter(
                assessment=assessment, status=BonusClaim.Status.CLAIMED
            ).count()
            if pending:
                fail(guard, f"还有 {pending} 项加分申报未审核。")
            vetoes = VetoCheck.objects.filter(assessment=assessment, self_answer=True, review="").count()
            if vetoes:
                fail(guard, f"还有 {vetoes} 项负面清单自查情形未核实。")
        elif guard == Guard.NOT_CONFIRMED:
            if campaign.is_confirmed:
                fail(guard, "本年度等次已确认，不能再修改。")
        elif guard == Guard.PAST_SUBMISSION_DEADLINE:
            deadline = campaign.submission_deadline
            if deadline is None or _today() <= deadline:
                fail(guard, "报送截止日未到，不能直接初审未报送的村。")
    return failures


def guard_problems(assessment, guards, now=None):
    """Chinese messages for every guard the assessment fails (an empty list means it may proceed)."""
    return [f.message for f in guard_failures(assessment, guards, now)]


def transition_failures(assessment, action, now=None):
    """What stops `action` on this assessment now, by the guards of the transition table."""
    return guard_failures(assessment, workflow.get(action).guards, now)


def assessment_transition(*, assessment, action, actor, reason="", request=None, sides=None):
    """Apply `action`; a refusal changes nothing, is audited, and raises WorkflowError."""
    try:
        return _transition(
            assessment=assessment, action=action, actor=actor, reason=reason, request=request, sides=sides
        )
    except WorkflowError as refused:
        audit_log(
            action="assessment.transition_refused",
            actor=None if sides and Side.SYSTEM in sides else actor,
            request=request,
            obj=assessment,
            township_id=assessment.township_id,
            village_id=assessment.village_id,
            result="failure",
            message=f"{action}: {refused}"[:300],
            detail={"action": action, "problems": refused.problems},
        )
        raise


def _transition(*, assessment, action, actor, reason="", request=None, sides=None):
    """A repeated request (double click, browser retry) finds the state already changed and is refused,
    so it can never apply twice.
    """
    t = workflow.get(action)
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    with transaction.atomic():
        a = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("campaign", "village", "township")
            .get(pk=assessment.pk)
        )
        sides = actor_sides(actor, a) if sides is None else frozenset(sides)
        if not t.sides & sides:
            raise WorkflowError(f"您不能对{a.subject_name}执行“{t.label}”。")
        if a.status not in t.sources:
            raise WorkflowError(
                f"{a.subject_name}当前状态为“{a.get_status_display()}”，不能执行“{t.label}”。"
            )
        if t.reason_required and not reason:
            raise WorkflowError(f"“{t.label}”须填写理由。")
        problems = [f.message for f in transition_failures(a, action)]
        if problems:
            raise WorkflowError(problems)
        old = a.get_status_display()
        a.status = t.target
        a.version += 1
        now = timezone.now()
        if action == "submit":
            a.round += 1
        if a.started_at is None:
            a.started_at = now
        if t.target in TIMESTAMPS:
            setattr(a, TIMESTAMPS[t.target], now)
        a.save()
        if a.village_id is not None:  # a township's own assessment has no dashboard read models
            assessments_refresh([a.pk])
        record_event(
            assessment=a,
            actor=None if Side.SYSTEM in sides else actor,
            action=action,
            subject=t.label,
            from_value=old,
            to_value=a.get_status_display(),
            reason=reason,
            request=request,
        )
        if action == "submit" and (a.village_id is None or a.village.branch_id is None):
            # No party branch (or a township's own assessment): the submission goes on directly.
            a = assessment_transition(
                assessment=a, action="forward", actor=actor, sides={Side.SYSTEM}, request=request
            )
    assessment.status, assessment.version, assessment.round = a.status, a.version, a.round
    return a
