"""The small autosaving blocks of the sheet: score, bonus claim, veto self-check, 申请表, sign-off."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from common.errors import ConflictError

from ...forms import ApplicationForm, BonusClaimForm, SignoffForm, VetoForm
from ...models import Signoff
from ...scoring import ScoreError, normal
from ...selectors import assessment_get_for_user
from ...services import self_assessment as svc
from ...services.common import WorkflowError
from .http import (
    as_int,
    conflict,
    form_errors,
    problems_of,
    refused,
    require_side,
    saved,
    score_badge,
    score_text,
)


def _posted_rules(post, indicator):
    """Ticked rules from the block, or None when the block carries no rule inputs."""
    if post.get("rules") != "1":
        return None
    method = indicator.scoring_method
    if method == "deduction":
        return {k.removeprefix("count_"): v for k, v in post.items() if k.startswith("count_")}
    if method == "tiered":
        tier = post.get("tier")
        return [tier] if tier else None
    return post.getlist("check")


@require_POST
def score_save(request, pk, score_pk):
    a = assessment_get_for_user(request.user, pk)
    score = get_object_or_404(a.scores.select_related("indicator"), pk=score_pk)
    require_side(request, a)
    anchor = f"ind-{score.pk}"
    version = as_int(request.POST.get("version"))
    if version is None:
        return refused(request, a, ["页面已过期，请刷新后重试。"], anchor)
    note = request.POST.get("note", "")
    try:
        row = svc.score_save_self(
            assessment=a,
            score=score,
            actor=request.user,
            expected_version=version,
            value=request.POST.get("value"),
            rules=_posted_rules(request.POST, score.indicator),
            note=note,
            full_marks=request.POST.get("full") == "1",
            request=request,
        )
    except ConflictError as err:
        mine = getattr(err, "proposed", None) or {"score": request.POST.get("value") or None, "note": note}
        return conflict(request, a, err, score_text(err.current), score_text(mine), anchor)
    except (WorkflowError, ScoreError) as err:
        return refused(request, a, [f"{score.indicator.code}：{p}" for p in problems_of(err)], anchor)
    shown = normal(row.self_score) if row.self_score is not None else None
    state, label = score_badge(row.self_score, score.indicator.max_score)
    return saved(
        request,
        a,
        f"已保存 {score.indicator.code} 自评。",
        anchor,
        score=shown,
        version=row.version,
        dimension=str(score.indicator.dimension_id),
        rules=row.self_rules,
        state=state,
        state_label=label,
    )


@require_POST
def bonus_save(request, pk):
    a = assessment_get_for_user(request.user, pk)
    require_side(request, a)
    form = BonusClaimForm(request.POST)
    item = get_object_or_404(a.campaign.standard.bonus_items, pk=as_int(request.POST.get("bonus_item")))
    anchor = f"bonus-{item.pk}"
    # The page's claim version, 0 when it showed no claim: a missing one is a page from before versions.
    version = as_int(request.POST.get("version"))
    if version is None or version < 0:
        return refused(request, a, ["页面已过期，请刷新后重试。"], anchor)
    try:
        if request.POST.get("delete"):
            claim = get_object_or_404(a.bonus_claims, bonus_item=item)
            svc.bonus_claim_delete(
                assessment=a, claim=claim, actor=request.user, expected_version=version, request=request
            )
            return saved(request, a, f"已撤回加分项 {item.code} 的申报。", anchor, claim=None, version=0)
        if not form.is_valid():
            return refused(request, a, form_errors(form), anchor)
        claim = svc.bonus_claim_save(
            assessment=a,
            bonus_item=item,
            actor=request.user,
            points=form.cleaned_data["points"],
            explanation=form.cleaned_data["explanation"],
            expected_version=version,
            request=request,
        )
    except ConflictError as err:
        cur = err.current
        cur_text = f"申报 {cur['points']} 分" if cur.get("points") else "未申报（已撤回）"
        if cur.get("explanation"):
            cur_text += f"（事由：{cur['explanation'][:40]}）"
        mine = request.POST.get("points", "").strip()
        mine_text = "撤回申报" if request.POST.get("delete") else f"申报 {mine or '—'} 分"
        return conflict(request, a, err, cur_text, mine_text, anchor)
    except (WorkflowError, ScoreError) as err:
        return refused(request, a, [f"{item.code}：{p}" for p in problems_of(err)], anchor)
    return saved(
        request,
        a,
        f"已保存加分项 {item.code} 的申报。",
        anchor,
        claim=claim.pk,
        version=claim.version,
        points=normal(claim.claimed_points),
    )


@require_POST
def veto_save(request, pk, check_pk):
    a = assessment_get_for_user(request.user, pk)
    check = get_object_or_404(a.veto_checks.select_related("veto_item"), pk=check_pk)
    require_side(request, a)
    anchor = f"veto-{check.pk}"
    form = VetoForm(request.POST)
    if not form.is_valid():
        return refused(request, a, form_errors(form), anchor)
    answer, note = form.cleaned_data["answer"], form.cleaned_data["note"]
    try:
        row = svc.veto_self_save(
            assessment=a,
            check=check,
            actor=request.user,
            answer=answer,
            note=note,
            expected_version=form.cleaned_data["version"],
            request=request,
        )
    except ConflictError as err:
        yes_no = {True: "是", False: "否", None: "未作答"}
        return conflict(request, a, err, yes_no[err.current["answer"]], yes_no[answer], anchor)
    except WorkflowError as err:
        return refused(request, a, [f"{check.veto_item.code}：{p}" for p in err.problems], anchor)
    return saved(request, a, f"已保存负面清单 {check.veto_item.code} 自查。", anchor, version=row.version)


@require_POST
def form_save(request, pk):
    a = assessment_get_for_user(request.user, pk)
    require_side(request, a)
    form = ApplicationForm(request.POST, grades=list(a.campaign.standard.grades.all()))
    if not form.is_valid():
        return refused(request, a, form_errors(form), "application-form")
    data = {name: form.cleaned_data.get(name) for name in svc.FORM_FIELDS if name in request.POST}
    try:
        a = svc.application_form_save(
            assessment=a,
            actor=request.user,
            data=data,
            expected_version=form.cleaned_data["version"],
            request=request,
        )
    except ConflictError as err:
        diffs = [
            (str(form.fields[k].label), err.current.get(k), v)
            for k, v in svc.form_state_of(data).items()
            if err.current.get(k) != v
        ]
        cur = "；".join(f"{label}“{_shown(c)}”" for label, c, _ in diffs)
        mine = "；".join(f"{label}“{_shown(m)}”" for label, _, m in diffs)
        return conflict(request, a, err, cur or "（相同内容）", mine or "（相同内容）", "application-form")
    except WorkflowError as err:
        return refused(request, a, err.problems, "application-form")
    return saved(request, a, "已保存申请表。", "application-form", version=a.version)


def _shown(value, limit=30):
    text = "（空）" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


@require_POST
def signoff(request, pk):
    a = assessment_get_for_user(request.user, pk)
    require_side(request, a)
    form = SignoffForm(request.POST)
    if not form.is_valid():
        return refused(request, a, form_errors(form), "signoff")
    try:
        svc.signoff_sign(
            assessment=a,
            actor=request.user,
            side=form.cleaned_data["side"],
            opinion=form.cleaned_data["opinion"],
            request=request,
        )
    except WorkflowError as err:
        return refused(request, a, err.problems, "signoff")
    return saved(request, a, f"已签署：{Signoff.Side(form.cleaned_data['side']).label}。", "signoff")
