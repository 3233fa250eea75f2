"""Beat tasks of the audit chain: seal committed rows within seconds, verify the whole chain hourly."""

from celery import shared_task

from audit.services import audit_seal

from .integrity import verify_and_alert


@shared_task(name="audit.seal", ignore_result=True)
def audit_seal_task():
    """Catch-up sealing: rows whose after-commit sealing was skipped while another sealer ran."""
    return audit_seal(wait=False)


@shared_task(name="audit.verify", acks_late=True)
def audit_verify_task():
    report = verify_and_alert()
    return {"ok": report.ok, "rows": report.rows, "problems": [str(p) for p in report.problems]}
