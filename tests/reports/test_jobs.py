"""Export jobs and the city package: one job per document in flight, fresh files reused, stale ones
marked, a killed build run again to the same result, tampered evidence refused."""

import io
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from assessments.models import Assessment, DemonstrationApplication, IndicatorScore
from audit.models import AuditEvent
from reports.models import ExportJob
from reports.services import export_request, export_run, job_is_stale
from reports.services import package as package_module
from reports.services.jobs import export_retry
from reports.services.package import safe_part

K = ExportJob.Kind
S = ExportJob.Status
ROOT = "甲镇2024年示范村报市材料"


def request_package(c, **kw):
    return export_request(
        kind=K.CITY_PACKAGE, township=c.org.town, year=2024, campaign=c.campaign, actor=c.reviewer, **kw
    )


def build(c, django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        job, created = request_package(c, **kw)
    job.refresh_from_db()
    return job, created


def pdf_text(payload):
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=payload, capture_output=True, check=True)
    return out.stdout.decode()


def members(job):
    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / job.file.name) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def parts():
    """Half-built export files: on the worker's own disk, never in the (shared) storage."""
    return list(Path(settings.FILE_UPLOAD_TEMP_DIR).glob("ql-export-*.part"))


def test_the_city_package_holds_each_candidates_forms_score_sheets_and_evidence_with_an_index(
    confirmed, django_capture_on_commit_callbacks
):
    job, created = build(confirmed, django_capture_on_commit_callbacks)
    assert created and job.status == S.DONE and job.progress == 100 and job.attempt == 1
    assert job.filename == f"{ROOT}.zip"
    files = members(job)
    # 南村 is recommended first (rank 1), then 东村 (rank 2); 西村 is no candidate
    code = confirmed.bonus_claim.bonus_item.code
    assert sorted(files) == sorted(
        [
            f"{ROOT}/00_目录.xlsx",
            f"{ROOT}/01_定级名册.pdf",
            *(f"{ROOT}/01_南村/{n}" for n in ("申请表.pdf", "示范村申请表.pdf", "评分表.pdf", "评分表.xlsx")),
            f"{ROOT}/01_南村/盖章申请表_申请表（盖章）.pdf",
            *(f"{ROOT}/02_东村/{n}" for n in ("申请表.pdf", "示范村申请表.pdf", "评分表.pdf", "评分表.xlsx")),
            f"{ROOT}/02_东村/盖章申请表_申请表（盖章）.pdf",
            f"{ROOT}/02_东村/加分佐证/{code}_市级表彰文件.pdf",
        ]
    )
    assert not any("西村" in name for name in files)
    east = Assessment.objects.get(pk=confirmed.a["东村"].pk)
    sheet = pdf_text(files[f"{ROOT}/02_东村/评分表.pdf"])
    assert "东村" in sheet and "评分表" in sheet
    total = f"{east.final_score.normalize():f}"
    assert total in sheet
    demo = pdf_text(files[f"{ROOT}/02_东村/示范村申请表.pdf"])
    assert "清风东村" in demo and "示范村申请表" in demo
    with confirmed.bonus_evidence.file.open("rb") as fh:
        assert files[f"{ROOT}/02_东村/加分佐证/{code}_市级表彰文件.pdf"] == fh.read()
    book = openpyxl.load_workbook(io.BytesIO(files[f"{ROOT}/02_东村/评分表.xlsx"]))
    numbers = [c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, (int, float))]
    assert float(east.final_score) in numbers
    # the index lists every other file with its size and SHA-256
    import hashlib

    index = openpyxl.load_workbook(io.BytesIO(files[f"{ROOT}/00_目录.xlsx"])).active
    listed = {}
    for row in index.iter_rows(values_only=True):
        for cell in row:
            if isinstance(cell, str) and cell.startswith(ROOT + "/"):
                listed[cell] = row
    assert set(listed) == set(files) - {f"{ROOT}/00_目录.xlsx"}
    for name, row in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() in row
    assert job.summary == {"villages": 2, "files": len(files), "evidence": 3}
    assert AuditEvent.objects.filter(action="export.build", object_id=str(job.pk)).count() == 1


def test_asking_again_joins_the_running_job_or_reuses_the_fresh_file(
    confirmed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first, created = request_package(confirmed)
    assert created and first.status == S.QUEUED
    again, created = request_package(confirmed)
    assert (again.pk, created) == (first.pk, False)
    # the database refuses a second job in flight for the same document
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(kind=K.CITY_PACKAGE, township=confirmed.org.town, year=2024)
    export_run(job_id=first.pk)
    reused, created = request_package(confirmed)
    assert (reused.pk, created) == (first.pk, False)
    assert ExportJob.objects.count() == 1


def test_a_change_to_the_candidates_data_makes_the_package_stale_and_a_rebuild_makes_a_new_one(
    confirmed, django_capture_on_commit_callbacks
):
    job, _ = build(confirmed, django_capture_on_commit_callbacks)
    assert not job_is_stale(job)
    # a change to a non-candidate does not touch the package
    IndicatorScore.objects.filter(assessment=confirmed.a["西村"]).update(review_note="复核")
    assert not job_is_stale(job)
    app = DemonstrationApplication.objects.get(assessment=confirmed.a["东村"])
    DemonstrationApplication.objects.filter(pk=app.pk).update(brand_name="新品牌", version=app.version + 1)
    assert job_is_stale(job)
    new, created = build(confirmed, django_capture_on_commit_callbacks)
    assert created and new.pk != job.pk and new.status == S.DONE and not job_is_stale(new)
    assert "新品牌" in pdf_text(members(new)[f"{ROOT}/02_东村/示范村申请表.pdf"])


def test_a_rebuild_without_changes_is_asked_for_explicitly(confirmed, django_capture_on_commit_callbacks):
    job, _ = build(confirmed, django_capture_on_commit_callbacks)
    same, created = build(confirmed, django_capture_on_commit_callbacks)
    assert (same.pk, created) == (job.pk, False)
    again, created = build(confirmed, django_capture_on_commit_callbacks, rebuild=True)
    assert created and again.pk != job.pk and again.status == S.DONE


class Killed(BaseException):
    """Stands for kill -9: nothing in the process gets to handle it."""


def stored_parts(job):
    folder = Path(settings.MEDIA_ROOT) / "exports" / "parts" / str(job.pk)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def same_package(files, clean_files):
    assert sorted(files) == sorted(clean_files)
    for name, payload in files.items():
        if name.endswith(".pdf") and "/加分佐证/" not in name and "盖章" not in name:
            assert pdf_text(payload) == pdf_text(clean_files[name]), name
        elif not name.endswith((".xlsx", ".pdf")) or "/加分佐证/" in name or "盖章" in name:
            assert payload == clean_files[name], name


def test_a_village_killed_half_way_is_rendered_again_and_is_in_the_package_once(
    confirmed, django_capture_on_commit_callbacks, monkeypatch
):
    from reports.models import PackagePart
    from reports.services.jobs import export_assemble, export_part_run

    clean, _ = build(confirmed, django_capture_on_commit_callbacks)
    clean_files = members(clean)
    assert stored_parts(clean) == []  # the parts go once the zip is stored
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = request_package(confirmed, rebuild=True)
    from reports import excel

    real = excel.score_sheet_xlsx
    calls = []

    def dies_in_the_second_village(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(excel, "score_sheet_xlsx", dies_in_the_second_village)
    with pytest.raises(Killed):
        export_run(job_id=job.pk, runner="celery:w1@host:1")
    job.refresh_from_db()
    assert (job.status, job.attempt) == (S.RUNNING, 1)
    assert (job.progress, job.step) == (63, "已生成第1/2个村（南村）")
    roster, first, second = PackagePart.objects.filter(job=job, attempt=1).order_by("position")
    assert roster.assessment_id is None and roster.finished_at and len(roster.files) == 1
    assert first.finished_at and len(first.files) == 4 and second.finished_at is None and second.runs == 1
    assert (
        len(stored_parts(job)) == 5
    )  # the dying village removed its PDFs (after a kill -9 its job's folder goes at the end)
    # Celery redelivers the village's message (acks_late + reject_on_worker_lost); the first village's
    # message arriving again is a no-op
    monkeypatch.setattr(excel, "score_sheet_xlsx", real)
    export_part_run(part_id=first.pk, runner="celery:w2@host:2")
    export_part_run(part_id=second.pk, runner="celery:w2@host:2")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.runs, first.runner, second.runs, second.runner) == (
        1,
        "celery:w1@host:1",
        2,
        "celery:w2@host:2",
    )
    export_assemble(job_id=job.pk, attempt=1, runner="celery:w2@host:2")
    job.refresh_from_db()
    assert (job.status, job.attempt, job.progress) == (S.DONE, 1, 100)
    assert parts() == [] and stored_parts(job) == []
    same_package(members(job), clean_files)
    # running a finished job or village again changes nothing
    export_run(job_id=job.pk)
    export_part_run(part_id=second.pk)
    job.refresh_from_db()
    assert job.attempt == 1 and stored_parts(job) == []


def test_an_assembly_killed_half_way_runs_again_to_the_same_result_and_leaves_no_temporary_file(
    confirmed, django_capture_on_commit_callbacks, monkeypatch
):
    from reports.services.jobs import export_assemble

    clean, _ = build(confirmed, django_capture_on_commit_callbacks)
    clean_files = members(clean)
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = request_package(confirmed, rebuild=True)
    real = package_module.PackageWriter.add_evidence
    calls = []

    def dies_on_the_second_file(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Killed
        return real(self, *args, **kwargs)

    monkeypatch.setattr(package_module.PackageWriter, "add_evidence", dies_on_the_second_file)
    with pytest.raises(Killed):
        export_run(job_id=job.pk, runner="celery:w1@host:1")
    job.refresh_from_db()
    assert (job.status, job.attempt, job.runner) == (S.RUNNING, 1, "assemble:celery:w1@host:1")
    assert 95 <= job.progress < 100 and len(parts()) == 1
    monkeypatch.setattr(package_module.PackageWriter, "add_evidence", real)
    # another runner's message is dropped while the assembler beats; its own redelivery runs
    assert export_assemble(job_id=job.pk, attempt=1, runner="celery:w2@host:2").status == S.RUNNING
    export_assemble(job_id=job.pk, attempt=1, runner="celery:w1@host:1")
    job.refresh_from_db()
    assert (job.status, job.attempt, job.progress) == (S.DONE, 1, 100)
    assert parts() == [] and stored_parts(job) == []
    same_package(members(job), clean_files)


def test_evidence_changed_on_disk_stops_the_build_naming_the_file(
    confirmed, django_capture_on_commit_callbacks
):
    path = Path(confirmed.bonus_evidence.file.path)
    path.write_bytes(path.read_bytes() + b"tampered")
    job, _ = build(confirmed, django_capture_on_commit_callbacks)
    assert job.status == S.FAILED
    assert job.error == (
        "佐证文件校验失败：东村「市级表彰文件.pdf」的 SHA-256 与上传时记录的不一致（文件可能被改动或损坏），"
        "材料包未生成。请联系管理员核查。"
    )
    assert not job.file and parts() == []
    assert AuditEvent.objects.filter(action="export.build", result="failure").count() == 1
    # once the file is restored, the failed job can be run again
    path.write_bytes(path.read_bytes()[: -len(b"tampered")])
    with django_capture_on_commit_callbacks(execute=True):
        assert export_retry(job=job, actor=confirmed.reviewer)
    job.refresh_from_db()
    assert (job.status, job.attempt) == (S.DONE, 2)


def test_without_candidates_the_package_says_why(cycle, django_capture_on_commit_callbacks):
    job, _ = build(cycle, django_capture_on_commit_callbacks)
    assert job.status == S.FAILED
    assert job.error == "本年度尚无报市的示范村候选（确认定级后才会产生），无法生成材料包。"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a/b\\c.pdf", "a_b_c.pdf"),
        ("报告\x00.exe", "报告_.exe"),
        ("...", "未命名"),
        ("长" * 300 + ".pdf", "长" * 76 + ".pdf"),
    ],
)
def test_names_in_the_zip_cannot_escape_their_folder(name, safe):
    assert safe_part(name) == safe


def test_campaign_exports_build_through_the_same_jobs(confirmed, django_capture_on_commit_callbacks):
    from reports.data import campaign_table

    table = campaign_table(confirmed.campaign)
    for kind, suffix in (
        (K.GRADE_ROSTER_PDF, ".pdf"),
        (K.GRADE_ROSTER_XLSX, ".xlsx"),
        (K.RANKING_PDF, ".pdf"),
        (K.SCORE_MATRIX_XLSX, ".xlsx"),
        (K.COMPLIANCE_XLSX, ".xlsx"),
        (K.RECTIFICATION_XLSX, ".xlsx"),
    ):
        campaign = None if kind in (K.COMPLIANCE_XLSX, K.RECTIFICATION_XLSX) else confirmed.campaign
        with django_capture_on_commit_callbacks(execute=True):
            job, _ = export_request(
                kind=kind, township=confirmed.org.town, year=2024, campaign=campaign, actor=confirmed.leader
            )
        job.refresh_from_db()
        assert job.status == S.DONE, job.error
        assert job.filename.startswith("甲镇2024年") and job.filename.endswith(suffix)
        payload = (Path(settings.MEDIA_ROOT) / job.file.name).read_bytes()
        if suffix == ".pdf":
            text = pdf_text(payload)
            for row in table.rows:
                assert row.name in text
        else:
            openpyxl.load_workbook(io.BytesIO(payload))


def test_a_job_whose_builder_vanished_is_closed_and_replaced_when_asked_again(
    confirmed, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=False):
        stuck, _ = request_package(confirmed)
    ExportJob.objects.filter(pk=stuck.pk).update(
        status=S.RUNNING,
        attempt=1,
        progress=40,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=100),
    )
    again, created = request_package(confirmed)
    assert (again.pk, created) == (stuck.pk, False)  # 100 s without a heartbeat: not given up yet
    ExportJob.objects.filter(pk=stuck.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=3))
    job, created = build(confirmed, django_capture_on_commit_callbacks)
    assert created and job.pk != stuck.pk and job.status == S.DONE
    stuck.refresh_from_db()
    assert stuck.status == S.FAILED and stuck.error == "生成过程中断（超过2分钟没有进展），已重新生成。"


def test_a_transient_database_error_leaves_the_job_to_the_tasks_retry(
    confirmed, django_capture_on_commit_callbacks, monkeypatch
):
    from django.db import OperationalError

    from reports.services import builders

    with django_capture_on_commit_callbacks(execute=False):
        job, _ = export_request(
            kind=K.GRADE_ROSTER_XLSX,
            township=confirmed.org.town,
            year=2024,
            campaign=confirmed.campaign,
            actor=confirmed.reviewer,
        )
    real = builders.BUILDERS[K.GRADE_ROSTER_XLSX]

    def flaky(*args):
        raise OperationalError("database is locked")

    monkeypatch.setitem(builders.BUILDERS, K.GRADE_ROSTER_XLSX, flaky)
    with pytest.raises(OperationalError):
        export_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempt, job.error) == (S.RUNNING, 1, "")
    monkeypatch.setitem(builders.BUILDERS, K.GRADE_ROSTER_XLSX, real)
    export_run(job_id=job.pk)  # Celery's autoretry
    job.refresh_from_db()
    assert (job.status, job.attempt) == (S.DONE, 2)


def test_recovery_queues_again_what_a_dead_runner_left_and_leaves_live_runs_alone(
    confirmed, django_capture_on_commit_callbacks, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from reports.models import LOST_AFTER, STALE_AFTER
    from reports.services.jobs import export_recover

    sent = []
    monkeypatch.setattr("reports.services.jobs._enqueue", lambda pk, queue=None: sent.append((pk, queue)))
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = request_package(confirmed)
    now = timezone.now()
    # a live run elsewhere: fresh heartbeat, another node
    ExportJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING, attempt=1, runner="celery:w2@host:11", heartbeat_at=now, started_at=now
    )
    stray = Path(settings.FILE_UPLOAD_TEMP_DIR) / f"ql-export-{job.pk}-1-x1y2.part"
    stray.write_bytes(b"half")
    with django_capture_on_commit_callbacks(execute=True):
        assert export_recover(now=now) == []
        # a message for it arriving at another runner is dropped: built once
        assert export_run(job_id=job.pk, runner="celery:w3@host:12").attempt == 1
    assert ExportJob.objects.get(pk=job.pk).runner == "celery:w2@host:11"
    # the node that ran it restarts: its earlier run is an orphan at once
    with django_capture_on_commit_callbacks(execute=True):
        assert export_recover(node="w2@host", queue="q-w2", now=now) == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.step) == (S.QUEUED, "执行进程中断，已自动重新排队")
    assert sent == [(job.pk, "q-w2")] and not stray.exists()
    # without a restart: a run without a heartbeat for STALE_AFTER
    ExportJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING, heartbeat_at=now - STALE_AFTER - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert export_recover(now=now) == [job.pk]
    # a queued job whose message was lost (broker restarted without persistence)
    ExportJob.objects.filter(pk=job.pk).update(
        status=S.QUEUED, queued_at=now - LOST_AFTER - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert export_recover(now=now) == [job.pk]
    assert [pk for pk, _ in sent] == [job.pk] * 3
    assert AuditEvent.objects.filter(action="export.requeue", object_id=str(job.pk)).count() == 3
    # and the next build completes it
    export_run(job_id=job.pk, runner="celery:w2@host:13")
    job.refresh_from_db()
    assert (job.status, job.attempt) == (S.DONE, 2)


def test_recovery_of_a_fanned_out_package_sends_again_only_a_dead_runners_village_then_its_assembly(
    confirmed, django_capture_on_commit_callbacks, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from reports.models import STALE_AFTER, PackagePart
    from reports.services import jobs
    from reports.services.jobs import export_assemble, export_part_run, export_recover

    sent = []
    monkeypatch.setattr(jobs, "_eager", lambda: False)  # as with real workers: messages, not inline calls
    monkeypatch.setattr(jobs, "_send_parts", lambda ids, queue: sent.append(("villages", list(ids), queue)))
    monkeypatch.setattr(
        jobs, "_send_assemble", lambda pk, attempt, queue: sent.append(("zip", pk, attempt, queue))
    )
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = request_package(confirmed)
    export_run(job_id=job.pk, runner="celery:w1@host:1", queue="q")
    roster, south, east = PackagePart.objects.filter(job=job, attempt=1).order_by("position")
    assert roster.assessment_id is None
    assert (south.assessment_id, east.assessment_id) == (confirmed.a["南村"].pk, confirmed.a["东村"].pk)
    assert sent == [("villages", [roster.pk, south.pk, east.pk], "q")]
    # w1 takes 南村 and dies while rendering it; w2 records 东村
    now = timezone.now()
    PackagePart.objects.filter(pk=south.pk).update(
        runner="celery:w1@host:1", started_at=now, heartbeat_at=now
    )
    with django_capture_on_commit_callbacks(execute=True):
        export_part_run(part_id=east.pk, runner="celery:w2@host:2", queue="q")
    job.refresh_from_db()
    assert (job.status, job.progress, job.step) == (S.RUNNING, 31, "已生成第1/2个村（东村）")
    with django_capture_on_commit_callbacks(execute=True):
        export_part_run(part_id=roster.pk, runner="celery:w2@host:2", queue="q")
    job.refresh_from_db()
    assert (job.progress, job.step) == (63, "已生成定级名册")
    with django_capture_on_commit_callbacks(execute=True):
        assert export_recover(now=now) == []  # 南村's runner still beats
    later = now + STALE_AFTER + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert export_recover(now=later) == [job.pk]
    assert sent[-1] == ("villages", [south.pk], None)
    job.refresh_from_db()
    assert (job.status, job.attempt) == (S.RUNNING, 1)  # not started over: 东村 is kept
    # the message sent again runs; as the last village it queues the assembly
    with django_capture_on_commit_callbacks(execute=True):
        export_part_run(part_id=south.pk, runner="celery:w2@host:2", queue="q")
    assert sent[-1] == ("zip", job.pk, 1, "q")
    # the assembler dies: once its heartbeat is STALE_AFTER old, the assembly is sent again
    ExportJob.objects.filter(pk=job.pk).update(runner="assemble:celery:w2@host:2", heartbeat_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        assert export_recover(now=later + timedelta(seconds=1)) == []
        assert export_recover(now=later + STALE_AFTER + timedelta(seconds=2)) == [job.pk]
    assert sent[-1] == ("zip", job.pk, 1, None) and len(sent) == 4
    export_assemble(job_id=job.pk, attempt=1, runner="celery:w3@host:3")
    job.refresh_from_db()
    assert (job.status, job.attempt, job.summary["villages"]) == (S.DONE, 1, 2)
    assert [p.runs for p in PackagePart.objects.filter(job=job).order_by("position")] == [1, 1, 1]
    assert set(members(job)) >= {
        f"{ROOT}/01_定级名册.pdf",
        f"{ROOT}/01_南村/评分表.pdf",
        f"{ROOT}/02_东村/评分表.pdf",
    }
    requeues = AuditEvent.objects.filter(action="export.requeue", object_id=str(job.pk)).order_by("pk")
    assert [e.message for e in requeues] == [
        "2024年 示范村报市材料包：执行进程中断，已重新分派1个村",
        "2024年 示范村报市材料包：打包进程中断，已重新打包",
    ]


def test_the_orphan_sweeper_spares_the_parts_of_a_package_being_built_only(confirmed):
    """Parts are named in a JSON column, not a FileField: the sweeper learns them from the reports app
    while their package builds, and takes any a finished package's clean-up missed."""
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from common.storage import orphan_report
    from reports.models import PackagePart

    with transaction.atomic():
        job, _ = request_package(confirmed)
    name = default_storage.save(f"exports/parts/{job.pk}/1/a/application.pdf", ContentFile(b"%PDF-1.4 part"))
    PackagePart.objects.create(
        job=job, attempt=1, position=0, files=[{"storage": name, "name": "申请表.pdf"}]
    )
    ExportJob.objects.filter(pk=job.pk).update(status=S.RUNNING, attempt=1)
    assert name not in orphan_report(min_age=dt.timedelta(0)).orphans
    ExportJob.objects.filter(pk=job.pk).update(status=S.DONE)
    assert name in orphan_report(min_age=dt.timedelta(0)).orphans
