"""The 初审 pages: the self-assessment beside the reviewer's inputs, saves through forms and JSON,
conflicts shown with the stored value, forged line ids, and who may open them."""

from decimal import Decimal as D

from assessments.models import Assessment, AssessmentEvent, BonusClaim, Evidence, IndicatorScore, VetoCheck
from assessments.services.review import bonus_claim_review, score_save_review
from audit.models import AuditEvent
from tests.assessments.conftest import PDF_BYTES
from tests.assessments.test_review import claim, score_of, submit_and_forward

# --- pages ---------------------------------------------------------------------------------------------


def _url(name, *args):
    from django.urls import reverse

    return reverse(f"assessments:{name}", args=args)


def test_the_review_page_shows_self_score_note_and_evidence_beside_the_reviewer_inputs(client, cycle):
    from django.core.files.base import ContentFile

    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    IndicatorScore.objects.filter(pk=s.pk).update(self_note="年初已签订承诺")
    e = Evidence.objects.create(
        assessment=a,
        kind=Evidence.Kind.INDICATOR,
        indicator=s.indicator,
        file=ContentFile(PDF_BYTES, name="x.pdf"),
        original_name="承诺书.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
        uploaded_by=cycle.committee,
    )
    client.force_login(cycle.reviewer)
    response = client.get(_url("review_edit", a.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "年初已签订承诺" in html and "承诺书.pdf" in html
    assert _url("evidence_download", e.pk) in html
    assert _url("review_score_save", a.pk, s.pk) in html
    assert "采纳自评" in html
    assert _url("transition", a.pk, "return") in html  # 退回修改 from the same table
    assert 'data-confirm="退回后村里可修改并重新提交，确定退回吗？"' in html


def test_saving_through_the_page_and_a_conflict_shows_the_stored_value(client, cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    client.force_login(cycle.reviewer)
    url = _url("review_score_save", a.pk, s.pk)
    response = client.post(url, {"version": "1", "value": "3", "reason": "材料不全"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.review_score, s.version) == (D("3"), 2)
    response = client.post(url, {"version": "1", "value": "2", "reason": "另一人"}, follow=True)
    assert "已被他人修改" in response.content.decode() and "初审得分 3" in response.content.decode()
    s.refresh_from_db()
    assert s.review_score == D("3")
    json = client.post(url, {"version": "1", "value": "2", "reason": "x"}, HTTP_ACCEPT="application/json")
    assert json.status_code == 409 and json.json()["conflict"] is True
    ok = client.post(url, {"version": "2", "accept": "1"}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200
    assert ok.json()["score"] == "4" and ok.json()["totals"]["review_base"] == "96"
    refused = client.post(url, {"version": "3", "value": "1"}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400 and "须填写调整理由" in refused.json()["errors"][0]


def test_the_page_takes_rule_inputs(client, cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.1")
    half = s.indicator.rules.get(points=D("0.5"))
    client.force_login(cycle.reviewer)
    client.post(
        _url("review_score_save", a.pk, s.pk), {"version": "1", f"rule_{half.pk}": "4", "reason": "缺4个月"}
    )
    s.refresh_from_db()
    assert (s.review_score, s.review_rules) == (D("1"), {str(half.pk): 4})


def test_bonus_and_veto_saves_through_the_page(client, cycle):
    a = submit_and_forward(cycle)
    c = claim(a, "B01", "2")
    v = VetoCheck.objects.filter(assessment=a).first()
    client.force_login(cycle.reviewer)
    client.post(
        _url("review_bonus_save", a.pk, c.pk),
        {"decision": "accept", "points": "1", "reason": "市级", "version": c.version},
    )
    client.post(
        _url("review_veto_save", a.pk, v.pk),
        {"decision": "cleared", "reason": "无此情形", "version": v.version},
    )
    c.refresh_from_db()
    v.refresh_from_db()
    assert (c.status, c.accepted_points) == ("accepted", D("1"))
    assert (v.review, v.review_reason) == ("cleared", "无此情形")


def test_forged_line_ids_of_another_assessment_answer_404_and_write_nothing(client, cycle):
    a = submit_and_forward(cycle)
    other = submit_and_forward(cycle, "西村")
    foreign_score = score_of(other, "V1.2")
    foreign_claim = claim(other, "B01", "2")
    foreign_veto = VetoCheck.objects.filter(assessment=other).first()
    client.force_login(cycle.reviewer)
    posts = [
        (_url("review_score_save", a.pk, foreign_score.pk), {"version": "1", "value": "1", "reason": "x"}),
        (_url("review_bonus_save", a.pk, foreign_claim.pk), {"decision": "reject", "reason": "x"}),
        (_url("review_veto_save", a.pk, foreign_veto.pk), {"decision": "confirmed", "reason": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert IndicatorScore.objects.filter(review_score__isnull=False).count() == 0
    assert BonusClaim.objects.get(pk=foreign_claim.pk).status == "claimed"
    assert VetoCheck.objects.get(pk=foreign_veto.pk).review == ""
    assert not AssessmentEvent.objects.filter(action__startswith="review").exists()
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(a.pk)).count() == 3


def test_the_review_pages_are_404_for_everyone_without_the_reviewer_side(client, cycle):
    a = submit_and_forward(cycle)
    s = score_of(a, "V1.2")
    for user in (cycle.committee, cycle.supervisor, cycle.secretary, cycle.leader, cycle.city):
        client.force_login(user)
        assert client.get(_url("review_edit", a.pk)).status_code == 404
        assert (
            client.post(_url("review_score_save", a.pk, s.pk), {"version": "1", "accept": "1"}).status_code
            == 404
        )
    assert AuditEvent.objects.filter(action="access.denied", result="failure").count() >= 5
    client.force_login(cycle.reviewer)
    assert client.get(_url("review_score_save", a.pk, s.pk)).status_code == 405
    s.refresh_from_db()
    assert s.review_score is None


def test_the_result_partial_renders_the_score_sheet_for_the_village(cycle):
    from django.template.loader import render_to_string

    from assessments.views.review import review_result_context

    a = submit_and_forward(cycle)
    c = claim(a, "B01", "2")
    s = score_of(a, "V1.2")
    score_save_review(
        assessment=a, score=s, actor=cycle.reviewer, expected_version=1, value="3", reason="记录不全"
    )
    bonus_claim_review(
        assessment=a,
        claim=c,
        expected_version=c.version,
        actor=cycle.reviewer,
        accept=False,
        reason="级别不符",
    )
    a = Assessment.objects.select_related("campaign").get(pk=a.pk)
    context = review_result_context(a)
    assert len(context["scores"]) == 26 and len(context["veto_checks"]) == 7
    html = render_to_string("assessments/review_result_partial.html", context)
    assert "记录不全" in html and "级别不符" in html and "不予认定" in html
    assert "示范村" in html  # the grade's name, not its code
    assert "SHIFAN" not in html
