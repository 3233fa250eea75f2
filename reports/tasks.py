"""Thin Celery wrappers: they take ids, the services do the work (HackSoft style).

The dependency is one way: this module imports the services, never the reverse. The services queue
a build through the task that ReportsConfig.ready() registers with them (services.jobs.set_build_task).
"""

import logging
import os

from celery import shared_task
from celery.signals import worker_ready
from django.db import OperationalError

from common.storage import orphan_cleanup

from .services.integrity import evidence_verify_all
from .services.jobs import export_assemble, export_part_run, export_recover, export_run

log = logging.getLogger(__name__)

# The building tasks: acknowledged only when done, delivered again when their worker dies (the services
# make a second run of a finished job, village or assembly a no-op), retried on a passing database error.
DURABLE = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "max_retries": 3,
}


@shared_task(name="reports.export_build", **DURABLE)
def export_build(self, job_id):
    job = export_run(job_id=job_id, runner=_runner(self), queue=_queue(self))
    return job.status if job else "missing"


def _runner(task):
    return f"celery:{task.request.hostname}:{os.getpid()}"


def _queue(task):
    """The queue this message came from: a package's village tasks follow their job there (a worker
    started for one queue, as the tests do, gets its package's villages)."""
    info = task.request.delivery_info or {}
    return info.get("routing_key") or None


# One village of a city package: the part row makes a second delivery a no-op once the village is recorded.
@shared_task(name="reports.package_village", ignore_result=True, **DURABLE)
def package_village(self, part_id):
    part = export_part_run(part_id=part_id, runner=_runner(self), queue=_queue(self))
    return part.pk if part else None


@shared_task(name="reports.package_assemble", **DURABLE)
def package_assemble(self, job_id, attempt):
    job = export_assemble(job_id=job_id, attempt=attempt, runner=_runner(self))
    return job.status if job else "missing"


@shared_task(name="reports.recover_jobs", ignore_result=True)
def recover_jobs():
    """On a short beat: jobs whose runner stopped beating, queued jobs whose message was lost."""
    return export_recover()


@worker_ready.connect
def recover_this_nodes_jobs(sender=None, **kwargs):
    """A worker node that starts again disowns what its previous life was building (killed with -9,
    the machine restarted): those jobs are queued again at once, to this worker's own queue."""
    try:
        queues = sorted(q.name for q in sender.task_consumer.queues) if sender.task_consumer else []
        export_recover(node=sender.hostname, queue=queues[0] if queues else None)
    except Exception:  # the beat's recovery catches up; a start-up must not fail on this
        log.exception("recovering export jobs at worker start failed")


@shared_task(name="reports.evidence_verify", acks_late=True)
def evidence_verify():
    result = evidence_verify_all()
    return {"checked": result["checked"], "problems": len(result["problems"])}


@shared_task(name="reports.cleanup_orphan_files", acks_late=True)
def cleanup_orphan_files():
    """Daily: remove stored files without a row (older than an hour) and temporary uploads older than a
    day; counts and bytes go to the log (common.storage)."""
    report = orphan_cleanup(delete=True)
    return {
        "orphans": len(report.orphans),
        "orphan_bytes": report.orphan_bytes,
        "temp_files": len(report.temp_files),
        "temp_bytes": report.temp_bytes,
    }
