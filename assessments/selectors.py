"""Reads of campaigns and assessments, scoped to the user. Out of scope answers 404 like missing."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q
from django.http import Http404

from access.checks import access_by_id
from access.roles import Cap
from access.scope import scope_for
from common.dataversion import versioned
from common.rounds import RoundKind
from indices.models import Grade
from villages.models import AnnualTarget, CreationBatch, Township

from .models import Assessment, Campaign, Evidence
from .rowcache import OWNER_SECONDS, campaign_owner_key

NOTHING = Q(pk__in=[])


def campaign_target(campaign):
    """The target a village-level round is graded against: its township's target for the round's year
    and kind (the annual round's is the year's target), None when none is set. The caller decided that
    the user may see the campaign's target."""
    return (
        AnnualTarget.objects.filter(township_id=campaign.township_id, year=campaign.year, kind=campaign.kind)
        .prefetch_related("grade_counts")
        .first()
    )


def annual_campaigns():
    """Village-level annual rounds: what "the township's campaign of a year" means for publication, the
    city's 示范村 flow, the creation batches and the year's figures."""
    return Campaign.objects.filter(level=Campaign.Level.VILLAGE, kind=RoundKind.ANNUAL)


def assessment_scope_q(user, prefix=""):
    """Village-level assessments follow the village scope; township-level ones the township's people and
    the city office."""
    scope = scope_for(user)
    if scope.everywhere:
        return Q()
    p = prefix
    cap = Cap.CAMPAIGN_VIEW
    village_level = Q(**{f"{p}campaign__level": "village"}) & scope.village_q(cap, prefix=f"{p}village__")
    township_level = Q(**{f"{p}campaign__level": "township"}) & scope.township_q(cap, prefix=f"{p}township__")
    return village_level | township_level


def campaign_scope_q(user):
    scope = scope_for(user)
    if scope.everywhere:
        return Q()
    cap = Cap.CAMPAIGN_VIEW
    q = Q(level="village", township_id__in=scope.touched_township_ids(cap))
    q |= Q(region_id__in=scope.held(cap, "region"))
    # the city's township-level campaigns of the townships held: a subquery, not a join through the
    # region's townships inside the OR (that multiplied campaigns × townships × assessments, issue 16)
    regions = Township.objects.filter(pk__in=scope.held(cap, "township")).values("region_id")
    q |= Q(level="township", township__isnull=True, region_id__in=regions)
    return q


def campaign_visible(user, campaign):
    """campaign_scope_q for one campaign already read, in Python: the same three rules (a test holds the
    two to the same answer for every role), so that a page about one campaign looks it up by its key
    instead of planning the scope's subqueries."""
    scope = scope_for(user)
    if scope.everywhere:
        return True
    cap = Cap.CAMPAIGN_VIEW
    if campaign.level == "village" and campaign.township_id in scope.touched_township_ids(cap):
        return True
    if campaign.region_id in scope.held(cap, "region"):
        return True
    return (
        campaign.level == "township"
        and campaign.township_id is None
        and campaign.region_id in scope.held_regions(cap, "township")
    )


def campaign_list_for_user(user):
    visible = assessment_scope_q(user, prefix="assessments__")
    return (
        Campaign.objects.filter(campaign_scope_q(user))
        .distinct()
        .select_related("township", "region", "standard")
        .annotate(
            subject_count=Count("assessments", filter=visible, distinct=True),
        )
        .order_by("-year", "level", "township__name")
    )


def campaign_rows_for_user(user):
    """Campaigns in scope without per-campaign aggregates, for a list that pages them first and then counts
    only the page's assessments (assessment_status_counts_for_user): grouping every assessment of the
    region's history for each page took 1.7 s at 50,000 villages (issue 16)."""
    return Campaign.objects.filter(campaign_scope_q(user)).select_related("township", "region", "standard")


def assessment_status_counts_for_user(user, campaigns):
    """{campaign id: {status: number of assessments the user may see}} for these campaigns (a page of
    them), one grouped query. Each campaign's level is known here, so each level's rule of
    assessment_scope_q is applied to its own campaigns only: the rule with both levels ORed joined every
    campaign and every village of a province (9 ms at 50,000 villages, issue 16)."""
    counts = {c.pk: {} for c in campaigns}
    scope, cap = scope_for(user), Cap.CAMPAIGN_VIEW
    # a village-level assessment carries its village's township (campaign_create), so whole townships
    # and regions are matched on it without joining every village; branches and villages on the village
    rules = {
        "village": scope.township_q(cap, prefix="township__")
        | scope.below_township_q(cap, prefix="village__"),
        "township": scope.township_q(cap, prefix="township__"),
    }
    q = NOTHING
    for level, rule in rules.items():
        ids = [c.pk for c in campaigns if c.level == level]
        if ids:
            q |= Q(campaign_id__in=ids) & rule
    if not counts or q == NOTHING:
        return counts
    rows = Assessment.objects.filter(q).values("campaign_id", "status").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row["campaign_id"]][row["status"]] = row["n"]
    return counts


def _campaign_read(pk):
    return Campaign.objects.select_related("township", "region", "standard").filter(pk=pk).first()


def campaign_row(pk):
    """The campaign (with its township, region and standard) or None, by its key: with a shared cache,
    from the cache under its township's data version (its region's for a township-level round) and
    the access token, which every write to it (assessments.signals), its township or its region
    renews (its standard, once in use, is locked). Two cache round trips instead of a query: the
    grading board then asks the database nothing at all. A made-up key is looked up every time, never
    remembered."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not settings.QL_SHARED_CACHE:
        return _campaign_read(pk)
    key = campaign_owner_key(pk)
    owner, read = cache.get(key), None
    if owner is None:
        read = _campaign_read(pk)
        if read is None:
            return None
        owner = (read.township_id, read.region_id)
        cache.set(key, owner, OWNER_SECONDS)
    township_id, region_id = owner
    return versioned(
        townships=[township_id] if township_id else (),
        regions=() if township_id else [region_id],
        access=True,
        parts=("campaign-row", pk),
        build=lambda: read or _campaign_read(pk),
        create=False,
    )


def campaign_get_for_user(user, pk):
    # by its key (campaign_row), then the scope's rules in Python (campaign_visible): no DISTINCT, no
    # count, no subquery
    campaign = campaign_row(pk)
    if campaign is None or not campaign_visible(user, campaign):
        raise Http404
    return campaign


def assessment_list_for_user(user):
    return (
        Assessment.objects.filter(assessment_scope_q(user))
        .select_related("campaign", "campaign__standard", "village", "village__branch", "township")
        .order_by("campaign_id", "village__sort_order", "township__name")
    )


def assessment_get_for_user(user, pk, *, for_update=False):
    qs = assessment_list_for_user(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def evidence_get_for_user(user, pk):
    try:
        return Evidence.objects.select_related("assessment").get(
            assessment_scope_q(user, prefix="assessment__"), pk=pk
        )
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# ---- access by id: the object and the user's sides of it, or one Http404 --------------------------


def _assessment_entity(assessment):
    return f"assessment.{assessment.campaign.level}"


def access_assessment_by_id(user, pk, *, need=None, request=None, for_update=False):
    """(assessment, sides): the assessment in the user's scope, with the sides the user is of it."""
    return access_by_id(
        user,
        assessment_list_for_user(user),
        pk,
        entity=_assessment_entity,
        need=need,
        request=request,
        for_update=for_update,
    )


def access_campaign_by_id(user, pk, *, need=None, request=None):
    """(campaign, sides): REVIEWER/CITY act on it; MANAGER runs it; VIEWER sees its township whole."""
    return access_by_id(
        user,
        campaign_list_for_user(user),
        pk,
        entity=lambda c: f"campaign.{c.level}",
        need=need,
        request=request,
    )


def access_evidence_by_id(user, pk, *, need=None, request=None):
    """(evidence, sides of its assessment)."""
    evidence = evidence_get_for_user(user, pk)
    _assessment, sides = access_assessment_by_id(user, evidence.assessment_id, need=need, request=request)
    return evidence, sides


def batch_results_for_township(township):
    """The township's creation-batch plan checked against the confirmed grades, by year (4 queries
    whatever the number of villages): [{year, planned, benchmark, campaign, reached, graded, missing}].

    `reached` counts the batch's villages whose standing grade (the city's, else the township's) counts
    as 清廉村居 in that year's confirmed village campaign; None while the year has no confirmed campaign.
    The caller has checked that the user sees the township's campaigns whole.
    """
    batches = list(
        CreationBatch.objects.filter(township=township)
        .select_related("village")
        .order_by("year", "-is_benchmark", "village__sort_order", "village__name")
    )
    if not batches:
        return []
    years = sorted({b.year for b in batches})
    campaigns = {c.year: c for c in annual_campaigns().filter(township=township, year__in=years)}
    confirmed = [c for c in campaigns.values() if c.is_confirmed]
    qinglian = {}
    for standard_id, code in Grade.objects.filter(
        standard_id__in={c.standard_id for c in confirmed}, counts_as_qinglian=True
    ).values_list("standard_id", "code"):
        qinglian.setdefault(standard_id, []).append(code)
    reached_q = NOTHING
    for c in confirmed:
        codes = qinglian.get(c.standard_id, [])
        reached_q |= Q(campaign=c) & (Q(city_grade__in=codes) | Q(city_grade="", final_grade__in=codes))
    reached = set()
    if confirmed:
        reached = set(
            Assessment.objects.filter(
                reached_q, village__batch__year=F("campaign__year"), village__batch__township=township
            ).values_list("village_id", flat=True)
        )
    rows = []
    for year in years:
        batch = [b for b in batches if b.year == year]
        campaign = campaigns.get(year)
        done = campaign is not None and campaign.is_confirmed
        rows.append(
            {
                "year": year,
                "planned": [b.village for b in batch],
                "benchmark": next((b.village for b in batch if b.is_benchmark), None),
                "campaign": campaign,
                "reached": sum(1 for b in batch if b.village_id in reached) if done else None,
                "missing": [b.village for b in batch if b.village_id not in reached] if done else [],
            }
        )
    return rows
