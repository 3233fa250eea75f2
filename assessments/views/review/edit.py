"""The 初审 page: the village's self-assessment beside the reviewer's inputs, and its saves."""

from itertools import groupby

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from common.errors import ConflictError
from common.forms import CleanTextMixin
from indices.models import VetoItem

from ...deductions import supervision_deduction_sources
from ...models import AssessmentEvent, BonusClaim, Evidence, IndicatorScore, VetoCheck
from ...permissions import actor_sides
from ...scoring import normal
from ...services import grading, review
from ...services.common import WorkflowError
from ...workflow import Side
from . import page
from .common import S, assessment_as, child_or_404, grades_for, wants_json
from .computed import fill_on_open
from .page import evidence_of


@require_GET
def review_edit(request, pk):
    a, sides = assessment_as(request, pk, Side.REVIEWER)
    fill_on_open(request, a)
    evidence, forms_ = evidence_of(a)
    rows = [
        page.decorate_score(s, evidence.get((Evidence.Kind.INDICATOR, s.indicator_id), []))
        for s in page.scores_of(a)
    ]
    dimensions = [(dim, list(items)) for dim, items in groupby(rows, key=lambda s: s.indicator.dimension)]
    claims = list(BonusClaim.objects.filter(assessment=a).select_related("bonus_item"))
    for c in claims:
        c.files = evidence.get((Evidence.Kind.BONUS, c.pk), [])
    context = page.shared_context(request, a, sides, page.queue_query(request.GET))
    names = {g.code: g.name for g in grades_for([a.campaign.standard_id]).get(a.campaign.standard_id, [])}
    veto_events = list(a.veto_events.select_related("veto_item", "recorded_by"))
    for e in veto_events:
        e.before_label, e.after_label = names.get(e.grade_before, e.grade_before), names.get(e.grade_after)
    context.update(
        {
            "dimensions": dimensions,
            "claims": claims,
            "vetoes": list(page.vetoes_of(a)),
            "application_forms": forms_,
            "events": AssessmentEvent.objects.filter(assessment=a)
            .select_related("actor")
            .order_by("-at", "-id"),
            "veto_items": a.campaign.standard.veto_items.all() if a.status == S.CONFIRMED else [],
            "veto_events": veto_events,
            "deduction_sources": supervision_deduction_sources(a),
            "computed_rows": [s for s in rows if s.is_computed],
        }
    )
    response = render(request, "assessments/review_edit.html", context)
    response["Cache-Control"] = "no-store"  # SECURITY.md PRIV-3: review pages are not cached
    return response


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


def _saved(request, a, payload, message, rows=()):
    """The answer to a save: with JSON, the changed rows and every part that depends on all lines,
    rendered from the page's own templates; without, a redirect back to the line (queue kept)."""
    query = page.posted_queue(request)
    if wants_json(request):
        a.refresh_from_db()
        context = page.shared_context(request, a, actor_sides(request.user, a), query)
        html = {}
        for kind, objects in rows:
            html.update(page.render_rows(request, context, kind, objects))
        payload.update(
            ok=True,
            message=message,
            status=a.status,
            status_display=a.get_status_display(),
            rows=html,
            parts=page.render_parts(request, context),
            totals={
                "review_base": normal(a.review_base),
                "bonus_accepted": normal(a.bonus_accepted),
                "supervision_deduction": normal(a.supervision_deduction),
                "final_score": normal(a.final_score),
                "proposed_grade": a.proposed_grade,
            },
            progress=context["progress"],
        )
        return JsonResponse(payload)
    messages.success(request, message)
    return redirect(page.review_url(a.pk, query, payload.get("anchor", "")))


def _refused(request, a, exc, anchor, current=None, version=None):
    if isinstance(exc, ConflictError):
        text = f"{exc}（当前保存的内容：{current}）"
        status = 409
    else:
        text = "；".join(exc.problems)
        status = 400
    if wants_json(request):
        body = {"ok": False, "conflict": status == 409, "errors": [text], "current": current}
        if version is not None:
            body["version"] = version  # the stored line's: saving again is a deliberate overwrite
        return JsonResponse(body, status=status)
    messages.error(request, text)
    return redirect(page.review_url(a.pk, page.posted_queue(request), anchor))


def _score_row(a, s):
    s = page.scores_of(a).get(pk=s.pk)
    files = Evidence.objects.filter(assessment=a, kind=Evidence.Kind.INDICATOR, indicator_id=s.indicator_id)
    return page.decorate_score(s, list(files.order_by("uploaded_at")))


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
        return _refused(request, a, exc, anchor, current, version=c.version)
    except WorkflowError as exc:
        return _refused(request, a, exc, anchor)
    payload = {"anchor": anchor, "score": normal(s.review_score), "version": s.version}
    message = f"{s.indicator.code} 初审得分已保存：{normal(s.review_score)} 分。"
    return _saved(request, a, payload, message, rows=[("score", [_score_row(a, s)])])


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
        return _refused(request, a, exc, anchor, current, version=exc.current.version)
    except WorkflowError as exc:
        return _refused(request, a, exc, anchor)
    claims = page.claims_with_files(a, BonusClaim.objects.filter(pk=c.pk).select_related("bonus_item"))
    payload = {"anchor": anchor, "version": c.version}
    return _saved(request, a, payload, f"加分项 {c.bonus_item.code} 已审核。", rows=[("claim", claims)])


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
        current = exc.current.get_review_display()
        return _refused(request, a, exc, anchor, current, version=exc.current.version)
    except WorkflowError as exc:
        return _refused(request, a, exc, anchor)
    payload = {"anchor": anchor, "version": v.version}
    rows = [("veto", page.vetoes_of(a).filter(pk=v.pk))]
    return _saved(request, a, payload, f"负面清单 {v.veto_item.code} 已核实。", rows=rows)


def _expected_versions(request):
    """{check id: version} from the bulk form's `check_<id>` fields."""
    expected = {}
    for key, value in request.POST.items():
        if key.startswith("check_"):
            pk, version = key.removeprefix("check_"), value.strip()
            if not (pk.isdigit() and version.isdigit() and len(pk) < 12 and len(version) < 12):
                return None
            expected[int(pk)] = int(version)
    return expected


@require_POST
def veto_clear_all(request, pk):
    """全部未发现（确认）: the undecided negative-list items cleared together with one note."""
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    anchor = "vetoes"
    expected = _expected_versions(request)
    if expected is None:
        return _refused(request, a, WorkflowError("页面已过期，请刷新后重新确认。"), anchor)
    try:
        count = review.veto_checks_clear_all(
            assessment=a,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            expected=expected,
            request=request,
        )
    except ConflictError as exc:
        current = "；".join(f"{v.veto_item.code} {v.get_review_display()}" for v in exc.current or [])
        return _refused(request, a, exc, anchor, current or "已全部核实")
    except WorkflowError as exc:
        return _refused(request, a, exc, anchor)
    rows = [("veto", page.vetoes_of(a).filter(pk__in=list(expected)))]
    message = f"负面清单 {count} 项已确认“不属实”（全部未发现）。"
    return _saved(request, a, {"anchor": anchor, "cleared": count}, message, rows=rows)


class VetoEventForm(CleanTextMixin, forms.Form):
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
    rows = []
    if wants_json(request):
        evidence, _ = evidence_of(a, kind=Evidence.Kind.INDICATOR)
        scores = [
            page.decorate_score(s, evidence.get((Evidence.Kind.INDICATOR, s.indicator_id), []))
            for s in page.scores_of(a)
        ]
        rows = [("score", scores)]
    return _saved(request, a, {"anchor": "scores", "accepted": count}, message, rows=rows)
