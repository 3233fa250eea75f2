"""The grading board, the city's 示范村 board and a village's history across years."""

from itertools import groupby

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.roles import Cap
from access.scope import scope_for
from accounts.pages import cached_page
from common.dataversion import versioned
from common.dates import cn_date
from common.errors import ApplicationError, ConflictError
from common.fragments import cached_fragment
from common.pagination import CountedPaginator
from villages.selectors import township_is_wide_for_user, village_get_for_user

from ...estimates import self_estimates
from ...models import Assessment, AssessmentEvent, VetoEvent
from ...selectors import assessment_list_for_user, campaign_get_for_user, campaign_list_for_user
from ...services import grading
from ...services.common import WorkflowError
from ...workflow import Side
from .common import S, assessment_as, deny, grades_for, label_grades

BOARD_PAGE = 100

SORTS = {
    "subject": ("village__sort_order", "village__name", "township__name"),
    "self_total": ("self_total",),
    "review_base": ("review_base",),
    "final_score": ("final_score",),
    "status": ("status",),
}


def _board_campaign(request, pk):
    campaign = campaign_get_for_user(request.user, pk)
    sides = scope_for(request.user).sides(f"campaign.{campaign.level}", campaign)
    if not sides & {Side.REVIEWER, Side.LEADER}:
        deny(request, campaign, "缺少定级权限")
    return campaign, Side.REVIEWER in sides


def _board_context(request, campaign, can_edit):
    """What the board shows: its rows, grade options and forms for every village (a 75-village township's
    2,300 template nodes cost more than the rest of the request)."""
    key = request.GET.get("sort", "subject")
    fields = SORTS.get(key.lstrip("-")) or SORTS["subject"]
    if key.startswith("-") and key.lstrip("-") in SORTS:
        fields = ("-" + fields[0], *fields[1:])
    rows = list(
        campaign.assessments.select_related("village", "village__branch", "township", "campaign").order_by(
            *fields, "pk"
        )
    )
    summary = grading.grading_summary(campaign)
    label_grades(rows, {campaign.standard_id: summary.grades})
    self_estimates(rows, {campaign.standard_id: summary.grades})
    top = summary.grades[0] if summary.grades else None
    city_pick = bool(top and top.final_decision_by == grading.CITY and campaign.level == "village")
    confirm_reason = ""
    if campaign.is_confirmed:
        confirm_reason = (
            AssessmentEvent.objects.filter(assessment__campaign=campaign, action="confirm_grade")
            .exclude(reason="")
            .values_list("reason", flat=True)
            .first()
        ) or ""
    return {
        "confirm_reason": confirm_reason,
        "campaign": campaign,
        "rows": rows,
        "summary": summary,
        "can_edit": can_edit and not campaign.is_confirmed,
        "top": top,
        "city_pick": city_pick,
        "unit": "村" if campaign.level == "village" else "镇街",
    }


@require_GET
def grading_board(request, pk):
    campaign, can_edit = _board_campaign(request, pk)
    # Cached under the data version of the campaign's township (its region for a township-level
    # round), which every write to scores, states and grades renews: a reviewer's second look, and the
    # leaders', cost no rendering. The parts hold all else the HTML depends on.
    townships = [campaign.township_id] if campaign.township_id else ()
    regions = [] if campaign.township_id else [campaign.region_id]

    def context():
        body = cached_fragment(
            request,
            "assessments/_grading_board_body.html",
            context=lambda: _board_context(request, campaign, can_edit),
            townships=townships,
            regions=regions,
            parts=(campaign.pk, can_edit),
        )
        return {"campaign": campaign, "body": body}

    # the whole page per user on top (accounts.pages): the board inside it is shared by the township's
    # reviewers (and, without forms, its leaders)
    return cached_page(
        request,
        "assessments/grading_board.html",
        context=context,
        townships=townships,
        regions=regions,
        parts=(campaign.pk, can_edit),
        params=("sort",),
    )


def _version(request):
    """The assessment version the posted form was rendered with (None when missing or malformed)."""
    value = request.POST.get("version", "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


@require_POST
def grade_override(request, pk):
    a, _ = assessment_as(request, pk, Side.REVIEWER)
    try:
        grading.grade_override(
            assessment=a,
            actor=request.user,
            grade_code=request.POST.get("grade", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
            request=request,
        )
    except ConflictError as exc:
        mine = request.POST.get("reason", "").strip()
        messages.error(request, f"{exc}您提交的理由：{mine[:300]}" if mine else str(exc))
    except WorkflowError as exc:
        messages.error(request, "；".join(exc.problems))
    else:
        messages.success(request, f"{a.subject_name}的等次已更新。")
    return redirect(reverse("assessments:grading_board", args=[a.campaign_id]) + f"#row-{a.pk}")


@require_http_methods(["GET", "POST"])
def confirm_grades(request, pk):
    """The confirmation step: the distribution against the year's target, the differences and, when
    the target is broken, the reason (说明理由) that goes into the event log. GET shows it; POST
    confirms (the service checks again and refuses a second confirmation)."""
    campaign, can_edit = _board_campaign(request, pk)
    if not can_edit:
        deny(request, campaign, "只读用户不能确认定级")
    board = reverse("assessments:grading_board", args=[campaign.pk])
    if campaign.is_confirmed:
        messages.info(
            request,
            f"本年度等次已于{cn_date(timezone.localtime(campaign.grades_confirmed_at))}确认，无需重复确认。",
        )
        return redirect(board)
    reason, error = "", ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            grading.campaign_confirm_grades(
                campaign=campaign,
                actor=request.user,
                reason=reason,
                seen_distribution=request.POST.get("distribution", ""),
                request=request,
            )
        except ConflictError as exc:
            messages.warning(request, str(exc))
            return redirect("assessments:confirm_grades", pk=campaign.pk)
        except WorkflowError as exc:
            messages.error(request, "；".join(exc.problems))
            return redirect(board)
        except ApplicationError as exc:
            error = str(exc)
        else:
            messages.success(request, "本年度等次已确认，结果已通知各参评对象。")
            return redirect(board)
    summary = grading.grading_summary(campaign)
    top = summary.grades[0] if summary.grades else None
    city_pick = bool(top and top.final_decision_by == grading.CITY and campaign.level == "village")
    return render(
        request,
        "assessments/grading_confirm.html",
        {
            "campaign": campaign,
            "summary": summary,
            "top": top,
            "candidates": summary.rows[0].count if city_pick else 0,
            "unit": "村" if campaign.level == "village" else "镇街",
            "reason": reason,
            "error": error,
        },
        status=400 if error else 200,
    )


# --- The city's board ---------------------------------------------------------------------------


@require_GET
def city_board(request):
    """The city's 示范村 candidates, one year at a time (by default the latest year with candidates still
    to decide), filtered by 待评选/已认定 and a name, paginated: the page grows with what it shows, not
    with the city's history (issue 16)."""
    scope = scope_for(request.user)
    regions = scope.held(Cap.CITY_SELECT, "region")
    if not regions:
        deny(request, None, "非市级用户")
    # The board cached under the regions' data version (the townships' submissions and the city's
    # decisions renew it) and the user (whose reach the rows are): 100 rows with a form each.
    parts = (request.user.pk, *sorted(regions))

    def context():
        content = cached_fragment(
            request,
            "assessments/_city_board_body.html",
            context=lambda: _city_board_context(request, regions),
            regions=regions,
            parts=parts,
        )
        return {"body": content}

    return cached_page(
        request,
        "assessments/city_board.html",
        context=context,
        regions=regions,
        parts=parts,
        params=("year", "status", "page"),
    )


def _city_board_context(request, regions):
    base = assessment_list_for_user(request.user).filter(
        campaign__level="village", city_candidate=True, campaign__region_id__in=regions
    )
    # every year's candidates counted: once per data version of the regions (the city's decisions and
    # the townships' submissions renew it), not on every page (70 ms at 50,000 villages, issue 16)
    years = versioned(
        regions=regions,
        parts=("city-board-years", request.user.pk, *sorted(regions)),
        build=lambda: list(
            base.values("campaign__year")
            .annotate(n=Count("pk"), pending=Count("pk", filter=Q(city_decision="")))
            .order_by("-campaign__year")
        ),
    )
    known = {y["campaign__year"] for y in years}
    default = next(
        (y["campaign__year"] for y in years if y["pending"]), years[0]["campaign__year"] if years else None
    )
    raw_year = request.GET.get("year")
    year = (
        None
        if raw_year == "all"
        else (int(raw_year) if (raw_year or "").isdigit() and int(raw_year) in known else default)
    )
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:50]
    shown = base if year is None else base.filter(campaign__year=year)
    if status == "pending":
        shown = shown.filter(city_decision="")
    elif status == "decided":
        shown = shown.exclude(city_decision="")
    if q:
        shown = shown.filter(Q(village__name__icontains=q) | Q(township__name__icontains=q))
    # The page's ids first, from a narrow sort, then their full rows: sorting a province's year of
    # candidates with every joined column took 47 ms; the count is kept per data version.
    ordered = shown.order_by("township__name", "-campaign__year", "-final_score", "pk")
    total = versioned(
        regions=regions,
        parts=("city-board-count", request.user.pk, *sorted(regions), year, status, q),
        build=shown.count,
    )
    page_obj = CountedPaginator(ordered.values_list("pk", flat=True), BOARD_PAGE, count=total).get_page(
        request.GET.get("page")
    )
    ids = list(page_obj.object_list)
    rows = {a.pk: a for a in shown.filter(pk__in=ids)}
    candidates = [rows[pk] for pk in ids if pk in rows]
    grades = grades_for(a.campaign.standard_id for a in candidates)
    label_grades(candidates, grades)
    for a in candidates:
        a.other_grades = grades.get(a.campaign.standard_id, [])[1:]
    groups = [
        (key, list(items))
        for key, items in groupby(candidates, key=lambda a: (a.township.name, a.campaign.year))
    ]
    done = Q(assessments__status__in=[S.REVIEWED, S.CONFIRMED])
    township_campaigns = (
        campaign_list_for_user(request.user)
        .filter(level="township", region_id__in=regions)
        .annotate(reviewed_count=Count("assessments", filter=done, distinct=True))
    )
    return {
        "groups": groups,
        "township_campaigns": township_campaigns,
        "decisions": Assessment.CityDecision,
        "years": years,
        "year": year,
        "status": status,
        "q": q,
        "page_obj": page_obj,
    }


@require_POST
def city_decide(request, pk):
    a, _ = assessment_as(request, pk, Side.CITY)
    try:
        grading.city_decide(
            assessment=a,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            grade_code=request.POST.get("grade", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
            request=request,
        )
    except ConflictError as exc:
        mine = request.POST.get("reason", "").strip()
        messages.error(request, f"{exc}您提交的意见：{mine[:500]}" if mine else str(exc))
    except WorkflowError as exc:
        messages.error(request, "；".join(exc.problems))
    else:
        messages.success(request, f"{a.subject_name}的市级认定结果已保存。")
    return redirect(reverse("assessments:city_board") + f"#cand-{a.pk}")


# --- A village's history -------------------------------------------------------------------------


@require_GET
def village_history(request, village_pk):
    village = village_get_for_user(request.user, village_pk)
    wide = township_is_wide_for_user(request.user, village.township)
    rows = (
        Assessment.objects.filter(village=village, campaign__level="village")
        .select_related("campaign")
        .prefetch_related(Prefetch("veto_events", queryset=VetoEvent.objects.select_related("veto_item")))
        .order_by("-campaign__year")
    )
    if not wide:
        rows = rows.filter(campaign__grades_confirmed_at__isnull=False)
    rows = list(rows)
    grades = grades_for(a.campaign.standard_id for a in rows)
    label_grades(rows, grades)
    self_estimates(rows, grades)
    return render(
        request, "assessments/history_village.html", {"village": village, "rows": rows, "wide": wide}
    )
