"""Writes of the reminders app: raise the day's reminder events, then send each person one digest.

Exactly once per event: Reminder rows are unique per (user, key); the in-app notification is created in
the same transaction as the row, only for rows that transaction inserted. At most one e-mail per person
per day: the EmailDigest row (unique per user and day) is created and the reminders attached to it
before the message goes out, so a retried or doubled task finds it and sends nothing. A failed send is
recorded as failed and not retried automatically; the in-app notifications remain.

Reminders raised after a person's digest of the day was created (a later run on the same day) are not
lost: they wait, unattached, for the next day's digest, which takes every unattached reminder due on or
before its day.
"""

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Notification, User
from accounts.unread import unread_changed
from audit.models import AuditEvent
from audit.services import audit_log
from common.dates import cn_date

from . import rules
from .models import EmailDigest, Reminder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RaiseResult:
    events: int  # events due today, including those already raised by an earlier run
    created: int  # reminders (and in-app notifications) this run created


@dataclass(frozen=True)
class DigestResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def reminders_raise(*, today):
    """Create the reminders due on `today` that do not exist yet, each with its in-app notification.

    A fixed number of queries however many villages, units or items there are (rules + 4 writes).
    """
    events = rules.events_due(today)
    if not events:
        return RaiseResult(events=0, created=0)
    now = timezone.now()
    with transaction.atomic():
        Reminder.objects.bulk_create(
            [
                Reminder(
                    user_id=e.user_id,
                    key=e.key,
                    kind=e.kind,
                    title=e.title,
                    body=e.body,
                    url=e.url,
                    due_on=today,
                )
                for e in events
            ],
            ignore_conflicts=True,
        )
        # The rows without a notification are the ones inserted just now: ignore_conflicts does not
        # report which rows it inserted on every backend, and a concurrent run that inserted the same
        # keys has committed its notifications before our INSERT could proceed past its rows.
        fresh = list(
            Reminder.objects.select_for_update()
            .filter(
                user_id__in={e.user_id for e in events},
                key__in={e.key for e in events},
                notified_at__isnull=True,
            )
            .order_by("pk")
        )
        if fresh:
            notes = Notification.objects.bulk_create(
                [Notification(user_id=r.user_id, title=r.title, body=r.body, url=r.url) for r in fresh]
            )
            for r, n in zip(fresh, notes, strict=True):
                r.notification, r.notified_at = n, now
            Reminder.objects.bulk_update(fresh, ["notification", "notified_at"])
            users = {r.user_id for r in fresh}
            transaction.on_commit(lambda: unread_changed(users))
    return RaiseResult(events=len(events), created=len(fresh))


def _claim(user, day):
    """Create the user's digest for `day` and attach the waiting reminders; None if it already exists."""
    try:
        with transaction.atomic():
            digest = EmailDigest.objects.create(user=user, day=day, email=user.email)
            count = Reminder.objects.filter(user=user, digest__isnull=True, due_on__lte=day).update(
                digest=digest
            )
            if count == 0:
                raise _NothingToSend
            digest.reminder_count = count
            if not user.email:
                digest.status = EmailDigest.Status.SKIPPED
            digest.save(update_fields=["reminder_count", "status"])
            return digest
    except (IntegrityError, _NothingToSend):
        return None


class _NothingToSend(Exception):
    pass


def digest_message(digest):
    """The digest e-mail: plain text and a simple HTML part, links absolute from SITE_URL."""
    base = settings.SITE_URL.rstrip("/")
    items = [
        {"title": r.title, "body": r.body, "link": f"{base}{r.url}" if r.url else ""}
        for r in digest.reminders.order_by("due_on", "pk")
    ]
    context = {"user": digest.user, "day": cn_date(digest.day), "items": items, "site_url": base}
    subject = f"【清廉村居】{cn_date(digest.day)}待办提醒（{len(items)}项）"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reminders/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.email],
    )
    message.attach_alternative(render_to_string("reminders/digest.html", context), "text/html")
    return message


def _deliver(digest):
    try:
        digest_message(digest).send()
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        logger.warning("reminder digest %s for user %s failed: %s", digest.pk, digest.user_id, exc)
        digest.status, digest.error = EmailDigest.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        digest.save(update_fields=["status", "error"])
        audit_log(
            action="reminder.digest_send",
            obj=digest,
            result=AuditEvent.Result.FAILURE,
            message=f"{cn_date(digest.day)}待办提醒邮件发送失败：{digest.user.username}（{digest.reminder_count}项）",
        )
        return False
    with transaction.atomic():
        digest.status, digest.sent_at = EmailDigest.Status.SENT, timezone.now()
        digest.save(update_fields=["status", "sent_at"])
        audit_log(
            action="reminder.digest_send",
            obj=digest,
            message=f"发送{cn_date(digest.day)}待办提醒邮件：{digest.user.username}（{digest.reminder_count}项）",
            detail={"day": digest.day.isoformat(), "reminders": digest.reminder_count},
        )
    return True


def digests_send(*, day):
    """Send each person with waiting reminders (due on or before `day`) one digest for `day`."""
    waiting = Reminder.objects.filter(digest__isnull=True, due_on__lte=day).values("user_id")
    users = User.objects.filter(pk__in=waiting, is_active=True).exclude(email_digests__day=day).order_by("pk")
    sent = failed = skipped = 0
    for user in users:
        digest = _claim(user, day)
        if digest is None:
            continue
        if digest.status == EmailDigest.Status.SKIPPED:
            skipped += 1
        elif _deliver(digest):
            sent += 1
        else:
            failed += 1
    return DigestResult(sent=sent, failed=failed, skipped=skipped)
