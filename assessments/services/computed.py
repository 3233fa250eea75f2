"""Computed indicators (系统计算指标) of a township-level assessment: fill them from the data.

The city reviews a township against the 镇街 standard; indicators with a formula (indices/formulas.py)
are scored by the system from the township's village assessments, ledgers and rectifications of the
campaign's year. Each line keeps the figures behind its score (numerator, denominator, period, the rule
that applied). A reviewer's own score on such a line is an override with a reason (services.review):
recomputation refreshes the figures and leaves the override standing.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.errors import ConflictError
from indices.formulas import evaluate, formula_measures, implementation

from .. import workflow
from ..computed import Scope
from ..models import Assessment, IndicatorScore
from ..permissions import actor_sides
from ..scoring import normal
from ..workflow import Side
from .common import WorkflowError, record_event
from .review import lock_for_review
from .totals import assessment_recompute

S = Assessment.Status
FILLABLE = frozenset({S.FORWARDED, *workflow.REVIEW_EDITABLE})


def computed_lines(assessment):
    """The lines of `assessment` whose indicator has a formula (empty for village assessments)."""
    if assessment.village_id is not None:
        return IndicatorScore.objects.none()
    return (
        IndicatorScore.objects.filter(assessment=assessment)
        .exclude(indicator__formula={})
        .select_related("indicator")
        .order_by("indicator__dimension__sort_order", "indicator__sort_order")
    )


def computed_figures(lines, scope):
    """{measure_key: Figure} for every measure the lines' formulas use, each counted once."""
    figures = {}
    for line in lines:
        for key in formula_measures(line.indicator.formula):
            if key not in figures:
                name, params = key
                figures[key] = implementation(name)(scope, **{k: list(v) for k, v in params})
    return figures


def needs_fill(assessment):
    """True when the township's computed lines were never filled and the review may still change."""
    return (
        assessment.village_id is None
        and assessment.status in FILLABLE
        and not assessment.campaign.is_confirmed
        and computed_lines(assessment).filter(computed_at__isnull=True).exists()
    )


@transaction.atomic
def computed_scores_fill(*, assessment, actor, as_of=None, request=None):
    """(Re)compute every computed indicator of a township-level assessment; returns the lines.

    A line without override takes the computed score as its review score; an overridden line keeps
    the reviewer's score and only its figures change. One event and one audit row for the whole step.
    """
    a = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("campaign", "township")
        .get(pk=assessment.pk)
    )
    if a.village_id is not None:
        raise WorkflowError("只有镇街测评有系统计算指标。")
    if Side.REVIEWER not in actor_sides(actor, a):
        raise WorkflowError(f"您不能初审{a.subject_name}。")
    if a.campaign.is_confirmed:
        raise WorkflowError("本年度等次已确认，不能再修改。")
    if a.status not in FILLABLE:
        raise WorkflowError(f"{a.subject_name}当前状态为“{a.get_status_display()}”，不能重新计算。")
    lines = list(computed_lines(a))
    if not lines:
        raise WorkflowError("本标准没有配置计算公式的指标。")
    as_of = as_of or timezone.localdate()
    scope = Scope(township=a.township, year=a.campaign.year, as_of=as_of)
    figures = computed_figures(lines, scope)
    now = timezone.now()
    changed = []
    for line in lines:
        result = evaluate(line.indicator.formula, max_score=line.indicator.max_score, figures=figures)
        detail = {**result.as_json(), "as_of": as_of.isoformat(), "period": scope.period}
        values = {"computed_score": result.score, "computed_detail": detail, "computed_at": now}
        if not line.override_reason:
            if line.review_score is None or line.review_score != result.score:
                changed.append(
                    f"{line.indicator.code} {normal(line.review_score) if line.review_score is not None else '—'}→{normal(result.score)}"
                )
            values.update(review_score=result.score, review_rules={}, reviewed_by=actor, reviewed_at=now)
        IndicatorScore.objects.filter(pk=line.pk).update(
            **values, updated_by=actor, updated_at=now, version=F("version") + 1
        )
    record_event(
        assessment=a,
        actor=actor,
        action="computed_fill",
        subject=f"系统计算指标 {len(lines)} 项（截至{as_of.year}年{as_of.month}月{as_of.day}日）",
        to_value="；".join(changed) or "得分未变",
        request=request,
    )
    assessment_recompute(a)
    return list(computed_lines(a))


def computed_override_clear(*, assessment, score, actor, expected_version, request=None):
    """Give a computed line back to the system: its score becomes the computed one again."""
    if expected_version is None:
        raise WorkflowError("页面已过期，请刷新后重新填写。")
    with transaction.atomic():
        a = lock_for_review(assessment=assessment, actor=actor, request=request)
        try:
            s = computed_lines(a).get(pk=score.pk)
        except IndicatorScore.DoesNotExist:
            raise WorkflowError("该指标不是本测评的系统计算指标。") from None
        if not s.override_reason:
            raise WorkflowError(f"{s.indicator.code} 没有人工调整，无需恢复。")
        if s.computed_score is None:
            raise WorkflowError(f"{s.indicator.code} 尚未计算，请先“重新计算”。")
        now = timezone.now()
        updated = IndicatorScore.objects.filter(pk=s.pk, version=expected_version).update(
            review_score=s.computed_score,
            review_rules={},
            review_note="",
            override_reason="",
            reviewed_by=actor,
            reviewed_at=now,
            updated_by=actor,
            updated_at=now,
            version=F("version") + 1,
        )
        if not updated:
            s.refresh_from_db()
            raise ConflictError(current=s)
        record_event(
            assessment=a,
            actor=actor,
            action="computed_restore",
            subject=f"{s.indicator.code} {s.indicator.name}（恢复系统计算）",
            from_value=normal(s.review_score) if s.review_score is not None else "",
            to_value=normal(s.computed_score),
            request=request,
        )
        assessment_recompute(a)
    s.refresh_from_db()
    return s
