"""A confirmed 2024 campaign of 甲镇 with two 示范村 candidates (东村, 南村) and their evidence."""

import hashlib

import pytest
from django.core.files.base import ContentFile

from assessments.models import Assessment, BonusClaim, DemonstrationApplication, Evidence
from assessments.services.grading import campaign_confirm_grades
from assessments.services.totals import assessment_recompute
from tests.assessments.conftest import PDF_BYTES, cycle, standard  # noqa: F401
from tests.assessments.test_grading import reviewed

BONUS_BYTES = b"%PDF-1.4\n% bonus evidence\n" + PDF_BYTES[9:]


def add_bonus(a, *, code_index=0, points="1", name="市级表彰文件.pdf", payload=BONUS_BYTES):
    item = a.campaign.standard.bonus_items.order_by("sort_order")[code_index]
    claim = BonusClaim.objects.create(
        assessment=a,
        bonus_item=item,
        claimed_points=points,
        explanation="获市级表彰",
        status=BonusClaim.Status.ACCEPTED,
        accepted_points=points,
        review_reason="材料齐全",
    )
    ev = Evidence.objects.create(
        assessment=a,
        kind=Evidence.Kind.BONUS,
        bonus_claim=claim,
        file=ContentFile(payload, name="bonus.pdf"),
        original_name=name,
        content_type="application/pdf",
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
    )
    assessment_recompute(a)
    return claim, ev


@pytest.fixture
def confirmed(cycle):  # noqa: F811
    """东村 and 南村 at full marks (示范村 candidates), 西村 reviewed down to 促进村; grades confirmed."""
    reviewed(cycle, "东村")
    reviewed(cycle, "西村", value="2")
    reviewed(cycle, "南村")
    # fill_self records a placeholder hash for the stamped form; give it the real one
    for ev in Evidence.objects.filter(kind=Evidence.Kind.APPLICATION_FORM):
        with ev.file.open("rb") as fh:
            Evidence.objects.filter(pk=ev.pk).update(sha256=hashlib.sha256(fh.read()).hexdigest())
    east = Assessment.objects.get(campaign=cycle.campaign, village__name="东村")
    cycle.bonus_claim, cycle.bonus_evidence = add_bonus(east)
    campaign_confirm_grades(campaign=cycle.campaign, actor=cycle.reviewer)
    DemonstrationApplication.objects.create(
        assessment=east, brand_name="清风东村", recommendation_rank=2, experience="一月一公开。"
    )
    south = Assessment.objects.get(campaign=cycle.campaign, village__name="南村")
    DemonstrationApplication.objects.create(assessment=south, brand_name="廉韵南村", recommendation_rank=1)
    cycle.a = {
        a.village.name: a
        for a in Assessment.objects.filter(campaign=cycle.campaign).select_related("village")
    }
    cycle.campaign.refresh_from_db()
    return cycle
