"""The 报表与材料 page, job polling and downloads, per-village documents and the 示范村申请表 form:
who reaches what (out of scope is a 404 like missing), and what each user sees."""

import subprocess

import pytest
from django.urls import reverse

from accounts.models import Role
from assessments.models import DemonstrationApplication
from audit.models import AuditEvent
from reports.models import ExportJob
from reports.services import export_request
from tests.factories import user_with_role

K = ExportJob.Kind


def text_of(response):
    payload = b"".join(response.streaming_content) if response.streaming else response.content
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=payload, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def people(confirmed):
    c = confirmed
    return {
        "reviewer": c.reviewer,
        "leader": c.leader,
        "city": c.city,
        "committee": c.committee,
        "secretary": c.secretary,
        "other_reviewer": user_with_role(Role.TOWNSHIP_REVIEWER, c.org.other_town, username="jiwei_yi"),
        "far_city": user_with_role(Role.CITY_OFFICE, c.org.other_city, username="city_yi"),
        "unit": user_with_role(Role.UNIT_STAFF, c.org.unit, username="unit_jia"),
    }


REACH = {  # center page, build package, build roster
    "reviewer": (200, True, True),
    "leader": (200, False, False),  # read-only: downloads what others built (README 角色)
    "city": (200, False, True),
    "committee": (404, False, False),
    "secretary": (404, False, False),
    "other_reviewer": (404, False, False),
    "far_city": (404, False, False),
    "unit": (404, False, False),
}


@pytest.mark.parametrize("who", sorted(REACH))
def test_who_reaches_the_reports_page_and_who_may_build_what(
    client, confirmed, people, who, django_capture_on_commit_callbacks
):
    page, package, roster = REACH[who]
    client.force_login(people[who])
    campaign = confirmed.campaign
    assert client.get(reverse("reports:center", args=[campaign.pk])).status_code == page
    for kind, allowed in ((K.CITY_PACKAGE, package), (K.GRADE_ROSTER_XLSX, roster)):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("reports:export_create", args=[campaign.pk, kind]))
        assert response.status_code == (302 if allowed else 404), kind
        assert ExportJob.objects.filter(kind=kind).exists() == allowed


def test_the_page_shows_candidates_in_recommendation_order_and_the_package_state(
    client, confirmed, django_capture_on_commit_callbacks
):
    client.force_login(confirmed.reviewer)
    url = reverse("reports:center", args=[confirmed.campaign.pk])
    html = client.get(url).content.decode()
    assert html.index("廉韵南村") < html.index("清风东村")
    assert "尚未生成" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:export_create", args=[confirmed.campaign.pk, K.CITY_PACKAGE]))
    assert response.status_code == 302
    job = ExportJob.objects.get(kind=K.CITY_PACKAGE)
    html = client.get(url).content.decode()
    assert reverse("reports:job_download", args=[job.pk]) in html and "数据已变更" not in html
    DemonstrationApplication.objects.filter(assessment=confirmed.a["东村"]).update(
        brand_name="改名", version=9
    )
    html = client.get(url).content.decode()
    assert "数据已变更，需重新生成" in html


def test_polling_reports_progress_and_download_is_audited_and_scoped(
    client, confirmed, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = export_request(
            kind=K.CITY_PACKAGE,
            township=confirmed.org.town,
            year=2024,
            campaign=confirmed.campaign,
            actor=confirmed.reviewer,
        )
    client.force_login(confirmed.city)
    status = client.get(reverse("reports:job_status", args=[job.pk])).json()
    assert (status["status"], status["progress"], status["download_url"]) == ("queued", 0, "")
    assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404
    from reports.services import export_run

    export_run(job_id=job.pk)
    status = client.get(reverse("reports:job_status", args=[job.pk])).json()
    assert (status["status"], status["progress"], status["finished"]) == ("done", 100, True)
    response = client.get(status["download_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"] and response["X-Content-Type-Options"] == "nosniff"
    b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(action="export.download", actor=confirmed.city).count() == 1
    for who in ("other_reviewer", "far_city", "committee", "unit"):
        client.force_login(people[who])
        assert client.get(reverse("reports:job_status", args=[job.pk])).status_code == 404
        assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404
        assert client.post(reverse("reports:job_retry", args=[job.pk])).status_code == 404


def test_the_village_prints_its_forms_but_sees_review_results_only_after_confirmation(client, cycle):
    from tests.assessments.test_grading import reviewed

    west = reviewed(cycle, "西村", value="2")
    client.force_login(cycle.committee)  # a 东村 member: 西村 is not theirs
    assert client.get(reverse("reports:assessment_document", args=[west.pk, "score.pdf"])).status_code == 404
    east = reviewed(cycle, "东村", value="2")
    url = reverse("reports:assessment_document", args=[east.pk, "score.pdf"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = text_of(response)
    assert "东村" in text and "按实核定" not in text
    client.force_login(cycle.reviewer)
    assert "按实核定" in text_of(client.get(url))
    assert (
        client.get(reverse("reports:assessment_document", args=[east.pk, "demonstration.pdf"])).status_code
        == 404
    )
    assert client.get(reverse("reports:assessment_document", args=[east.pk, "other.pdf"])).status_code == 404


def test_every_village_document_downloads_for_the_reviewer(client, confirmed):
    client.force_login(confirmed.reviewer)
    east = confirmed.a["东村"]
    for doc, kind in (
        ("application.pdf", "application/pdf"),
        ("score.pdf", "application/pdf"),
        ("demonstration.pdf", "application/pdf"),
        ("score.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        response = client.get(reverse("reports:assessment_document", args=[east.pk, doc]))
        assert response.status_code == 200 and response["Content-Type"] == kind, doc
        assert "filename*=UTF-8''2024%E5%B9%B4%E4%B8%9C%E6%9D%91" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="export.document").count() == 4


def test_the_demonstration_form_saves_checks_length_and_refuses_a_stale_version(client, confirmed):
    east = confirmed.a["东村"]
    url = reverse("reports:demonstration_edit", args=[east.pk])
    client.force_login(confirmed.leader)
    assert client.get(url).status_code == 404
    client.force_login(confirmed.reviewer)
    assert client.get(reverse("reports:demonstration_edit", args=[confirmed.a["西村"].pk])).status_code == 404
    app = DemonstrationApplication.objects.get(assessment=east)
    data = {
        "brand_name": "清风东村2",
        "recommendation_rank": "1",
        "satisfaction": "满意率 97%",
        "honours": "",
        "experience": "经验" * 1501,
        "township_opinion": "同意推荐",
        "version": str(app.version),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "典型经验材料不超过 3000 字（现有 3002 字）。" in response.content.decode()
    data["experience"] = "一月一公开，一季一评议。"
    assert client.post(url, data).status_code == 302
    app.refresh_from_db()
    assert (app.brand_name, app.recommendation_rank, app.version, app.updated_by) == (
        "清风东村2",
        1,
        2,
        confirmed.reviewer,
    )
    assert AuditEvent.objects.filter(action="demonstration.save").count() == 1
    # a second reviewer who loaded version 1 cannot overwrite silently
    data["brand_name"] = "别的名字"
    response = client.post(url, data)
    assert response.status_code == 200 and "该申请表已被他人修改" in response.content.decode()
    app.refresh_from_db()
    assert app.brand_name == "清风东村2"
    data["version"] = "2"
    assert client.post(url, data).status_code == 302
    app.refresh_from_db()
    assert (app.brand_name, app.version) == ("别的名字", 3)


def test_the_reports_page_makes_the_same_number_of_queries_with_more_villages(
    client, confirmed, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.models import Assessment
    from villages.models import Village

    client.force_login(confirmed.reviewer)
    url = reverse("reports:center", args=[confirmed.campaign.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    town = confirmed.org.town
    villages = Village.objects.bulk_create(
        Village(township=town, name=f"新村{i}", sort_order=100 + i) for i in range(30)
    )
    Assessment.objects.bulk_create(
        Assessment(campaign=confirmed.campaign, village=v, township=town, status="confirmed")
        for v in villages
    )
    with CaptureQueriesContext(connection) as big:
        assert client.get(url).status_code == 200
    assert len(big) == len(small)


def test_the_compliance_page_and_the_rectification_list_export_what_they_show(client, confirmed):
    import io

    import openpyxl

    from ledgers.models import Rectification

    c = confirmed
    for village, problem in ((c.org.village, "账目不清"), (c.org.foreign, "乙镇的问题")):
        Rectification.objects.create(
            township=village.township,
            village=village,
            source="review",
            problem=problem,
            requirement="整改",
            deadline="2024-07-01",
        )
    client.force_login(c.reviewer)
    response = client.get(reverse("ledgers:rectification_list"), {"export": "xlsx", "q": "东"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    texts = {cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)}
    assert "账目不清" in texts and "乙镇的问题" not in texts
    response = client.get(
        reverse("ledgers:compliance"), {"township": c.org.town.pk, "year": 2024, "export": "xlsx"}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    units = {row[1] for row in book.active.iter_rows(values_only=True)}
    assert {"经管站", "民政科"} <= units
    client.force_login(user_with_role(Role.UNIT_STAFF, c.org.unit, username="unit_x"))
    response = client.get(
        reverse("ledgers:compliance"), {"township": c.org.town.pk, "year": 2024, "export": "xlsx"}
    )
    units = {
        row[1]
        for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    }
    assert "经管站" in units and "民政科" not in units
