"""The 初审 page: the village's self-assessment beside the reviewer's inputs, and its saves."""

from itertools import groupby

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from common.errors import ConflictError
from indices.models import VetoItem

from ... import workflow
from ...deductions import supervision_deduction_sources
from ...models import AssessmentEvent, BonusClaim, Evidence, IndicatorScore, VetoCheck
from ...scoring import normal
from ...services import grading, review
from ...services.common import WorkflowError
from ...services.transitions import guard_problems
from ...workflow import Side
from .common import S, assessment_as, child_or_404, grades_for, label_grades, wants_json


def _rule_rows(score):
    """The indicator's rules with the village's and the reviewer's choice beside each."""
    own = score.review_rules if score.review_score is not None else score.self_rules
    rows = []
    for r in score.indicator.rules.all():
        rows.append(
            {
                "rule": r,
                "self": _chosen(score.self_rules, r.pk),
                "review": _chosen(own, r.pk),
            }
        )
    return rows


def _chosen(chosen, pk):
    if isinstance(chosen, dict):
        return chosen.get(str(pk)) or chosen.get(pk) or 0
    return pk in {int(x) for x in chosen or [] if str(x).isdigit()}


def _direct_value(score):
    """What the direct-score box starts with: a score given without rules (the reviewer's, or else the
    village's), so that saving untouched keeps it rather than recomputing from empty rules."""
    if not score.indicator.rules.all():
        return score.review_score if score.review_score is not None else ""
    if score.review_score is not None:
        return "" if score.review_rules else score.review_score
    return score.self_score if score.self_score is not None and not score.self_rules else ""


@require_GET
def review_edit(request, pk):
    a, sides = assessment_as(request, pk, Side.REVIEWER)
    scores = list(
        IndicatorScore.objects.filter(assessment=a)
        .select_related("indicator", "indicator__dimension", "reviewed_by")
        .prefetch_related("indicator__rules")
        .order_by("indicator__dimension__sort_order", "indicator__sort_order")
    )
    evidence = {}
    forms_ = []
    for e in Evidence.objects.filter(assessment=a).order_by("uploaded_at"):
        if e.kind == Evidence.Kind.APPLICATION_FORM:
            forms_.append(e)
        else:
            evidence.setdefault((e.kind, e.indicator_id or e.bonus_claim_id), []).append(e)
    rows = []
    for s in scores:
        s.rule_rows = _rule_rows(s)
        s.files = evidence.get((Evidence.Kind.INDICATOR, s.indicator_id), [])
        s.township_only = s.indicator.scored_by == "township_only"
        s.differs = s.review_score is not None and s.self_score is not None and s.review_score != s.self_score
        s.direct_value = _direct_value(s)
        rows.append(s)
    dimensions = [(dim, list(items)) for dim, items in groupby(rows, key=lambda s: s.indicator.dimension)]
    claims = list(BonusClaim.objects.filter(assessment=a).select_related("bonus_item"))
    for c in claims:
        c.files = evidence.get((Evidence.Kind.BONUS, c.pk), [])
    vetoes = list(
        VetoCheck.objects.filter(assessment=a).select_related("veto_item").order_by("veto_item__sort_order")
    )
    grades = grades_for([a.campaign.standard_id])
    label_grades([a], grades)
    buttons = []
    for t in workflow.available(a.status, sides):
        if Side.REVIEWER in t.sides:
            buttons.append({"t": t, "problems": guard_problems(a, t.guards)})
    editable = a.status in workflow.REVIEW_EDITABLE or a.status == S.FORWARDED
    names = {g.code: g.name for g in grades.get(a.campaign.standard_id, [])}
    veto_events = list(a.veto_events.select_related("veto_item", "recorded_by"))
    for e in veto_events:
        e.before_label, e.after_label = names.get(e.grade_before, e.grade_before), names.get(e.grade_after)
    return render(
        request,
        "assessments/review_edit.html",
        {
            "a": a,
            "standard": a.campaign.standard,
            "dimensions": dimensions,
            "claims": claims,
            "vetoes": vetoes,
            "application_forms": forms_,
            "editable": editable and not a.campaign.is_confirmed,
            "buttons": buttons,
            "events": AssessmentEvent.objects.filter(assessment=a)
            .select_related("actor")
            .order_by("-at", "-id"),
            "veto_items": a.campaign.standard.veto_items.all() if a.status == S.CONFIRMED else [],
            "veto_events": veto_events,
            "unreviewed": sum(1 for s in scores if s.review_score is None),
            "deduction_sources": supervision_deduction_sources(a),
            "back": reverse("assessments:review_edit", args=[a.pk]),
        },
    )


def _rules_from_post(request, indicator):
    rules = list(indicator.rules.all())
    if not rules:
        return None
    if indicator.scoring_method == "deduction":
        return {
            str(r.pk): request.POST[f"rule_{r.pk}"].strip()
            for r in rules
            if request.POST.get(f"rule_{r.pk}", "").strip() not in ("", "0")
        }
    if indicator.scoring_method == "tiered":
        return [x for x in [request.POST.get("tier", "").strip()] if x]
    return request.POST.getlist("check")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _saved(request, a, payload, message):
    if wants_json(request):
        payload.update(
            ok=True,
            totals={
                "review_base": normal(a.review_base),
                "bonus_accepted": normal(a.bonus_accepted),
                "supervision_deduction": normal(a.supervision_deduction),
                "final_score": normal(a.final_score),
                "proposed_grade": a.proposed_grade,
            },
        )
        return JsonResponse(payload)
    messages.success(request, message)
    return redirect(f"{reverse('assessments:review_edit', args=[a.pk])}#{payload.get('anchor', '')}")


def _refused(request, a, exc, anchor, current=None):
    if isinstance(exc, ConflictError):
        text = f"{exc}（当前保存的内容：{current}）"
        status = 409
    else:
        text = "；".join(exc.problems)
        status = 400
    if wants_json(request):
        return JsonResponse({"ok": False, "conflict": status == 409, "errors": [text]}, status=status)
    messages.error(request, text)
    return redirect(f"{reverse('assessments:review_edit', args=[a.pk])}#{anchor}")


@require_POST
def score_review(request, pk, score_pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    s = child_or_404(request, a, IndicatorScore.objects.select_related("indicator"), score_pk)
    anchor = f"score-{s.pk}"
    accept = "accept" in request.POST
    try:
        s = review.score_save_review(
            assessment=a,
            score=s,
            actor=request.user,
            expected_version=_int(request.POST.get("version")),
            value=request.POST.get("value", "").strip() or None,
            rules=None if accept else _rules_from_post(request, s.indicator),
            accept=accept,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ConflictError as exc:
        c = exc.current
        who = c.updated_by.display_name if c.updated_by else "他人"
        current = f"初审得分 {normal(c.review_score) if c.review_score is not None else '未评'}，{who}保存"
        return _refused(request, a, exc, anchor, current)
    except WorkflowError as exc:
        return _refused(request, a, exc, anchor)
    payload = {"anchor": anchor, "score": normal(s.review_score), "version": s.version}
    return _saved(request, a, payload, f"{s.indicator.code} 初审得分已保存：{normal(s.review_score)} 分。")


@require_POST
def bonus_review(request, pk, claim_pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    c = child_or_404(request, a, BonusClaim.objects.select_related("bonus_item"), claim_pk)
    anchor = f"claim-{c.pk}"
    decision = request.POST.get("decision")
    if decision not in ("accept", "reject"):
        return _refused(request, a, WorkflowError("请选择认定或不予认定。"), anchor)
    try:
        c = review.bonus_claim_review(
            assessment=a,
            claim=c,
            actor=request.user,
            accept=decision == "accept",
            points=request.POST.get("points", "").strip() or None,
            reason=request.POST.get("reason", ""),
            expected_version=_int(request.POST.get("version")),
            request=request,
        )
    except ConflictError as exc:
        current = f"{exc.current.get_status_display()} {normal(exc.current.accepted_points or 0)} 分"
        return _refused(request, a, exc, anchor, current)
    except WorkflowError as exc:
        return _refused(request, a, exc, anchor)
    return _saved(
        request, a, {"anchor": anchor, "version": c.version}, f"加分项 {c.bonus_item.code} 已审核。"
    )


@require_POST
def veto_review(request, pk, check_pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    v = child_or_404(request, a, VetoCheck.objects.select_related("veto_item"), check_pk)
    anchor = f"veto-{v.pk}"
    try:
        v = review.veto_check_review(
            assessment=a,
            check=v,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_int(request.POST.get("version")),
            request=request,
        )
    except ConflictError as exc:
        return _refused(request, a, exc, anchor, exc.current.get_review_display())
    except WorkflowError as exc:
        return _refused(request, a, exc, anchor)
    return _saved(
        request, a, {"anchor": anchor, "version": v.version}, f"负面清单 {v.veto_item.code} 已核实。"
    )


class VetoEventForm(forms.Form):
    occurred_on = forms.DateField(
        label="发生日期", error_messages={"required": "请填写发生日期。", "invalid": "发生日期格式不正确。"}
    )
    description = forms.CharField(label="情况说明", max_length=2000)


@require_POST
def veto_event_create(request, pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    item = child_or_404(
        request,
        a,
        VetoItem.objects.filter(standard_id=a.campaign.standard_id),
        _int(request.POST.get("veto_item")),
        via=None,
    )
    form = VetoEventForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect(reverse("assessments:review_edit", args=[a.pk]) + "#veto-event")
    try:
        grading.veto_event_record(
            assessment=a, actor=request.user, veto_item=item, request=request, **form.cleaned_data
        )
    except WorkflowError as exc:
        messages.error(request, "；".join(exc.problems))
    else:
        messages.success(request, f"已登记否决事项，{a.subject_name}调整为最低等次，并已通知该村。")
    return redirect(reverse("assessments:review_edit", args=[a.pk]) + "#veto-event")


@require_POST
def accept_remaining(request, pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    try:
        count = review.scores_accept_remaining(assessment=a, actor=request.user, request=request)
    except WorkflowError as exc:
        return _refused(request, a, exc, "scores")
    a.refresh_from_db()
    message = f"已采纳其余 {count} 项指标的自评分。" if count else "没有尚未初审且有自评分的指标。"
    return _saved(request, a, {"anchor": "scores", "accepted": count}, message)
