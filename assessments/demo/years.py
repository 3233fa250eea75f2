"""The demo's two years of a township: 2024 confirmed with the city's decisions, 2025 under way."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from indices.demo import demo_version
from indices.models import IndexStandard
from indices.services import standard_copy

from ..models import Assessment, Campaign, DemonstrationApplication
from ..services.campaigns import campaign_create
from ..services.totals import assessment_recompute
from .batch import Batch
from .scores import BANDS, HALF, queue_range

S = Assessment.Status


@dataclass(frozen=True)
class TownshipPlan:
    """One township's demo years: the 2024 grade counts (best first; 示范村 candidates are the first
    count), how many candidates the city graded lower, and the 2025 layout."""

    name: str
    counts_2024: tuple
    city_lower: int
    walkthrough: bool  # 鲍沟镇: the demo accounts' village and its branch take part


PLANS = {
    "鲍沟镇": TownshipPlan("鲍沟镇", (7, 33, 13, 13), city_lower=1, walkthrough=True),
    "羊庄镇": TownshipPlan("羊庄镇", (5, 25, 10, 10), city_lower=1, walkthrough=False),
}


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
BRANDS = ["清风惠民", "阳光村务", "廉韵乡风", "清源善治", "明镜议事", "廉心聚力", "清朗家园"]


def form_values(rnd):
    """The 申请表's basic fields, invented (X某某 names: no real person)."""
    name = lambda: f"{rnd.choice(SURNAMES)}某{rnd.choice('明华军平东林强')}"  # noqa: E731
    households = rnd.randint(300, 1200)
    return {
        "secretary_name": name(),
        "director_name": name(),
        "supervisor_chair_name": name(),
        "households": households,
        "population": households * 3 + rnd.randint(0, 200),
        "party_members": rnd.randint(25, 90),
        "committee_members": rnd.randint(5, 9),
        "collective_income": Decimal(rnd.randint(120, 900)) / 10,
        "achievements": "坚持“四议两公开”，村级小微权力清单上墙公开；三资管理全部进入平台，村务监督委员会全程参与工程项目验收。",
        "problems": "个别台账记录不够规范，已明确专人负责并每月自查。",
    }


def form_fields(assessment, rnd):
    Assessment.objects.filter(pk=assessment.pk).update(**form_values(rnd))


def candidate_material(batch, assessment, rank, standard):
    """A 示范村 candidate's material for the city package: two accepted bonus claims with their
    evidence and the 示范村申请表 fields (the stamped form and sign-offs come with its paperwork)."""
    for item in standard.bonus_items.order_by("sort_order")[:2]:
        batch.claim(assessment, item, min(item.per_item_cap, Decimal("1")), accepted=True)
    DemonstrationApplication.objects.create(
        assessment=assessment,
        brand_name=f"“{BRANDS[(rank - 1) % len(BRANDS)]}”清廉品牌",
        experience="以村级小微权力清单为抓手，建立“一月一公开、一季一评议”机制，群众满意度逐年提升。（演示数据）",
        honours="2023年度市级民主法治示范村（演示数据）",
        satisfaction=f"满意率 {95 + rank % 4}.{rank}%（抽样 200 户）",
        recommendation_rank=rank,
        township_opinion="同意推荐。",
    )


# --- 2024: confirmed, with the city's decisions ------------------------------------------------------


def seed_2024(plan, township, standard, committee, supervisor):
    campaign = campaign_create(
        actor=None,
        township=township,
        year=2024,
        standard=standard,
        self_deadline=datetime.date(2024, 6, 25),
        submission_deadline=datetime.date(2024, 6, 30),
        city_deadline=datetime.date(2024, 7, 10),
    )
    rnd = random.Random(f"{plan.name}2024")
    assessments = list(campaign.assessments.select_related("village").order_by("village__sort_order"))
    bands = [band for count, band in zip(plan.counts_2024, BANDS, strict=True) for _ in range(count)]
    order = list(range(len(assessments)))
    rnd.shuffle(order)
    batch = Batch(campaign, committee, supervisor)
    for index, a in zip(order, assessments, strict=True):
        low, high = bands[index] if index < len(bands) else BANDS[-1]
        batch.scores(a, rnd.uniform(low, high), rnd, review=True)
        form_fields(a, rnd)
        batch.paperwork(a)
        batch.state(a, S.CONFIRMED, cleared=True)
    batch.flush()
    Campaign.objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
    top, second = standard.grades.order_by("rank")[:2]
    candidates = list(campaign.assessments.filter(final_grade=top.code).order_by("-final_score"))
    Assessment.objects.filter(pk__in=[a.pk for a in candidates]).update(city_candidate=True)
    for rank, a in enumerate(candidates, start=1):
        candidate_material(batch, a, rank, standard)
    for i, a in enumerate(candidates):
        assessment_recompute(a)
        confirmed = i < len(candidates) - plan.city_lower
        Assessment.objects.filter(pk=a.pk).update(
            city_decision=Assessment.CityDecision.CONFIRMED if confirmed else Assessment.CityDecision.OTHER,
            city_grade=top.code if confirmed else second.code,
            city_reason="" if confirmed else "清廉文化品牌特色不够鲜明，认定为达标村。",
            city_decided_at=timezone.now(),
        )
    return campaign


# --- 2025: under way ----------------------------------------------------------------------------------


def last_year(township, year):
    """{village id: effective grade code} of the township's confirmed campaign of `year`."""
    rows = Assessment.objects.filter(
        campaign__township=township, campaign__year=year, campaign__level=Campaign.Level.VILLAGE
    ).values_list("village_id", "city_grade", "final_grade")
    return {village: city or final for village, city, final in rows}


def layout_2025(plan, assessments, grades, previous):
    """[(assessment, status, grade code or None)]: who is where in 2025 and the grade their scores give.

    The queue (and, for the walkthrough, the branch's villages) avoids last year's 示范村; the reviewed
    villages make up the rest of the target: last year's 示范村 stay 示范村, last year's 促进村 reach at
    least 提升村 (逐年提升), the others are 达标村.
    """
    top, second, third, lowest = (g.code for g in grades)
    fresh = [a for a in assessments if previous.get(a.village_id) != top]
    chosen = {}  # assessment pk → (status, grade)
    if plan.walkthrough:
        demo_village = assessments[0]
        chosen[demo_village.pk] = (S.DRAFT, None)
        branch = [
            a for a in fresh if a.village.branch_id == demo_village.village.branch_id and a.pk not in chosen
        ]
        for a in branch[:2]:
            chosen[a.pk] = (S.SUBMITTED, second)
        firsts = {}
        for a in fresh:
            if a.pk not in chosen and a.village.branch_id != demo_village.village.branch_id:
                firsts.setdefault(a.village.branch_id, a)
        queue = list(firsts.values())
        for a, spec in zip(
            queue, [(S.FORWARDED, second), (S.FORWARDED, third), (S.IN_REVIEW, third)], strict=False
        ):
            chosen[a.pk] = spec
        wanted = {top: 10 - 1, third: 13}  # the demo village is expected to be the tenth 示范村
    else:
        lasts = {}
        for a in fresh:
            lasts[a.village.branch_id] = a  # each branch's last village
        queue = list(lasts.values())[-6:]
        specs = [
            (S.FORWARDED, top),
            (S.FORWARDED, second),
            (S.FORWARDED, second),
            (S.FORWARDED, third),
            (S.IN_REVIEW, second),
            (S.IN_REVIEW, third),
        ]
        for a, spec in zip(queue, specs, strict=True):
            chosen[a.pk] = spec
        wanted = {top: 8, third: 10}
    for _status, grade in chosen.values():
        if grade in wanted:
            wanted[grade] -= 1
    rest = [a for a in assessments if a.pk not in chosen]
    by_last = {
        code: [a for a in rest if previous.get(a.village_id) == code] for code in (top, second, third, lowest)
    }
    tops = (by_last[top] + by_last[second])[: wanted[top]]
    thirds = [a for a in by_last[lowest] + by_last[third] if a not in tops][: wanted[third]]
    for a in rest:
        grade = top if a in tops else third if a in thirds else second
        chosen[a.pk] = (S.REVIEWED, grade)
    return [(a, *chosen[a.pk]) for a in assessments]


def seed_2025(plan, township, standard_2024, committee, supervisor):
    standard = IndexStandard.objects.filter(code=standard_2024.code, year=2025).order_by("pk").first()
    if standard is None:
        standard = standard_copy(
            standard=standard_2024, new_version=demo_version(2025), year=2025, actor=None
        )
    today = timezone.localdate()
    campaign = campaign_create(
        actor=None,
        township=township,
        year=2025,
        standard=standard,
        self_deadline=today + datetime.timedelta(days=30),
        submission_deadline=today + datetime.timedelta(days=35),
        city_deadline=today + datetime.timedelta(days=45),
    )
    rnd = random.Random(f"{plan.name}2025")
    grades = list(standard.grades.order_by("rank"))
    band = {g.code: b for g, b in zip(grades, BANDS, strict=True)}
    assessments = list(campaign.assessments.select_related("village").order_by("village__sort_order"))
    bonus_items = list(standard.bonus_items.order_by("sort_order"))
    batch = Batch(campaign, committee, supervisor)
    for a, status, grade in layout_2025(plan, assessments, grades, last_year(township, 2024)):
        if grade is None:
            continue  # the walkthrough's village: a blank draft for the demo accounts
        review = status in (S.IN_REVIEW, S.REVIEWED)
        share = 0.5 if status == S.IN_REVIEW else 1.0
        batch.scores(a, rnd.uniform(*band[grade]), rnd, review=review, reviewed_share=share)
        if status != S.REVIEWED:
            batch.queued(a, *queue_range(grades, grade))
        form_fields(a, rnd)
        batch.paperwork(a)
        batch.state(a, status, cleared=status == S.REVIEWED)
        if status == S.REVIEWED and grade == grades[0].code:
            batch.claim(a, bonus_items[1], Decimal("1"), accepted=True)
        elif status == S.FORWARDED and grade == grades[2].code:
            batch.claim(a, bonus_items[0], HALF, accepted=False)
    batch.flush()
    return campaign
