"""定级 writes: the township's grade overrides and confirmation, the city's decision on 示范村
candidates, and veto events that downgrade a graded village during the year (动态管理)."""

from django.db import transaction
from django.db.models import BooleanField, Case, DateTimeField, F, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.services import notify, notify_each
from audit.bulk import bulk_insert
from audit.services import audit_log_many
from common.dates import cn_date
from common.errors import ConflictError, InvalidInputError
from common.text import NOTE_LIMIT, clean_text

from ... import workflow
from ...models import Assessment, AssessmentEvent, Campaign, VetoEvent
from ...permissions import actor_sides
from ...readmodels import assessments_refresh, campaigns_refresh
from ...workflow import Side
from ..common import WorkflowError, event_rows, record_event
from ..totals import assessment_recompute
from .base import CITY, S, campaign_actor_sides, lock_assessment, standard_grades, subject_members
from .summary import grading_summary

REASON_MAX = 1000


def _grade_conflict(a, names, what):
    """The ConflictError of a stale grading save: names what is stored now and who saved it last."""
    last = (
        AssessmentEvent.objects.filter(assessment=a, action__in=("grade_override", "city_decide"))
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    who = (
        f"（{last.actor.display_name}于{cn_date(timezone.localtime(last.at))}保存）"
        if last and last.actor
        else ""
    )
    return ConflictError(
        f"{a.subject_name}已被他人修改，您的{what}未保存。当前{names}{who}。请核对后重新保存。",
        current=a,
    )


def _check_version(a, expected_version):
    """Refuse a save made from a page older than the stored assessment (optimistic lock, row locked)."""
    if expected_version is None:
        raise WorkflowError("页面已过期，请刷新后重新操作。")
    return a.version == expected_version


def grade_override(*, assessment, actor, grade_code, reason, expected_version, request=None):
    """Set the township's final grade by hand (with a reason); choosing the proposed grade clears it.

    `expected_version` is the assessment's version on the page the reviewer saved from: if another
    reviewer changed the assessment since, nothing is written (ConflictError naming the stored grade).
    """
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    if not reason:
        raise WorkflowError("调整等次须填写理由。")
    with transaction.atomic():
        a = lock_assessment(assessment)
        if Side.REVIEWER not in actor_sides(actor, a):
            raise WorkflowError(f"您不能调整{a.subject_name}的等次。")
        if a.campaign.is_confirmed:
            raise WorkflowError("本年度等次已确认，不能再调整。")
        if a.status != S.REVIEWED:
            raise WorkflowError(
                f"{a.subject_name}当前状态为“{a.get_status_display()}”，初审完成后才能调整等次。"
            )
        grades = standard_grades(a.campaign.standard)
        names = {g.code: g.name for g in grades}
        if not _check_version(a, expected_version):
            stored = names.get(a.final_grade, a.final_grade or "未定级")
            reason_now = f"，理由：{a.grade_override_reason}" if a.grade_override_reason else ""
            raise _grade_conflict(a, f"等次为“{stored}”{reason_now}", "等次调整")
        if grade_code not in names:
            raise WorkflowError("所选等次不属于本年度指数标准。")
        if a.veto_confirmed and grade_code != grades[-1].code:
            raise WorkflowError(
                f"{a.subject_name}存在经核实的负面清单情形，只能定为{grades[-1].name}，不能调高等次。"
            )
        old = a.final_grade
        clearing = grade_code == a.proposed_grade
        a.final_grade = grade_code
        a.grade_override_reason = "" if clearing else reason[:300]
        a.version += 1
        a.save(update_fields=["final_grade", "grade_override_reason", "version"])
        record_event(
            assessment=a,
            actor=actor,
            action="grade_override",
            subject="恢复拟定等次" if clearing else "调整等次",
            from_value=names.get(old, old),
            to_value=names[grade_code],
            reason=reason,
            request=request,
        )
        assessment_recompute(a)
    assessment.final_grade, assessment.grade_override_reason = a.final_grade, a.grade_override_reason
    assessment.version = a.version
    return a


# --- Confirmation ----------------------------------------------------------------------------------


def campaign_confirm_grades(*, campaign, actor, reason="", seen_distribution=None, request=None):
    """Confirm every grade of the campaign at once; refused unless every assessment is reviewed.

    A distribution that breaks the year's target (counts per grade, or the share reaching the standard)
    is confirmed only with a `reason`, kept on every assessment's confirmation event and in the audit
    row with the differences. `seen_distribution` is the summary's fingerprint on the page the user
    confirmed from: if the grades changed since, the confirmation is refused (ConflictError).

    Applies the campaign-wide `confirm_grade` transition to every assessment as one step: the same
    state changes, history events, audit rows (chained in order) and notifications as one transition
    per assessment would leave, in a number of queries that does not grow with the campaign.
    """
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    if len(reason) > REASON_MAX:
        raise InvalidInputError(f"说明理由不能超过 {REASON_MAX} 字。")
    t = workflow.get("confirm_grade")
    with transaction.atomic():
        c = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("standard", "township")
            .get(pk=campaign.pk)
        )
        if Side.REVIEWER not in campaign_actor_sides(actor, c):
            raise WorkflowError("您不能确认本年度等次。")
        if c.is_confirmed:
            raise WorkflowError(
                f"本年度等次已于{cn_date(timezone.localtime(c.grades_confirmed_at))}确认，不能重复确认。"
            )
        assessments = list(
            Assessment.objects.select_for_update(of=("self",))
            .filter(campaign=c)
            .select_related("village", "township")
            .order_by("village__sort_order", "township__name", "pk")
        )
        if not assessments:
            raise WorkflowError("本年度没有参评对象，无需确认。")
        pending = [a for a in assessments if a.status != S.REVIEWED]
        if pending:
            names = "、".join(f"{a.subject_name}（{a.get_status_display()}）" for a in pending[:20])
            more = f"等 {len(pending)} 个" if len(pending) > 20 else ""
            raise WorkflowError(f"以下对象尚未完成初审，不能确认定级：{names}{more}。")
        for a in assessments:
            a.campaign = c
            if not t.sides & actor_sides(actor, a):
                raise WorkflowError(f"您不能对{a.subject_name}执行“{t.label}”。")
        summary = grading_summary(c)
        if seen_distribution is not None and seen_distribution != summary.fingerprint:
            raise ConflictError("打开确认页面后，等次分布或年度目标已有变化，请重新核对后再确认。")
        differences = summary.differences
        if differences and not reason:
            raise InvalidInputError(
                f"拟定等次与{c.target_label}不一致：{'；'.join(differences)}。确认定级须说明理由。"
            )
        grades = summary.grades
        candidates = []
        # The city's 示范村 selection takes the annual round's grades only (a mid-term or pilot round
        # grades the township's own progress).
        if (
            c.level == Campaign.Level.VILLAGE
            and c.is_annual
            and grades
            and grades[0].final_decision_by == CITY
        ):
            candidates = [a for a in assessments if a.final_grade == grades[0].code]

        # The transition of every assessment (and the candidates' flag) in one UPDATE.
        now = timezone.now()
        changes = {
            "status": t.target,
            "version": F("version") + 1,
            "started_at": Coalesce("started_at", Value(now, output_field=DateTimeField())),
        }
        if candidates:
            changes["city_candidate"] = Case(
                When(final_grade=grades[0].code, then=Value(True)),
                default=F("city_candidate"),
                output_field=BooleanField(),
            )
        Assessment.objects.filter(campaign=c).update(**changes)
        campaigns_refresh([c.pk])
        old_label = S(S.REVIEWED).label
        for a in assessments:
            a.status, a.version = t.target, a.version + 1
            a.started_at = a.started_at or now
        for a in candidates:
            a.city_candidate = True

        # History and audit rows in the order the one-at-a-time steps wrote them.
        rows = [
            event_rows(
                assessment=a,
                actor=actor,
                action=t.action,
                subject=t.label,
                from_value=old_label,
                to_value=a.get_status_display(),
                reason=reason,
            )
            for a in assessments
        ]
        rows += [
            event_rows(
                assessment=a,
                actor=actor,
                action="city_candidate",
                subject="报市级评选",
                to_value=grades[0].name,
            )
            for a in candidates
        ]
        bulk_insert(AssessmentEvent, [event for event, _ in rows])

        c.grades_confirmed_at = timezone.now()
        c.grades_confirmed_by = actor
        c.save(update_fields=["grades_confirmed_at", "grades_confirmed_by"])
        names = {g.code: g.name for g in grades}
        distribution = {}
        for a in assessments:
            label = names.get(a.final_grade, a.final_grade or "未定级")
            distribution[label] = distribution.get(label, 0) + 1
        message = f"确认{c.name}定级：{len(assessments)}个，报市评选{len(candidates)}个"
        detail = {"distribution": distribution, "candidates": [a.pk for a in candidates]}
        if differences:
            message += f"；与年度目标不一致：{'；'.join(differences)}"
            detail["differences"] = differences
        if reason:
            message += f"；理由：{reason}"
            detail["reason"] = reason
        audit_log_many(
            [audit for _, audit in rows]
            + [
                {
                    "action": "campaign.confirm_grades",
                    "obj": c,
                    "township_id": c.township_id,
                    "message": message[:300],
                    "detail": detail,
                }
            ],
            actor=actor,
            request=request,
        )
        members = subject_members(assessments)
        notify_each(
            (
                members.get(a.pk, []),
                f"{c.year}年度“清廉村居”{c.result_label}结果已公布",
                f"{a.subject_name}定级为：{names.get(a.final_grade, a.final_grade)}。",
                reverse("assessments:assessment_detail", args=[a.pk]),
            )
            for a in assessments
        )
    campaign.grades_confirmed_at, campaign.grades_confirmed_by = c.grades_confirmed_at, actor
    return c


# --- The city's decision ----------------------------------------------------------------------------

DECISIONS = {Assessment.CityDecision.CONFIRMED, Assessment.CityDecision.OTHER}


def city_decide(*, assessment, actor, decision, expected_version, grade_code="", reason="", request=None):
    """The city office decides on a 示范村 candidate: confirmed as the top grade, or another grade.

    `expected_version` as in grade_override: a decision saved meanwhile by someone else is not
    overwritten (ConflictError naming the stored decision)."""
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    with transaction.atomic():
        a = lock_assessment(assessment)
        if Side.CITY not in actor_sides(actor, a):
            raise WorkflowError(f"您不能评选{a.subject_name}。")
        if not a.city_candidate or not a.campaign.is_confirmed:
            raise WorkflowError(f"{a.subject_name}不是已确认定级的报市评选对象。")
        if decision not in DECISIONS:
            raise WorkflowError("请选择认定结果。")
        grades = standard_grades(a.campaign.standard)
        names = {g.code: g.name for g in grades}
        if not _check_version(a, expected_version):
            if a.city_decision:
                label = Assessment.CityDecision(a.city_decision).label
                stored = f"市级认定为“{label}（{names.get(a.city_grade, a.city_grade)}）”"
                stored += f"，意见：{a.city_reason}" if a.city_reason else ""
            else:
                stored = "市级认定为“待评选”"
            raise _grade_conflict(a, stored, "市级认定")
        top = grades[0]
        if decision == Assessment.CityDecision.CONFIRMED:
            if a.veto_confirmed:
                raise WorkflowError(f"{a.subject_name}存在负面清单情形，不能认定为{top.name}。")
            grade_code = top.code
        else:
            if grade_code not in names or grade_code == top.code:
                raise WorkflowError(f"认定为其他等次时，请选择{top.name}以外的等次。")
            if not reason:
                raise WorkflowError("认定为其他等次须填写评审意见。")
        if a.city_decision and not reason:
            raise WorkflowError("变更市级认定结果须填写理由。")
        old = names.get(a.city_grade, a.city_grade) if a.city_decision else "待评选"
        a.city_decision = decision
        a.city_grade = grade_code
        a.city_reason = reason[:500]
        a.city_decided_at = timezone.now()
        a.version += 1
        a.save(update_fields=["city_decision", "city_grade", "city_reason", "city_decided_at", "version"])
        assessments_refresh([a.pk])
        record_event(
            assessment=a,
            actor=actor,
            action="city_decide",
            subject="市级认定",
            from_value=old,
            to_value=names[grade_code],
            reason=reason,
            request=request,
        )
        notify(
            users=subject_members([a]).get(a.pk, []),
            title=f"{a.campaign.year}年度示范村市级评选结果",
            body=f"{a.subject_name}：{Assessment.CityDecision(decision).label}（{names[grade_code]}）。",
            url=reverse("assessments:assessment_detail", args=[a.pk]),
        )
    assessment.version = a.version
    return a


# --- 动态管理: veto events during the year -----------------------------------------------------------


def veto_event_record(*, assessment, actor, veto_item, occurred_on, description, request=None):
    """A veto situation found after grading: record it and force the lowest grade (and the city's)."""
    description = clean_text(description or "", label="说明", max_length=NOTE_LIMIT, multiline=True)
    if not description:
        raise WorkflowError("请填写否决事项情况说明。")
    if occurred_on is None:
        raise WorkflowError("请填写发生日期。")
    if occurred_on > timezone.localdate():
        raise WorkflowError("发生日期不能晚于今天。")
    with transaction.atomic():
        a = lock_assessment(assessment)
        if Side.REVIEWER not in actor_sides(actor, a):
            raise WorkflowError(f"您不能对{a.subject_name}登记否决事项。")
        if a.status != S.CONFIRMED:
            raise WorkflowError(f"{a.subject_name}尚未定级，请在初审中核实负面清单。")
        if veto_item.standard_id != a.campaign.standard_id:
            raise WorkflowError("所选否决项不属于本年度指数标准。")
        grades = standard_grades(a.campaign.standard)
        names = {g.code: g.name for g in grades}
        lowest = grades[-1]
        before = a.effective_grade
        event = VetoEvent.objects.create(
            assessment=a,
            veto_item=veto_item,
            occurred_on=occurred_on,
            description=description,
            grade_before=before,
            grade_after=lowest.code,
            recorded_by=actor,
        )
        a.version += 1
        update = ["version"]
        if a.city_grade:
            a.city_grade = lowest.code
            update.append("city_grade")
        a.save(update_fields=update)
        assessment_recompute(a)  # a veto event forces the lowest final grade
        record_event(
            assessment=a,
            actor=actor,
            action="veto_event",
            subject="动态管理：否决事项降级",
            from_value=names.get(before, before),
            to_value=lowest.name,
            reason=f"{veto_item.code} {veto_item.description}（发生于{cn_date(occurred_on)}）：{description}",
            request=request,
        )
        notify(
            users=subject_members([a]).get(a.pk, []),
            title="动态管理：否决事项降级",
            body=f"{a.subject_name}因“{veto_item.description}”由{names.get(before, before or '未定级')}调整为{lowest.name}。",
            url=reverse("assessments:assessment_detail", args=[a.pk]),
        )
    assessment.final_grade, assessment.city_grade = a.final_grade, a.city_grade
    assessment.veto_confirmed, assessment.version = a.veto_confirmed, a.version
    return event
