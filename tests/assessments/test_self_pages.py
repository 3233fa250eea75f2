"""The overview and the self-assessment sheet: who sees what, read-only rendering, query budget, and the
township's own 镇街-level assessment on the same pages."""

import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Assessment, AssessmentEvent, Evidence, IndicatorScore
from assessments.services.campaigns import campaign_create_township_level
from indices.services import standard_import
from tests.assessments.conftest import PDF_BYTES

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
TOWNSHIP_SAMPLE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "township_index_standard.sample.yaml"
)


@pytest.fixture
def east(cycle):
    return cycle.a["东村"]


@pytest.fixture
def reviewed(cycle, east):
    """东村 after review: V1.1 cut from 3 to 2 with a reason, and a review event in the history."""
    row = east.scores.get(indicator__code="V1.1")
    IndicatorScore.objects.filter(pk=row.pk).update(
        self_score=D("3"), review_score=D("2"), review_note="学习记录缺两个月"
    )
    Assessment.objects.filter(pk=east.pk).update(status="reviewed", round=1, final_grade="DABIAO")
    AssessmentEvent.objects.create(
        assessment=east,
        actor=cycle.reviewer,
        action="review_score",
        subject="V1.1 初审得分",
        from_value="3",
        to_value="2",
    )
    return east


def test_the_overview_shows_status_deadlines_totals_and_links(client, cycle, east):
    client.force_login(cycle.committee)
    page = client.get(f"/assessments/a/{east.pk}/")
    html = page.content.decode()
    assert page["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert '<span class="badge text-bg-light border">填报中</span>' in html
    deadline = cycle.campaign.self_deadline
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in html
    assert f'href="/assessments/a/{east.pk}/self/">填报自评</a>' in html
    assert "/review/" not in html
    assert [t.action for t in page.context["transitions"]] == ["submit"]
    assert 'data-confirm="提交后本村不能再修改自评内容，确定提交吗？"' in html


def test_the_reviewer_gets_the_review_link(client, cycle, east):
    client.force_login(cycle.reviewer)
    html = client.get(f"/assessments/a/{east.pk}/").content.decode()
    assert f'href="/assessments/a/{east.pk}/review/">初审</a>' in html


@pytest.mark.parametrize("who", ["committee", "supervisor", "secretary"])
def test_review_results_are_hidden_from_the_village_side_until_confirmed(client, cycle, reviewed, who):
    client.force_login(getattr(cycle, who))
    page = client.get(f"/assessments/a/{reviewed.pk}/")
    html = page.content.decode()
    assert page.context["show_review"] is False
    assert "学习记录缺两个月" not in html
    assert "达标村" not in html
    assert "V1.1 初审得分" not in html
    assert "初审结果和等次将在镇街确认定级后公布。" in html


def test_review_results_reach_the_village_once_the_grades_are_confirmed(client, cycle, reviewed):
    cycle.campaign.grades_confirmed_at = timezone.now()
    cycle.campaign.save()
    client.force_login(cycle.committee)
    html = client.get(f"/assessments/a/{reviewed.pk}/").content.decode()
    assert "学习记录缺两个月" in html
    assert "达标村" in html
    assert "V1.1 初审得分" in html


@pytest.mark.parametrize("who", ["reviewer", "leader", "city"])
def test_township_city_and_leaders_always_see_review_results(client, cycle, reviewed, who):
    client.force_login(getattr(cycle, who))
    html = client.get(f"/assessments/a/{reviewed.pk}/").content.decode()
    assert "学习记录缺两个月" in html
    assert "达标村" in html


def test_the_history_lists_who_did_what(client, cycle, east):
    client.force_login(cycle.committee)
    row = east.scores.get(indicator__code="V1.1")
    client.post(f"/assessments/a/{east.pk}/self/score/{row.pk}/", {"version": 1, "value": "2.5"}, **XHR)
    page = client.get(f"/assessments/a/{east.pk}/")
    events = list(page.context["events"])
    assert [(e.subject, e.from_value, e.to_value, e.actor) for e in events] == [
        ("V1.1 自评分", "未评", "2.5", cycle.committee)
    ]
    assert "未评 → 2.5" in page.content.decode()


def test_the_sheet_is_read_only_for_a_leader_with_the_reason(client, cycle, east):
    client.force_login(cycle.leader)
    page = client.get(f"/assessments/a/{east.pk}/self/")
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["editable"] is False
    assert "您没有填报该自评的权限，只能查看。" in html
    assert "<fieldset disabled>" in html
    assert '/evidence/" class' not in html  # no upload forms
    assert 'name="files"' not in html


def test_the_sheet_is_not_cached_and_greys_township_only_indicators(client, cycle, east):
    client.force_login(cycle.committee)
    page = client.get(f"/assessments/a/{east.pk}/self/")
    html = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    v55 = east.scores.get(indicator__code="V5.5")
    block = html[html.index(f'id="ind-{v55.pk}"') :]
    block = block[
        : block.index('class="card mb-2 indicator-block')
        if 'class="card mb-2 indicator-block' in block
        else None
    ]
    assert "由镇街评分" in block
    assert f"/self/score/{v55.pk}/" not in html
    assert '<script src="/static/js/self_assessment.js"></script>' in html


def test_another_villages_member_cannot_open_the_pages(client, cycle):
    client.force_login(cycle.committee)
    west = cycle.a["西村"]
    assert client.get(f"/assessments/a/{west.pk}/").status_code == 404
    assert client.get(f"/assessments/a/{west.pk}/self/").status_code == 404


def _add_files(a, user, n):
    row = a.scores.get(indicator__code="V1.1")
    for i in range(n):
        Evidence.objects.create(
            assessment=a,
            kind="indicator",
            indicator_id=row.indicator_id,
            file=ContentFile(PDF_BYTES, name=f"f{i}.pdf"),
            original_name=f"记录{i}.pdf",
            content_type="application/pdf",
            size=len(PDF_BYTES),
            sha256="0" * 64,
            uploaded_by=user,
        )


def test_the_sheet_query_count_does_not_grow_with_the_files(
    client, cycle, east, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(cycle.committee)
    client.get(f"/assessments/a/{east.pk}/self/")  # warm the session
    _add_files(east, cycle.committee, 1)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/assessments/a/{east.pk}/self/")
    _add_files(east, cycle.committee, 11)
    with django_assert_max_num_queries(25), CaptureQueriesContext(connection) as twelve:
        page = client.get(f"/assessments/a/{east.pk}/self/")
    assert page.content.decode().count("/assessments/evidence/") >= 12
    assert len(twelve.captured_queries) == len(one.captured_queries)


# --- the township's own assessment ----------------------------------------------------------------


@pytest.fixture
def township_level(cycle):
    with TOWNSHIP_SAMPLE.open("rb") as fh:
        standard = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
    campaign = campaign_create_township_level(
        actor=None,
        region=cycle.org.city,
        year=2024,
        standard=standard,
        self_deadline=timezone.localdate() + datetime.timedelta(days=10),
    )
    return campaign.assessments.get(township=cycle.org.town)


def test_the_township_reviewer_fills_the_township_assessment_without_village_paperwork(
    client, cycle, township_level
):
    a = township_level
    client.force_login(cycle.reviewer)
    page = client.get(f"/assessments/a/{a.pk}/self/")
    html = page.content.decode()
    assert page.context["editable"] is True
    assert 'id="application-form"' not in html
    assert 'id="signoff"' not in html
    t11 = a.scores.get(indicator__code="T1.1")
    once = t11.indicator.rules.order_by("sort_order").first()
    body = client.post(
        f"/assessments/a/{a.pk}/self/score/{t11.pk}/",
        {"version": 1, "rules": "1", f"count_{once.pk}": "1"},
        **XHR,
    ).json()
    assert body["score"] == "2"  # 5 − 3
    for row in a.scores.select_related("indicator").exclude(pk=t11.pk):
        row.self_score = row.indicator.max_score
        row.save()
    a.veto_checks.update(self_answer=False)
    client.post(f"/assessments/a/{a.pk}/transition/submit/")
    a.refresh_from_db()
    # No branch and no sign-offs: the submission goes straight on to the city.
    assert (a.status, a.round) == ("forwarded", 1)


def test_a_village_member_cannot_reach_the_township_assessment(client, cycle, township_level):
    client.force_login(cycle.committee)
    assert client.get(f"/assessments/a/{township_level.pk}/self/").status_code == 404
