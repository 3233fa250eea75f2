"""Demo campaigns of the 滕州市 townships: 2024 confirmed (history, city decisions), 2025 under way.

鲍沟镇 2025 is laid out for the README's walkthrough: the demo accounts' village is a blank draft, two
more villages of its party branch wait for the branch secretary, three villages are in the reviewer's
queue (two 已报镇街, one half reviewed) and all the others are reviewed, so the walkthrough ends with the
grades confirmed. No village is left in a state only a village without accounts could leave. If the demo
village is graded 示范村 (as it is with full marks) and the queue is reviewed as self-assessed, the
distribution meets the year's target exactly (10/43/13, 示范村 counted with 2024's). 羊庄镇 2025 needs only
its reviewer: its last six villages are in the queue.

Scores are generated deterministically so that each year lands on the plan's distribution; nothing here
is real data. Idempotent: a campaign that exists is left as it is.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from indices.demo import demo_version
from indices.models import IndexStandard
from indices.services import standard_copy

from .demo_files import application_form_pdf, bonus_evidence_pdf
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
# Score bands (of 100, before bonus and ledger deductions) per grade, best first: 2.5 points clear of
# the 90/80/70 lines, so a confirmed ledger deduction (at most 1 point a village a year in the demo)
# never moves a village to another grade.
BANDS = [(93, 97), (82.5, 87.5), (72.5, 77.5), (58, 66)]
# The path each state took, as history rows: (action, label, from, to).
STEPS = [
    ("submit", "提交自评", S.DRAFT, S.SUBMITTED),
    ("forward", "报送镇街", S.SUBMITTED, S.FORWARDED),
    ("start_review", "开始初审", S.FORWARDED, S.IN_REVIEW),
    ("complete_review", "完成初审", S.IN_REVIEW, S.REVIEWED),
    ("confirm_grade", "确认定级", S.REVIEWED, S.CONFIRMED),
]
PATH = [S.DRAFT, S.SUBMITTED, S.FORWARDED, S.IN_REVIEW, S.REVIEWED, S.CONFIRMED]


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


def _score_rows(rows, target, rnd, *, review, reviewed_share=1.0):
    """Give the indicator rows (in the standard's order, not saved) scores adding up to `target`, self a
    little higher than the review. With `review`, the first `reviewed_share` of them also get the
    township's score: a review half done leaves the rest for the reviewer."""
    reviewed = round(len(rows) * reviewed_share) if review else 0
    for i, (row, got) in enumerate(zip(rows, _spread(rows, target), strict=True)):
        top = row.indicator.max_score
        village_scored = row.indicator.scored_by == "village_and_township"
        row.self_score = min(top, got + (HALF if rnd.random() < 0.2 else 0)) if village_scored else None
        row.self_note = "已按要求落实，佐证材料见附件。" if village_scored else ""
        if i < reviewed:
            row.review_score = got
            row.review_note = "" if row.self_score in (None, got) else "抽查台账发现记录不全，按标准扣分。"
            if not village_scored:
                row.review_note = "按入户走访和群众满意度测评结果评分。"


def _ordered_scores(queryset):
    return queryset.select_related("indicator", "indicator__dimension").order_by(
        "assessment_id", "indicator__dimension__sort_order", "indicator__sort_order"
    )


def _set_scores(assessment, target, rnd, *, review, reviewed_share=1.0):
    """Score one assessment's indicators to `target` (see _score_rows) and save them."""
    rows = list(_ordered_scores(IndicatorScore.objects.filter(assessment=assessment)))
    _score_rows(rows, target, rnd, review=review, reviewed_share=reviewed_share)
    fields = ["self_score", "self_note"] + (["review_score", "review_note"] if review else [])
    IndicatorScore.objects.bulk_update(rows, fields)


def _store(assessment, kind, demo_file, original_name, uploader, *, claim=None):
    evidence = Evidence(
        assessment=assessment,
        kind=kind,
        bonus_claim=claim,
        original_name=original_name,
        content_type="application/pdf",
        size=demo_file.size,
        sha256=demo_file.sha256,
        uploaded_by=uploader,
        round=1,
    )
    evidence.file.save(f"{evidence.pk}.pdf", ContentFile(demo_file.content), save=False)
    return evidence


def _history(assessment, status, *, round_=1, note=""):
    """Unsaved event rows for the steps that lead to `status` (a return carries `note` as its reason)."""
    if status == S.RETURNED:
        steps = [*STEPS[:3], ("return", "退回修改", S.IN_REVIEW, S.RETURNED)]
    else:
        steps = STEPS[: PATH.index(status)] if status in PATH else []
    events = [
        AssessmentEvent(
            assessment=assessment,
            action=action,
            subject=label,
            from_value=S(source).label,
            to_value=S(target).label,
            reason=note if action == "return" else "",
            round=round_,
        )
        for action, label, source, target in steps
    ]
    if note and status != S.RETURNED:
        events.append(
            AssessmentEvent(
                assessment=assessment, action="demo", subject="演示数据", reason=note, round=round_
            )
        )
    return events


def _stamps(status):
    now = timezone.now()
    stamps = {"started_at": now}
    if status == S.RETURNED or PATH.index(status) >= PATH.index(S.SUBMITTED):
        stamps.update(submitted_at=now, forwarded_at=now)
    if status in (S.REVIEWED, S.CONFIRMED):
        stamps["reviewed_at"] = now
    return stamps


def _set_state(assessment, status, *, round_=1, note=""):
    """Put one assessment in `status` with the history of the steps that lead there, and recompute."""
    Assessment.objects.filter(pk=assessment.pk).update(status=status, round=round_, **_stamps(status))
    AssessmentEvent.objects.bulk_create(_history(assessment, status, round_=round_, note=note))
    assessment_recompute(assessment)


class _Batch:
    """One campaign's demo writes, collected and then made in a few bulk statements (seeding stays fast):
    scores, paperwork (veto self-check, stamped form, sign-offs), states with their history; then every
    assessment's totals are recomputed by the service."""

    def __init__(self, campaign, committee, supervisor):
        self.campaign, self.committee, self.supervisor = campaign, committee, supervisor
        self.rows = {}
        for row in _ordered_scores(IndicatorScore.objects.filter(assessment__campaign=campaign)):
            self.rows.setdefault(row.assessment_id, []).append(row)
        self.evidence, self.signoffs, self.events = [], [], []
        self.states, self.papers, self.cleared = {}, [], []

    def scores(self, a, target, rnd, *, review, reviewed_share=1.0):
        _score_rows(self.rows[a.pk], target, rnd, review=review, reviewed_share=reviewed_share)

    def queued(self, a, low, high):
        """A village still to be reviewed: its self scores add up to between `low` and `high`; the review
        done so far takes them as they are but for one adjusted indicator (half a point, with a reason)."""
        rows = self.rows[a.pk]
        village = [r for r in rows if r.self_score is not None]
        total, i = sum(r.self_score for r in village), 0
        while total > high or total < low:
            r = village[i % len(village)]
            step = -HALF if total > high else HALF
            if 0 <= r.self_score + step <= r.indicator.max_score:
                r.self_score += step
                total += step
            i += 1
        adjusted = False
        for r in village:
            if r.review_score is not None:
                r.review_score, r.review_note = r.self_score, ""
                if not adjusted and r.self_score >= HALF:
                    r.review_score -= HALF
                    r.review_note = "抽查会议记录，有一次未按要求公开，扣0.5分。"
                    adjusted = True

    def paperwork(self, a):
        """The submission paperwork: veto self-check answered, the stamped 申请表 (a real one-page PDF)
        and both sides' sign-offs for round 1."""
        self.papers.append(a.pk)
        name = f"{a.village.name}申请表（盖章）.pdf"
        self.evidence.append(
            _store(a, Evidence.Kind.APPLICATION_FORM, application_form_pdf(), name, self.committee)
        )
        for side, user in (("committee", self.committee), ("supervisor", self.supervisor)):
            self.signoffs.append(Signoff(assessment=a, side=side, round=1, user=user))

    def claim(self, a, item, points, *, accepted):
        """A bonus claim with its evidence (a real one-page PDF), accepted or waiting for the review."""
        claim = BonusClaim.objects.create(
            assessment=a,
            bonus_item=item,
            claimed_points=points,
            explanation=f"{item.name}（演示数据）",
            status=BonusClaim.Status.ACCEPTED if accepted else BonusClaim.Status.CLAIMED,
            accepted_points=points if accepted else None,
            review_reason="材料齐全，予以认定。" if accepted else "",
        )
        name = f"{item.name[:12]}证明材料.pdf"
        pdf = bonus_evidence_pdf(item.name)
        self.evidence.append(_store(a, Evidence.Kind.BONUS, pdf, name, self.committee, claim=claim))

    def state(self, a, status, *, cleared=False):
        self.states.setdefault(status, []).append(a.pk)
        self.events += _history(a, status)
        if cleared:
            self.cleared.append(a.pk)

    def flush(self):
        rows = [row for rows in self.rows.values() for row in rows]
        IndicatorScore.objects.filter(assessment__campaign=self.campaign).delete()
        for row in rows:
            row.pk = None
        IndicatorScore.objects.bulk_create(rows, batch_size=500)
        VetoCheck.objects.filter(assessment_id__in=self.papers).update(self_answer=False)
        VetoCheck.objects.filter(assessment_id__in=self.cleared).update(review=VetoCheck.Review.CLEARED)
        Evidence.objects.bulk_create(self.evidence, batch_size=500)
        Signoff.objects.bulk_create(self.signoffs, batch_size=500)
        AssessmentEvent.objects.bulk_create(self.events, batch_size=500)
        for status, pks in self.states.items():
            Assessment.objects.filter(pk__in=pks).update(status=status, round=1, **_stamps(status))
        for a in self.campaign.assessments.all():
            assessment_recompute(a)


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
BRANDS = ["清风惠民", "阳光村务", "廉韵乡风", "清源善治", "明镜议事", "廉心聚力", "清朗家园"]


def _form_values(rnd):
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


def _form_fields(assessment, rnd):
    Assessment.objects.filter(pk=assessment.pk).update(**_form_values(rnd))


def _candidate_material(batch, assessment, rank, standard):
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


def _seed_2024(plan, township, standard, committee, supervisor):
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
    batch = _Batch(campaign, committee, supervisor)
    for index, a in zip(order, assessments, strict=True):
        low, high = bands[index] if index < len(bands) else BANDS[-1]
        batch.scores(a, rnd.uniform(low, high), rnd, review=True)
        _form_fields(a, rnd)
        batch.paperwork(a)
        batch.state(a, S.CONFIRMED, cleared=True)
    batch.flush()
    Campaign.objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
    top, second = standard.grades.order_by("rank")[:2]
    candidates = list(campaign.assessments.filter(final_grade=top.code).order_by("-final_score"))
    Assessment.objects.filter(pk__in=[a.pk for a in candidates]).update(city_candidate=True)
    claims = _Batch(campaign, committee, supervisor)
    for rank, a in enumerate(candidates, start=1):
        _candidate_material(claims, a, rank, standard)
    Evidence.objects.bulk_create(claims.evidence)
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


def _last_year(township, year):
    """{village id: effective grade code} of the township's confirmed campaign of `year`."""
    rows = Assessment.objects.filter(
        campaign__township=township, campaign__year=year, campaign__level=Campaign.Level.VILLAGE
    ).values_list("village_id", "city_grade", "final_grade")
    return {village: city or final for village, city, final in rows}


def _layout_2025(plan, assessments, grades, last_year):
    """[(assessment, status, grade code or None)]: who is where in 2025 and the grade their scores give.

    The queue (and, for the walkthrough, the branch's villages) avoids last year's 示范村; the reviewed
    villages make up the rest of the target: last year's 示范村 stay 示范村, last year's 促进村 reach at
    least 提升村 (逐年提升), the others are 达标村.
    """
    top, second, third, lowest = (g.code for g in grades)
    fresh = [a for a in assessments if last_year.get(a.village_id) != top]
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
        code: [a for a in rest if last_year.get(a.village_id) == code]
        for code in (top, second, third, lowest)
    }
    tops = (by_last[top] + by_last[second])[: wanted[top]]
    thirds = [a for a in by_last[lowest] + by_last[third] if a not in tops][: wanted[third]]
    for a in rest:
        grade = top if a in tops else third if a in thirds else second
        chosen[a.pk] = (S.REVIEWED, grade)
    return [(a, *chosen[a.pk]) for a in assessments]


def _queue_range(grades, code):
    """The self-score total of a village in the queue that lands on grade `code` once reviewed, whatever
    the reviewer gives the township-scored indicator (up to 4 points) and with up to half a point of
    bonus, one point of ledger deduction and half a point of review adjustment."""
    codes = [g.code for g in grades]
    i = codes.index(code)
    line = grades[i].min_score
    ceiling = grades[i - 1].min_score if i else Decimal("105")
    return line + Decimal("1.5"), ceiling - 5


def _seed_2025(plan, township, standard_2024, committee, supervisor):
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
    batch = _Batch(campaign, committee, supervisor)
    for a, status, grade in _layout_2025(plan, assessments, grades, _last_year(township, 2024)):
        if grade is None:
            continue  # the walkthrough's village: a blank draft for the demo accounts
        review = status in (S.IN_REVIEW, S.REVIEWED)
        share = 0.5 if status == S.IN_REVIEW else 1.0
        batch.scores(a, rnd.uniform(*band[grade]), rnd, review=review, reviewed_share=share)
        if status != S.REVIEWED:
            batch.queued(a, *_queue_range(grades, grade))
        _form_fields(a, rnd)
        batch.paperwork(a)
        batch.state(a, status, cleared=status == S.REVIEWED)
        if status == S.REVIEWED and grade == grades[0].code:
            batch.claim(a, bonus_items[1], Decimal("1"), accepted=True)
        elif status == S.FORWARDED and grade == grades[2].code:
            batch.claim(a, bonus_items[0], HALF, accepted=False)
    batch.flush()
    return campaign


@transaction.atomic
def seed_campaigns(*, township, village_standard, committee, supervisor, city_user=None):
    """The township's 2024 and 2025 campaigns (a missing one is made; an existing one is left)."""
    plan = PLANS[township.name]
    made = []
    if not Campaign.objects.filter(township=township, year=2024, level=Campaign.Level.VILLAGE).exists():
        made.append(_seed_2024(plan, township, village_standard, committee, supervisor))
    if not Campaign.objects.filter(township=township, year=2025, level=Campaign.Level.VILLAGE).exists():
        made.append(_seed_2025(plan, township, village_standard, committee, supervisor))
    return made


def seed_demo_campaigns(demo):
    """Demo seeder (see portal/registry.py): the 滕州市 townships' campaigns, after standards and
    accounts. The villages' paperwork is signed by the demo village accounts (the demo has no others)."""
    users = demo.users
    for township in (demo.baogou, demo.yangzhuang):
        seed_campaigns(
            township=township,
            village_standard=demo.standards[0],
            committee=users["demo_village"],
            supervisor=users["demo_supervisor"],
        )
