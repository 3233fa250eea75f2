"""Thin Celery wrappers: primitives in, the services do the work (HackSoft style)."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .services import digests_send, reminders_raise

DAILY_TASK = "reminders.daily"


@shared_task(
    name=DAILY_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=3,
)
def reminders_daily(day_iso=None):
    """Raise the day's reminders, then send the day's digests. Safe to run twice (see services)."""
    day = dt.date.fromisoformat(day_iso) if day_iso else timezone.localdate()
    raised = reminders_raise(today=day)
    digests = digests_send(day=day)
    return {
        "day": day.isoformat(),
        "events": raised.events,
        "created": raised.created,
        "sent": digests.sent,
        "failed": digests.failed,
        "skipped": digests.skipped,
    }
