"""报表与材料: per-village forms (built on request), campaign-wide exports and the city package (jobs)."""

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.checks import require_cap
from access.roles import Cap
from access.scope import scope_for
from assessments.models import DemonstrationApplication
from assessments.permissions import actor_sides
from assessments.selectors import assessment_get_for_user
from assessments.views.self_assessment.http import can_see_review
from audit.services import audit_log
from common.downloads import attachment_response
from common.storage import download_response
from villages.selectors import township_is_wide_for_user, village_get_for_user

from .data import mask_review, village_document
from .data.record import village_record
from .data.summary import year_summary
from .data.summary_text import summary_document
from .forms import DemonstrationForm
from .models import ExportJob
from .selectors import (
    LEDGER_KINDS,
    SUMMARY_KINDS,
    can_build,
    can_build_summary,
    can_edit_demonstration,
    export_job_get_for_user,
    reports_campaign_for_user,
    summary_township_for_user,
)
from .services import export_request, job_is_stale
from .services.demonstration import DemonstrationConflict, demonstration_save
from .services.fingerprint import summary_fingerprint
from .services.jobs import export_retry
from .services.package import candidates

K = ExportJob.Kind
CAMPAIGN_EXPORTS = (K.GRADE_ROSTER_PDF, K.GRADE_ROSTER_XLSX, K.RANKING_PDF, K.SCORE_MATRIX_XLSX)
LEDGER_EXPORTS = (K.COMPLIANCE_XLSX, K.RECTIFICATION_XLSX)

# Per-village documents: (label, content type, needs the candidate flag)
DOCUMENTS = {
    "application.pdf": ("申请表", "application/pdf", False),
    "score.pdf": ("评分表", "application/pdf", False),
    "score.xlsx": ("评分表", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    "demonstration.pdf": ("示范村申请表", "application/pdf", True),
}


@require_GET
@never_cache
def assessment_document(request, pk, doc):
    """One village's 申请表 / 评分表 / 示范村申请表, built on request (about a second)."""
    if doc not in DOCUMENTS:
        raise Http404
    a = assessment_get_for_user(request.user, pk)
    label, content_type, candidate_only = DOCUMENTS[doc]
    if a.campaign.level != "village" or (candidate_only and not a.city_candidate):
        raise Http404
    data = village_document(a)
    if not can_see_review(request.user, a, actor_sides(request.user, a)):
        mask_review(data)
    if doc == "score.xlsx":
        from .excel import score_sheet_xlsx

        buffer = io.BytesIO()
        score_sheet_xlsx(data, buffer)
        payload = buffer.getvalue()
    else:
        from . import pdf

        render_pdf = {
            "application.pdf": pdf.application_form_pdf,
            "score.pdf": pdf.score_sheet_pdf,
            "demonstration.pdf": pdf.demonstration_form_pdf,
        }[doc]
        payload = render_pdf(data)
    filename = f"{a.campaign.year}年{a.subject_name}{label}.{doc.rsplit('.', 1)[1]}"
    audit_log(
        action="export.document",
        request=request,
        obj=a,
        township_id=a.township_id,
        village_id=a.village_id,
        message=f"下载{filename}",
    )
    return attachment_response(
        payload, filename, fallback=f"document.{doc.rsplit('.', 1)[1]}", content_type=content_type
    )


def _latest_jobs(campaign, kinds):
    jobs = {}
    for job in ExportJob.objects.filter(
        township=campaign.township, year=campaign.year, kind__in=kinds
    ).select_related("created_by"):
        if job.kind not in jobs or (job.created_at, job.pk) > (jobs[job.kind].created_at, jobs[job.kind].pk):
            jobs[job.kind] = job
    return jobs


@require_GET
@never_cache
def reports_center(request, campaign_pk):
    campaign = reports_campaign_for_user(request.user, campaign_pk)
    kinds = (K.CITY_PACKAGE, *CAMPAIGN_EXPORTS, *LEDGER_EXPORTS)
    latest = _latest_jobs(campaign, kinds)
    rows = []
    for kind in kinds:
        job = latest.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": K(kind).label,
                "job": job,
                "stale": job is not None and job_is_stale(job),
                "can_build": can_build(request.user, campaign, kind),
            }
        )
    package = rows[0]
    chosen = candidates(campaign)
    history = Paginator(
        ExportJob.objects.filter(township=campaign.township, year=campaign.year).select_related("created_by"),
        15,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/center.html",
        {
            "campaign": campaign,
            "package": package,
            "exports": rows[1:],
            "candidates": chosen,
            "can_edit_demonstration": chosen and can_edit_demonstration(request.user, chosen[0]),
            "history": history,
            "summary_url": reverse("reports:year_summary", args=[campaign.township_id, campaign.year])
            if can_build_summary(request.user, campaign.township)
            else "",
        },
    )


@require_cap(Cap.EXPORT_REQUEST)
@require_POST
def export_create(request, campaign_pk, kind):
    campaign = reports_campaign_for_user(request.user, campaign_pk)
    if kind not in K.values or not can_build(request.user, campaign, kind):
        raise Http404
    job, created = export_request(
        kind=kind,
        township=campaign.township,
        year=campaign.year,
        campaign=None if kind in LEDGER_KINDS else campaign,
        actor=request.user,
        rebuild=request.POST.get("rebuild") == "1",
        request=request,
    )
    if created:
        messages.success(request, f"已开始生成“{job.get_kind_display()}”，完成后可在本页下载。")
    elif job.is_active:
        messages.info(request, f"“{job.get_kind_display()}”正在生成中，已为您显示该任务的进度。")
    else:
        messages.info(request, f"数据未变化，“{job.get_kind_display()}”沿用最近一次生成的文件。")
    return redirect(f"{reverse('reports:center', args=[campaign.pk])}#job-{job.kind}")


def _job_payload(job):
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "progress": job.progress,
        "step": job.step,
        "error": job.error,
        "attempt": job.attempt,
        "done": job.status == ExportJob.Status.DONE,
        "finished": job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED),
        "download_url": reverse("reports:job_download", args=[job.pk]) if job.is_done else "",
    }


@require_GET
@never_cache
def job_status(request, pk):
    job = export_job_get_for_user(request.user, pk)
    return JsonResponse(_job_payload(job))


@require_GET
@never_cache
def job_download(request, pk):
    job = export_job_get_for_user(request.user, pk)
    if not job.is_done or not job.file or not job.file.storage.exists(job.file.name):
        raise Http404
    audit_log(
        action="export.download",
        request=request,
        obj=job,
        township_id=job.township_id,
        message=f"下载{job.filename}",
        detail={"sha256": job.sha256},
    )
    content_type = {
        "zip": "application/zip",
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }.get(
        job.filename.rsplit(".", 1)[-1], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    try:
        return download_response(job.file.name, filename=job.filename, content_type=content_type)
    except (FileNotFoundError, OSError):
        raise Http404 from None


@require_cap(Cap.EXPORT_REQUEST)
@require_POST
def job_retry(request, pk):
    job = export_job_get_for_user(request.user, pk)
    if job.kind in SUMMARY_KINDS:
        if not can_build_summary(request.user, job.township):
            raise Http404
        if export_retry(job=job, actor=request.user, request=request):
            messages.success(request, "已重新排队生成。")
        else:
            messages.info(request, "该任务不需要重新生成。")
        return redirect(f"{reverse('reports:year_summary', args=[job.township_id, job.year])}#job-{job.kind}")
    campaign = job.campaign or _campaign_of(job)
    if campaign is None or not can_build(request.user, campaign, job.kind):
        raise Http404
    if export_retry(job=job, actor=request.user, request=request):
        messages.success(request, "已重新排队生成。")
    else:
        messages.info(request, "该任务不需要重新生成。")
    return redirect(f"{reverse('reports:center', args=[campaign.pk])}#job-{job.kind}")


def _campaign_of(job):
    # Jobs without a campaign (the township's ledger exports) belong to the year's annual round's centre.
    return job.township.campaigns.filter(year=job.year, level="village", kind="annual").first()


@require_http_methods(["GET", "POST"])
@never_cache
def demonstration_edit(request, pk):
    a = assessment_get_for_user(request.user, pk)
    if not a.city_candidate or not can_edit_demonstration(request.user, a):
        raise Http404
    app = DemonstrationApplication.objects.filter(assessment=a).first() or DemonstrationApplication(
        assessment=a
    )
    conflict = None
    if request.method == "POST":
        form = DemonstrationForm(request.POST, instance=DemonstrationApplication(assessment=a))
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in form.Meta.fields}
            try:
                _, changed = demonstration_save(
                    assessment=a,
                    actor=request.user,
                    data=data,
                    version=form.cleaned_data["version"],
                    request=request,
                )
            except DemonstrationConflict as exc:
                conflict = exc.current
                messages.error(request, str(exc))
            else:
                messages.success(request, "已保存示范村申请表。" if changed else "内容未变化。")
                return redirect("reports:center", a.campaign_id)
    else:
        form = DemonstrationForm(instance=app, initial={"version": app.version if app.pk else 1})
    return render(
        request,
        "reports/demonstration_form.html",
        {"a": a, "campaign": a.campaign, "form": form, "conflict": conflict},
    )


@require_GET
def village_record_page(request, village_pk):
    """档案: every year of one village in the reader's scope (out of scope is a 404). Readers who do
    not see the township whole (the village's own) see only the years whose grades were confirmed."""
    village = village_get_for_user(request.user, village_pk)
    wide = township_is_wide_for_user(request.user, village.township)
    record = village_record(
        village, confirmed_only=not wide, review_visible=scope_for(request.user).can(Cap.REVIEW_SCORES_VIEW)
    )
    can_export = wide and scope_for(request.user).can(Cap.EXPORT_REQUEST)
    context = {"record": record, "village": village, "wide": wide, "can_export": can_export}
    if wide:
        job = ExportJob.objects.filter(village=village, kind=K.VILLAGE_RECORD).order_by("-created_at").first()
        context["export"] = {
            "job": job,
            "kind": K.VILLAGE_RECORD,
            "label": "档案",
            "stale": job_is_stale(job) if job else False,
        }
    return render(request, "reports/village_record.html", context)


@require_cap(Cap.EXPORT_REQUEST)
@require_POST
def village_record_export(request, village_pk):
    """Queue the record's ZIP (a background job). Only readers who see the village's township whole
    build it; to others the address answers 404 like a missing page."""
    village = village_get_for_user(request.user, village_pk)
    if not township_is_wide_for_user(request.user, village.township):
        raise Http404
    job, created = export_request(
        kind=K.VILLAGE_RECORD,
        township=village.township,
        year=timezone.localdate().year,
        village=village,
        actor=request.user,
        rebuild=request.POST.get("rebuild") == "1",
        request=request,
    )
    if created:
        messages.success(request, "已开始生成档案（ZIP），完成后可在本页下载。")
    elif job.is_active:
        messages.info(request, "档案正在生成中，已为您显示该任务的进度。")
    else:
        messages.info(request, "数据未变化，沿用最近一次生成的档案。")
    return redirect(reverse("reports:village_record", args=[village.pk]))


# --- 年度总结 -------------------------------------------------------------------------------------------

SUMMARY_FORMATS = {"docx": K.YEAR_SUMMARY_DOCX, "pdf": K.YEAR_SUMMARY_PDF}
SUMMARY_FORMAT_LABELS = {"docx": "Word版", "pdf": "PDF版"}


def _summary_year(year):
    if not 2000 <= year <= 2100:
        raise Http404
    return year


@require_cap(Cap.SUMMARY_VIEW)
@require_GET
@never_cache
def year_summary_page(request, township_pk, year):
    """年度总结 of one township and year: the figures, and the .docx and PDF built from them (jobs)."""
    township = summary_township_for_user(request.user, township_pk)
    year = _summary_year(year)
    summary = year_summary(township, year)
    document = summary_document(summary)
    fingerprint = summary_fingerprint(document)
    latest = {}
    for job in ExportJob.objects.filter(
        township=township, year=year, kind__in=SUMMARY_KINDS, village__isnull=True
    ).order_by("created_at", "pk"):
        latest[job.kind] = job
    exports = [
        {
            "kind": kind,
            "format": fmt,
            "format_label": SUMMARY_FORMAT_LABELS[fmt],
            "label": K(kind).label,
            "job": latest.get(kind),
            "stale": kind in latest and latest[kind].is_done and latest[kind].fingerprint != fingerprint,
        }
        for fmt, kind in SUMMARY_FORMATS.items()
    ]
    years = sorted(
        set(township.campaigns.filter(level="village").values_list("year", flat=True)) | {year}, reverse=True
    )
    return render(
        request,
        "reports/year_summary.html",
        {
            "township": township,
            "year": year,
            "years": years,
            "summary": summary,
            "document": document,
            "exports": exports,
            "can_build": scope_for(request.user).can(Cap.EXPORT_REQUEST),
        },
    )


@require_cap(Cap.EXPORT_REQUEST)  # and SUMMARY_VIEW on the township: summary_township_for_user
@require_POST
def year_summary_export(request, township_pk, year):
    """Queue the 年度总结 as .docx or PDF (a background job); the page shows its progress."""
    township = summary_township_for_user(request.user, township_pk)
    year = _summary_year(year)
    kind = SUMMARY_FORMATS.get(request.POST.get("format", ""))
    if kind is None:
        raise Http404
    job, created = export_request(
        kind=kind,
        township=township,
        year=year,
        actor=request.user,
        rebuild=request.POST.get("rebuild") == "1",
        request=request,
    )
    if created:
        messages.success(request, f"已开始生成“{job.get_kind_display()}”，完成后可在本页下载。")
    elif job.is_active:
        messages.info(request, f"“{job.get_kind_display()}”正在生成中，已为您显示该任务的进度。")
    else:
        messages.info(request, f"数据未变化，“{job.get_kind_display()}”沿用最近一次生成的文件。")
    return redirect(f"{reverse('reports:year_summary', args=[township.pk, year])}#job-{kind}")
