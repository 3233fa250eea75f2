"""Honest grade states: a grade is shown as 定级 / 镇街定级 only once the township's review is complete
(status reviewed or confirmed). Before that, pages show at most “预估（按自评）”, an estimate from the
village's own entries in a muted style (class grade-estimate), and exports print no grade."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.estimates import self_estimates
from assessments.models import Assessment, IndicatorScore, VetoCheck
from assessments.services import assessment_transition
from assessments.services.review import score_save_review
from assessments.services.totals import assessment_recompute
from tests.assessments.conftest import fill_self
from tests.assessments.test_grading import reviewed
from tests.assessments.test_review import review_everything, submit_and_forward

S = Assessment.Status
GRADE_NAMES = ("示范村", "达标村", "提升村", "促进村")


def _drafted(cycle, name="东村", score="max"):
    """A draft whose self-assessment is filled (and totals recomputed), not submitted."""
    a = cycle.a[name]
    fill_self(a, cycle.committee, cycle.supervisor, score=score)
    assessment_recompute(a)
    a.refresh_from_db()
    return a


def _estimate(a):
    a = Assessment.objects.select_related("campaign").get(pk=a.pk)
    grades = {a.campaign.standard_id: list(a.campaign.standard.grades.order_by("rank"))}
    return self_estimates([a], grades)[0]


def _page(client, user, a):
    client.force_login(user)
    response = client.get(reverse("assessments:assessment_detail", args=[a.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _says_a_grade_as_graded(html):
    """“镇街定级” (or 定级等次) followed by a grade name anywhere on the page."""
    for word in ("镇街定级", "定级等次"):
        start = 0
        while (i := html.find(word, start)) >= 0:
            window = html[i : i + 200]
            if any(g in window for g in GRADE_NAMES):
                return True
            start = i + 1
    return False


# --- the estimate --------------------------------------------------------------------------------


def test_the_estimate_reads_only_the_villages_own_entries(cycle):
    a = _drafted(cycle)
    est = _estimate(a)
    assert est.self_estimate_label in GRADE_NAMES
    # the stored proposed grade (which would also take ledger deductions and review scores) is not used
    Assessment.objects.filter(pk=a.pk).update(proposed_grade="CUJIN", final_grade="CUJIN")
    assert _estimate(a).self_estimate == est.self_estimate
    # the village declaring a negative-list situation estimates the lowest grade
    VetoCheck.objects.filter(assessment=a).update(self_answer=None)
    check = VetoCheck.objects.filter(assessment=a).first()
    check.self_answer = True
    check.save()
    assert _estimate(a).self_estimate_label == "促进村"


def test_nothing_self_scored_gives_no_estimate_and_a_reviewed_assessment_none_either(cycle):
    a = cycle.a["西村"]
    assert _estimate(a).self_estimate_label == ""
    done = reviewed(cycle)
    assert done.status == S.REVIEWED and _estimate(done).self_estimate_label == ""


def test_an_in_review_estimate_ignores_the_review_scores(cycle):
    a = submit_and_forward(cycle)
    assessment_transition(assessment=a, action="start_review", actor=cycle.reviewer)
    assessment_recompute(a)  # fill_self wrote the scores directly
    before = _estimate(a).self_estimate
    assert before == "SHIFAN"  # full self marks
    for s in IndicatorScore.objects.filter(assessment=a, self_score__isnull=False)[:6]:
        score_save_review(
            assessment=a,
            score=s,
            actor=cycle.reviewer,
            expected_version=s.version,
            value=D("0"),
            reason="查无实据",
        )
    a.refresh_from_db()
    assert a.status == S.IN_REVIEW
    assert _estimate(a).self_estimate == before


# --- the village's overview page ---------------------------------------------------------------------


def test_an_unreviewed_assessments_page_shows_the_estimate_not_a_grade(client, cycle):
    a = _drafted(cycle)
    label = _estimate(a).self_estimate_label
    for user in (cycle.reviewer, cycle.committee, cycle.leader):
        html = _page(client, user, a)
        assert not _says_a_grade_as_graded(html), user.username
        assert "镇街定级" not in html, user.username
        assert f"预估（按自评）：{label}" in html, user.username
        assert 'class="grade-estimate' in html or 'class="col-sm-2 grade-estimate' in html


def test_a_reviewed_assessments_page_shows_the_grade(client, cycle):
    a = reviewed(cycle)
    html = _page(client, cycle.reviewer, a)
    name = dict(a.campaign.standard.grades.values_list("code", "name"))[a.final_grade]
    assert "镇街定级" in html and name in html and "（待确认）" in html
    assert "预估（按自评）" not in html


def test_the_village_does_not_see_the_grade_before_confirmation(client, cycle):
    a = reviewed(cycle)
    html = _page(client, cycle.committee, a)
    assert not _says_a_grade_as_graded(html) and "初审结果和等次将在镇街确认定级后公布。" in html


# --- the grading board and the history page ------------------------------------------------------------


def test_the_board_shows_the_estimate_for_unreviewed_rows_and_the_grade_for_reviewed_ones(client, cycle):
    done = reviewed(cycle, "东村")
    draft = _drafted(cycle, "西村")
    label = _estimate(draft).self_estimate_label
    client.force_login(cycle.reviewer)
    response = client.get(reverse("assessments:grading_board", args=[cycle.campaign.pk]))
    html = response.content.decode()
    rows = {a.pk: a for a in response.context["rows"]}
    assert rows[draft.pk].self_estimate_label == label
    row = html[html.index(f'id="row-{draft.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'<td class="grade-estimate small">预估（按自评）：{label}</td>' in row
    assert '<td class="text-muted">—</td>' in row  # 定级等次: nothing yet
    done_row = html[html.index(f'id="row-{done.pk}"') :]
    done_row = done_row[: done_row.index("</tr>")]
    assert rows[done.pk].final_grade_label in done_row and "预估" not in done_row
    # 南村 never opened its sheet: no estimate, no grade
    south = cycle.a["南村"]
    south_row = html[html.index(f'id="row-{south.pk}"') :]
    south_row = south_row[: south_row.index("</tr>")]
    assert not any(g in south_row for g in GRADE_NAMES)


def test_the_history_page_shows_the_estimate_until_reviewed(client, cycle):
    draft = _drafted(cycle)
    label = _estimate(draft).self_estimate_label
    client.force_login(cycle.reviewer)
    url = reverse("assessments:village_history", args=[cycle.org.village.pk])
    html = client.get(url).content.decode()
    assert f"预估（按自评）：{label}" in html
    row = html[html.index("<tbody>") : html.index("</tbody>")]
    assert "（拟定）" not in row
    Assessment.objects.filter(pk=draft.pk).update(status=S.REVIEWED)
    html = client.get(url).content.decode()
    assert "预估（按自评）" not in html and "（拟定）" in html


# --- exports --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reviewed_first", [False, True])
def test_the_score_sheet_workbook_prints_no_grade_before_the_review_is_complete(
    client, cycle, reviewed_first
):
    a = submit_and_forward(cycle)
    assessment_transition(assessment=a, action="start_review", actor=cycle.reviewer)
    if reviewed_first:
        review_everything(a, cycle.reviewer)
        assessment_transition(assessment=a, action="complete_review", actor=cycle.reviewer)
    a.refresh_from_db()
    client.force_login(cycle.reviewer)
    response = client.get(reverse("reports:assessment_document", args=[a.pk, "score.xlsx"]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = {}
    for row in ws.iter_rows():
        values = [c.value for c in row if c.value not in (None, "")]
        if values and values[0] == "拟定等次":
            cells["拟定等次"] = values[1:]
    names = dict(a.campaign.standard.grades.values_list("code", "name"))
    if reviewed_first:
        assert a.status == S.REVIEWED and cells["拟定等次"][:1] == [names[a.proposed_grade]]
    else:
        assert a.status == S.IN_REVIEW and cells["拟定等次"] == []


def test_the_branch_board_shows_the_estimate_of_submitted_sheets(client, cycle):
    a = cycle.a["东村"]
    fill_self(a, cycle.committee, cycle.supervisor)
    assessment_transition(assessment=a, action="submit", actor=cycle.committee)
    assessment_recompute(a)  # fill_self wrote the scores directly
    a.refresh_from_db()
    assert a.status == S.SUBMITTED
    client.force_login(cycle.secretary)
    url = reverse("assessments:branch_board", args=[cycle.campaign.pk, cycle.org.branch.pk])
    html = client.get(url).content.decode()
    assert '<td class="grade-estimate small">预估（按自评）：示范村</td>' in html
    assert "镇街定级" not in html
