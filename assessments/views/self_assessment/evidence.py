"""Evidence upload (several files at once), download through this view only, delete."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_log
from common.storage import download_response
from common.uploads import UploadError, clean_original_name

from ...forms import EvidenceUploadForm
from ...models import Evidence
from ...selectors import assessment_get_for_user, evidence_get_for_user
from ...services import self_assessment as svc
from ...services.common import WorkflowError
from .http import (
    json_answer,
    problems_of,
    refused,
    require_side,
    saved,
    self_url,
    submit_check_json,
    wants_json,
)


@require_POST
def evidence_upload(request, pk):
    a = assessment_get_for_user(request.user, pk)
    require_side(request, a)
    form = EvidenceUploadForm(request.POST)
    if not form.is_valid():
        return refused(request, a, ["材料类型无效。"], "")
    kind = form.cleaned_data["kind"]
    target, anchor = {}, "stamped"
    if kind == Evidence.Kind.INDICATOR:
        score = get_object_or_404(
            a.scores.select_related("indicator"), indicator_id=form.cleaned_data["indicator"]
        )
        target, anchor = {"indicator": score.indicator}, f"ind-{score.pk}"
    elif kind == Evidence.Kind.BONUS:
        claim = get_object_or_404(
            a.bonus_claims.select_related("bonus_item"), pk=form.cleaned_data["bonus_claim"]
        )
        target, anchor = {"bonus_claim": claim}, f"bonus-{claim.bonus_item_id}"
    files = request.FILES.getlist("files")
    if not files:
        return refused(request, a, ["请选择要上传的文件。"], anchor)
    uploaded, errors = [], []
    for f in files:
        try:
            ev = svc.evidence_upload(
                assessment=a, actor=request.user, kind=kind, uploaded_file=f, request=request, **target
            )
            uploaded.append({"id": str(ev.pk), "name": ev.original_name})
        except (UploadError, WorkflowError) as err:
            errors.extend(f"“{clean_original_name(f.name)}”：{p}" for p in problems_of(err))
    if wants_json(request):
        # The target's file list as the page draws it, and the check list (the stamped form is a guard).
        files = a.evidence.filter(kind=kind, **target).select_related("uploaded_by").order_by("uploaded_at")
        files_html = render_to_string(
            "assessments/includes/evidence_list.html",
            {"a": a, "files": files, "editable": True},
            request=request,
        )
        payload = {"ok": not errors, "uploaded": uploaded, "errors": errors, "files_html": files_html}
        if uploaded:
            payload["check"] = submit_check_json(request, a)
        return json_answer(payload, status=200 if not errors else 400)
    if uploaded:
        messages.success(request, f"已上传 {len(uploaded)} 个文件。")
    for e in errors:
        messages.error(request, e)
    return redirect(self_url(a, anchor))


@require_GET
@never_cache
def evidence_download(request, evidence_pk):
    ev = evidence_get_for_user(request.user, evidence_pk)
    if not ev.file.storage.exists(ev.file.name):
        raise Http404
    audit_log(
        action="evidence.download",
        request=request,
        obj=ev,
        township_id=ev.assessment.township_id,
        village_id=ev.assessment.village_id,
        message=f"下载 {ev.original_name}",
    )
    try:
        return download_response(ev.file.name, filename=ev.original_name, content_type=ev.content_type)
    except (FileNotFoundError, OSError):
        raise Http404 from None


@require_POST
def evidence_delete(request, evidence_pk):
    ev = evidence_get_for_user(request.user, evidence_pk)
    a = assessment_get_for_user(request.user, ev.assessment_id)
    require_side(request, a)
    anchor = "stamped"
    if ev.indicator_id:
        anchor = f"ind-{a.scores.filter(indicator_id=ev.indicator_id).values_list('pk', flat=True).first()}"
    elif ev.bonus_claim_id:
        anchor = f"bonus-{ev.bonus_claim.bonus_item_id}"
    try:
        svc.evidence_delete(assessment=a, evidence=ev, actor=request.user, request=request)
    except WorkflowError as err:
        return refused(request, a, err.problems, anchor)
    return saved(request, a, f"已删除“{ev.original_name}”。", anchor)
