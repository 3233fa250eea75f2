"""Thin Celery wrappers: they take ids, the services do the work (HackSoft style).

The dependency is one way: this module imports the services, never the reverse. The services queue
a build through the task that ReportsConfig.ready() registers with them (services.jobs.set_build_task).
"""

from celery import shared_task
from django.db import OperationalError

from common.storage import orphan_cleanup

from .services.integrity import evidence_verify_all
from .services.jobs import export_run


@shared_task(
    name="reports.export_build",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    max_retries=3,
)
def export_build(job_id):
    job = export_run(job_id=job_id)
    return job.status if job else "missing"


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
