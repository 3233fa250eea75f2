"""Read models for the dashboards, maintained on write.

Two shapes, both derived from rows the services write and refreshed in the same transaction:

    Assessment.dimension_scores  dimension code → sum of the effective indicator scores
    Assessment.previous_grade    the grade that stood for the village in last year's annual round
    CampaignSummary              per village-level round: counts by progress stage and by grade,
                                 dimension sums, score histogram, year-over-year pairs, best villages

Every service that changes scores, totals, states or grades calls `assessments_refresh` (through
`assessment_recompute`, the transitions and the grading decisions) or `campaigns_refresh` (creation,
bulk confirmation); loaders that write rows directly (the demo, the bench city, test builders) call
`rebuild_read_models` afterwards. Each refresh also renews the data versions (common.dataversion) of
the townships and regions it touched, which invalidates the dashboards' cached fragments.

The summaries are computed from the assessments' own columns, never from the score lines, so that a
refresh costs O(villages of one round); only `dimension_scores` reads score lines, of the assessments
being refreshed.
"""

import math
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from common.dataversion import data_version_bump
from villages.models import Township

from .models import Assessment, Campaign, CampaignSummary, IndicatorScore

S = Assessment.Status
DONE = (S.REVIEWED, S.CONFIRMED)
BIN = 5  # score histogram bin width (points)
TOP = 10  # best villages kept per round (ties with the last one included)
DEC = DecimalField(max_digits=9, decimal_places=2)
CENT = Decimal("0.01")
BATCH = 2000

# What a summary (and the township dashboard) needs of an assessment: its own columns only.
ROW_FIELDS = (
    "id",
    "campaign_id",
    "township_id",
    "status",
    "started_at",
    "final_score",
    "final_grade",
    "city_grade",
    "previous_grade",
    "dimension_scores",
    "village_id",
    "village__branch_id",
    "village__name",
    "village__sort_order",
)
ROW_ORDER = ("village__sort_order", "village__name", "pk")


# --- classifying one assessment (the Python twins of dashboards.figures.expressions) ------------------


def progress_stage(status, started_at):
    if status == S.DRAFT:
        return "not_started" if started_at is None else "drafting"
    if status in (S.SUBMITTED, S.FORWARDED, S.IN_REVIEW):
        return "submitted"
    return {S.RETURNED: "returned", S.REVIEWED: "reviewed", S.CONFIRMED: "graded"}.get(status, "")


def is_scored(status, started_at):
    """Every assessment counts for scores except those not started yet (their 0 is no score)."""
    return not (status == S.DRAFT and started_at is None)


def effective_grade(status, final_grade, city_grade):
    """The grade that stands once reviewed (the city's decision for a candidate, else the township's)."""
    if status not in DONE:
        return ""
    return city_grade or final_grade


def score_bin(score):
    return math.floor(Decimal(score) / BIN) * BIN


def yoy_key(prev, cur):
    return f"{prev}|{cur}"


def yoy_pair(key):
    prev, _, cur = key.partition("|")
    return prev, cur


def dimension_scores(row):
    """{dimension code: Decimal} of one row's stored dimension_scores."""
    return {code: Decimal(v) for code, v in (row["dimension_scores"] or {}).items()}


# --- the summary of a set of assessment rows ------------------------------------------------------


def summarize(rows):
    """Counts and sums over assessment rows (dicts with ROW_FIELDS): what CampaignSummary stores."""
    out = {
        "total": 0,
        "progress": {},
        "grades": {},
        "dimensions": {},
        "score_total": Decimal(0),
        "scored": 0,
        "histogram": {},
        "yoy": {},
        "top": [],
    }
    dims = defaultdict(lambda: [Decimal(0), 0])
    scored = []
    for r in rows:
        out["total"] += 1
        stage = progress_stage(r["status"], r["started_at"])
        out["progress"][stage] = out["progress"].get(stage, 0) + 1
        if r["status"] in DONE:
            out["grades"][r["final_grade"]] = out["grades"].get(r["final_grade"], 0) + 1
        key = yoy_key(r["previous_grade"], effective_grade(r["status"], r["final_grade"], r["city_grade"]))
        out["yoy"][key] = out["yoy"].get(key, 0) + 1
        if not is_scored(r["status"], r["started_at"]):
            continue
        scored.append(r)
        out["scored"] += 1
        out["score_total"] += r["final_score"]
        b = str(score_bin(r["final_score"]))
        out["histogram"][b] = out["histogram"].get(b, 0) + 1
        for code, value in dimension_scores(r).items():
            dims[code][0] += value
            dims[code][1] += 1
    out["dimensions"] = {code: [str(total), n] for code, (total, n) in dims.items()}
    scored.sort(key=lambda r: (-r["final_score"], r["village__sort_order"], r["village__name"]))
    top = scored[:TOP]
    if top:
        top += [r for r in scored[TOP:] if r["final_score"] == top[-1]["final_score"]]
    out["top"] = [[str(r["final_score"]), r["village__sort_order"], r["village__name"], r["id"]] for r in top]
    return out


def average(total, n):
    return None if not n else (Decimal(total) / n).quantize(CENT, rounding=ROUND_HALF_UP)


# --- refreshing ---------------------------------------------------------------------------------------


def _dimension_totals(score_lines):
    effective = Coalesce("review_score", "self_score", Value(Decimal(0), output_field=DEC), output_field=DEC)
    out = defaultdict(dict)
    for r in (
        score_lines.values("assessment_id", "indicator__dimension__code")
        .annotate(total=Sum(effective))
        .order_by()
    ):
        out[r["assessment_id"]][r["indicator__dimension__code"]] = str(
            Decimal(r["total"]).quantize(CENT, rounding=ROUND_HALF_UP)
        )
    return out


def _annual_grades(pairs):
    """{(township id, year, village id): effective grade} in the annual village rounds of (township, year)."""
    if not pairs:
        return {}
    towns = {t for t, _ in pairs}
    years = {y for _, y in pairs}
    rows = Assessment.objects.filter(
        campaign__level=Campaign.Level.VILLAGE,
        campaign__kind=Campaign.Kind.ANNUAL,
        campaign__township_id__in=towns,
        campaign__year__in=years,
        village__isnull=False,
    ).values_list(
        "campaign__township_id", "campaign__year", "village_id", "status", "final_grade", "city_grade"
    )
    return {(t, y, v): effective_grade(status, fg, cg) for t, y, v, status, fg, cg in rows if (t, y) in pairs}


def _refresh_rows(assessments):
    """Recompute dimension_scores and previous_grade of these assessments (model instances with
    campaign loaded); return the ids of the village-level campaigns whose summary must follow."""
    assessments = [a for a in assessments if a.village_id is not None]
    if not assessments:
        return set()
    dims = _dimension_totals(IndicatorScore.objects.filter(assessment_id__in=[a.pk for a in assessments]))
    prev = _annual_grades({(a.township_id, a.campaign.year - 1) for a in assessments})
    changed = []
    for a in assessments:
        d = dims.get(a.pk, {})
        p = prev.get((a.township_id, a.campaign.year - 1, a.village_id), "")
        if a.dimension_scores != d or a.previous_grade != p:
            a.dimension_scores, a.previous_grade = d, p
            changed.append(a)
    Assessment.objects.bulk_update(changed, ["dimension_scores", "previous_grade"], batch_size=BATCH)
    touched = {a.campaign_id for a in assessments}
    # Next year's rounds compare with this year's annual grade.
    annual = [a for a in assessments if a.campaign.is_annual and a.campaign.level == Campaign.Level.VILLAGE]
    if annual:
        grades = {
            (a.campaign.year, a.campaign.township_id, a.village_id): effective_grade(
                a.status, a.final_grade, a.city_grade
            )
            for a in annual
        }
        following = Assessment.objects.filter(
            campaign__level=Campaign.Level.VILLAGE,
            campaign__year__in={y + 1 for y, _, _ in grades},
            township_id__in={t for _, t, _ in grades},
            village_id__in={v for _, _, v in grades},
        ).select_related("campaign")
        stale = []
        for b in following:
            g = grades.get((b.campaign.year - 1, b.township_id, b.village_id))
            if g is not None and b.previous_grade != g:
                b.previous_grade = g
                stale.append(b)
        Assessment.objects.bulk_update(stale, ["previous_grade"], batch_size=BATCH)
        touched |= {b.campaign_id for b in stale}
    return touched


@transaction.atomic(savepoint=False)  # within a service: no savepoint, a failure fails the write
def summaries_refresh(campaign_ids):
    """Recompute the CampaignSummary of these village-level campaigns from their assessments' columns."""
    if not campaign_ids:
        return
    campaigns = list(
        Campaign.objects.filter(pk__in=set(campaign_ids), level=Campaign.Level.VILLAGE).values_list(
            "pk", "township_id", "region_id"
        )
    )
    if not campaigns:
        return
    # Lock the summary rows first (in one order, against deadlocks), then read: under READ COMMITTED
    # each statement sees what committed before it, so two writes in one round at once cannot both
    # compute from a snapshot that misses the other's change.
    list(
        CampaignSummary.objects.select_for_update()
        .filter(campaign_id__in=[pk for pk, _, _ in campaigns])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows = defaultdict(list)
    for r in (
        Assessment.objects.filter(campaign_id__in=[pk for pk, _, _ in campaigns], village__isnull=False)
        .values(*ROW_FIELDS)
        .order_by(*ROW_ORDER)
    ):
        rows[r["campaign_id"]].append(r)
    summaries = [CampaignSummary(campaign_id=pk, **summarize(rows[pk])) for pk, _, _ in campaigns]
    fields = [f for f in summarize([]) if f != "campaign"] + ["refreshed_at"]
    CampaignSummary.objects.bulk_create(
        summaries, update_conflicts=True, unique_fields=["campaign"], update_fields=fields, batch_size=500
    )
    data_version_bump(townships=[t for _, t, _ in campaigns], regions=[r for _, _, r in campaigns])


@transaction.atomic(savepoint=False)  # within a service: no savepoint, a failure fails the write
def assessments_refresh(assessment_ids):
    """After a write to these assessments (scores, totals, state, grades): their read models, next
    year's comparison and the summaries of every round concerned. Call inside the write's transaction."""
    rows = list(
        Assessment.objects.filter(pk__in=set(assessment_ids)).select_related("campaign").order_by("pk")
    )
    summaries_refresh(_refresh_rows(rows) | {a.campaign_id for a in rows if a.village_id is not None})


@transaction.atomic(savepoint=False)  # within a service: no savepoint, a failure fails the write
def campaigns_refresh(campaign_ids):
    """The same for every assessment of these campaigns (creation, bulk confirmation, rebuilds)."""
    touched = set(campaign_ids)
    qs = Assessment.objects.filter(campaign_id__in=touched).select_related("campaign").order_by("pk")
    for start in range(0, qs.count(), BATCH):
        touched |= _refresh_rows(list(qs[start : start + BATCH]))
    summaries_refresh(touched)


def rebuild_read_models(township_ids=None):
    """Recompute every read model from scratch (idempotent): after loaders that write rows directly
    (the demo, the bench city), and by `manage.py rebuild_read_models`. Oldest year first, so that
    each year's comparison reads last year's grades; one township at a time, so memory stays small.
    Returns the number of campaigns refreshed."""
    campaigns = Campaign.objects.filter(level=Campaign.Level.VILLAGE)
    if township_ids is not None:
        campaigns = campaigns.filter(township_id__in=township_ids)
    by_town = defaultdict(list)
    for pk, town in campaigns.order_by("township_id", "year", "pk").values_list("pk", "township_id"):
        by_town[town].append(pk)
    for pks in by_town.values():
        campaigns_refresh(pks)  # one transaction per township
    return sum(len(p) for p in by_town.values())


def township_data_changed(*township_ids):
    """A write the dashboards show that has no read model of its own (ledger submissions,
    rectifications, plan tasks, targets): renew the data versions of the townships and their regions,
    so that the cached dashboard fragments are recomputed."""
    rows = list(Township.objects.filter(pk__in=set(township_ids)).values_list("pk", "region_id"))
    data_version_bump(townships=[t for t, _ in rows], regions=[r for _, r in rows])
