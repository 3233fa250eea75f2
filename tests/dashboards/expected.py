"""Every dashboard figure recomputed in plain Python from the rows the builder wrote (no dashboard
code is called here), for the tests to compare with what the pages show."""

import datetime as dt
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from assessments.models import Assessment, IndicatorScore
from ledgers.models import LedgerSubmission, PlanTask, Rectification
from villages.models import ResponsibleUnit

S = Assessment.Status
DONE = (S.REVIEWED, S.CONFIRMED)


def stage(a):
    if a.status == S.DRAFT:
        return "drafting" if a.started_at else "not_started"
    if a.status in (S.SUBMITTED, S.FORWARDED, S.IN_REVIEW):
        return "submitted"
    return {S.RETURNED: "returned", S.REVIEWED: "reviewed", S.CONFIRMED: "graded"}[a.status]


def effective(a):
    if a is None or a.status not in DONE:
        return ""
    return a.city_grade or a.final_grade


def rows(campaign, branch=None):
    out = list(Assessment.objects.filter(campaign=campaign).select_related("village", "village__branch"))
    if branch is not None:
        out = [a for a in out if a.village.branch_id == branch.pk]
    return out


def progress(assessments):
    return Counter((a.village.branch_id or 0, stage(a)) for a in assessments)


def grade_counts(assessments, codes):
    counted = Counter(a.final_grade for a in assessments if a.status in DONE and a.final_grade in codes)
    return counted, len(assessments) - sum(counted.values())


def scored(assessments):
    return [a for a in assessments if stage(a) != "not_started"]


def dimension_totals(assessments):
    """{dimension code: {assessment id: total}} over the scored assessments."""
    ids = {a.pk for a in scored(assessments)}
    out = defaultdict(lambda: defaultdict(Decimal))
    for s in IndicatorScore.objects.filter(assessment_id__in=ids).select_related("indicator__dimension"):
        value = s.review_score if s.review_score is not None else (s.self_score or Decimal(0))
        out[s.indicator.dimension.code][s.assessment_id] += value
    return out


def dimension_averages(assessments):
    return {
        code: (sum(per.values()) / len(per)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for code, per in dimension_totals(assessments).items()
    }


def weakest(assessments, n=5):
    names = {a.pk: a.village.name for a in assessments}
    return {
        code: [
            (names[aid], total)
            for aid, total in sorted(per.items(), key=lambda kv: (kv[1], names[kv[0]]))[:n]
        ]
        for code, per in dimension_totals(assessments).items()
    }


def histogram(assessments):
    return Counter(int(a.final_score // 5) * 5 for a in scored(assessments))


def yoy(campaign, assessments):
    prev = {
        a.village_id: a
        for a in Assessment.objects.filter(
            campaign__township=campaign.township, campaign__year=campaign.year - 1, campaign__level="village"
        )
    }
    return Counter((effective(prev.get(a.village_id)), effective(a)) for a in assessments)


def competition_ranking(assessments):
    """{village name: rank} by final score, equal scores sharing a rank."""
    ordered = sorted(assessments, key=lambda a: -a.final_score)
    out, rank = {}, 0
    for i, a in enumerate(ordered):
        if i == 0 or a.final_score != ordered[i - 1].final_score:
            rank = i + 1
        out[a.village.name] = rank
    return out


def rectifications(township, branch=None, today=None):
    today = today or timezone.localdate()
    items = [r for r in Rectification.objects.filter(township=township).select_related("village")]
    if branch is not None:
        items = [r for r in items if r.village.branch_id == branch.pk]
    c = Counter(r.status for r in items)
    return {
        "total": len(items),
        "open": c["open"],
        "responded": c["responded"],
        "closed": c["closed"],
        "overdue": sum(1 for r in items if r.status != "closed" and r.deadline < today),
    }


def tasks(township, year, today=None):
    today = today or timezone.localdate()
    items = list(PlanTask.objects.filter(township=township, year=year))
    out = {s: sum(1 for t in items if t.status == s) for s in PlanTask.Status.values}
    out["overdue"] = sum(
        1 for t in items if t.deadline and t.deadline < today and t.status not in ("done", "ongoing")
    )
    out["total"] = len(items)
    return out


def compliance(township, year, today=None):
    """{state: count} over the township's units × the 12 months, by the plan's rule."""
    today = today or timezone.localdate()
    subs = {
        (s.unit_id, s.month): s
        for s in LedgerSubmission.objects.filter(
            unit__township=township, year=year, submitted_at__isnull=False
        )
    }
    out = Counter()
    for unit in ResponsibleUnit.objects.filter(township=township):
        for month in range(1, 13):
            if month < 4:
                continue
            due = dt.date(year + (month == 12), month % 12 + 1, township.ledger_due_day)
            s = subs.get((unit.pk, month))
            if s is None:
                out["missing" if today > due else "not_due"] += 1
            elif timezone.localtime(s.submitted_at).date() > due:
                out["late"] += 1
            else:
                out["zero" if s.zero_report else "on_time"] += 1
    return out
