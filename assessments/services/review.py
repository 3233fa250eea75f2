"""The township's 初审: adjust or accept each indicator score, decide bonus claims and veto checks.

Every write here locks the assessment row, requires the reviewer side and the 初审中 state (a first edit
of a 已报镇街 assessment starts the review), records an event with from → to and the reason, and
recomputes the totals from the lines.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.errors import ConflictError
from common.text import NOTE_LIMIT, clean_text
from indices.models import Indicator

from .. import workflow
from ..models import Assessment, BonusClaim, IndicatorScore, VetoCheck
from ..permissions import actor_sides
from ..scoring import ScoreError, check_score, normal, q2, score_from_rules
from ..workflow import Side
from .common import WorkflowError, record_event
from .totals import assessment_recompute
from .transitions import assessment_transition

S = Assessment.Status


def _fmt(value):
    return "" if value is None else normal(value)


def lock_for_review(*, assessment, actor, request=None):
    """The assessment locked for a review edit, after the side and state checks.

    A reviewer's first edit of a forwarded assessment starts the review (an event of its own).
    """
    a = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__standard", "village", "township")
        .get(pk=assessment.pk)
    )
    if Side.REVIEWER not in actor_sides(actor, a):
        raise WorkflowError(f"您不能初审{a.subject_name}。")
    if a.campaign.is_confirmed:
        raise WorkflowError("本年度等次已确认，不能再修改。")
    if a.status == S.FORWARDED:
        assessment_transition(assessment=a, action="start_review", actor=actor, request=request)
    if a.status not in workflow.REVIEW_EDITABLE:
        raise WorkflowError(f"{a.subject_name}当前状态为“{a.get_status_display()}”，不能修改初审内容。")
    return a


def _review_value(*, score, indicator, standard, value, rules, accept):
    """(score, rules) the reviewer gives: the self score, the ticked rules or a direct value."""
    if accept:
        if indicator.scored_by == Indicator.ScoredBy.TOWNSHIP_ONLY or score.self_score is None:
            raise WorkflowError("该指标没有村自评分，不能采纳自评，请直接打分。")
        return score.self_score, score.self_rules
    try:
        if value not in (None, ""):
            return check_score(value, max_score=indicator.max_score, precision=standard.score_precision), {}
        if rules is not None:
            table = {r.pk: (r.kind, r.points) for r in indicator.rules.all()}
            got = score_from_rules(
                method=indicator.scoring_method, max_score=indicator.max_score, rules=table, chosen=rules
            )
            return got, _normal_rules(indicator.scoring_method, rules)
    except ScoreError as exc:
        raise WorkflowError(str(exc)) from None
    except (ValueError, TypeError):
        raise WorkflowError("所选评分规则无效。") from None
    raise WorkflowError("请填写初审得分。")


def _normal_rules(method, rules):
    """Store the choice the way the self-assessment does: {rule_id: count} or [rule_id, ...]."""
    if method == Indicator.Method.DEDUCTION:
        return {str(int(k)): int(v) for k, v in rules.items() if int(v)}
    return sorted({int(x) for x in rules})


def score_save_review(
    *,
    assessment,
    score,
    actor,
    expected_version,
    value=None,
    rules=None,
    accept=False,
    reason="",
    request=None,
):
    """Save the review score of one indicator. Raises WorkflowError (refused) or ConflictError (someone
    saved this line since `expected_version`; nothing is written)."""
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    if expected_version is None:
        raise WorkflowError("页面已过期，请刷新后重新填写。")
    with transaction.atomic():
        a = lock_for_review(assessment=assessment, actor=actor, request=request)
        try:
            s = IndicatorScore.objects.select_related("indicator").get(pk=score.pk, assessment=a)
        except IndicatorScore.DoesNotExist:
            raise WorkflowError("该指标不属于本测评。") from None
        indicator = s.indicator
        new, new_rules = _review_value(
            score=s,
            indicator=indicator,
            standard=a.campaign.standard,
            value=value,
            rules=rules,
            accept=accept,
        )
        township_only = indicator.scored_by == Indicator.ScoredBy.TOWNSHIP_ONLY
        # A computed indicator's score comes from the data; the reviewer's own score overrides it,
        # always with a reason, and stands over every recomputation (services.computed).
        overrides = bool(indicator.formula) and a.village_id is None
        if overrides and not reason:
            raise WorkflowError(f"{indicator.code} 为系统计算指标，调整得分须填写理由。")
        if not overrides and not township_only and not reason:
            if s.self_score is None:
                raise WorkflowError(f"{indicator.code} 村未自评，初审打分须填写评分说明。")
            if q2(new) != q2(s.self_score):
                raise WorkflowError(
                    f"{indicator.code} 初审得分（{normal(new)}）与自评分（{normal(s.self_score)}）不一致，须填写调整理由。"
                )
        now = timezone.now()
        extra = {"override_reason": reason} if overrides else {}
        updated = IndicatorScore.objects.filter(pk=s.pk, version=expected_version).update(
            **extra,
            review_score=new,
            review_note=reason,
            review_rules=new_rules,
            reviewed_by=actor,
            reviewed_at=now,
            updated_by=actor,
            updated_at=now,
            version=F("version") + 1,
        )
        if not updated:
            s.refresh_from_db()
            raise ConflictError(current=s)
        before = s.review_score if s.review_score is not None else s.self_score
        record_event(
            assessment=a,
            actor=actor,
            action="computed_override" if overrides else ("review_accept" if accept else "review_score"),
            subject=f"{indicator.code} {indicator.name}"
            + ("（调整系统计算分）" if overrides else "（采纳自评）" if accept else ""),
            from_value=_fmt(before),
            to_value=_fmt(new),
            reason=reason,
            request=request,
        )
        assessment_recompute(a)
    s.refresh_from_db()
    _sync(assessment, a)
    return s


def _points(value, claim):
    try:
        points = Decimal(str(value).strip()) if value not in (None, "") else claim.claimed_points
    except (InvalidOperation, ValueError):
        raise WorkflowError("认定加分须为数字。") from None
    if not points.is_finite() or points <= 0:
        raise WorkflowError("认定加分须大于 0；不予认定请选择“不予认定”。")
    if points > claim.claimed_points:
        raise WorkflowError(f"认定加分不能超过申报加分 {normal(claim.claimed_points)} 分。")
    cap = claim.bonus_item.per_item_cap
    if points > cap:
        raise WorkflowError(f"认定加分不能超过该加分项单项上限 {normal(cap)} 分。")
    if points != points.quantize(Decimal("0.01")):
        raise WorkflowError("认定加分最多保留两位小数。")
    return q2(points)


def _claim_label(status, points):
    if status == BonusClaim.Status.ACCEPTED:
        return f"认定 {_fmt(points)}"
    return BonusClaim.Status(status).label


def bonus_claim_review(
    *, assessment, claim, actor, accept, expected_version, points=None, reason="", request=None
):
    """Accept (with points ≤ claimed and ≤ the item's cap) or reject one bonus claim; a reason is required.

    `expected_version` is the claim's version on the reviewer's page: a decision (or a changed claim)
    saved since is a ConflictError carrying the stored claim; nothing is written."""
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    if expected_version is None:
        raise WorkflowError("页面已过期，请刷新后重新填写。")
    if not reason:
        raise WorkflowError("审核加分申报须填写理由。")
    with transaction.atomic():
        a = lock_for_review(assessment=assessment, actor=actor, request=request)
        try:
            c = BonusClaim.objects.select_related("bonus_item").get(pk=claim.pk, assessment=a)
        except BonusClaim.DoesNotExist:
            raise WorkflowError("该加分申报不属于本测评。") from None
        if accept:
            status, accepted = BonusClaim.Status.ACCEPTED, _points(points, c)
        else:
            status, accepted = BonusClaim.Status.REJECTED, None
        if c.version != expected_version:
            raise ConflictError(current=c)
        updated = BonusClaim.objects.filter(pk=c.pk, version=expected_version).update(
            status=status, accepted_points=accepted, review_reason=reason[:300], version=F("version") + 1
        )
        if not updated:
            c.refresh_from_db()
            raise ConflictError(current=c)
        record_event(
            assessment=a,
            actor=actor,
            action="review_bonus",
            subject=f"加分项 {c.bonus_item.code} {c.bonus_item.name}（申报 {_fmt(c.claimed_points)} 分）",
            from_value=_claim_label(c.status, c.accepted_points),
            to_value=_claim_label(status, accepted),
            reason=reason,
            request=request,
        )
        assessment_recompute(a)
    c.refresh_from_db()
    claim.version = c.version
    _sync(assessment, a)
    return c


def veto_check_review(*, assessment, check, actor, decision, expected_version, reason="", request=None):
    """核实 one veto item: "confirmed" (the situation exists: the lowest grade follows) or "cleared".

    `expected_version` as in bonus_claim_review: a check decided meanwhile is not overwritten."""
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    if expected_version is None:
        raise WorkflowError("页面已过期，请刷新后重新填写。")
    if decision not in (VetoCheck.Review.CONFIRMED, VetoCheck.Review.CLEARED):
        raise WorkflowError("请选择核实结果：属实或不属实。")
    if not reason:
        raise WorkflowError("核实负面清单须填写核实说明。")
    with transaction.atomic():
        a = lock_for_review(assessment=assessment, actor=actor, request=request)
        try:
            v = VetoCheck.objects.select_related("veto_item").get(pk=check.pk, assessment=a)
        except VetoCheck.DoesNotExist:
            raise WorkflowError("该负面清单项不属于本测评。") from None
        if v.version != expected_version:
            raise ConflictError(current=v)
        updated = VetoCheck.objects.filter(pk=v.pk, version=expected_version).update(
            review=decision, review_reason=reason[:300], version=F("version") + 1
        )
        if not updated:
            v.refresh_from_db()
            raise ConflictError(current=v)
        record_event(
            assessment=a,
            actor=actor,
            action="review_veto",
            subject=f"负面清单 {v.veto_item.code} {v.veto_item.description}"[:120],
            from_value=VetoCheck.Review(v.review).label,
            to_value=VetoCheck.Review(decision).label,
            reason=reason,
            request=request,
        )
        assessment_recompute(a)
    v.refresh_from_db()
    check.version = v.version
    _sync(assessment, a)
    return v


def _sync(target, source):
    """Copy the state and totals the service changed onto the caller's instance."""
    for field in (
        "status",
        "version",
        "round",
        "self_total",
        "self_bonus",
        "review_base",
        "bonus_accepted",
        "supervision_deduction",
        "final_score",
        "veto_confirmed",
        "proposed_grade",
        "final_grade",
    ):
        setattr(target, field, getattr(source, field))


def scores_accept_remaining(*, assessment, actor, request=None):
    """采纳其余自评: every indicator not reviewed yet that has a self score takes it as the review score.

    Only unreviewed rows are touched (`review_score IS NULL` in the UPDATE itself), so a score another
    reviewer has just saved is never overwritten. Returns the number of indicators accepted.
    """
    with transaction.atomic():
        a = lock_for_review(assessment=assessment, actor=actor, request=request)
        rows = IndicatorScore.objects.filter(
            assessment=a, review_score__isnull=True, self_score__isnull=False
        )
        codes = list(rows.order_by("indicator__sort_order").values_list("indicator__code", flat=True))
        # The village's rule choices come along with its score: the page shows the review's rule counts
        # beside the direct-score box, and a score taken without them made the two disagree.
        count = rows.update(
            review_score=F("self_score"),
            review_rules=F("self_rules"),
            review_note="",
            reviewed_by=actor,
            reviewed_at=timezone.now(),
            updated_by=actor,
            version=F("version") + 1,
        )
        if count:
            record_event(
                assessment=a,
                actor=actor,
                action="review_accept_remaining",
                subject=f"采纳其余 {count} 项指标的自评分",
                to_value="、".join(codes)[:200],
                request=request,
            )
            assessment_recompute(a)
    return count


def veto_checks_clear_all(*, assessment, actor, reason, expected, request=None):
    """全部未发现（确认）: every veto item still undecided is cleared with the one note, in one step.

    `expected` maps the id of each undecided check the reviewer saw to its version: if the undecided set
    or any version changed since (another reviewer decided an item), nothing is written (ConflictError).
    Items the village self-reported as existing are never cleared in bulk: each needs its own decision.
    Returns the number of items cleared; one event and one audit row for the whole step.
    """
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
    if not reason:
        raise WorkflowError("请填写核实说明（如：经查阅纪检台账和信访记录，未发现负面清单所列情形）。")
    if not expected:
        raise WorkflowError("没有待核实的负面清单项。")
    with transaction.atomic():
        a = lock_for_review(assessment=assessment, actor=actor, request=request)
        pending = list(
            VetoCheck.objects.select_for_update()
            .filter(assessment=a, review=VetoCheck.Review.PENDING)
            .select_related("veto_item")
            .order_by("veto_item__sort_order")
        )
        if not pending:  # a double submit, or someone else finished the list meanwhile
            raise WorkflowError("负面清单已全部核实，无需再次确认。")
        found = [v.veto_item.code for v in pending if v.self_answer]
        if found:
            raise WorkflowError(
                f"村自查存在的情形须逐项核实，不能一并确认：{'、'.join(found)}。请先逐项核实后再确认其余各项。"
            )
        current = {v.pk: v.version for v in pending}
        if current != {int(k): int(v) for k, v in expected.items()}:
            raise ConflictError(
                "负面清单已被他人核实或修改，本次未保存。请核对最新内容后重新确认。",
                current=[v for v in pending],
            )
        count = VetoCheck.objects.filter(pk__in=list(current), review=VetoCheck.Review.PENDING).update(
            review=VetoCheck.Review.CLEARED, review_reason=reason[:300], version=F("version") + 1
        )
        if count != len(current):  # cannot happen under the row locks; never write half of it
            raise ConflictError("负面清单已被他人核实或修改，本次未保存。请核对最新内容后重新确认。")
        codes = "、".join(v.veto_item.code for v in pending)
        record_event(
            assessment=a,
            actor=actor,
            action="review_veto_clear_all",
            subject=f"负面清单 {count} 项全部未发现（确认）",
            from_value=VetoCheck.Review.PENDING.label,
            to_value=f"{VetoCheck.Review.CLEARED.label}：{codes}",
            reason=reason,
            request=request,
        )
        assessment_recompute(a)
    _sync(assessment, a)
    return count
