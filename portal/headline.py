"""The dashboard's headline at the top of the home page, for those who hold DASHBOARD_HOME.

Why a headline and not a redirect to the dashboard: a township leader or the city office opens the
system to see where things stand, so the figures come first, with the full dashboard one tap away;
but the home page also carries the work some of them do have (the city office's 示范村评选) and their
notices, which a redirect would hide. The figures are the dashboard's own (dashboards.figures), for
the newest campaign year of each township or city the capability is held at.
"""

from django.urls import reverse
from django.utils import timezone

from access.roles import Cap
from assessments.models import Campaign
from dashboards.figures import city_dashboard, township_dashboard
from ledgers.compliance import State
from villages.models import Region, Township


def _year(campaigns, today):
    years = list(campaigns.order_by("-year").values_list("year", flat=True)[:1])
    return years[0] if years else today.year


def _township_block(user, township, today):
    year = _year(Campaign.objects.filter(level=Campaign.Level.VILLAGE, township=township), today)
    d = township_dashboard(user=user, township=township, year=year, today=today)
    p = d.progress_total
    figures = [
        ("参评村（社区）", d.ranking_total if d.campaign else "—", ""),
        ("已提交自评", p.get("submitted", 0) + p.get("reviewed", 0) + p.get("graded", 0), ""),
        ("已初审 / 已定级", f"{p.get('reviewed', 0)} / {p.get('graded', 0)}", ""),
        ("台账未报（单位·月）", d.compliance.totals.get(State.MISSING, 0), "text-danger"),
        ("整改已逾期", d.rectifications.get("overdue", 0), "text-danger"),
    ]
    grades = []
    if d.summary is not None:
        grades = [(r.name, r.count, r.target) for r in d.summary.rows]
    return {
        "kind": "township",
        "title": f"{township.name} {year}年",
        "campaign": d.campaign,
        "figures": figures,
        "grades": grades,
        "ungraded": d.ungraded,
        "url": reverse("dashboards:township", args=[township.pk, year]),
    }


def _city_block(user, region, today):
    year = _year(Campaign.objects.filter(level=Campaign.Level.VILLAGE, township__region=region), today)
    d = city_dashboard(user=user, region=region, year=year, today=today)
    rows = [
        {
            "name": t.township.name,
            "total": sum(t.progress.values()),
            "submitted": sum(
                n for stage, n in t.progress.items() if stage not in ("not_started", "drafting")
            ),
            "reviewed": t.reviewed,
            "qualified": t.qualified,
            "avg": t.avg_score,
            "missing": t.compliance.get(State.MISSING, 0),
            "overdue": (t.rectifications or {}).get("overdue", 0),
        }
        for t in d.towns
    ]
    return {
        "kind": "city",
        "title": f"{region.name} {year}年",
        "rows": rows,
        "url": reverse("dashboards:city", args=[region.pk, year]),
    }


def dashboard_headlines(user, scope, today=None):
    """One block per city and township where the user holds DASHBOARD_HOME (cities first)."""
    if not scope.can(Cap.DASHBOARD_HOME):
        return []
    today = today or timezone.localdate()
    blocks = []
    for region in Region.objects.filter(pk__in=scope.held(Cap.DASHBOARD_HOME, "region")).order_by("name"):
        blocks.append(_city_block(user, region, today))
    for township in Township.objects.filter(pk__in=scope.held(Cap.DASHBOARD_HOME, "township")).order_by(
        "name"
    ):
        blocks.append(_township_block(user, township, today))
    return blocks
