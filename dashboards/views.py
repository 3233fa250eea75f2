"""数据看板: the township dashboard, the city dashboard and the village list behind each figure.

Reach: a township's dashboard for a township role held there or the city office of its region (and
the administrator); a city's dashboard for its city office. Anything else is the same 404 as a
missing page.
"""

from dataclasses import replace
from io import BytesIO
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from access.checks import require_cap
from access.roles import Cap, Side
from access.scope import scope_for
from accounts.pages import cached_page
from assessments.models import Campaign
from common.downloads import attachment_response
from indices.models import Grade
from villages.models import PartyBranch, Region, Township

from . import charts, export
from .cache import cached_figures, cached_value, ledger_reach_region, ledger_reach_township
from .figures import (
    PROGRESS_LABELS,
    YOY_LABELS,
    BadFigure,
    city_dashboard,
    figure_list,
    township_dashboard,
    village_campaign,
)
from .selectors import access_dashboard_region_by_id, access_dashboard_township_by_id
from .templatetags.dashboards import chart_data

PAGE_SIZE = 50
SORTS = {
    "name": ("village__sort_order", "village__name"),
    "-name": ("-village__sort_order", "-village__name"),
    "branch": ("village__branch__sort_order", "village__branch__name", "village__sort_order"),
    "-branch": ("-village__branch__sort_order", "-village__branch__name", "village__sort_order"),
    "score": ("final_score", "village__sort_order"),
    "-score": ("-final_score", "village__sort_order"),
    "dim": ("dim_score", "village__name"),
    "-dim": ("-dim_score", "village__name"),
}
DEFAULT_SORT = {"dimension": "dim", "ranking": "-score"}


def _year(year):
    if not 2000 <= year <= 2100:
        raise Http404
    return year


def _query(base, **params):
    params = {k: v for k, v in params.items() if v is not None}
    return f"{base}?{urlencode(params)}" if params else base


def _round_kind(request):
    """The round asked for (?round=midterm), None for the default (the annual round)."""
    kind = request.GET.get("round", "")
    return kind if kind in Campaign.Kind.values else None


def _township_for(request, pk):
    """The township if the user may see its dashboard, else 404."""
    return access_dashboard_township_by_id(request.user, pk)


def _region_for(request, pk):
    return access_dashboard_region_by_id(request.user, pk)


def _branch_for(request, township):
    value = request.GET.get("branch", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    try:
        return PartyBranch.objects.get(pk=int(value), township=township)
    except PartyBranch.DoesNotExist:
        raise Http404 from None


def _latest_year(campaigns):
    years = list(campaigns.order_by("-year").values_list("year", flat=True)[:1])
    return years[0] if years else timezone.localdate().year


@require_cap(Cap.DASHBOARD_VIEW)
@require_GET
def index(request):
    """Straight to the user's dashboard when there is one; a chooser when there are several."""
    scope = scope_for(request.user)
    cap = Cap.DASHBOARD_VIEW
    regions = list(Region.objects.filter(scope.node_q(cap, "region")).order_by("name"))
    townships = list(
        Township.objects.filter(scope.node_q(cap, "township"))
        .select_related("region")
        .order_by("region__name", "name")
    )
    if len(regions) + len(townships) == 1:
        if regions:
            return redirect("dashboards:city_go", pk=regions[0].pk)
        return redirect("dashboards:township_go", pk=townships[0].pk)
    return render(request, "dashboards/index.html", {"regions": regions, "townships": townships})


@require_cap(Cap.DASHBOARD_VIEW)
@require_GET
def township_go(request, pk):
    """The year/branch form lands here; without a year, the latest campaign's year."""
    township = _township_for(request, pk)
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else _latest_year(Campaign.objects.filter(township=township))
    url = reverse("dashboards:township", args=[township.pk, _year(year)])
    branch = request.GET.get("branch", "")
    return redirect(f"{url}?branch={branch}" if branch.isdigit() else url)


@require_cap(Cap.DASHBOARD_VIEW)
@require_GET
def township(request, pk, year):
    township = _township_for(request, pk)
    year = _year(year)
    branch = _branch_for(request, township)
    kind = _round_kind(request)
    today = timezone.localdate()
    scope = scope_for(request.user)
    # the one link of the figures that depends on the user (the grading board or the campaign page)
    grading_side = bool(scope.sides("township", township) & {Side.REVIEWER, Side.LEADER})

    def build():
        d = township_dashboard(
            user=request.user, township=township, year=year, branch=branch, kind=kind, today=today
        )
        data = charts.township_charts(d)
        html = render_to_string(
            "dashboards/_township_figures.html", _township_figures_context(d, data, grading_side)
        )
        # the year chooser's years change only with a new campaign, which renews the data version
        years = set(Campaign.objects.filter(township=township).values_list("year", flat=True))
        page = {
            "html": html,
            "years": years,
            "campaign": d.campaign,
            "branches": [(b.pk, b.name) for b in d.branches],
        }
        return page, (d, data)

    parts = (
        year,
        branch.pk if branch else "",
        kind or "",
        today,
        ledger_reach_township(scope, township),
        grading_side,
    )

    def context():
        page, data = cached_figures("t", township.pk, parts, build)
        return {
            # the figures themselves, loaded from the cache only if something reads them (not the page)
            "d": SimpleLazyObject(lambda: data()[0]),
            "charts": SimpleLazyObject(lambda: data()[1]),
            "campaign": page["campaign"],
            "branches": page["branches"],
            "township": township,
            "year": year,
            "years": sorted(page["years"] | {year}, reverse=True),
            "branch": branch,
            "figures_html": page["html"],
            "city_url": reverse("dashboards:city", args=[township.region_id, year])
            if Side.CITY in scope.sides("region", township.region)
            else "",
            # the township's 年度总结 (reports) for those who may read it
            "summary_url": reverse("reports:year_summary", args=[township.pk, year])
            if scope.reaches_township(Cap.SUMMARY_VIEW, township)
            else "",
        }

    # the whole page once per data version and user (accounts.pages); the figures inside it once per
    # data version for every user who sees the same (cached_figures)
    return cached_page(
        request,
        "dashboards/township.html",
        context=context,
        townships=[township.pk],
        parts=parts,
        params=("branch", "round"),
    )


def _township_figures_context(d, chart_dicts, grading_side):
    """What the cached figures fragment renders from: the figures and the user-independent links."""
    township, year, branch = d.township, d.year, d.branch
    shown_kind = d.campaign.kind if d.campaign is not None and not d.campaign.is_annual else ""
    return {
        "d": d,
        "township": township,
        "year": year,
        "branch": branch,
        "chart_html": chart_data(chart_dicts),
        "progress_labels": PROGRESS_LABELS,
        "list_url": reverse("dashboards:township_list", args=[township.pk, year]),
        # Joined before the lists' other parameters so that they drill into the round shown.
        "round_q": f"round={shown_kind}&" if shown_kind else "",
        "round_links": [
            (
                r,
                _query(
                    reverse("dashboards:township", args=[township.pk, year]),
                    round=r.kind,
                    branch=branch.pk if branch else None,
                ),
            )
            for r in d.rounds
        ],
        "links": _township_links(grading_side, township, year, branch, d),
        "ranking": _ranking_rows(d),
        "yoy_labels": list(YOY_LABELS.items()),
        "compliance_height": max(220, 60 + 28 * d.compliance_units),
    }


def _ranking_rows(d):
    """The ranking's top rows with the grade that stands, shown only once the village is reviewed."""
    return [(r, r.grade) for r in d.ranking]


def _grading_link(grading_side, campaign):
    """The grading board for those who may open it (the township's reviewers and leaders), else the
    campaign page (the city office reaches the board through its own 示范村评选 page)."""
    if campaign is None:
        return ""
    if grading_side:
        return reverse("assessments:grading_board", args=[campaign.pk])
    return reverse("assessments:campaign_detail", args=[campaign.pk])


def _township_links(grading_side, township, year, branch, d):
    lst = reverse("dashboards:township_list", args=[township.pk, year])
    b = f"&branch={branch.pk}" if branch else ""
    return {
        "progress": f"{lst}?figure=progress{b}",
        "grading": _grading_link(grading_side, d.campaign),
        "compliance": f"{reverse('ledgers:compliance')}?township={township.pk}&year={year}",
        "rectifications": f"{reverse('ledgers:rectification_list')}?township={township.pk}",
        "tasks": f"{reverse('ledgers:task_list')}?township={township.pk}&year={year}",
    }


def _figure_rows(request, township, year):
    campaign = village_campaign(township, year, _round_kind(request))
    if campaign is None:
        raise Http404
    branch = _branch_for(request, township)
    try:
        fl = figure_list(campaign, request.GET, branch)
    except BadFigure:
        raise Http404 from None
    figure = request.GET.get("figure")
    sort = request.GET.get("sort") or DEFAULT_SORT.get(figure, "name")
    if sort in ("dim", "-dim") and not fl.dimension:
        sort = "name"
    qs = fl.queryset.order_by(*SORTS.get(sort, SORTS["name"]))
    grade_names = dict(Grade.objects.filter(standard_id=campaign.standard_id).values_list("code", "name"))
    return campaign, branch, fl, qs, grade_names


@require_cap(Cap.DASHBOARD_VIEW)
@require_GET
def township_list(request, pk, year):
    township = _township_for(request, pk)
    year = _year(year)
    campaign, branch, fl, qs, grade_names = _figure_rows(request, township, year)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [export.row_of(a, grade_names) for a in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "township": township,
        "year": year,
        "campaign": campaign,
        "branch": branch,
        "title": fl.title,
        "dimension": fl.dimension,
        "page_obj": page,
        "rows": rows,
        "export_url": reverse("dashboards:township_list_export", args=[township.pk, year])
        + "?"
        + query.urlencode(),
        "dashboard_url": _query(
            reverse("dashboards:township", args=[township.pk, year]),
            round=None if campaign.is_annual else campaign.kind,
            branch=branch.pk if branch else None,
        ),
    }
    return render(request, "dashboards/list.html", context)


@require_cap(Cap.DASHBOARD_VIEW)
@require_GET
def township_list_export(request, pk, year):
    township = _township_for(request, pk)
    year = _year(year)
    _campaign, _branch, fl, qs, grade_names = _figure_rows(request, township, year)
    rows = [export.row_of(a, grade_names) for a in qs]
    wb = export.workbook(f"{township.name}{year}年 {fl.title}", rows, dimension=fl.dimension)
    out = BytesIO()
    wb.save(out)
    name = f"{township.name}{year}年{fl.title.replace('：', '-')}.xlsx"
    return attachment_response(out.getvalue(), name, fallback=f"dashboard-{year}.xlsx")


@require_cap(Cap.DASHBOARD_VIEW)
@require_GET
def city_go(request, pk):
    region = _region_for(request, pk)
    year = request.GET.get("year", "")
    campaigns = Campaign.objects.filter(level=Campaign.Level.VILLAGE, township__region=region)
    year = int(year) if year.isdigit() else _latest_year(campaigns)
    return redirect("dashboards:city", pk=region.pk, year=_year(year))


TOWNS_PER_PAGE = 30  # a city's townships fit on one page; a province's are paged, charts with them


def _town_filter(request):
    """(page number, name filter) of the township table; a bad page number is the first page."""
    query = request.GET.get("tq", "").strip()[:20]
    try:
        number = max(1, int(request.GET.get("tpage", 1)))
    except ValueError:
        number = 1
    return number, query


@require_cap(Cap.DASHBOARD_VIEW)
@require_GET
def city(request, pk, year):
    region = _region_for(request, pk)
    year = _year(year)
    today = timezone.localdate()
    number, query = _town_filter(request)
    parts = (year, today, ledger_reach_region(scope_for(request.user), region))

    def whole():
        """Every township's row, computed once per data version for all the pages."""
        campaigns = Campaign.objects.filter(level=Campaign.Level.VILLAGE, township__region=region)
        c = city_dashboard(user=request.user, region=region, year=year, today=today)
        return c, set(campaigns.values_list("year", flat=True))

    def build():
        c, years = cached_value("r", region.pk, (*parts, "whole"), whole)
        towns = [r for r in c.towns if query in r.township.name] if query else c.towns
        page = Paginator(towns, TOWNS_PER_PAGE).get_page(number)
        shown = replace(c, towns=list(page.object_list))
        data = charts.city_charts(shown)
        html = render_to_string(
            "dashboards/_city_figures.html",
            {
                "c": shown,
                "all_towns": len(c.towns),
                "page_obj": page,
                "tq": query,
                "region": region,
                "year": year,
                "chart_html": chart_data(data),
            },
        )
        return {"html": html, "years": years}, (shown, data)

    def context():
        page, data = cached_figures("r", region.pk, (*parts, number, query), build)
        return {
            "c": SimpleLazyObject(lambda: data()[0]),
            "charts": SimpleLazyObject(lambda: data()[1]),
            "region": region,
            "year": year,
            "years": sorted(page["years"] | {year}, reverse=True),
            "figures_html": page["html"],
        }

    return cached_page(
        request,
        "dashboards/city.html",
        context=context,
        regions=[region.pk],
        parts=(*parts, number, query),
        params=("tpage",),
    )
