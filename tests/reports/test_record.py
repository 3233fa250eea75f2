"""The village record (档案): every year of one village, in scope only, in a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse

from assessments.models import Assessment, IndicatorScore, VetoEvent
from assessments.services.campaigns import campaign_create
from ledgers.models import Rectification
from reports.data.record import village_record


def _campaign(cycle, year):
    today = datetime.date.today()
    return campaign_create(
        actor=None,
        township=cycle.org.town,
        year=year,
        standard=cycle.standard,
        self_deadline=today + datetime.timedelta(days=10),
        submission_deadline=today + datetime.timedelta(days=15),
        city_deadline=today + datetime.timedelta(days=25),
    )


@pytest.fixture
def record_world(confirmed):
    """东村 2024 confirmed as 示范村, the city recognised it only as 达标村; one review change with its
    reason, a veto event and a rectification of 2024."""
    east = confirmed.a["东村"]
    score = IndicatorScore.objects.filter(assessment=east, self_score__isnull=False).select_related(
        "indicator"
    )[0]
    IndicatorScore.objects.filter(pk=score.pk).update(
        review_score=score.self_score - 1, review_note="会议记录缺少签名"
    )
    confirmed.changed = score
    Assessment.objects.filter(pk=east.pk).update(
        city_candidate=True, city_decision="other", city_grade="DABIAO", city_reason="品牌特色不突出"
    )
    item = confirmed.standard.veto_items.first()
    VetoEvent.objects.create(
        assessment=east, veto_item=item, occurred_on=datetime.date(2024, 9, 1), description="村干部违纪",
        grade_before="SHIFAN", grade_after="CUJIN",
    )  # fmt: skip
    Rectification.objects.create(
        township=confirmed.org.town, village=confirmed.org.village, source="review", assessment=east,
        problem="三资台账不全", requirement="补齐台账", deadline=datetime.date(2025, 3, 1),
    )  # fmt: skip
    return confirmed


def _get(client, user, village):
    client.force_login(user)
    return client.get(reverse("reports:village_record", args=[village.pk]))


def test_the_record_shows_each_year_grades_changes_with_reasons_bonus_vetoes_rectifications_evidence(
    client, record_world
):
    c = record_world
    html = _get(client, c.reviewer, c.org.village).content.decode()
    assert "东村 · 档案" in html and "2024年" in html
    # the township's confirmed grade, the city's decision and the grade in force
    assert "（达标村）" in html
    assert f"{c.changed.indicator.code} {c.changed.indicator.name}" in html and "会议记录缺少签名" in html
    assert "获市级表彰" in html and "材料齐全" in html
    assert "村干部违纪" in html
    assert "三资台账不全" in html and "未整改" in html
    assert "市级表彰文件.pdf" in html
    ev = c.bonus_evidence
    assert reverse("assessments:evidence_download", args=[ev.pk]) in html
    # only the authenticated download view is linked, never the storage path
    assert ev.file.name not in html


def test_the_record_data_states_the_grade_in_force_and_the_honest_state(record_world):
    c = record_world
    rec = village_record(c.org.village, confirmed_only=False, review_visible=True)
    (y,) = rec.years
    assert (y.year, y.grade_state, y.township_grade, y.city_grade, y.grade_in_force) == (
        2024, "定级", "示范村", "达标村", "达标村",
    )  # fmt: skip
    assert y.city_reason == "品牌特色不突出"
    assert [ch[4] for ch in y.changes] == ["会议记录缺少签名"]
    assert [r.problem for r in y.rectifications] == ["三资台账不全"]


def test_an_unconfirmed_year_is_not_called_定级_and_the_village_does_not_see_it(client, record_world):
    c = record_world
    later = _campaign(c, 2025)
    a = Assessment.objects.get(campaign=later, village=c.org.village)
    Assessment.objects.filter(pk=a.pk).update(
        status="reviewed", final_grade="SHIFAN", proposed_grade="SHIFAN"
    )
    rec = village_record(c.org.village, confirmed_only=False, review_visible=True)
    assert [(y.year, y.grade_state, y.grade_in_force) for y in rec.years] == [
        (2025, "拟定", ""), (2024, "定级", "达标村"),
    ]  # fmt: skip
    html = _get(client, c.committee, c.org.village).content.decode()
    assert "2024年度" in html and "2025年度" not in html and "仅显示已确认定级的年度" in html
    html = _get(client, c.reviewer, c.org.village).content.decode()
    assert "2025年度" in html and "（拟定，未确认）" in html


@pytest.mark.parametrize("who", ["committee", "reviewer", "city"])
def test_out_of_scope_villages_answer_404(client, record_world, who):
    c = record_world
    user = getattr(c, who)
    assert _get(client, user, c.org.far).status_code == 404
    assert _get(client, user, c.org.village).status_code == 200
    if who == "committee":
        assert _get(client, user, c.org.sibling).status_code == 404


def test_the_record_query_count_does_not_grow_with_the_number_of_years(
    client, record_world, django_assert_num_queries
):
    c = record_world
    client.force_login(c.reviewer)
    url = reverse("reports:village_record", args=[c.org.village.pk])
    client.get(url)  # warm the session and the scope
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for year in (2021, 2022, 2023):
        _campaign(c, year)
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert response.content.decode().count('<section class="card mb-3" id="year-') == 4
    assert len(four.captured_queries) == len(one.captured_queries)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(url)


# --- the ZIP ------------------------------------------------------------------------------------------


def _record_zip(c, user):
    from reports.models import ExportJob
    from reports.services import export_request, export_run

    job, created = export_request(
        kind=ExportJob.Kind.VILLAGE_RECORD, township=c.org.town, year=2026, village=c.org.village, actor=user
    )
    assert created
    job = export_run(job_id=job.pk)
    assert job.status == "done", job.error
    return job


def test_the_record_zip_holds_the_summary_pdf_each_year_documents_and_evidence_with_hashes(record_world):
    import hashlib
    import io
    import zipfile
    from pathlib import Path

    from django.conf import settings
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from assessments.models import Evidence

    c = record_world
    later = _campaign(c, 2025)
    job = _record_zip(c, c.reviewer)
    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / job.file.name) as zf:
        names = zf.namelist()
        root = names[0].split("/")[0]
        assert root == "甲镇东村档案"
        summary = next(n for n in names if n.endswith("01_档案摘要.pdf"))
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(zf.read(summary))).pages)
        assert "东村" in text and "2024年" in text and "2025年" in text
        assert "会议记录缺少签名" in text and "三资台账不全" in text
        for year in (2024, 2025):
            assert f"{root}/{year}年/申请表.pdf" in names and f"{root}/{year}年/评分表.pdf" in names
        evidence = Evidence.objects.filter(assessment__village=c.org.village)
        assert evidence.count() >= 2
        for e in evidence:
            year = e.assessment.campaign.year
            matches = [n for n in names if n.startswith(f"{root}/{year}年/佐证材料/")]
            payloads = {hashlib.sha256(zf.read(n)).hexdigest() for n in matches}
            assert e.sha256 in payloads
        index = load_workbook(io.BytesIO(zf.read(f"{root}/00_目录.xlsx"))).active
        listed = {row[3]: row[5] for row in index.iter_rows(min_row=3, values_only=True) if row[3] and row[5]}
        assert set(listed) == set(names) - {f"{root}/00_目录.xlsx"}
        for path, digest in listed.items():
            assert hashlib.sha256(zf.read(path)).hexdigest() == digest
    assert job.summary["years"] == 2 and later.year == 2025


def test_the_record_zip_stops_on_a_changed_evidence_file(record_world):
    from reports.models import ExportJob
    from reports.services import export_request, export_run

    c = record_world
    ev = c.bonus_evidence
    type(ev).objects.filter(pk=ev.pk).update(sha256="0" * 64)
    job, _ = export_request(
        kind=ExportJob.Kind.VILLAGE_RECORD,
        township=c.org.town,
        year=2026,
        village=c.org.village,
        actor=c.reviewer,
    )
    job = export_run(job_id=job.pk)
    assert job.status == "failed" and "市级表彰文件.pdf" in job.error and not job.file


def test_only_readers_who_see_the_township_whole_can_queue_the_zip(client, record_world):
    from reports.models import ExportJob

    c = record_world
    url = reverse("reports:village_record_export", args=[c.org.village.pk])
    client.force_login(c.committee)
    assert (
        "导出档案"
        not in client.get(reverse("reports:village_record", args=[c.org.village.pk])).content.decode()
    )
    assert client.post(url).status_code == 404
    assert not ExportJob.objects.filter(village=c.org.village).exists()
    client.force_login(c.reviewer)
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a double submit joins the job in flight
    assert ExportJob.objects.filter(village=c.org.village, kind="village_record").count() == 1
    far_url = reverse("reports:village_record_export", args=[c.org.far.pk])
    assert client.post(far_url).status_code == 404


def test_a_reader_who_may_not_see_reviews_gets_no_review_results_of_an_unconfirmed_year(record_world):
    c = record_world
    later = _campaign(c, 2025)
    a = Assessment.objects.get(campaign=later, village=c.org.village)
    Assessment.objects.filter(pk=a.pk).update(status="reviewed", final_grade="SHIFAN", final_score=99)
    score = IndicatorScore.objects.filter(assessment=a, indicator__scored_by="village_and_township")[0]
    IndicatorScore.objects.filter(pk=score.pk).update(
        self_score=5, review_score=3, review_note="未见原始凭证"
    )
    hidden, shown = (
        village_record(c.org.village, confirmed_only=False, review_visible=v).years[0] for v in (False, True)
    )
    assert (hidden.grade_state, hidden.township_grade, hidden.final_score, hidden.changes) == (
        "待确认",
        "",
        None,
        [],
    )
    assert all(r is None for _, _, _, r in hidden.dimensions)
    assert (shown.grade_state, shown.township_grade) == ("拟定", "示范村")
    assert [ch[4] for ch in shown.changes] == ["未见原始凭证"]
