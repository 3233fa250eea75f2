"""Reads of the publication app: the snapshot a confirmed campaign would publish (a fixed number of
queries whatever the number of villages), the township's version history, and the public pages' data
(published and superseded versions only; one query each)."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from assessments.models import Assessment, IndicatorScore
from indices.models import Dimension, Grade

from .models import Publication

DEC = DecimalField(max_digits=8, decimal_places=2)
ZERO = Decimal("0")
PUBLIC_STATUSES = (Publication.Status.PUBLISHED, Publication.Status.SUPERSEDED)


def num(value):
    """A score as the public pages write it: 95.5, 100 (no trailing zeros, never an exponent)."""
    d = Decimal(value or 0).normalize()
    return format(d, "f")


def competition_ranks(values):
    """1224 ranking of values sorted best first: equal values share a rank."""
    ranks = []
    for i, v in enumerate(values):
        ranks.append(ranks[-1] if i and v == values[i - 1] else i + 1)
    return ranks


def _explanation(campaign, dimensions):
    names = "、".join(d["name"] for d in dimensions)
    full = num(sum((Decimal(d["max"]) for d in dimensions), ZERO))
    return (
        f"村居清廉指数按《{campaign.standard.name}》测评，由{names}{len(dimensions)}个方面组成（基础分满分{full}分）。"
        "总分 = 镇街初审得分 + 认定的加分 − 日常监管扣分，按总分由高到低排名；"
        "等次由镇街确认，示范村经市清廉村居办认定，公开的是最终生效的等次。"
    )


def publication_payload(campaign):
    """The snapshot of a confirmed village-level campaign, as the public pages show it: per village (by
    public key and name) its rank, final score, grade in force, score per dimension and the indicators
    where points were lost; the grade distribution and a short explanation of the index. No ids, no
    people's names, no review notes, no evidence. Five queries."""
    standard = campaign.standard
    dimensions = [
        {"code": code, "name": name, "max": num(mx)}
        for code, name, mx in Dimension.objects.filter(standard=standard)
        .order_by("sort_order", "code")
        .values_list("code", "name", "max_score")
    ]
    grades = list(Grade.objects.filter(standard=standard).order_by("rank").values_list("code", "name"))
    grade_names = dict(grades)
    effective = Coalesce("review_score", "self_score", Value(ZERO, output_field=DEC), output_field=DEC)
    by_dim = defaultdict(dict)
    for r in (
        IndicatorScore.objects.filter(assessment__campaign=campaign)
        .values("assessment_id", "indicator__dimension__code")
        .annotate(total=Sum(effective))
        .order_by()
    ):
        by_dim[r["assessment_id"]][r["indicator__dimension__code"]] = r["total"]
    lost = defaultdict(list)
    for aid, name, dim, mx, s, rv in (
        IndicatorScore.objects.filter(assessment__campaign=campaign, indicator__children__isnull=True)
        .order_by("indicator__dimension__sort_order", "indicator__sort_order", "indicator__code")
        .values_list(
            "assessment_id",
            "indicator__name",
            "indicator__dimension__name",
            "indicator__max_score",
            "self_score",
            "review_score",
        )
    ):
        got = rv if rv is not None else s
        if got is not None and got < mx:
            lost[aid].append({"dimension": dim, "indicator": name, "lost": num(mx - got)})
    rows = list(
        Assessment.objects.filter(campaign=campaign, village__isnull=False)
        .select_related("village")
        .order_by("-final_score", "village__sort_order", "village__name")
    )
    ranks = competition_ranks([a.final_score for a in rows])
    villages = []
    counts = defaultdict(int)
    for a, rank in zip(rows, ranks, strict=True):
        code = a.effective_grade
        counts[code] += 1
        villages.append(
            {
                "key": a.village.public_key,
                "name": a.village.name,
                "rank": rank,
                "score": num(a.final_score),
                "grade": grade_names.get(code, ""),
                "grade_by_city": bool(a.city_grade),
                "veto": a.veto_confirmed,
                "dimensions": [
                    {"name": d["name"], "max": d["max"], "score": num(by_dim[a.pk].get(d["code"], ZERO))}
                    for d in dimensions
                ],
                "lost": lost[a.pk],
            }
        )
    return {
        "year": campaign.year,
        "township": campaign.township.name,
        "standard": standard.name,
        "explanation": _explanation(campaign, dimensions),
        "dimensions": dimensions,
        "grades": [{"name": name, "count": counts[code]} for code, name in grades],
        "villages": villages,
    }


def publication_blockers(campaign):
    """Why the campaign's results cannot be published yet (Chinese sentences; empty when they can)."""
    if campaign.level != campaign.Level.VILLAGE:
        return ["只有村级测评的结果可以公开。"]
    if not campaign.is_annual:
        return [f"只有年度测评的结果向村民公开，{campaign.get_kind_display()}的结果不公开。"]
    if not campaign.is_confirmed:
        return ["本年度等次尚未确认，不能公开结果。"]
    pending = list(
        Assessment.objects.filter(
            campaign=campaign, city_candidate=True, city_decision=Assessment.CityDecision.PENDING
        )
        .select_related("village", "township")
        .order_by("village__sort_order", "village__name")
    )
    if pending:
        names = "、".join(a.subject_name for a in pending)
        return [f"示范村候选对象尚待市级认定，认定后才能公开结果：{names}。"]
    return []


def publication_history(campaign):
    """Every version of the campaign's publication, newest first (the township's page)."""
    return list(
        Publication.objects.filter(campaign=campaign)
        .select_related("published_by", "withdrawn_by")
        .defer("payload")
        .order_by("-version")
    )


def publication_in_force(campaign):
    return Publication.objects.filter(campaign=campaign, status=Publication.Status.PUBLISHED).first()


def _corrections(versions):
    """[(superseded version, the reason of the version that replaced it)], newest first."""
    by_version = {p.version: p for p in versions}
    return [
        {"version": p.version, "published_at": p.published_at, "reason": by_version[p.version + 1].reason}
        for p in versions
        if p.status == Publication.Status.SUPERSEDED and p.version + 1 in by_version
    ]


def public_township_year(township_key, year):
    """(the publication in force, its corrections) of a township's year, or Http404. One query."""
    versions = list(
        Publication.objects.filter(
            township__public_key=township_key, year=year, status__in=PUBLIC_STATUSES
        ).order_by("-version")
    )
    current = next((p for p in versions if p.status == Publication.Status.PUBLISHED), None)
    if current is None:
        raise Http404
    return current, _corrections([p for p in versions if p.campaign_id == current.campaign_id])


def public_village_card(village_key):
    """The village's published results, newest year first: [{year, township_key, entry (the village's part
    of the payload), version, published_at, superseded: [{version, entry, reason}]}], or Http404. Only
    years with a publication in force count (a withdrawn year is gone with its superseded versions). One
    query."""
    pubs = list(
        Publication.objects.filter(township__villages__public_key=village_key, status__in=PUBLIC_STATUSES)
        .select_related("township")
        .only(
            "township__public_key",
            "campaign_id",
            "year",
            "version",
            "status",
            "reason",
            "published_at",
            "payload",
        )
        .order_by("-year", "-version")
    )
    by_campaign = defaultdict(list)
    for p in pubs:
        by_campaign[p.campaign_id].append(p)
    years = []
    for versions in by_campaign.values():
        current = next((p for p in versions if p.status == Publication.Status.PUBLISHED), None)
        entry = current and _entry(current, village_key)
        if entry is None:
            continue
        reasons = {p.version: p.reason for p in versions}
        superseded = [
            {"version": p.version, "entry": _entry(p, village_key), "reason": reasons.get(p.version + 1, "")}
            for p in versions
            if p.status == Publication.Status.SUPERSEDED
        ]
        years.append(
            {
                "year": current.year,
                "township": current.payload["township"],
                "township_key": current.township.public_key,
                "entry": entry,
                "version": current.version,
                "published_at": current.published_at,
                "superseded": [s for s in superseded if s["entry"] is not None],
                "grades": current.payload["grades"],
                "count": len(current.payload["villages"]),
            }
        )
    if not years:
        raise Http404
    years.sort(key=lambda y: -y["year"])
    return years


def _entry(publication, village_key):
    return next((v for v in publication.payload["villages"] if v["key"] == village_key), None)


def public_township_posters(publication):
    """[(village entry)] of a publication for the township's poster sheet."""
    return sorted(publication.payload["villages"], key=lambda v: v["name"])


def village_is_published(village_key):
    """Whether the village's results of some year are published (in force): the public card exists, so a
    villager may leave a message on it. One query."""
    return Publication.objects.filter(
        township__villages__public_key=str(village_key)[:16], status=Publication.Status.PUBLISHED
    ).exists()
