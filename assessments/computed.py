"""The measures of computed township indicators that the village assessments hold (indices/formulas.py).

Each measure is one SQL aggregate over the township's village assessments of the year (plus, for some,
one small query for the campaigns' deadlines or the year's targets), never a loop over villages. The
context `Scope` caches what several measures share within one computation.

"The township's village assessments of the year" are those of its village-level campaign(s) of that
year (`village_rows`), the one place to narrow if a year holds several kinds of rounds.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from common.rounds import RoundKind
from indices.formulas import Figure, register_measure
from villages.models import AnnualTargetGrade

from .models import Assessment, AssessmentEvent, Campaign, VetoEvent

S = Assessment.Status
GRADED = (S.REVIEWED, S.CONFIRMED)


@dataclass
class Scope:
    """What a computation counts over: one township, one year, as of one day."""

    township: object
    year: int
    as_of: dt.date
    cache: dict = field(default_factory=dict)

    @property
    def period(self):
        end = min(self.as_of, dt.date(self.year, 12, 31))
        return f"{self.year}年1月1日至{end.month}月{end.day}日" if end.year == self.year else f"{self.year}年"


def end_of_day(day):
    """The first instant after `day` in the project's time zone: submitted before it = on that day."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def village_rows(scope):
    """The villages' assessments of the township's annual round of the year (a mid-term or pilot round
    of the same year is not counted again)."""
    return Assessment.objects.filter(
        campaign__level=Campaign.Level.VILLAGE,
        campaign__kind=RoundKind.ANNUAL,
        campaign__township=scope.township,
        campaign__year=scope.year,
        village__isnull=False,
    )


def _campaigns(scope):
    if "campaigns" not in scope.cache:
        scope.cache["campaigns"] = list(
            Campaign.objects.filter(
                level=Campaign.Level.VILLAGE, kind=RoundKind.ANNUAL, township=scope.township, year=scope.year
            ).values("pk", "self_deadline", "city_deadline")
        )
    return scope.cache["campaigns"]


def _late(scope, at_field, deadline_key):
    """Rows done after their campaign's deadline, or not done while the deadline has passed."""
    q = Q(pk__in=[])
    for c in _campaigns(scope):
        deadline = c[deadline_key]
        if deadline is None:
            continue
        q |= Q(campaign_id=c["pk"], **{f"{at_field}__gte": end_of_day(deadline)})
        if deadline < scope.as_of:
            q |= Q(campaign_id=c["pk"], **{f"{at_field}__isnull": True})
    return q


def _with_total(scope, late_q):
    got = village_rows(scope).aggregate(total=Count("pk"), late=Count("pk", filter=late_q))
    return Figure(got["late"], got["total"], scope.period)


def villages_self_late(scope):
    return _with_total(scope, _late(scope, "submitted_at", "self_deadline"))


def villages_review_late(scope):
    return _with_total(scope, _late(scope, "reviewed_at", "city_deadline"))


def village_returns(scope):
    n = AssessmentEvent.objects.filter(
        assessment__in=village_rows(scope), action="return", at__date__lte=scope.as_of
    ).count()
    return Figure(n, None, scope.period)


def villages_veto_found_later(scope):
    n = (
        VetoEvent.objects.filter(assessment__in=village_rows(scope), occurred_on__lte=scope.as_of)
        .values("assessment_id")
        .distinct()
        .count()
    )
    return Figure(n, None, scope.period)


def _effective_grade():
    return Coalesce(NullIf("city_grade", Value("")), "final_grade")


def grade_share(scope, grades):
    got = (
        village_rows(scope)
        .annotate(grade_now=_effective_grade())
        .aggregate(
            total=Count("pk"),
            hit=Count("pk", filter=Q(status__in=GRADED, grade_now__in=grades)),
        )
    )
    return Figure(got["hit"], got["total"], scope.period)


def demonstration_candidates_vs_target(scope, grades):
    candidates = village_rows(scope).filter(city_candidate=True).count()
    target = AnnualTargetGrade.objects.filter(
        target__township=scope.township,
        target__year=scope.year,
        target__kind=RoundKind.ANNUAL,
        grade_code__in=grades,
    ).aggregate(n=Sum("count"))["n"]
    return Figure(candidates, target or 0, scope.period)


def demonstration_confirmed_share(scope):
    got = (
        village_rows(scope)
        .filter(city_candidate=True)
        .aggregate(
            total=Count("pk"),
            hit=Count("pk", filter=Q(city_decision=Assessment.CityDecision.CONFIRMED)),
        )
    )
    return Figure(got["hit"], got["total"], scope.period)


def grade_repeat(scope, grades):
    last_year = (
        Assessment.objects.filter(
            campaign__level=Campaign.Level.VILLAGE,
            campaign__kind=RoundKind.ANNUAL,
            campaign__year=scope.year - 1,
            village_id=OuterRef("village_id"),
            status__in=GRADED,
        )
        .annotate(grade_then=_effective_grade())
        .filter(grade_then__in=grades)
    )
    n = (
        village_rows(scope)
        .annotate(grade_now=_effective_grade())
        .filter(status__in=GRADED, grade_now__in=grades)
        .filter(Exists(last_year))
        .count()
    )
    return Figure(n, None, f"{scope.year - 1}年与{scope.year}年")


def register():
    for fn in (
        villages_self_late,
        villages_review_late,
        village_returns,
        villages_veto_found_later,
        grade_share,
        demonstration_candidates_vs_target,
        demonstration_confirmed_share,
        grade_repeat,
    ):
        register_measure(fn.__name__, fn)
