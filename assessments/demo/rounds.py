"""The demo's evaluation rounds beside the annual one: 三管镇 (seed 003) holds a 2025 中期评估 of all its
villages with its own target, 羊庄镇 a 2025 试点验收 of one community (seed 004's pilot before extending).

No round waits on an account the demo does not have: the 中期评估's villages have all reported (half
reviewed, the rest in 三管镇's queue for demo_sanguan); the 试点验收 is done and confirmed."""

import datetime
import random

from django.utils import timezone

from indices.models import IndexStandard
from villages.models import AnnualTarget

from ..models import Assessment, Campaign
from ..services.campaigns import annual_target_save, campaign_create
from .batch import Batch
from .scores import BANDS, queue_range
from .years import form_fields

K = Campaign.Kind
S = Assessment.Status


def _standard_2025(standard):
    """The 2025 version of the demo standard where the annual rounds made one, else the one given."""
    return IndexStandard.objects.filter(code=standard.code, year=2025).order_by("pk").first() or standard


def seed_midterm(township, standard, committee, supervisor, actor=None):
    """三管镇's 2025 中期评估: every active village, against a 中期评估 target of its own (three in ten
    reaching the standard by mid-term)."""
    if Campaign.objects.filter(township=township, year=2025, kind=K.MIDTERM).exists():
        return None
    standard = _standard_2025(standard)
    campaign = campaign_create(
        actor=actor,
        township=township,
        year=2025,
        standard=standard,
        kind=K.MIDTERM,
        self_deadline=datetime.date(2025, 9, 20),
        submission_deadline=datetime.date(2025, 9, 30),
    )
    annual_target_save(
        township=township,
        year=2025,
        kind=K.MIDTERM,
        mode=AnnualTarget.Mode.SHARE,
        share_percent=30,
        note="中期评估：按创建行动实施方案，年中达到清廉村居标准的村不少于三成。（演示数据）",
        actor=actor,
    )
    rnd = random.Random(f"{township.name}2025中期评估")
    grades = list(standard.grades.order_by("rank"))
    assessments = list(campaign.assessments.select_related("village").order_by("village__sort_order"))
    batch = Batch(campaign, committee, supervisor)
    for i, a in enumerate(assessments):
        grade = grades[min(i % 4, len(grades) - 1)]
        reviewed = i % 2 == 0
        batch.scores(a, rnd.uniform(*BANDS[grades.index(grade)]), rnd, review=reviewed)
        if not reviewed:
            batch.queued(a, *queue_range(grades, grade.code))
        form_fields(a, rnd)
        batch.paperwork(a)
        batch.state(a, S.REVIEWED if reviewed else S.FORWARDED, cleared=reviewed)
    batch.flush()
    return campaign


def seed_pilot(township, standard, committee, supervisor, actor=None):
    """羊庄镇's 2025 试点验收 of its first community, accepted and confirmed before the annual round
    extends to every village."""
    if Campaign.objects.filter(township=township, year=2025, kind=K.PILOT).exists():
        return None
    standard = _standard_2025(standard)
    pilot = list(township.villages.filter(is_active=True).order_by("sort_order", "name")[:1])
    campaign = campaign_create(
        actor=actor,
        township=township,
        year=2025,
        standard=standard,
        kind=K.PILOT,
        villages=pilot,
        self_deadline=datetime.date(2025, 4, 20),
        submission_deadline=datetime.date(2025, 4, 30),
    )
    annual_target_save(
        township=township,
        year=2025,
        kind=K.PILOT,
        mode=AnnualTarget.Mode.SHARE,
        share_percent=100,
        note="试点验收：试点社区须达到清廉村居标准后再全面推开。（演示数据）",
        actor=actor,
    )
    rnd = random.Random(f"{township.name}2025试点验收")
    batch = Batch(campaign, committee, supervisor)
    for a in campaign.assessments.select_related("village"):
        batch.scores(a, rnd.uniform(*BANDS[1]), rnd, review=True)
        form_fields(a, rnd)
        batch.paperwork(a)
        batch.state(a, S.CONFIRMED, cleared=True)
    batch.flush()
    Campaign.objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
    return campaign
