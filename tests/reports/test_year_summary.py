"""The 年度总结: its figures against a hand-built township, the empty year, the .docx and the PDF read
back, the query count at two sizes, and who may open it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from accounts.models import Role
from assessments.models import Assessment, IndicatorScore
from assessments.services.campaigns import campaign_create
from feedback.models import Feedback
from ledgers.compliance import State
from ledgers.models import LedgerSubmission, PlanTask, Rectification
from publication.models import Publication
from reports.data.summary import year_summary
from reports.data.summary_text import NEXT_STEPS_PLACEHOLDER, summary_document
from reports.models import ExportJob
from reports.pdf import year_summary_pdf
from reports.services import export_request, job_is_stale
from reports.services.jobs import export_run
from reports.word import year_summary_docx
from tests.assessments.conftest import standard  # noqa: F401
from tests.factories import UnitFactory, VillageFactory, user_with_role
from villages.models import AnnualTarget, AnnualTargetGrade, CreationBatch

YEAR = 2024
TODAY = dt.date(2024, 7, 15)
S = Assessment.Status


def at(y, m, d, hour=10):
    return timezone.make_aware(dt.datetime(y, m, d, hour))


def build_year(org, standard):  # noqa: F811
    """甲镇's 2024, with the numbers in the comments."""
    town = org.town
    VillageFactory(township=town, branch=org.other_branch, name="北湾村")
    campaign = campaign_create(actor=None, township=town, year=YEAR, standard=standard)
    a = {x.village.name: x for x in Assessment.objects.filter(campaign=campaign).select_related("village")}
    # target: 示范村 1, 达标村 2
    target = AnnualTarget.objects.create(township=town, year=YEAR, mode=AnnualTarget.Mode.COUNTS)
    AnnualTargetGrade.objects.create(target=target, grade_code="SHIFAN", grade_name="示范村", count=1)
    AnnualTargetGrade.objects.create(
        target=target, grade_code="DABIAO", grade_name="达标村", count=2, sort_order=1
    )
    # 东村: township 达标村, the city made it 示范村; 西村: 达标村; 南村: 促进村;
    # 北湾村: submitted, not reviewed (its provisional grade does not count)
    Assessment.objects.filter(pk=a["东村"].pk).update(
        status=S.CONFIRMED, final_grade="DABIAO", city_grade="SHIFAN"
    )
    Assessment.objects.filter(pk=a["西村"].pk).update(status=S.CONFIRMED, final_grade="DABIAO")
    Assessment.objects.filter(pk=a["南村"].pk).update(status=S.CONFIRMED, final_grade="CUJIN")
    Assessment.objects.filter(pk=a["北湾村"].pk).update(status=S.SUBMITTED, final_grade="DABIAO")
    campaign.grades_confirmed_at = at(2024, 6, 20)
    campaign.save(update_fields=["grades_confirmed_at"])
    # dimension V1: 东村 reviewed 3 (self 1), 西村 self 1 (no review), 南村 self 2 → (3 + 1 + 2) / 3 = 2.00;
    # 北湾村's 4 does not count (not reviewed); V2: nothing → 0.00
    first_v1 = standard.indicators.filter(dimension__code="V1", children__isnull=True).order_by("sort_order")[
        0
    ]
    IndicatorScore.objects.filter(assessment=a["东村"], indicator=first_v1).update(
        self_score=1, review_score=3
    )
    IndicatorScore.objects.filter(assessment=a["西村"], indicator=first_v1).update(self_score=1)
    IndicatorScore.objects.filter(assessment=a["南村"], indicator=first_v1).update(self_score=2)
    IndicatorScore.objects.filter(assessment=a["北湾村"], indicator=first_v1).update(self_score=4)
    # ledgers (due the 2nd of the next month; today 7月15日: April–June due, July on not yet):
    # 经管站 April on time, May late, June missing; 民政科 April zero report, May and June on time
    LedgerSubmission.objects.create(
        unit=org.unit, year=YEAR, month=4, status="submitted", submitted_at=at(2024, 5, 1)
    )
    LedgerSubmission.objects.create(
        unit=org.unit, year=YEAR, month=5, status="submitted", submitted_at=at(2024, 6, 5)
    )
    LedgerSubmission.objects.create(
        unit=org.other_unit,
        year=YEAR,
        month=4,
        status="submitted",
        submitted_at=at(2024, 5, 2, 23),
        zero_report=True,
    )
    LedgerSubmission.objects.create(
        unit=org.other_unit, year=YEAR, month=5, status="submitted", submitted_at=at(2024, 6, 1)
    )
    LedgerSubmission.objects.create(
        unit=org.other_unit, year=YEAR, month=6, status="submitted", submitted_at=at(2024, 7, 2)
    )

    # rectifications opened in 2024: 日常监管 2 (one closed, one past its deadline), 镇街初审 1 closed,
    # 群众意见 1 open and not yet due; one of 2023 is not this year's
    def rect(source, deadline, status="open", created=None, village=org.village):
        r = Rectification.objects.create(
            township=town, village=village, source=source, problem="问题", requirement="整改", deadline=deadline,
            status=status,
        )  # fmt: skip
        Rectification.objects.filter(pk=r.pk).update(created_at=created or at(2024, 5, 10))
        return r

    rect("ledger", dt.date(2024, 6, 1), "closed")
    rect("ledger", dt.date(2024, 7, 1))
    rect("review", dt.date(2024, 6, 30), "closed")
    from_feedback = rect("feedback", dt.date(2024, 8, 1))
    rect("ledger", dt.date(2023, 12, 1), created=at(2023, 11, 1))
    # tasks of 2024: 1 done, 1 in progress past its date (overdue), 1 not started due in December,
    # 1 长期推进 with a past date (never overdue); one of 2023 does not count
    PlanTask.objects.create(township=town, year=YEAR, number=1, key_point="三务公开", task="a", status="done")
    PlanTask.objects.create(
        township=town,
        year=YEAR,
        number=2,
        key_point="三资",
        task="b",
        status="in_progress",
        deadline=dt.date(2024, 6, 30),
    )
    PlanTask.objects.create(
        township=town, year=YEAR, number=3, key_point="小微权力", task="c", deadline=dt.date(2024, 12, 31)
    )
    PlanTask.objects.create(
        township=town,
        year=YEAR,
        number=4,
        key_point="家风",
        task="d",
        status="ongoing",
        deadline=dt.date(2024, 3, 1),
    )
    PlanTask.objects.create(
        township=town, year=2023, number=1, key_point="旧", task="e", status="in_progress"
    )
    # creation batch 2024: 东村 (标杆村) reaches (示范村 in force), 南村 does not (促进村)
    CreationBatch.objects.create(township=town, village=org.village, year=YEAR, is_benchmark=True)
    CreationBatch.objects.create(township=town, village=org.cousin, year=YEAR)
    # published 9月1日, version 1
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, town, username="jiwei_summary")
    Publication.objects.create(
        township=town, campaign=campaign, year=YEAR, version=1, published_by=reviewer,
        published_at=at(2024, 9, 1), payload={"villages": []},
    )  # fmt: skip
    # villagers' messages of 2024: 1 new, 1 answered, 1 turned into the 整改 above; one of 2023
    for status, created, extra_fields in (
        ("new", at(2024, 3, 1), {}),
        ("answered", at(2024, 4, 1), {"answer": "已答复"}),
        ("rectified", at(2024, 5, 1), {"rectification": from_feedback}),
        ("new", at(2023, 3, 1), {}),
    ):
        f = Feedback.objects.create(
            village=org.village, township=town, category="problem", text="意见", client_hash="x", status=status,
            **extra_fields,
        )  # fmt: skip
        Feedback.objects.filter(pk=f.pk).update(created_at=created)
    return campaign, reviewer


@pytest.fixture
def year(org, standard):  # noqa: F811
    return build_year(org, standard)


def test_the_year_summary_states_the_hand_counted_figures(org, year):
    s = year_summary(org.town, YEAR, today=TODAY)
    assert s.villages == 4  # 东村, 西村, 南村, 北湾村
    assert (s.assessed, s.reviewed) == (4, 3)
    assert s.city_decided is True
    assert s.confirmed_at == at(2024, 6, 20)
    grades = {g.code: (g.target, g.township, g.in_force, g.missed) for g in s.grades}
    assert grades == {
        "SHIFAN": (1, 0, 1, False),  # the city's 示范村 meets the target of 1
        "DABIAO": (2, 2, 1, True),  # the township graded 2, in force 1 (东村 became 示范村): short of 2
        "TISHENG": (None, 0, 0, False),
        "CUJIN": (None, 1, 1, False),  # 南村
    }
    assert s.reached == 2 and s.share == Decimal("50.0")  # 东村 + 西村 of 4
    dims = {d.code: d.average for d in s.dimensions}
    assert dims["V1"] == Decimal("2.00") and dims["V2"] == Decimal("0.00")
    assert s.ledgers[State.ON_TIME] == 3 and s.ledgers[State.ZERO] == 1
    assert s.ledgers[State.LATE] == 1 and s.ledgers[State.MISSING] == 1
    assert s.ledgers[State.NOT_DUE] == 12  # July–December of 2 units
    assert s.ledger_rate == Decimal("66.7")  # (3 + 1) / 6 due
    assert [(u.name, u.late, u.missing) for u in s.late_units] == [("经管站", 1, 1)]
    rect = {r.code: (r.opened, r.closed, r.overdue) for r in s.rectifications}
    assert rect == {"ledger": (2, 1, 1), "review": (1, 1, 0), "city": (0, 0, 0), "feedback": (1, 0, 0)}
    t = s.rectification_totals
    assert (t.opened, t.closed, t.overdue) == (4, 2, 1)
    assert s.tasks == {"total": 4, "done": 1, "in_progress": 1, "not_started": 1, "ongoing": 1, "overdue": 1}
    assert s.batch == {"planned": ["东村", "南村"], "benchmark": "东村", "reached": 1, "missing": ["南村"]}
    assert s.publication["published"] is True and s.publication["version"] == 1
    assert s.publication["at"] == at(2024, 9, 1)
    assert s.feedback["total"] == 3 and s.feedback["pending"] == 1
    assert dict(s.feedback["by_status"]) == {"待处理": 1, "已答复": 1, "不予处理": 0, "已转整改": 1}
    assert s.problems == [
        "达标村未完成年度目标：目标 2 个，现行等次 1 个，差 1 个。",
        "有 1 项整改事项已超过整改时限仍未销号。",
        "日常监管台账逾期报送 1 次、未报 1 次（涉及经管站）。",
        "有 1 项重点任务超过完成时限仍未完成。",
        "本年度创建批次中南村未达到清廉村居标准。",
        "有 1 条群众意见尚未处理。",
    ]


def test_an_empty_year_has_zero_figures_and_says_so(org, year):
    s = year_summary(org.town, 2030, today=TODAY)
    assert s.campaign is None and s.assessed == 0 and s.grades == [] and s.dimensions == []
    assert s.ledger_rate is None and s.late_units == []  # nothing due yet in 2030
    assert s.rectification_totals.opened == 0 and s.tasks["total"] == 0
    assert s.batch is None and s.publication["published"] is False and s.feedback["total"] == 0
    assert s.problems == []
    text = _document_text(summary_document(s))
    assert "2030年度未开展村级年度测评。" in text
    assert "本年度实施方案未录入重点任务" in text
    assert "测评结果尚未向村民公开" in text


def test_a_year_with_only_a_mid_term_round_reports_it_beside_the_missing_annual_one(org, standard):  # noqa: F811
    from common.rounds import RoundKind

    campaign = campaign_create(
        actor=None, township=org.town, year=2031, standard=standard, kind=RoundKind.MIDTERM
    )
    Assessment.objects.filter(campaign=campaign, village=org.village).update(
        status=S.CONFIRMED, final_grade="DABIAO"
    )
    s = year_summary(org.town, 2031, today=TODAY)
    assert s.campaign is None and s.grades == []
    (line,) = s.other_rounds
    assert (line.kind, line.villages, line.graded, line.confirmed) == ("中期评估", 3, 1, False)
    assert line.grades == [("达标村", 1)]
    text = _document_text(summary_document(s))
    assert "2031年度未开展村级年度测评（开展了中期评估，见“其他测评轮次”）。" in text
    assert "（八）其他测评轮次" in text and "达标村1个" in text


def _document_text(document):
    out = [document.title]
    for section in document.sections:
        out.append(section.heading)
        for block in section.blocks:
            if hasattr(block, "headers"):
                out.extend(block.headers)
                out.extend(c for row in block.rows for c in row)
            else:
                out.append(getattr(block, "sub", block))
    return "\n".join(out)


def test_the_docx_opens_with_python_docx_and_holds_the_figures(org, year):
    s = year_summary(org.town, YEAR, today=TODAY)
    buffer = io.BytesIO()
    year_summary_docx(summary_document(s), buffer)
    doc = Document(io.BytesIO(buffer.getvalue()))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "甲镇2024年度清廉村居建设工作总结"
    for heading in ("一、基本情况", "二、主要做法和成效", "三、存在问题", "四、下一步打算"):
        assert heading in paragraphs
    text = "\n".join(paragraphs)
    assert "2个责任单位按月报送日常监管台账，按时报送率66.7%" in text
    assert "全年新增整改事项4项，已销号2项，逾期未销号1项。" in text
    assert "实施方案共列重点任务4项，已完成1项" in text
    assert "1. 达标村未完成年度目标：目标 2 个，现行等次 1 个，差 1 个。" in paragraphs
    assert NEXT_STEPS_PLACEHOLDER in paragraphs
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    grades = next(t for t in tables if t[0][0] == "等次")
    assert grades[0] == ["等次", "年度目标（个）", "镇街定级（个）", "现行等次（个）"]
    assert ["示范村", "1", "0", "1"] in grades and ["达标村", "2", "2", "1"] in grades
    dims = next(t for t in tables if t[0][0] == "维度")
    assert [dims[1][1], dims[1][2]] == ["20", "2"]  # V1: 20 points, average 2.00
    rect = next(t for t in tables if t[0][0] == "来源")
    assert ["群众意见", "1", "0", "0"] in rect and rect[-1] == ["合计", "4", "2", "1"]


def test_the_pdf_reads_back_with_the_same_figures(org, year):
    s = year_summary(org.town, YEAR, today=TODAY)
    reader = PdfReader(io.BytesIO(year_summary_pdf(summary_document(s))))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")
    assert "甲镇2024年度清廉村居建设工作总结" in text
    assert "按时报送率66.7%" in text
    assert "全年新增整改事项4项，已销号2项，逾期未销号1项" in text
    assert "达标村未完成年度目标：目标2个，现行等次1个，差1个" in text
    assert "四、下一步打算" in text


def _count(town, year_):
    with CaptureQueriesContext(connection) as ctx:
        year_summary(town, year_, today=TODAY)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("extra", [0, 8])
def test_the_query_count_does_not_grow_with_the_township(org, standard, extra):  # noqa: F811
    """The same number of queries with 4 villages and 2 units as with 12 villages and 10 units, each
    extra village graded and with its own unit, ledger, 整改, task and message."""
    added = [VillageFactory(township=org.town, name=f"新村{i}") for i in range(extra)]
    campaign, _ = build_year(org, standard)
    for i, v in enumerate(added):
        unit = UnitFactory(township=org.town, name=f"新站{i}")
        unit.villages.set([v])
        Assessment.objects.filter(campaign=campaign, village=v).update(
            status=S.CONFIRMED, final_grade="TISHENG"
        )
        LedgerSubmission.objects.create(
            unit=unit, year=YEAR, month=4, status="submitted", submitted_at=at(2024, 5, 1)
        )
        Rectification.objects.create(
            township=org.town,
            village=v,
            source="city",
            problem="p",
            requirement="r",
            deadline=dt.date(2024, 6, 1),
        )
        PlanTask.objects.create(township=org.town, year=YEAR, number=20 + i, key_point="k", task="t")
        Feedback.objects.create(village=v, township=org.town, category="other", text="t", client_hash="y")
    s = year_summary(org.town, YEAR, today=TODAY)
    assert s.assessed == 4 + extra and s.ledger_units == 2 + extra
    assert _count(org.town, YEAR) == 20


def test_the_summary_builds_as_a_docx_job_and_downloads(client, org, year):
    _campaign, reviewer = year
    job, created = export_request(
        kind=ExportJob.Kind.YEAR_SUMMARY_DOCX, township=org.town, year=YEAR, actor=reviewer
    )
    assert created
    job = export_run(job_id=job.pk)
    assert job.status == ExportJob.Status.DONE
    assert job.filename == "甲镇2024年度清廉村居建设工作总结.docx"
    client.force_login(reviewer)
    response = client.get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert (
        response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    doc = Document(io.BytesIO(b"".join(response.streaming_content)))
    assert doc.paragraphs[0].text == "甲镇2024年度清廉村居建设工作总结"
    # unchanged data: the page offers the same file again, not stale
    again, created = export_request(
        kind=ExportJob.Kind.YEAR_SUMMARY_DOCX, township=org.town, year=YEAR, actor=reviewer
    )
    assert (again.pk, created) == (job.pk, False)


def test_the_page_shows_the_figures_to_the_township_and_queues_the_pdf(client, org, year):
    _campaign, reviewer = year
    client.force_login(reviewer)
    url = reverse("reports:year_summary", args=[org.town.pk, YEAR])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "甲镇2024年度清廉村居建设工作总结" in html
    assert "二、主要做法和成效" in html and "三、存在问题" in html
    response = client.post(
        reverse("reports:year_summary_export", args=[org.town.pk, YEAR]), {"format": "pdf"}
    )
    assert response.status_code == 302
    job = ExportJob.objects.get(township=org.town, year=YEAR, kind=ExportJob.Kind.YEAR_SUMMARY_PDF)
    assert job.created_by == reviewer


@pytest.mark.parametrize(
    "role,node",
    [(Role.TOWNSHIP_LEADER, "town"), (Role.CITY_OFFICE, "city"), (Role.TOWNSHIP_REVIEWER, "town")],
)
def test_readers_of_the_township_open_it_and_others_get_a_404(client, org, year, role, node):
    user = user_with_role(role, getattr(org, node), username=f"u_{role}")
    client.force_login(user)
    assert client.get(reverse("reports:year_summary", args=[org.town.pk, YEAR])).status_code == 200
    # a township of another city, or the same township to a village's committee: like a missing page
    assert client.get(reverse("reports:year_summary", args=[org.far_town.pk, YEAR])).status_code == 404
    village_user = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cw_summary")
    client.force_login(village_user)
    assert client.get(reverse("reports:year_summary", args=[org.town.pk, YEAR])).status_code == 404
    assert (
        client.post(
            reverse("reports:year_summary_export", args=[org.town.pk, YEAR]), {"format": "docx"}
        ).status_code
        == 404
    )


def test_a_reviewer_of_another_township_gets_a_404(client, org, year):
    other = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="jiwei_yi")
    client.force_login(other)
    assert client.get(reverse("reports:year_summary", args=[org.town.pk, YEAR])).status_code == 404
    response = client.post(
        reverse("reports:year_summary_export", args=[org.town.pk, YEAR]), {"format": "docx"}
    )
    assert response.status_code == 404
    assert not ExportJob.objects.filter(township=org.town).exists()


def test_a_built_summary_turns_stale_when_a_figure_changes(org, year):
    _campaign, reviewer = year
    job, _ = export_request(
        kind=ExportJob.Kind.YEAR_SUMMARY_PDF, township=org.town, year=YEAR, actor=reviewer
    )
    job = export_run(job_id=job.pk)
    assert job.status == ExportJob.Status.DONE and job.filename.endswith(".pdf")
    assert not job_is_stale(job)
    PlanTask.objects.filter(township=org.town, year=YEAR, number=3).update(status="done")
    assert job_is_stale(job)
    rebuilt, created = export_request(
        kind=ExportJob.Kind.YEAR_SUMMARY_PDF, township=org.town, year=YEAR, actor=reviewer
    )
    assert created and rebuilt.pk != job.pk


def test_late_ledgers_name_only_what_happened(org, year):
    LedgerSubmission.objects.filter(unit=org.unit, month=5).update(submitted_at=at(2024, 6, 1))
    s = year_summary(org.town, YEAR, today=TODAY)
    assert "日常监管台账未报 1 次（涉及经管站）。" in s.problems


def test_a_failed_summary_job_is_queued_again_from_its_page(client, org, year):
    _campaign, reviewer = year
    job = ExportJob.objects.create(
        kind=ExportJob.Kind.YEAR_SUMMARY_DOCX, township=org.town, year=YEAR, status=ExportJob.Status.FAILED
    )
    client.force_login(reviewer)
    response = client.post(reverse("reports:job_retry", args=[job.pk]))
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("reports:year_summary", args=[org.town.pk, YEAR]) + "#job-year_summary_docx"
    )
    job.refresh_from_db()
    assert job.status in (ExportJob.Status.QUEUED, ExportJob.Status.DONE)


def test_the_page_marks_a_built_file_stale_once_a_figure_changes(client, org, year):
    _campaign, reviewer = year
    job, _ = export_request(
        kind=ExportJob.Kind.YEAR_SUMMARY_DOCX, township=org.town, year=YEAR, actor=reviewer
    )
    export_run(job_id=job.pk)
    client.force_login(reviewer)
    url = reverse("reports:year_summary", args=[org.town.pk, YEAR])
    html = client.get(url).content.decode()
    assert "甲镇2024年度清廉村居建设工作总结.docx" in html and "数据已变更" not in html
    Rectification.objects.filter(township=org.town, source="feedback").update(status="closed")
    assert "数据已变更，需重新生成" in client.get(url).content.decode()
