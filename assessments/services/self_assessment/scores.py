"""Indicator self scores, bonus claims and the veto self-check: optimistic lock on each line's version."""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from common.errors import ConflictError
from indices.models import Indicator

from ...models import BonusClaim, IndicatorScore, VetoCheck
from ...scoring import ScoreError, check_score, full_marks_rules, normal, score_from_rules
from ..common import WorkflowError, record_event
from ..totals import assessment_recompute
from .base import NOTE_MAX, as_int, clean_text, delete_files_on_commit, lock_editable, void_signoffs

# --- indicator scores ------------------------------------------------------------------------------


def _conflict(current, proposed):
    """A ConflictError that also carries what this user tried to save, for the side-by-side message."""
    err = ConflictError(current=current)
    err.proposed = proposed
    return err


def score_state(row):
    """What is stored now, as the conflict answer and the page show it."""
    return {
        "score": normal(row.self_score) if row.self_score is not None else None,
        "rules": row.self_rules,
        "note": row.self_note,
        "version": row.version,
        "updated_by": row.updated_by.display_name if row.updated_by_id else "",
    }


def _score_by_rules(indicator, rules):
    """(stored rules, score) from ticked rules of the indicator's own ScoringRule rows."""
    rule_rows = list(indicator.rules.all())
    rule_map = {r.pk: (r.kind, r.points) for r in rule_rows}
    if not rule_map:
        raise ScoreError("该指标未设评分规则，请直接填写得分。")
    method = indicator.scoring_method
    if method == Indicator.Method.DEDUCTION:
        if not isinstance(rules, dict):
            raise ScoreError("扣分依据格式无效。")
        once = {r.pk: r.text for r in rule_rows if not r.per}
        chosen = {}
        for rule_id, count in rules.items():
            if count in (None, ""):
                continue
            rule_id = as_int(rule_id, "所选扣分规则不属于该指标。")
            chosen[rule_id] = as_int(count, "扣分次数须为整数。")
            if rule_id in once and chosen[rule_id] > 1:
                raise ScoreError(f"“{once[rule_id]}”不按次累计，只能扣一次。")
        score = score_from_rules(method=method, max_score=indicator.max_score, rules=rule_map, chosen=chosen)
        return {str(k): v for k, v in sorted(chosen.items()) if v}, score
    chosen = sorted({as_int(r, "所选评分规则不属于该指标。") for r in rules or []})
    score = score_from_rules(method=method, max_score=indicator.max_score, rules=rule_map, chosen=chosen)
    return chosen, score


def _full_marks(indicator):
    """(stored rules, score) for "无扣分情形（得满分）": the rules' own full-mark choice, or the max."""
    rule_map = {r.pk: (r.kind, r.points) for r in indicator.rules.all()}
    if not rule_map:
        return {}, indicator.max_score
    chosen = full_marks_rules(method=indicator.scoring_method, max_score=indicator.max_score, rules=rule_map)
    if chosen is None:
        raise ScoreError("按本指标的评分规则不能直接得满分，请逐项选择。")
    return chosen, indicator.max_score


@transaction.atomic
def score_save_self(
    *,
    assessment,
    score,
    actor,
    expected_version,
    value=None,
    rules=None,
    note="",
    full_marks=False,
    request=None,
):
    """Save one indicator's self score: full marks ("无扣分情形", an explicit answer), from ticked
    `rules` when given, else a direct `value`, else only the explanation. Refused for township-only
    indicators and for rows of another assessment."""
    a = lock_editable(assessment, actor)
    try:
        row = IndicatorScore.objects.select_related("indicator", "updated_by").get(pk=score.pk, assessment=a)
    except IndicatorScore.DoesNotExist:
        raise WorkflowError("该指标不属于本测评。") from None
    indicator = row.indicator
    if indicator.scored_by != Indicator.ScoredBy.VILLAGE_AND_TOWNSHIP:
        raise WorkflowError(f"{indicator.code} 由镇街评分，村（社区）不自评。")
    note = clean_text(note, NOTE_MAX, "自评说明")
    if full_marks:
        new_rules, new_score = _full_marks(indicator)
    elif rules is not None:
        new_rules, new_score = _score_by_rules(indicator, rules)
    elif value not in (None, ""):
        precision = a.campaign.standard.score_precision
        new_score = check_score(value, max_score=indicator.max_score, precision=precision)
        new_rules = {}
    else:
        new_rules, new_score = row.self_rules, row.self_score
    proposed = {"score": normal(new_score) if new_score is not None else None, "note": note}
    if row.version != expected_version:
        raise _conflict(score_state(row), proposed)
    if (new_score, new_rules, note) == (row.self_score, row.self_rules, row.self_note):
        return row
    updated = IndicatorScore.objects.filter(pk=row.pk, version=expected_version).update(
        self_score=new_score,
        self_rules=new_rules,
        self_note=note,
        version=F("version") + 1,
        updated_by=actor,
        updated_at=timezone.now(),
    )
    if not updated:
        raise _conflict(score_state(IndicatorScore.objects.get(pk=row.pk)), proposed)
    old_score, old_note = row.self_score, row.self_note
    row.refresh_from_db()
    if old_score != new_score:
        shown = [normal(v) if v is not None else "未评" for v in (old_score, new_score)]
        subject, from_value, to_value = f"{indicator.code} 自评分", *shown
    else:
        subject, from_value, to_value = f"{indicator.code} 自评说明", old_note, note
    record_event(
        assessment=a,
        actor=actor,
        action="self_score",
        subject=subject,
        from_value=from_value,
        to_value=to_value,
        request=request,
    )
    void_signoffs(a, actor, request, f"指标 {indicator.code}")
    assessment_recompute(a)
    return row


# --- bonus claims ----------------------------------------------------------------------------------


def claim_state(claim):
    return {
        "points": normal(claim.claimed_points),
        "explanation": claim.explanation,
        "version": claim.version,
    }


def _bonus_points(points, item, precision):
    try:
        value = Decimal(str(points).strip())
    except (InvalidOperation, ValueError):
        raise ScoreError("申报加分请输入数字。") from None
    if not value.is_finite():
        raise ScoreError("申报加分请输入数字。")
    if value <= 0:
        raise ScoreError("申报加分须大于 0 分。")
    if value > item.per_item_cap:
        raise ScoreError(f"申报加分不能超过该项单项上限 {normal(item.per_item_cap)} 分。")
    return check_score(value, max_score=item.per_item_cap, precision=precision)


NO_CLAIM = {"points": None, "explanation": "", "version": 0}


@transaction.atomic
def bonus_claim_save(*, assessment, bonus_item, actor, points, explanation, expected_version, request=None):
    """Claim (or change the claim of) one bonus item. A changed claim goes back to 待审核.

    `expected_version` is the claim's version on the page the user saved from, 0 when the page showed
    no claim yet ("must not exist"): a claim another member created, changed or withdrew since is a
    ConflictError carrying what is stored now, and nothing is written.
    """
    if expected_version is None:
        raise WorkflowError("页面已过期，请刷新后重新填写。")
    a = lock_editable(assessment, actor)
    if bonus_item.standard_id != a.campaign.standard_id:
        raise WorkflowError("该加分项不属于本年度指数标准。")
    points = _bonus_points(points, bonus_item, a.campaign.standard.score_precision)
    explanation = clean_text(explanation, 1000, "加分事由")
    if not explanation:
        raise WorkflowError("请填写加分事由。")
    proposed = {"points": normal(points), "explanation": explanation, "version": expected_version}
    claim = BonusClaim.objects.filter(assessment=a, bonus_item=bonus_item).first()
    if claim is None:
        if expected_version != 0:  # the claim this page showed was withdrawn meanwhile
            raise _conflict(dict(NO_CLAIM), proposed)
        try:
            with transaction.atomic():  # a savepoint: a parallel first claim breaks only this insert
                claim = BonusClaim.objects.create(
                    assessment=a, bonus_item=bonus_item, claimed_points=points, explanation=explanation
                )
        except IntegrityError:
            stored = BonusClaim.objects.filter(assessment=a, bonus_item=bonus_item).first()
            raise _conflict(claim_state(stored) if stored else dict(NO_CLAIM), proposed) from None
        from_value = ""
    else:
        if claim.version != expected_version:  # also a first claim (0) racing one saved meanwhile
            raise _conflict(claim_state(claim), proposed)
        if (claim.claimed_points, claim.explanation) == (points, explanation):
            return claim
        updated = BonusClaim.objects.filter(pk=claim.pk, version=expected_version).update(
            claimed_points=points,
            explanation=explanation,
            status=BonusClaim.Status.CLAIMED,
            accepted_points=None,
            version=F("version") + 1,
        )
        if not updated:
            raise _conflict(claim_state(BonusClaim.objects.get(pk=claim.pk)), proposed)
        from_value = normal(claim.claimed_points)
        claim.refresh_from_db()
    record_event(
        assessment=a,
        actor=actor,
        action="bonus_claim",
        subject=f"{bonus_item.code} 申报加分",
        from_value=from_value,
        to_value=normal(points),
        reason=explanation,
        request=request,
    )
    void_signoffs(a, actor, request, f"加分项 {bonus_item.code}")
    assessment_recompute(a)
    return claim


@transaction.atomic
def bonus_claim_delete(*, assessment, claim, actor, expected_version=None, request=None):
    """Withdraw a bonus claim together with its evidence files; with `expected_version` (the page's),
    a claim changed since is not withdrawn (ConflictError)."""
    a = lock_editable(assessment, actor)
    try:
        claim = BonusClaim.objects.select_related("bonus_item").get(pk=claim.pk, assessment=a)
    except BonusClaim.DoesNotExist:
        raise WorkflowError("该加分申报不属于本测评。") from None
    if expected_version is not None and claim.version != expected_version:
        raise _conflict(claim_state(claim), {"points": None, "explanation": "", "version": expected_version})
    files = list(claim.evidence.values_list("file", flat=True))
    claim.delete()
    delete_files_on_commit(files)
    record_event(
        assessment=a,
        actor=actor,
        action="bonus_claim_delete",
        subject=f"{claim.bonus_item.code} 撤回加分申报",
        from_value=normal(claim.claimed_points),
        request=request,
    )
    void_signoffs(a, actor, request, f"加分项 {claim.bonus_item.code}")
    assessment_recompute(a)


# --- veto self-check -------------------------------------------------------------------------------


def _yes_no(answer):
    return {True: "是", False: "否", None: "未作答"}[answer]


def veto_state(row):
    return {"answer": row.self_answer, "note": row.self_note, "version": row.version}


@transaction.atomic
def veto_self_save(*, assessment, check, actor, answer, note, expected_version, request=None):
    """负面清单自查: does the situation exist (是/否), with an explanation (required for 是)."""
    a = lock_editable(assessment, actor)
    try:
        row = VetoCheck.objects.select_related("veto_item").get(pk=check.pk, assessment=a)
    except VetoCheck.DoesNotExist:
        raise WorkflowError("该负面清单项不属于本测评。") from None
    if answer not in (True, False):
        raise WorkflowError("请选择“是”或“否”。")
    note = clean_text(note, 300, "自查说明")
    if answer and not note:
        raise WorkflowError("选择“是”（存在该情形）时须说明具体情况。")
    if row.version != expected_version:
        raise ConflictError(current=veto_state(row))
    if (row.self_answer, row.self_note) == (answer, note):
        return row
    updated = VetoCheck.objects.filter(pk=row.pk, version=expected_version).update(
        self_answer=answer, self_note=note, version=F("version") + 1
    )
    if not updated:
        raise ConflictError(current=veto_state(VetoCheck.objects.get(pk=row.pk)))
    old = row.self_answer
    row.refresh_from_db()
    record_event(
        assessment=a,
        actor=actor,
        action="veto_self",
        subject=f"{row.veto_item.code} 负面清单自查",
        from_value=_yes_no(old),
        to_value=_yes_no(answer),
        reason=note,
        request=request,
    )
    void_signoffs(a, actor, request, f"负面清单 {row.veto_item.code}")
    assessment_recompute(a)
    return row
