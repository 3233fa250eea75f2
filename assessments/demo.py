"""Demo campaigns for 鲍沟镇: 2024 confirmed (history, city decisions), 2025 under way in every state.

Scores are generated deterministically so that 2024 lands on the plan's 7/33/13/13; nothing here is
real data. Idempotent: a campaign that exists is left as it is.
"""

import datetime
import hashlib
import random
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from indices.models import IndexStandard
from indices.services import standard_copy

from .models import (
    Assessment,
    AssessmentEvent,
    BonusClaim,
    Campaign,
    DemonstrationApplication,
    Evidence,
    IndicatorScore,
    Signoff,
    VetoCheck,
)
from .services.campaigns import campaign_create
from .services.totals import assessment_recompute

S = Assessment.Status
HALF = Decimal("0.5")
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# 2024 score bands per grade, in village order: 7 示范, 33 达标, 13 提升, 13 促进 (DOMAIN.md, seed 000).
BANDS_2024 = [(7, 93, 97), (33, 82.5, 87.5), (13, 72.5, 77.5), (13, 58, 66)]


def _half(value):
    return (Decimal(value) / HALF).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * HALF


def _spread(rows, target):
    """Scores per indicator, in half points, that add up to exactly `target` (rounded to 0.5)."""
    total = _half(target)
    got = [min(r.indicator.max_score, _half(r.indicator.max_score * total / 100)) for r in rows]
    step = 0
    while sum(got) != total and step < 10_000:
        i = step % len(rows)
        top = rows[i].indicator.max_score
        if sum(got) < total and got[i] + HALF <= top:
            got[i] += HALF
        elif sum(got) > total and got[i] - HALF >= 0:
            got[i] -= HALF
        step += 1
    return got


def _set_scores(assessment, target, rnd, *, review):
    """Give the indicators scores adding up to `target` (self a little higher than the review)."""
    rows = list(IndicatorScore.objects.filter(assessment=assessment).select_related("indicator"))
    for row, got in zip(rows, _spread(rows, target), strict=True):
        top = row.indicator.max_score
        village_scored = row.indicator.scored_by == "village_and_township"
        row.self_score = min(top, got + (HALF if rnd.random() < 0.2 else 0)) if village_scored else None
        row.self_note = "已按要求落实，佐证材料见附件。" if village_scored else ""
        if review:
            row.review_score = got
            row.review_note = "" if row.self_score in (None, got) else "抽查台账发现记录不全，按标准扣分。"
    fields = ["self_score", "self_note"] + (["review_score", "review_note"] if review else [])
    IndicatorScore.objects.bulk_update(rows, fields)


def _paperwork(assessment, committee, supervisor):
    VetoCheck.objects.filter(assessment=assessment).update(self_answer=False)
    Evidence.objects.create(
        assessment=assessment,
        kind=Evidence.Kind.APPLICATION_FORM,
        file=ContentFile(DEMO_PDF, name="application.pdf"),
        original_name=f"{assessment.village.name}申请表（盖章）.pdf",
        content_type="application/pdf",
        size=len(DEMO_PDF),
        sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
        uploaded_by=committee,
    )
    for side, user in (("committee", committee), ("supervisor", supervisor)):
        Signoff.objects.get_or_create(
            assessment=assessment, side=side, round=assessment.round + 1, defaults={"user": user}
        )


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
BRANDS = ["清风惠民", "阳光村务", "廉韵乡风", "清源善治", "明镜议事", "廉心聚力", "清朗家园"]


def _form_fields(assessment, rnd):
    """The 申请表's basic fields, invented (X某某 names: no real person)."""
    name = lambda: f"{rnd.choice(SURNAMES)}某{rnd.choice('明华军平东林强')}"  # noqa: E731
    households = rnd.randint(300, 1200)
    Assessment.objects.filter(pk=assessment.pk).update(
        secretary_name=name(),
        director_name=name(),
        supervisor_chair_name=name(),
        households=households,
        population=households * 3 + rnd.randint(0, 200),
        party_members=rnd.randint(25, 90),
        committee_members=rnd.randint(5, 9),
        collective_income=Decimal(rnd.randint(120, 900)) / 10,
        achievements="坚持“四议两公开”，村级小微权力清单上墙公开；三资管理全部进入平台，村务监督委员会全程参与工程项目验收。",
        problems="个别台账记录不够规范，已明确专人负责并每月自查。",
    )


def _candidate_material(assessment, rank, standard, committee, supervisor):
    """A 示范村 candidate's paperwork for the city package: stamped form, sign-offs, two accepted bonus
    claims with their evidence, and the 示范村申请表 fields."""
    _paperwork(assessment, committee, supervisor)
    # _paperwork signs the coming round; this one was submitted already
    Signoff.objects.filter(assessment=assessment).update(round=assessment.round)
    for item in standard.bonus_items.order_by("sort_order")[:2]:
        points = min(item.per_item_cap, Decimal("1"))
        claim = BonusClaim.objects.create(
            assessment=assessment,
            bonus_item=item,
            claimed_points=points,
            explanation=f"{item.name}（演示数据）",
            status=BonusClaim.Status.ACCEPTED,
            accepted_points=points,
            review_reason="材料齐全，予以认定。",
        )
        Evidence.objects.create(
            assessment=assessment,
            kind=Evidence.Kind.BONUS,
            bonus_claim=claim,
            file=ContentFile(DEMO_PDF, name="bonus.pdf"),
            original_name=f"{item.name[:12]}证明材料.pdf",
            content_type="application/pdf",
            size=len(DEMO_PDF),
            sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
            uploaded_by=committee,
        )
    DemonstrationApplication.objects.create(
        assessment=assessment,
        brand_name=f"“{BRANDS[(rank - 1) % len(BRANDS)]}”清廉品牌",
        experience="以村级小微权力清单为抓手，建立“一月一公开、一季一评议”机制，群众满意度逐年提升。（演示数据）",
        honours="2023年度市级民主法治示范村（演示数据）",
        satisfaction=f"满意率 {95 + rank % 4}.{rank}%（抽样 200 户）",
        recommendation_rank=rank,
        township_opinion="同意推荐。",
    )


def _set_state(assessment, status, *, round_=1, note="演示数据"):
    now = timezone.now()
    stamps = {"submitted_at": now, "forwarded_at": now} if status != S.DRAFT else {}
    if status in (S.REVIEWED, S.CONFIRMED):
        stamps["reviewed_at"] = now
    Assessment.objects.filter(pk=assessment.pk).update(status=status, round=round_, started_at=now, **stamps)
    AssessmentEvent.objects.create(
        assessment=assessment,
        action="demo",
        subject="演示数据",
        to_value=Assessment.Status(status).label,
        reason=note,
    )
    assessment_recompute(assessment)


def _seed_2024(township, standard, committee, supervisor, city_user):
    campaign = campaign_create(
        actor=None,
        township=township,
        year=2024,
        standard=standard,
        self_deadline=datetime.date(2024, 6, 25),
        submission_deadline=datetime.date(2024, 6, 30),
        city_deadline=datetime.date(2024, 7, 10),
    )
    rnd = random.Random(2024)
    assessments = list(campaign.assessments.select_related("village").order_by("village__sort_order"))
    bands = [band for count, low, high in BANDS_2024 for band in [(low, high)] * count]
    order = list(range(len(assessments)))
    rnd.shuffle(order)
    for index, a in zip(order, assessments, strict=True):
        low, high = bands[index] if index < len(bands) else (60, 70)
        _set_scores(a, rnd.uniform(low, high), rnd, review=True)
        VetoCheck.objects.filter(assessment=a).update(self_answer=False, review=VetoCheck.Review.CLEARED)
        _form_fields(a, rnd)
        _set_state(a, S.CONFIRMED, note="2024年度测评已完成（演示数据）")
    Campaign.objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
    top = standard.grades.order_by("rank").first()
    candidates = list(campaign.assessments.filter(final_grade=top.code).order_by("-final_score"))
    Assessment.objects.filter(pk__in=[a.pk for a in candidates]).update(city_candidate=True)
    for rank, a in enumerate(candidates, start=1):
        a.refresh_from_db()
        _candidate_material(a, rank, standard, committee, supervisor)
        assessment_recompute(a)
    second = standard.grades.order_by("rank")[1]
    for i, a in enumerate(candidates):
        confirmed = i < len(candidates) - 1
        Assessment.objects.filter(pk=a.pk).update(
            city_decision=Assessment.CityDecision.CONFIRMED if confirmed else Assessment.CityDecision.OTHER,
            city_grade=top.code if confirmed else second.code,
            city_reason="" if confirmed else "清廉文化品牌特色不够鲜明，认定为达标村。",
            city_decided_at=timezone.now(),
        )
    return campaign


def _seed_2025(township, standard_2024, committee, supervisor):
    standard = IndexStandard.objects.filter(code=standard_2024.code, year=2025).first()
    if standard is None:
        standard = standard_copy(standard=standard_2024, new_version="2025-draft-1", year=2025, actor=None)
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
    rnd = random.Random(2025)
    assessments = list(campaign.assessments.select_related("village").order_by("village__sort_order"))
    # The demo village (first) is left as a blank draft for the demo accounts to fill in. The rest of
    # its branch has submitted (ready for the branch secretary); later ones are at the township.
    plan = (
        [None] + [S.SUBMITTED] * 5 + [S.DRAFT] * 3 + [S.FORWARDED] * 20 + [S.IN_REVIEW] * 4 + [S.RETURNED] * 2
    )
    plan += [S.REVIEWED] * 20
    for a, status in zip(assessments, plan + [S.DRAFT] * len(assessments), strict=False):
        if status is None:
            continue
        target = rnd.uniform(70, 96)
        _set_scores(a, target, rnd, review=status == S.REVIEWED)
        if status != S.DRAFT:
            _paperwork(a, committee, supervisor)
        if status == S.REVIEWED:
            VetoCheck.objects.filter(assessment=a).update(review=VetoCheck.Review.CLEARED)
        note = "申请表扫描件未加盖村“两委”公章，请重新上传。" if status == S.RETURNED else "演示数据"
        _set_state(a, status, round_=0 if status == S.DRAFT else 1, note=note)
    return campaign


@transaction.atomic
def seed_campaigns(*, township, village_standard, committee, supervisor, city_user):
    made = []
    if not Campaign.objects.filter(township=township, year=2024, level=Campaign.Level.VILLAGE).exists():
        made.append(_seed_2024(township, village_standard, committee, supervisor, city_user))
    if not Campaign.objects.filter(township=township, year=2025, level=Campaign.Level.VILLAGE).exists():
        made.append(_seed_2025(township, village_standard, committee, supervisor))
    return made


def seed_demo_campaigns(demo):
    """Demo seeder (see portal/registry.py): 鲍沟镇's campaigns, after its standards and accounts."""
    users = demo.users
    seed_campaigns(
        township=demo.baogou,
        village_standard=demo.standards[0],
        committee=users["demo_village"],
        supervisor=users["demo_supervisor"],
        city_user=users["demo_city"],
    )
