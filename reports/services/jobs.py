"""Export jobs: request (join a running one, reuse a fresh one, or queue a new one) and run.

A run is idempotent: the builder writes to a temporary file on the worker's own disk, the run stores it
through Django's storage API (the local disk or an S3-API object store shared by every machine, issue 16)
under a name of its own attempt, then marks the row done with `UPDATE … WHERE attempt = <this attempt>`, so a redelivered task (worker killed mid-way, Celery's
acks_late + reject_on_worker_lost) simply builds again to the same result, and a late finisher of an
older attempt cannot overwrite a newer one.

A run beats a heartbeat while it builds (a thread, every HEARTBEAT_EVERY, even inside one long step)
and names its runner. `export_recover` queues again what a dead process left: jobs of a worker node
that has just restarted (at once, from the worker_ready signal), jobs without a heartbeat for
STALE_AFTER and queued jobs whose message was lost (on a short beat). A message that arrives for a job
another live runner is building is dropped, so what users see is built once.

The city package fans out (FANOUT): its run writes the attempt's plan (one PackagePart row per village)
and queues one task per village; each village task renders into storage and records its part; the task
that records the last part queues the assembly, which zips the parts and finishes the job like any other
build (`_finish`). A chord counted in the database rather than Celery's: the part rows survive a killed
worker, give the page its per-village progress, and make a redelivered village task a no-op once its part
is recorded, so each village is in the zip exactly once. While it fans out, the job is alive as long as
its villages progress: every village task beats its part and the job; the recovery re-sends only the
villages of a dead runner (or all unfinished ones if none progressed for LOST_AFTER), and the assembly
if its runner died.
"""

import hashlib
import logging
import os
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from accounts.services import notify
from audit.services import audit_log
from common.storage import PART_SUFFIX, local_temp_file, storage_files, store_local_file, temp_upload_dir

from ..models import HEARTBEAT_EVERY, LOST_AFTER, STALE_AFTER, STUCK_AFTER, ExportJob, PackagePart
from .builders import BUILDERS
from .errors import ExportError
from .fingerprint import export_fingerprint
from .package import (
    package_assemble,
    package_plan,
    parts_clean,
    stored_delete,
    township_part_render,
    village_part_render,
)

log = logging.getLogger(__name__)
STUCK_MINUTES = int(STUCK_AFTER.total_seconds() // 60)
S = ExportJob.Status
# kinds built as one task per village plus a final assembly
FANOUT = {ExportJob.Kind.CITY_PACKAGE}
ASSEMBLER = "assemble:"  # the runner prefix of a fanned-out job while its zip is being assembled


def job_is_stale(job):
    if job.status != S.DONE:
        return False
    current = export_fingerprint(
        kind=job.kind, township=job.township, year=job.year, campaign=job.campaign, village=job.village
    )
    return current != job.fingerprint


# The Celery task that builds a queued job. reports.tasks wraps these services, so they never import it:
# ReportsConfig.ready() hands the task over with set_build_task() when Django starts.
_build_task = None
_part_tasks = {}


def set_build_task(task, *, village=None, assemble=None):
    global _build_task
    _build_task = task
    _part_tasks.update(village=village, assemble=assemble)


def _eager():
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def _enqueue(job_id, queue=None):
    if settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "REPORTS_EAGER_IN_THREAD", False):
        # The embedded default has no worker: build in a background thread of this process so the
        # request returns at once and the page can poll the progress like with a real worker.
        import threading

        threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True).start()
    else:
        if _build_task is None:
            raise RuntimeError("reports: no build task registered (ReportsConfig.ready() has not run)")
        if queue:
            _build_task.apply_async(args=[job_id], queue=queue)
        else:
            _build_task.delay(job_id)


def _run_in_thread(job_id):
    from django.db import connection

    try:
        export_run(job_id=job_id, runner=f"thread:{socket.gethostname()}:{os.getpid()}")
    except Exception:  # the job row carries the error; nothing else to do in a thread
        log.exception("export job %s failed", job_id)
    finally:
        connection.close()


def export_request(*, kind, township, year, actor, campaign=None, village=None, rebuild=False, request=None):
    """The job that answers this request: the one in flight for this document, else a finished one whose
    data has not changed (unless `rebuild`), else a new queued job. Returns (job, created).
    A village's record is one document per village whatever the year it was asked in."""
    fingerprint = export_fingerprint(
        kind=kind, township=township, year=year, campaign=campaign, village=village
    )
    if village is not None:
        same = ExportJob.objects.filter(village=village, kind=kind)
    else:
        same = ExportJob.objects.filter(township=township, kind=kind, year=year, village__isnull=True)
    active = same.filter(status__in=[S.QUEUED, S.RUNNING]).first()
    if active and active.is_stuck:
        # its builder is gone: close it so that a new job can take its place
        ExportJob.objects.filter(pk=active.pk, status=S.RUNNING, attempt=active.attempt).update(
            status=S.FAILED,
            step="中断",
            error=f"生成过程中断（超过{STUCK_MINUTES}分钟没有进展），已重新生成。",
            finished_at=timezone.now(),
        )
        active = None
    if active:
        return active, False
    if not rebuild:
        fresh = same.filter(status=S.DONE, fingerprint=fingerprint).order_by("-finished_at").first()
        if fresh and fresh.file and fresh.file.storage.exists(fresh.file.name):
            return fresh, False
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                kind=kind,
                township=township,
                year=year,
                campaign=campaign,
                village=village,
                fingerprint=fingerprint,
                created_by=actor,
                step="排队等待生成",
                queued_at=timezone.now(),
            )
            audit_log(
                action="export.request",
                actor=actor,
                request=request,
                obj=job,
                township_id=township.pk,
                message=f"申请生成{job}",
                detail={
                    "kind": kind,
                    "year": year,
                    "rebuild": rebuild,
                    "village": village.pk if village else None,
                },
            )
            transaction.on_commit(lambda: _enqueue(job.pk))
    except IntegrityError:
        # Someone queued the same document a moment ago (double click, two reviewers): join theirs.
        return same.get(status__in=[S.QUEUED, S.RUNNING]), False
    return job, True


class Progress:
    """Writes progress to the job row at most every half second (the page polls the row)."""

    def __init__(self, job, attempt):
        self.job = job
        self.attempt = attempt
        self.last = 0.0

    def __call__(self, percent, step, *, force=False):
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        ExportJob.objects.filter(pk=self.job.pk, attempt=self.attempt).update(
            progress=max(0, min(int(percent), 99)), step=step[:200], heartbeat_at=timezone.now()
        )


def _export_dir(job):
    """The storage folder of one job's files (one file per attempt; the older ones go once one is done)."""
    return f"exports/{job.year}/job-{job.pk}"


class Heartbeat:
    """Beats the job's heartbeat from a thread while the build runs (one long step included)."""

    def __init__(self, job_id, attempt):
        self.job_id, self.attempt = job_id, attempt
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"job-{job_id}-heartbeat")

    def _beat(self):
        from django.db import connection

        try:
            while not self.stop.wait(HEARTBEAT_EVERY.total_seconds()):
                ExportJob.objects.filter(pk=self.job_id, attempt=self.attempt, status=S.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:  # a missed beat is only a later recovery; never the build's failure
            log.warning("heartbeat of export job %s stopped", self.job_id, exc_info=True)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


def _alive(job, now):
    seen = job.heartbeat_at or job.started_at
    return job.status == S.RUNNING and seen is not None and now - seen < STALE_AFTER


def export_run(*, job_id, runner="", queue=None):
    """Build the job's file. Safe to call again for the same job: a finished job is left alone, and so
    is a job another runner is building right now (its heartbeat is fresh)."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update(of=("self",))
            .select_related("township", "campaign", "campaign__standard", "village", "created_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status in (S.DONE, S.FAILED):
            return job
        now = timezone.now()
        if _alive(job, now) and job.runner != runner:
            log.info("export job %s is being built by %s; message dropped", job.pk, job.runner)
            return job
        attempt = job.attempt + 1
        ExportJob.objects.filter(pk=job.pk).update(
            status=S.RUNNING,
            attempt=attempt,
            runner=runner[:200],
            progress=0,
            step="开始生成",
            error="",
            started_at=now,
            heartbeat_at=now,
            # the file shows the data as it was when the build started
            fingerprint=export_fingerprint(
                kind=job.kind,
                township=job.township,
                year=job.year,
                campaign=job.campaign,
                village=job.village,
            ),
        )
    job.refresh_from_db()
    if job.kind in FANOUT:
        return _fanout_start(job, attempt, queue)
    progress = Progress(job, attempt)
    builder = BUILDERS[job.kind]
    # The builder writes on this machine's disk (named for the sweeper: common.storage.TEMP_EXPORT_PREFIX);
    # only the finished file is stored, so a killed attempt leaves nothing in the shared storage.
    tmp = local_temp_file(prefix=_part_prefix(job.pk, attempt))
    try:
        with Heartbeat(job.pk, attempt):
            filename, summary = builder(job, tmp, progress)
        _finish(job, attempt, tmp, filename, summary)
    except OperationalError:
        # a transient database error: leave the row running so that the task's retry builds it again
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        _fail(job, attempt, exc)
        if not isinstance(exc, ExportError):
            raise
    return ExportJob.objects.get(pk=job.pk)


def _finish(job, attempt, tmp, filename, summary):
    """Store a built local file as the job's result (if this attempt still owns the row), remove the local
    file, audit, notify. False when a newer attempt owns the row."""
    try:
        stored = export_store(job=job, attempt=attempt, path=tmp, filename=filename, summary=summary)
    finally:
        tmp.unlink(missing_ok=True)
    if stored is None:
        return False
    audit_log(
        action="export.build",
        actor=job.created_by,
        obj=job,
        township_id=job.township_id,
        message=f"已生成{job}",
        detail={"sha256": stored.sha256, "size": stored.size, "attempt": attempt, **summary},
    )
    if job.created_by_id:
        with transaction.atomic():
            notify(
                users=[job.created_by],
                title=f"{job}已生成",
                body=f"{stored.filename}（{stored.size // 1024} KB）可以下载了。",
                url=_job_page(job),
            )
    return True


def _fail(job, attempt, exc):
    message = str(exc) if isinstance(exc, ExportError) else f"生成失败：{type(exc).__name__}: {exc}"
    failed = ExportJob.objects.filter(pk=job.pk, attempt=attempt, status=S.RUNNING).update(
        status=S.FAILED, step="失败", error=message[:2000], finished_at=timezone.now()
    )
    if failed:
        audit_log(
            action="export.build",
            actor=job.created_by,
            obj=job,
            township_id=job.township_id,
            result="failure",
            message=message[:300],
        )
        if job.kind in FANOUT:
            parts_clean(job.pk)


# --- the city package as one task per village plus an assembly ------------------------------------------


def _fanout_start(job, attempt, queue):
    """Write the attempt's plan (the township's 定级名册 and one part per village) and queue them."""
    try:
        chosen = package_plan(job.campaign)
    except ExportError as exc:
        _fail(job, attempt, exc)
        return ExportJob.objects.get(pk=job.pk)
    with transaction.atomic():
        PackagePart.objects.bulk_create(
            [
                PackagePart(job=job, attempt=attempt, position=0, assessment=None),
                *(
                    PackagePart(job=job, attempt=attempt, position=n, assessment=a)
                    for n, a in enumerate(chosen, 1)
                ),
            ]
        )
        ExportJob.objects.filter(pk=job.pk, attempt=attempt).update(
            progress=1, step=f"已分派{len(chosen)}个村的生成任务", heartbeat_at=timezone.now()
        )
    ids = list(
        PackagePart.objects.filter(job=job, attempt=attempt).order_by("position").values_list("pk", flat=True)
    )
    if _eager():
        # the embedded default (no worker): the same steps, one after another in this process
        for pk in ids:
            export_part_run(part_id=pk, runner=job.runner)
        export_assemble(job_id=job.pk, attempt=attempt, runner=job.runner)
    else:
        _send_parts(ids, queue)
    return ExportJob.objects.get(pk=job.pk)


def _send_parts(part_ids, queue):
    task = _part_tasks.get("village")
    if task is None:
        raise RuntimeError("reports: no village task registered (ReportsConfig.ready() has not run)")
    for pk in part_ids:
        task.apply_async(args=[pk], queue=queue) if queue else task.delay(pk)


def _send_assemble(job_id, attempt, queue):
    task = _part_tasks.get("assemble")
    if task is None:
        raise RuntimeError("reports: no assembly task registered (ReportsConfig.ready() has not run)")
    task.apply_async(args=[job_id, attempt], queue=queue) if queue else task.delay(job_id, attempt)


class PartHeartbeat(Heartbeat):
    """Beats the village's part and its job while the village renders."""

    def __init__(self, part_id, job_id, attempt):
        super().__init__(job_id, attempt)
        self.part_id = part_id

    def _beat(self):
        from django.db import connection

        try:
            while not self.stop.wait(HEARTBEAT_EVERY.total_seconds()):
                now = timezone.now()
                PackagePart.objects.filter(pk=self.part_id, finished_at__isnull=True).update(heartbeat_at=now)
                ExportJob.objects.filter(pk=self.job_id, attempt=self.attempt, status=S.RUNNING).update(
                    heartbeat_at=now
                )
        except Exception:
            log.warning("heartbeat of package part %s stopped", self.part_id, exc_info=True)
        finally:
            connection.close()


def export_part_run(*, part_id, runner="", queue=None):
    """Render one village of a fanned-out job and record its part. Safe to run twice: a recorded part,
    a finished job or an older attempt's part is left alone (the message is dropped)."""
    part = (
        PackagePart.objects.select_related("job", "job__township", "job__campaign", "assessment__village")
        .filter(pk=part_id)
        .first()
    )
    if part is None or part.finished_at is not None:
        return part
    job = part.job
    if job.status != S.RUNNING or job.attempt != part.attempt:
        return part
    now = timezone.now()
    PackagePart.objects.filter(pk=part.pk).update(
        runner=runner[:200], started_at=now, heartbeat_at=now, runs=F("runs") + 1
    )
    try:
        with PartHeartbeat(part.pk, job.pk, part.attempt):
            render = township_part_render if part.assessment_id is None else village_part_render
            manifest = render(job=job, part=part)
    except OperationalError:
        raise
    except Exception as exc:
        _fail(job, part.attempt, exc)
        if not isinstance(exc, ExportError):
            raise
        return part
    last = False
    with transaction.atomic():
        # the job row serialises the parts' ends: exactly one task sees the last part recorded
        alive = (
            ExportJob.objects.select_for_update()
            .filter(pk=job.pk, attempt=part.attempt, status=S.RUNNING)
            .exists()
        )
        won = alive and PackagePart.objects.filter(pk=part.pk, finished_at__isnull=True).update(
            finished_at=timezone.now(), heartbeat_at=timezone.now(), files=manifest, runner=runner[:200]
        )
        if won:
            parts = PackagePart.objects.filter(job=job, attempt=part.attempt)
            counts = parts.aggregate(
                done=Count("pk", filter=Q(finished_at__isnull=False)),
                total=Count("pk"),
                villages_done=Count("pk", filter=Q(finished_at__isnull=False, assessment__isnull=False)),
                villages=Count("pk", filter=Q(assessment__isnull=False)),
            )
            if part.assessment_id is None:
                step = "已生成定级名册"
            else:
                step = f"已生成第{counts['villages_done']}/{counts['villages']}个村（{part.assessment.village.name}）"
            ExportJob.objects.filter(pk=job.pk, attempt=part.attempt).update(
                progress=max(1, min(95 * counts["done"] // counts["total"], 95)),
                step=step[:200],
                heartbeat_at=timezone.now(),
            )
            last = counts["done"] == counts["total"]
            if last and not _eager():
                transaction.on_commit(lambda: _send_assemble(job.pk, part.attempt, queue))
    if not won:  # another run of this village recorded it first, or the attempt is over
        stored_delete(manifest)
    return part


def export_assemble(*, job_id, attempt, runner=""):
    """Zip the recorded parts of a fanned-out attempt and finish the job. A message for an attempt
    that is over, or that a live assembler is zipping, is dropped."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update(of=("self",))
            .select_related("township", "campaign", "campaign__standard", "created_by")
            .filter(pk=job_id, attempt=attempt, status=S.RUNNING)
            .first()
        )
        if job is None:
            return None
        me = f"{ASSEMBLER}{runner}"[:200]
        if job.runner.startswith(ASSEMBLER) and job.runner != me and _alive(job, timezone.now()):
            log.info("export job %s is being assembled by %s; message dropped", job.pk, job.runner)
            return job
        parts = list(
            PackagePart.objects.filter(job=job, attempt=attempt)
            .select_related("assessment__village")
            .order_by("position")
        )
        if not parts or any(p.finished_at is None for p in parts):
            return job  # not all villages are in yet; the last one queues the assembly again
        ExportJob.objects.filter(pk=job.pk).update(runner=me, heartbeat_at=timezone.now(), step="开始打包")
    # the zip is written on this machine's disk and only the finished file is stored (as export_run); an
    # assembly of this attempt killed here before left its half-built zip: this run takes over from it
    _remove_local_parts(job.pk, [attempt])
    tmp = local_temp_file(prefix=_part_prefix(job.pk, attempt))
    try:
        with Heartbeat(job.pk, attempt):
            progress = Progress(job, attempt)
            # the villages took the bar to 95 %; the zip fills the rest
            filename, summary = package_assemble(
                job,
                parts,
                tmp,
                lambda pct, step, force=False: progress(95 + pct * 4 / 100, step, force=force),
            )
        if _finish(job, attempt, tmp, filename, summary):
            parts_clean(job.pk)
    except OperationalError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        _fail(job, attempt, exc)
        if not isinstance(exc, ExportError):
            raise
    return ExportJob.objects.get(pk=job.pk)


def _job_page(job):
    """Where the finished file is offered: the campaign's reports center, the summary's page."""
    if job.campaign_id:
        return reverse("reports:center", args=[job.campaign_id])
    if job.kind in (ExportJob.Kind.YEAR_SUMMARY_DOCX, ExportJob.Kind.YEAR_SUMMARY_PDF):
        return reverse("reports:year_summary", args=[job.township_id, job.year])
    return ""


def export_store(*, job, attempt, path, filename, summary):
    """Store the finished local file `path` of this attempt and mark the job done; returns the row as
    stored, or None when a newer attempt owns the row (the file stored here is removed again).

    The file is streamed into the default storage under exports/<year>/job-<pk>/<kind>-<attempt>.<ext>;
    the row is marked done only by the attempt that built it, and if marking fails the stored file goes
    again, so no stored file is left without its row. The caller removes `path`."""
    digest, size = _hash(path)
    name = store_local_file(f"{_export_dir(job)}/{job.kind}-{attempt}{Path(filename).suffix}", path)
    try:
        done = ExportJob.objects.filter(pk=job.pk, attempt=attempt, status=S.RUNNING).update(
            status=S.DONE,
            progress=100,
            step="已完成",
            file=name,
            filename=filename,
            size=size,
            sha256=digest,
            summary=summary,
            finished_at=timezone.now(),
        )
    except BaseException:
        default_storage.delete(name)
        raise
    if not done:  # our file is not referenced
        default_storage.delete(name)
        return None
    _clean_older_files(job, keep=name)
    _remove_local_parts(job.pk, range(1, attempt))
    return ExportJob.objects.get(pk=job.pk)


def _part_prefix(pk, attempt):
    return f"ql-export-{pk}-{attempt}-"


def _remove_local_parts(pk, attempts):
    """Half-built files that dead attempts of this job left on this machine's disk (a worker killed in
    the middle of a build); other machines' are theirs to remove (or their sweeper's)."""
    folder = temp_upload_dir()
    for attempt in attempts:
        for stray in folder.glob(f"{_part_prefix(pk, attempt)}*{PART_SUFFIX}"):
            stray.unlink(missing_ok=True)


def _hash(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _clean_older_files(job, *, keep):
    """Files of earlier attempts of this job (a rebuild or a retry stores a new one beside them)."""
    for old in storage_files(folder=_export_dir(job)):
        if old != keep and old.rsplit("/", 1)[-1].startswith(f"{job.kind}-"):
            default_storage.delete(old)


def export_retry(*, job, actor, request=None):
    """Queue a failed (or stuck) job again; the next attempt builds from scratch."""
    updated = ExportJob.objects.filter(pk=job.pk, status__in=[S.FAILED, S.RUNNING]).update(
        status=S.QUEUED, step="排队等待重新生成", error="", progress=0, queued_at=timezone.now()
    )
    if updated:
        audit_log(action="export.retry", actor=actor, request=request, obj=job, township_id=job.township_id)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return updated == 1


def export_recover(*, node=None, queue=None, now=None):
    """Queue again the jobs a dead process left; returns their ids.

    `node`: a Celery worker node that has just started: its earlier runs ("celery:<node>:…") are
    orphans at once, whatever their heartbeat. Always: running jobs without a heartbeat for
    STALE_AFTER, and queued jobs whose message has not started for LOST_AFTER. `queue`: where to send
    them (the restarted worker's own queue; else the default). A dead attempt's half-built file is on
    its own machine's disk, never in the storage: removed here when that is this machine (the restarted
    node), else by the sweeper there. A fanned-out job (the city package) is not built again: only its
    villages whose runner died, or the assembly whose runner died, are sent again (`_recover_fanout`).
    """
    now = now or timezone.now()
    fanned = Exists(PackagePart.objects.filter(job=OuterRef("pk"), attempt=OuterRef("attempt")))
    orphaned = Q(status=S.RUNNING) & (
        Q(heartbeat_at__lt=now - STALE_AFTER) | Q(heartbeat_at__isnull=True, started_at__lt=now - STALE_AFTER)
    )
    if node:
        orphaned |= Q(status=S.RUNNING, runner__startswith=f"celery:{node}:")
    lost = Q(status=S.QUEUED, queued_at__lt=now - LOST_AFTER)
    requeued = []
    with transaction.atomic():
        for job in (
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter((orphaned & ~fanned) | lost)
            .order_by("pk")
        ):
            was = job.status
            ExportJob.objects.filter(pk=job.pk, status=was).update(
                status=S.QUEUED, step="执行进程中断，已自动重新排队", progress=0, queued_at=now
            )
            audit_log(
                action="export.requeue",
                obj=job,
                township_id=job.township_id,
                message=f"{job}：执行进程中断，已自动重新排队"
                if was == S.RUNNING
                else f"{job}：排队消息丢失，已重新发送",
                detail={"was": was, "runner": job.runner, "attempt": job.attempt},
            )
            requeued.append((job.pk, job.attempt))
        for pk, _ in requeued:
            transaction.on_commit(lambda pk=pk: _enqueue(pk, queue))
    for pk, last_attempt in requeued:  # the next attempt's file has a higher number
        _remove_local_parts(pk, range(1, last_attempt + 1))
    requeued = [pk for pk, _ in requeued]
    requeued += _recover_fanout(node=node, queue=queue, now=now, fanned=fanned)
    if requeued:
        log.warning("export jobs queued again after their runner was lost: %s", requeued)
    return requeued


def _recover_fanout(*, node, queue, now, fanned):
    """Send again the villages (or the assembly) of fanned-out jobs whose runner is gone."""
    recovered = []
    dead_runner = Q(heartbeat_at__lt=now - STALE_AFTER) | Q(heartbeat_at__isnull=True)
    if node:
        dead_runner |= Q(runner__startswith=f"celery:{node}:")
    with transaction.atomic():
        for job in ExportJob.objects.select_for_update(skip_locked=True).filter(fanned, status=S.RUNNING):
            open_parts = PackagePart.objects.filter(job=job, attempt=job.attempt, finished_at__isnull=True)
            silent = job.heartbeat_at is None or job.heartbeat_at < now - LOST_AFTER
            if silent:  # nothing progressed for long: the messages themselves are gone
                resend = list(open_parts.values_list("pk", flat=True))
            else:
                resend = list(
                    open_parts.filter(started_at__isnull=False)
                    .filter(dead_runner)
                    .values_list("pk", flat=True)
                )
            assembler_dead = job.runner.startswith(ASSEMBLER) and (
                (node and job.runner.startswith(f"{ASSEMBLER}celery:{node}:"))
                or job.heartbeat_at is None
                or job.heartbeat_at < now - STALE_AFTER
            )
            reassemble = not open_parts.exists() and (
                assembler_dead or (not job.runner.startswith(ASSEMBLER) and silent)
            )
            if not resend and not reassemble:
                continue
            PackagePart.objects.filter(pk__in=resend).update(started_at=None, runner="", heartbeat_at=now)
            ExportJob.objects.filter(pk=job.pk).update(
                heartbeat_at=now, runner=job.runner.removeprefix(ASSEMBLER) if reassemble else job.runner
            )
            audit_log(
                action="export.requeue",
                obj=job,
                township_id=job.township_id,
                message=f"{job}：执行进程中断，已重新分派{len(resend)}个村"
                if resend
                else f"{job}：打包进程中断，已重新打包",
                detail={"was": "running", "runner": job.runner, "attempt": job.attempt, "parts": resend},
            )
            if resend:
                transaction.on_commit(lambda ids=resend: _send_parts(ids, queue))
            if reassemble:
                transaction.on_commit(lambda pk=job.pk, a=job.attempt: _send_assemble(pk, a, queue))
            recovered.append(job.pk)
    return recovered
