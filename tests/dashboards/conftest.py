"""A township year with every state the dashboards show, built with bulk_create so that the same
builder makes 5 villages or 1,000.

The builder writes rows directly (statuses, totals, grades, scores) instead of walking the workflow:
the dashboards only read stored data, and the tests recompute every figure from these rows in plain
Python.
"""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from assessments.models import Assessment, Campaign, IndicatorScore
from assessments.readmodels import rebuild_read_models
from indices.models import Indicator
from ledgers.models import LedgerSubmission, PlanTask, Rectification
from tests.assessments.conftest import standard  # noqa: F401  (the sample village standard)
from tests.factories import user_with_role
from villages.models import AnnualTarget, AnnualTargetGrade, PartyBranch, ResponsibleUnit, Village

YEAR = 2025  # every ledger month of YEAR is past its due date, so compliance does not depend on today
GRADES = ["SHIFAN", "DABIAO", "TISHENG", "CUJIN"]
S = Assessment.Status
# (status, started) pairs the builder draws from: every progress stage appears
STATES = [
    (S.DRAFT, False),
    (S.DRAFT, True),
    (S.SUBMITTED, True),
    (S.FORWARDED, True),
    (S.IN_REVIEW, True),
    (S.RETURNED, True),
    (S.REVIEWED, True),
    (S.CONFIRMED, True),
]
DONE = (S.REVIEWED, S.CONFIRMED)


def half(rng, low, high):
    return Decimal(rng.randint(low * 2, high * 2)) / 2


def leaf_per_dimension(std):
    """One scored indicator per dimension (enough for the dimension figures; keeps 1,000 villages fast)."""
    out = {}
    for ind in Indicator.objects.filter(standard=std, children__isnull=True).select_related("dimension"):
        out.setdefault(ind.dimension.code, ind)
    return out


def build_township(town, std, n, *, seed=1, year=YEAR, prefix="样本"):
    """n new villages in `town` (over two new branches and none), last year's confirmed campaign, this
    year's campaign in every state, a target, rectifications, plan tasks, units and ledgers."""
    rng = random.Random(seed)
    now = timezone.now()
    branches = [
        PartyBranch.objects.create(township=town, name=f"{prefix}第{i}党总支", sort_order=10 + i)
        for i in (1, 2)
    ]
    Village.objects.bulk_create(
        [
            Village(
                township=town,
                branch=[branches[0], branches[1], None][i % 3],
                name=f"{prefix}村{i:04d}",
                sort_order=100 + i,
            )
            for i in range(n)
        ]
    )
    villages = list(Village.objects.filter(township=town).order_by("pk"))
    prev = Campaign.objects.create(
        region=town.region,
        township=town,
        year=year - 1,
        standard=std,
        name=f"{year - 1}年测评",
        grades_confirmed_at=now,
    )
    cur = Campaign.objects.create(
        region=town.region, township=town, year=year, standard=std, name=f"{year}年测评"
    )
    prev_rows = []
    for v in villages:
        if rng.random() < 0.75:
            grade = rng.choice(GRADES)
            city = "DABIAO" if grade == "SHIFAN" and rng.random() < 0.3 else ""
            prev_rows.append(
                Assessment(
                    campaign=prev,
                    village=v,
                    township=town,
                    status=S.CONFIRMED,
                    started_at=now,
                    final_grade=grade,
                    city_grade=city,
                    final_score=half(rng, 60, 100),
                )
            )
    Assessment.objects.bulk_create(prev_rows)
    rows = []
    for i, v in enumerate(villages):
        status, started = STATES[i % len(STATES)] if i < len(STATES) else rng.choice(STATES)
        score = Decimal(0) if not started else half(rng, 55, 104)
        grade = rng.choice(GRADES) if status in DONE else (rng.choice(GRADES) if rng.random() < 0.3 else "")
        city = "DABIAO" if status == S.CONFIRMED and grade == "SHIFAN" and rng.random() < 0.5 else ""
        rows.append(
            Assessment(
                campaign=cur,
                village=v,
                township=town,
                status=status,
                started_at=now if started else None,
                self_total=score,
                final_score=score,
                final_grade=grade,
                city_grade=city,
                # a draft's provisional grade must not count as a grade
                proposed_grade=grade,
            )
        )
    Assessment.objects.bulk_create(rows)
    leaves = leaf_per_dimension(std)
    scores = []
    for a in Assessment.objects.filter(campaign=cur):
        for ind in leaves.values():
            started = a.started_at is not None
            self_score = half(rng, 0, int(ind.max_score)) if started and rng.random() < 0.9 else None
            review = half(rng, 0, int(ind.max_score)) if a.status in DONE and rng.random() < 0.7 else None
            scores.append(
                IndicatorScore(assessment=a, indicator=ind, self_score=self_score, review_score=review)
            )
    IndicatorScore.objects.bulk_create(scores)
    target = AnnualTarget.objects.create(township=town, year=year, mode=AnnualTarget.Mode.COUNTS)
    AnnualTargetGrade.objects.bulk_create(
        [
            AnnualTargetGrade(
                target=target, grade_code=code, grade_name=name, count=rng.randint(0, 5), sort_order=k
            )
            for k, (code, name) in enumerate(
                [("SHIFAN", "示范村"), ("DABIAO", "达标村"), ("TISHENG", "提升村")]
            )
        ]
    )
    today = timezone.localdate()
    Rectification.objects.bulk_create(
        [
            Rectification(
                township=town,
                village=rng.choice(villages),
                source=Rectification.Source.REVIEW,
                problem=f"问题{k}",
                requirement="限期整改",
                status=rng.choice(Rectification.Status.values),
                deadline=today + dt.timedelta(days=rng.randint(-30, 30)),
            )
            for k in range(12)
        ]
    )
    PlanTask.objects.bulk_create(
        [
            PlanTask(
                township=town,
                year=year,
                number=k + 1,
                key_point="要点",
                task=f"任务{k}",
                status=rng.choice(PlanTask.Status.values),
                deadline=today + dt.timedelta(days=rng.randint(-60, 60)) if k % 4 else None,
            )
            for k in range(9)
        ]
    )
    units = ResponsibleUnit.objects.bulk_create(
        [ResponsibleUnit(township=town, name=f"{prefix}单位{k}", sort_order=50 + k) for k in range(3)]
    )
    subs = []
    for u in units:
        for month in range(1, 13):
            roll = rng.random()
            if roll < 0.25:
                continue
            due = dt.date(year + (month == 12), month % 12 + 1, town.ledger_due_day)
            day = due - dt.timedelta(days=3) if roll < 0.7 else due + dt.timedelta(days=4)
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
            subs.append(
                LedgerSubmission(
                    unit=u,
                    year=year,
                    month=month,
                    status=LedgerSubmission.Status.SUBMITTED,
                    submitted_at=at,
                    zero_report=rng.random() < 0.3,
                )
            )
    LedgerSubmission.objects.bulk_create(subs)
    # rows written directly, as the bench city does: the read models follow in one rebuild
    rebuild_read_models(township_ids=[town.pk])
    return cur


@pytest.fixture
def dash(org, standard):  # noqa: F811
    """甲镇 with 20 more villages, its leader, and the users the access tests need."""
    campaign = build_township(org.town, standard, 20)

    class Dash:
        pass

    d = Dash()
    d.org = org
    d.standard = standard
    d.campaign = campaign
    d.leader = user_with_role(Role.TOWNSHIP_LEADER, org.town, username="leader_jia")
    d.city = user_with_role(Role.CITY_OFFICE, org.city, username="city_jia")
    return d
