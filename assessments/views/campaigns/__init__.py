"""Campaign pages: the list, creating and editing a campaign, its progress, reopening one village.

Every campaign and assessment comes through the scoped selectors (out of scope is a 404); writes go
through the services.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.checks import require_cap
from access.roles import Cap, Side
from access.scope import scope_for
from accounts.pages import region_page
from common.errors import ConflictError
from common.rounds import RoundKind
from indices.models import IndexStandard
from indices.selectors import standard_list_for_user
from villages.models import AnnualTarget
from villages.selectors import branch_list_for_user, township_is_wide_for_user

from ...forms_campaign import CampaignCreateForm, CampaignEditForm, ReopenForm, TargetForm
from ...models import Assessment, Campaign
from ...queue import TODO, TODO_LABEL, QueueFilter, progress_of, with_review_progress
from ...selectors import (
    assessment_get_for_user,
    assessment_list_for_user,
    assessment_status_counts_for_user,
    campaign_get_for_user,
    campaign_rows_for_user,
    campaign_target,
)
from ...services import WorkflowError
from ...services import campaigns as services
from .access import (
    campaign_entity,
    can_create_campaigns,
    can_manage_campaign,
    creatable_regions,
    creatable_townships,
    deny,
    managed_campaign,
    scores_visible,
)
from .batches import batch_results
from .branch import branch_board, branch_forward

__all__ = [
    "assessment_reopen",
    "batch_results",
    "branch_board",
    "branch_forward",
    "campaign_create",
    "campaign_detail",
    "campaign_edit",
    "campaign_list",
]

S = Assessment.Status
PAGE_SIZE = 50
REOPENABLE = frozenset({S.DRAFT, S.RETURNED, S.SUBMITTED})


# --- List -----------------------------------------------------------------------------------------


@require_cap(Cap.CAMPAIGN_VIEW)
@require_GET
def campaign_list(request):
    """Campaigns in scope, a page at a time, with the page's assessments counted per status in one grouped
    query: the page costs the same with one year of one township or a province's history. A city
    office's page (the same for everyone who holds those regions whole) is cached per data version of
    its regions (accounts.pages), which every campaign and assessment write renews."""
    user = request.user

    def context():
        campaigns = campaign_rows_for_user(user).order_by("-year", "level", "township__name", "-pk")
        page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
        counts = assessment_status_counts_for_user(user, page.object_list)
        for c in page.object_list:
            mine = counts[c.pk]
            for s in S:
                setattr(c, f"n_{s.value}", mine.get(s.value, 0))
            c.subject_count = sum(mine.values())
            c.status_counts = [(s.value, s.label, mine.get(s.value, 0)) for s in S]
        return {"page_obj": page, "can_create": can_create_campaigns(user)}

    return region_page(
        request, "assessments/campaign_list.html", cap=Cap.CAMPAIGN_VIEW, context=context, params=("page",)
    )


# --- Create ---------------------------------------------------------------------------------------


def _standards_for(user, level, township=None, region=None):
    """Standards of the right level the user may see and that apply to this township or region."""
    qs = standard_list_for_user(user).filter(level=level).exclude(status=IndexStandard.Status.RETIRED)
    region = region or township.region
    applies = Q(township__isnull=True, region__isnull=True) | Q(township__isnull=True, region=region)
    if township is not None:
        applies |= Q(township=township)
    return qs.filter(applies).order_by("-year", "code", "-version", "-pk")


def _pick(queryset, raw):
    """The object with the id given in the query (None if not in `queryset`), else the first one."""
    raw = (raw or "").strip()
    if raw:
        return queryset.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    return queryset.first()


def _standard_grades(form, standards):
    """The grade scheme for the target section: the standard posted, else the one preselected."""
    raw = form.data.get("standard") if form.is_bound else None
    standard = _pick(standards, raw) or standards.first()
    return list(standard.grades.all()) if standard is not None else []


@require_cap(Cap.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    user = request.user
    townships, regions = creatable_townships(user), creatable_regions(user)
    level = request.GET.get("level")
    if level not in Campaign.Level.values:
        level = Campaign.Level.VILLAGE if townships.exists() else Campaign.Level.TOWNSHIP
    township = region = None
    if level == Campaign.Level.VILLAGE:
        township = _pick(townships, request.GET.get("township"))
        if township is None:
            raise Http404
        standards = _standards_for(user, IndexStandard.Level.VILLAGE, township=township)
        villages = township.villages.filter(is_active=True).order_by("sort_order", "name")
    else:
        region = _pick(regions, request.GET.get("region"))
        if region is None:
            raise Http404
        standards = _standards_for(user, IndexStandard.Level.TOWNSHIP, region=region)
        villages = None
    data = request.POST if request.method == "POST" else None
    form = CampaignCreateForm(data, standards=standards, villages=villages)
    target_form = existing_target = None
    if township is not None:
        year = form.data.get("year") if form.is_bound else form.fields["year"].initial
        year = int(year) if str(year).isdigit() and len(str(year)) == 4 else None
        kind = (form.data.get("kind") if form.is_bound else None) or RoundKind.ANNUAL
        existing_target = (
            AnnualTarget.objects.filter(township=township, year=year, kind=kind).first()
            if year and kind in RoundKind.values
            else None
        )
        target_form = TargetForm(data, grades=_standard_grades(form, standards))
    if request.method == "POST" and form.is_valid() and (target_form is None or target_form.is_valid()):
        if target_form is not None and target_form.wanted and existing_target is not None:
            what = "" if existing_target.kind == RoundKind.ANNUAL else existing_target.get_kind_display()
            target_form.add_error(
                None, f"{township.name}{existing_target.year}年度{what}目标已设置，可在测评设置中修改。"
            )
        else:
            campaign = _create(request, form, target_form, township, region)
            if campaign is not None:
                messages.success(
                    request, f"已创建{campaign.name}，共 {campaign.assessments.count()} 个测评对象。"
                )
                return redirect("assessments:campaign_detail", pk=campaign.pk)
    context = {
        "form": form,
        "target_form": target_form,
        "existing_target": existing_target,
        "level": level,
        "township": township,
        "region": region,
        "townships": townships,
        "regions": regions,
        "can_village": townships.exists(),
        "can_township": regions.exists(),
    }
    return render(request, "assessments/campaign_create.html", context)


def _create(request, form, target_form, township, region):
    data = form.cleaned_data
    common = {
        "actor": request.user,
        "year": data["year"],
        "standard": data["standard"],
        "name": data["name"],
        "self_deadline": data["self_deadline"],
        "submission_deadline": data["submission_deadline"],
        "city_deadline": data["city_deadline"],
        "request": request,
    }
    try:
        with transaction.atomic():
            if township is None:
                return services.campaign_create_township_level(region=region, **common)
            campaign = services.campaign_create(
                township=township, villages=data["villages"], kind=data["kind"], **common
            )
            if target_form.wanted:
                services.annual_target_save(
                    township=township,
                    year=data["year"],
                    kind=campaign.kind,
                    actor=request.user,
                    request=request,
                    **target_form.service_kwargs(),
                )
            return campaign
    except ValidationError as e:
        for message in e.messages:
            form.add_error(None, message)
    except IntegrityError:
        what = services.round_word(data["kind"]) if township is not None else "镇街测评"
        form.add_error(None, f"{(township or region).name}{data['year']}年度{what}已存在。")
    return None


# --- Detail ---------------------------------------------------------------------------------------


@require_cap(Cap.CAMPAIGN_VIEW)
@require_GET
def campaign_detail(request, pk):
    user = request.user
    campaign = campaign_get_for_user(user, pk)
    scope = scope_for(user)
    village_level = campaign.level == Campaign.Level.VILLAGE
    wide = village_level and township_is_wide_for_user(user, campaign.township)
    show_scores = scores_visible(user, campaign, wide=wide if village_level else None)
    can_manage = can_manage_campaign(user, campaign)
    assessments = assessment_list_for_user(user).filter(campaign=campaign)
    totals = assessments.aggregate(
        total=Count("pk"), **{s.value: Count("pk", filter=Q(status=s.value)) for s in S}
    )
    flt = QueueFilter.from_query(request.GET)
    rows = assessments.filter(flt.condition())
    # The reviewer's queue: the village's name opens its review, with the list's filter carried along
    # so that 上一个村 / 下一个村 walk this list; review progress for whoever sees review scores.
    can_review = Side.REVIEWER in scope.sides(campaign_entity(campaign), campaign)
    if show_scores:
        rows = with_review_progress(rows)
    rows = flt.ordered(rows, scores_visible=show_scores)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    reopen_open = (
        can_manage
        and not campaign.is_confirmed
        and campaign.self_deadline is not None
        and today > campaign.self_deadline
    )
    grade_names = {g.code: g.name for g in campaign.standard.grades.all()} if show_scores else {}
    for a in page.object_list:
        a.can_reopen = reopen_open and a.status in REOPENABLE
        a.grade_name = grade_names.get(a.effective_grade, a.effective_grade)
        if show_scores:
            a.progress = progress_of(a)
    branches, target = [], None
    if village_level:
        branches = list(
            branch_list_for_user(user).filter(township_id=campaign.township_id).order_by("sort_order", "name")
        )
        # The 报送 boards are the branch secretaries' desks: their buttons go to who is the BRANCH side
        # of that branch, not to everyone who may look at the board.
        for b in branches:
            b.board = Side.BRANCH in scope.sides("branch", b)
        if wide:  # the year's target is the township's own planning (villages.selectors.targets_for_user)
            target = campaign_target(campaign)
    context = {
        "campaign": campaign,
        "page_obj": page,
        "totals": totals,
        "status_totals": [(s.value, s.label, totals[s.value]) for s in S],
        "statuses": [(TODO, TODO_LABEL), *S.choices],
        "q": flt.q,
        "status": flt.status,
        "branch_id": flt.branch_id,
        "queue_query": flt.querystring(),
        "can_review": can_review,
        "branches": branches,
        "board_branches": [b for b in branches if b.board],
        "target": target,
        "show_scores": show_scores,
        "can_manage": can_manage,
        "reopen_open": reopen_open,
        "today": today,
        "editable": can_manage and not campaign.is_confirmed,
        "reports_visible": village_level and scope.reaches_township(Cap.CAMPAIGN_VIEW, campaign.township),
    }
    return render(request, "assessments/campaign_detail.html", context)


# --- Edit -----------------------------------------------------------------------------------------


@require_cap(Cap.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    campaign = managed_campaign(request, pk)
    initial = {
        f: getattr(campaign, f) for f in ("name", "self_deadline", "submission_deadline", "city_deadline")
    }
    initial["seen"] = services.settings_fingerprint(campaign)
    data = request.POST if request.method == "POST" and not campaign.is_confirmed else None
    form = CampaignEditForm(data, initial=initial)
    target_form = target = None
    if campaign.level == Campaign.Level.VILLAGE:
        target = campaign_target(campaign)
        target_form = TargetForm(
            data,
            grades=campaign.standard.grades.all(),
            target=target,
            initial={"seen": services.target_fingerprint(target)},
        )
    if data is not None and form.is_valid() and (target_form is None or target_form.is_valid()):
        settings_ = dict(form.cleaned_data)
        seen = settings_.pop("seen") or None
        seen_target = target_form.cleaned_data.get("seen") or None if target_form is not None else "-"
        try:
            if seen is None or seen_target is None:
                raise WorkflowError("页面已过期，请刷新后重新填写。")
            with transaction.atomic():
                services.campaign_update(
                    campaign=campaign, actor=request.user, request=request, expected=seen, **settings_
                )
                if target_form is not None and target_form.wanted and target_form.has_changed():
                    services.annual_target_save(
                        township=campaign.township,
                        year=campaign.year,
                        kind=campaign.kind,
                        actor=request.user,
                        expected=seen_target,
                        request=request,
                        **target_form.service_kwargs(),
                    )
        except ConflictError as e:
            # The user's input stays in the form; the versions move to what is stored now, so saving
            # again is a deliberate overwrite.
            campaign.refresh_from_db()
            target = campaign_target(campaign) if target_form is not None else None
            data = data.copy()
            data["seen"] = services.settings_fingerprint(campaign)
            form = CampaignEditForm(data, initial=initial)
            form.is_valid()
            form.add_error(None, str(e))
            if target_form is not None:
                data["target-seen"] = services.target_fingerprint(target)
                target_form = TargetForm(data, grades=campaign.standard.grades.all(), target=target)
        except ValidationError as e:
            for message in e.messages:
                form.add_error(None, message)
        except WorkflowError as e:
            for message in e.problems:
                form.add_error(None, message)
        else:
            messages.success(request, "测评设置已保存。")
            return redirect("assessments:campaign_detail", pk=campaign.pk)
    context = {"campaign": campaign, "form": form, "target_form": target_form, "target": target}
    return render(request, "assessments/campaign_edit.html", context)


# --- Reopen one village after the deadline --------------------------------------------------------


@require_cap(Cap.CAMPAIGN_MANAGE)
@require_POST
def assessment_reopen(request, pk):
    assessment = assessment_get_for_user(request.user, pk)
    campaign = assessment.campaign
    if not can_manage_campaign(request.user, campaign):
        deny(request, assessment, f"缺少权限 {Cap.CAMPAIGN_MANAGE}")
    form = ReopenForm(request.POST)
    if not form.is_valid():
        problems = [m for errors in form.errors.values() for m in errors]
        messages.error(request, f"{assessment.subject_name}未延期：{'；'.join(problems)}")
    else:
        try:
            services.assessment_reopen(
                assessment=assessment,
                actor=request.user,
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except WorkflowError as e:
            messages.error(request, f"{assessment.subject_name}未延期：{'；'.join(e.problems)}")
        else:
            until = form.cleaned_data["until"]
            messages.success(
                request, f"{assessment.subject_name}已延期填报至{until.year}年{until.month}月{until.day}日。"
            )
    # Back to the same page of the table; the query is re-encoded, the path is fixed.
    query = QueryDict(request.POST.get("back_query", "")[:500]).urlencode()
    back = reverse("assessments:campaign_detail", args=[campaign.pk])
    return redirect(f"{back}?{query}" if query else back)
