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
from django.urls import reverse
from django.utils import timezone

from accounts.services import notify
from audit.services import audit_log
from common.storage import PART_SUFFIX, local_temp_file, storage_files, store_local_file, temp_upload_dir

from ..models import HEARTBEAT_EVERY, LOST_AFTER, STALE_AFTER, STUCK_AFTER, ExportJob
from .builders import BUILDERS
from .errors import ExportError
from .fingerprint import export_fingerprint

log = logging.getLogger(__name__)
STUCK_MINUTES = int(STUCK_AFTER.total_seconds() // 60)
S = ExportJob.Status


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


def set_build_task(task):
    global _build_task
    _build_task = task


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


def export_run(*, job_id, runner=""):
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
    progress = Progress(job, attempt)
    builder = BUILDERS[job.kind]
    # The builder writes on this machine's disk (named for the sweeper: common.storage.TEMP_EXPORT_PREFIX);
    # only the finished file is stored, so a killed attempt leaves nothing in the shared storage.
    tmp = local_temp_file(prefix=_part_prefix(job.pk, attempt))
    try:
        with Heartbeat(job.pk, attempt):
            filename, summary = builder(job, tmp, progress)
        stored = export_store(job=job, attempt=attempt, path=tmp, filename=filename, summary=summary)
        tmp.unlink(missing_ok=True)
        if stored is None:  # a newer attempt owns the row now
            return ExportJob.objects.get(pk=job.pk)
        digest, size = stored.sha256, stored.size
        audit_log(
            action="export.build",
            actor=job.created_by,
            obj=job,
            township_id=job.township_id,
            message=f"已生成{job}",
            detail={"sha256": digest, "size": size, "attempt": attempt, **summary},
        )
        if job.created_by_id:
            with transaction.atomic():
                notify(
                    users=[job.created_by],
                    title=f"{job}已生成",
                    body=f"{filename}（{size // 1024} KB）可以下载了。",
                    url=_job_page(job),
                )
    except OperationalError:
        # a transient database error: leave the row running so that the task's retry builds it again
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        message = str(exc) if isinstance(exc, ExportError) else f"生成失败：{type(exc).__name__}: {exc}"
        ExportJob.objects.filter(pk=job.pk, attempt=attempt).update(
            status=S.FAILED, step="失败", error=message[:2000], finished_at=timezone.now()
        )
        audit_log(
            action="export.build",
            actor=job.created_by,
            obj=job,
            township_id=job.township_id,
            result="failure",
            message=message[:300],
        )
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
    node), else by the sweeper there.
    """
    from django.db.models import Q

    now = now or timezone.now()
    orphaned = Q(status=S.RUNNING) & (
        Q(heartbeat_at__lt=now - STALE_AFTER) | Q(heartbeat_at__isnull=True, started_at__lt=now - STALE_AFTER)
    )
    if node:
        orphaned |= Q(status=S.RUNNING, runner__startswith=f"celery:{node}:")
    lost = Q(status=S.QUEUED, queued_at__lt=now - LOST_AFTER)
    requeued = []
    with transaction.atomic():
        for job in (
            ExportJob.objects.select_for_update(skip_locked=True).filter(orphaned | lost).order_by("pk")
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
    if requeued:
        log.warning("export jobs queued again after their runner was lost: %s", requeued)
    return requeued
