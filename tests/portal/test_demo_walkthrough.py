"""The README's walkthrough (“试一遍完整流程”) on a freshly seeded demo, with the accounts seed_demo prints.

This test guards the README: every step the README names is taken by the account it names, and the
cycle ends with the 2025 grades confirmed and the city deciding. Scores and uploads go through the
services (the sheet's controls post to them); the steps a user takes with a button — 提交自评, 报送镇街,
完成初审, 确认定级, 市级认定 — go through the HTTP client, and the pages the README sends users to are
loaded. If the README's flow changes, change this test with it.
"""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, User
from assessments.demo.files import application_form_pdf
from assessments.models import Assessment, BonusClaim, Campaign, IndicatorScore, VetoCheck
from assessments.services.grading import grading_summary
from assessments.services.review import (
    bonus_claim_review,
    score_save_review,
    scores_accept_remaining,
)
from assessments.services.self_assessment import (
    evidence_upload,
    score_save_self,
    signoff_sign,
    veto_self_save,
)
from portal.demo import seed_demo

pytestmark = pytest.mark.django_db
S = Assessment.Status
PASSWORD = "Demo-Walkthrough-2025"


def _as(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def _ok(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _fill_sheet(a, committee, supervisor):
    """demo_village: every indicator at full marks (无扣分情形), the negative list answered 否, the stamped
    申请表 uploaded, signed by both committees."""
    for row in IndicatorScore.objects.filter(assessment=a, indicator__scored_by="village_and_township"):
        row = IndicatorScore.objects.select_related("indicator").get(pk=row.pk)
        score_save_self(
            assessment=a,
            score=row,
            actor=committee,
            expected_version=row.version,
            value=row.indicator.max_score,
        )
    for check in VetoCheck.objects.filter(assessment=a):
        veto_self_save(
            assessment=a, check=check, actor=committee, answer=False, note="", expected_version=check.version
        )
    pdf = application_form_pdf().content
    upload = SimpleUploadedFile("申请表（盖章）.pdf", pdf, content_type="application/pdf")
    evidence_upload(assessment=a, actor=committee, kind="application_form", uploaded_file=upload)
    signoff_sign(assessment=a, actor=committee, side="committee")
    signoff_sign(assessment=a, actor=supervisor, side="supervisor")


def _review(client, a, reviewer):
    """demo_jiwei on one village of the queue: 满意度测评 (镇街打分) scored directly, 采纳其余自评,
    pending bonus claims accepted, then 完成初审."""
    _ok(client.get(reverse("assessments:review_edit", args=[a.pk])))
    a.refresh_from_db()
    township_row = IndicatorScore.objects.select_related("indicator").get(
        assessment=a, indicator__scored_by="township_only"
    )
    if township_row.review_score is None:
        score_save_review(
            assessment=a,
            score=township_row,
            actor=reviewer,
            expected_version=township_row.version,
            value="3",
            reason="入户走访 30 户，满意率 92%，按 90%–95% 档计 3 分。",
        )
    scores_accept_remaining(assessment=a, actor=reviewer)
    for claim in BonusClaim.objects.filter(assessment=a, status=BonusClaim.Status.CLAIMED):
        bonus_claim_review(
            assessment=a,
            claim=claim,
            expected_version=claim.version,
            actor=reviewer,
            accept=True,
            reason="材料齐全，予以认定。",
        )
    response = client.post(reverse("assessments:transition", args=[a.pk, "complete_review"]))
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == S.REVIEWED, a.status


def test_the_readme_walkthrough_runs_on_the_seeded_demo_to_the_citys_decision(client):
    accounts = {a.username: a for a in seed_demo(password=PASSWORD)}
    users = {name: User.objects.get(username=name) for name in accounts}
    for name, user in users.items():
        assert user.check_password(PASSWORD), name
    campaign = Campaign.objects.get(township__name="鲍沟镇", year=2025, level=Campaign.Level.VILLAGE)
    village = Membership.objects.get(user=users["demo_village"]).village
    ours = Assessment.objects.select_related("village").get(campaign=campaign, village=village)
    assert ours.status == S.DRAFT and ours.village.sort_order == 1

    # 1. demo_village fills the sheet: the standard is shown with its version written for users.
    page = _ok(_as(client, "demo_village").get(reverse("assessments:self_edit", args=[ours.pk])))
    assert "2025年版" in page and "draft" not in page
    _fill_sheet(ours, users["demo_village"], users["demo_supervisor"])

    # 2. demo_supervisor submits (提交自评).
    response = _as(client, "demo_supervisor").post(
        reverse("assessments:transition", args=[ours.pk, "submit"])
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.status == S.SUBMITTED

    # 3. demo_branch: 本党总支报送 lists three submitted villages (ours and two more); all are sent.
    branch = ours.village.branch
    board = reverse("assessments:branch_board", args=[campaign.pk, branch.pk])
    page = _ok(_as(client, "demo_branch").get(board))
    submitted = list(campaign.assessments.filter(village__branch=branch, status=S.SUBMITTED))
    assert len(submitted) == 3 and all(a.village.name in page for a in submitted)
    response = client.post(
        reverse("assessments:branch_forward", args=[campaign.pk, branch.pk]),
        {"assessment": [a.pk for a in submitted]},
    )
    assert response.status_code == 302
    assert campaign.assessments.filter(status=S.FORWARDED).count() == 5  # three from the branch, two waiting

    # 4. demo_jiwei reviews the queue: everything not reviewed yet is 已报镇街 or 初审中 now.
    queue = list(
        campaign.assessments.exclude(status=S.REVIEWED)
        .select_related("village")
        .order_by("village__sort_order")
    )
    assert {a.status for a in queue} == {S.FORWARDED, S.IN_REVIEW} and len(queue) == 6
    _ok(_as(client, "demo_jiwei").get(reverse("assessments:campaign_detail", args=[campaign.pk])))
    for a in queue:
        _review(client, a, users["demo_jiwei"])

    # 5. demo_jiwei: 初审定级 shows the distribution against the year's target: it matches, no warnings.
    page = _ok(client.get(reverse("assessments:grading_board", args=[campaign.pk])))
    summary = grading_summary(campaign)
    assert summary.all_reviewed and summary.warnings == [], summary.warnings
    assert [(r.name, r.total, r.target) for r in summary.rows if r.target is not None] == [
        ("示范村", 10, 10),
        ("达标村", 43, 43),
        ("提升村", 13, 13),
    ]
    ours.refresh_from_db()
    assert ours.final_grade == "SHIFAN" and ours.final_score >= Decimal("90")
    # 确认定级 opens the confirmation step; the POST carries the distribution the page showed.
    confirm_url = reverse("assessments:confirm_grades", args=[campaign.pk])
    page = _ok(client.get(confirm_url))
    fingerprint = re.search(r'name="distribution" value="([^"]*)"', page).group(1)
    response = client.post(confirm_url, {"distribution": fingerprint})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.is_confirmed
    assert not campaign.assessments.exclude(status=S.CONFIRMED).exists()
    candidates = campaign.assessments.filter(city_candidate=True)
    assert candidates.count() == 10

    # 6. demo_city: 示范村评选 lists the candidates; the city confirms ours.
    page = _ok(_as(client, "demo_city").get(reverse("assessments:city_board")))
    assert ours.village.name in page
    ours.refresh_from_db()
    response = client.post(
        reverse("assessments:city_decide", args=[ours.pk]), {"decision": "confirmed", "version": ours.version}
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.city_decision == Assessment.CityDecision.CONFIRMED and ours.city_grade == "SHIFAN"

    # 7. The village sees its result on its overview page.
    page = _ok(_as(client, "demo_village").get(reverse("assessments:assessment_detail", args=[ours.pk])))
    assert "示范村" in page and re.search(r"市级.{0,20}认定", page)
