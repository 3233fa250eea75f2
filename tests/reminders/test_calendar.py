"""Day by day from June 1 to July 15, 2026, running the daily task twice a day (and once after a crash
between raising and sending): every reminder exactly once, one e-mail per person per day with reminders."""

import datetime as dt
from collections import Counter

from django.core import mail

from accounts.models import Notification
from assessments.models import Assessment
from ledgers.models import Rectification
from reminders.models import EmailDigest, Reminder
from reminders.services import reminders_raise
from reminders.tasks import reminders_daily

from .conftest import CITY, SELF, SUBMISSION, rectification, submitted_ledger

D = dt.date
S = Assessment.Status


def _days(start, end):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _campaign_keys(c, field, deadline, offsets):
    return {f"campaign:{c.pk}:{field}:{deadline.isoformat()}:d{o}" for o in offsets}


def test_a_simulated_calendar_sends_each_reminder_once_and_one_email_per_person_per_day(world):
    org, c, a = world.org, world.campaign, world.a
    Assessment.objects.filter(pk=a["南村"].pk).update(status=S.SUBMITTED)  # 南村 done before June
    submitted_ledger(org.other_unit, 2026, 5)  # 民政科 on time both months; 经管站 never
    submitted_ledger(org.other_unit, 2026, 6)
    r_dong = rectification(org.village, D(2026, 6, 5), status=Rectification.Status.RESPONDED)
    r_nan = rectification(org.cousin, D(2026, 6, 8))
    r_xi = rectification(org.sibling, D(2026, 6, 10))
    # what happens in the villages, before that day's run
    actions = {
        D(2026, 6, 12): lambda: Rectification.objects.filter(pk=r_nan.pk).update(deadline=D(2026, 6, 20)),
        D(2026, 6, 20): lambda: Assessment.objects.filter(pk=a["东村"].pk).update(status=S.SUBMITTED),
        D(2026, 6, 29): lambda: Assessment.objects.filter(pk=a["南村"].pk).update(status=S.FORWARDED),
    }
    crash_day = D(2026, 6, 23)

    for day in _days(D(2026, 6, 1), D(2026, 7, 15)):
        if day in actions:
            actions[day]()
        if day == crash_day:
            reminders_raise(today=day)  # the worker dies before sending the digests
        reminders_daily(day.isoformat())
        reminders_daily(day.isoformat())

    self_ = "self_deadline"
    expected = {
        "cw_dong": _campaign_keys(c, self_, SELF, [7]),
        "jw_dong": _campaign_keys(c, self_, SELF, [7]),
        "cw_xi": _campaign_keys(c, self_, SELF, [7, 3, 1, 0])
        | {f"rectification:{r_xi.pk}:overdue:2026-06-10"},
        "cw_nan": {
            f"rectification:{r_nan.pk}:overdue:2026-06-08",
            f"rectification:{r_nan.pk}:overdue:2026-06-20",
        },
        "zz_1": _campaign_keys(c, "submission_deadline", SUBMISSION, [7, 3, 1, 0]),
        "zz_2": _campaign_keys(c, "submission_deadline", SUBMISSION, [7, 3]),
        "jiwei": _campaign_keys(c, "city_deadline", CITY, [7, 3, 1, 0])
        | {
            f"rectification:{r_dong.pk}:overdue:2026-06-05",
            f"rectification:{r_nan.pk}:overdue:2026-06-08",
            f"rectification:{r_nan.pk}:overdue:2026-06-20",
            f"rectification:{r_xi.pk}:overdue:2026-06-10",
        },
        "jgz": {f"ledger:{org.unit.pk}:2026-05:due", f"ledger:{org.unit.pk}:2026-06:due"},
    }
    rows = Counter(Reminder.objects.values_list("user__username", "key"))
    assert set(rows.values()) == {1}
    got = {}
    for username, key in rows:
        got.setdefault(username, set()).add(key)
    assert got == expected

    # each reminder has its own in-app notification with the same text
    assert Notification.objects.count() == len(rows)
    assert not Reminder.objects.filter(notification__isnull=True).exists()
    assert not Reminder.objects.filter(digest__isnull=True).exists()

    # raised on the expected days
    due = dict(Reminder.objects.values_list("key", "due_on").distinct())
    assert due[f"campaign:{c.pk}:self_deadline:2026-06-25:d7"] == D(2026, 6, 18)
    assert due[f"campaign:{c.pk}:submission_deadline:2026-06-30:d1"] == D(2026, 6, 29)
    assert due[f"campaign:{c.pk}:city_deadline:2026-07-10:d0"] == D(2026, 7, 10)
    assert due[f"ledger:{org.unit.pk}:2026-06:due"] == D(2026, 7, 2)
    assert due[f"rectification:{r_dong.pk}:overdue:2026-06-05"] == D(2026, 6, 6)
    assert due[f"rectification:{r_nan.pk}:overdue:2026-06-20"] == D(2026, 6, 21)

    # one e-mail per person with an address per day with reminders; none otherwise
    emails = Counter((m.to[0], m.subject) for m in mail.outbox)
    assert set(emails.values()) == {1}
    expected_mails = {
        (f"{r.user.username}@example.invalid", r.due_on)
        for r in Reminder.objects.select_related("user").exclude(user__email="")
    }
    assert len(mail.outbox) == len(expected_mails)
    sent = {(m.to[0], m.subject.split("】")[1].split("待办")[0]) for m in mail.outbox}
    assert sent == {(to, f"{d.year}年{d.month}月{d.day}日") for to, d in expected_mails}
    assert not any(m.to[0] == "leader@example.invalid" for m in mail.outbox)
    mail_days = {d for _, d in expected_mails}
    assert D(2026, 6, 1) not in mail_days and not any(d > D(2026, 7, 10) for d in mail_days)
    assert EmailDigest.objects.filter(status=EmailDigest.Status.SENT).count() == len(mail.outbox)
    assert EmailDigest.objects.filter(status=EmailDigest.Status.SKIPPED).get().user.username == "jw_dong"


def test_the_crash_day_still_sends_exactly_one_email_per_person(world):
    u = world.users
    day = SELF - dt.timedelta(days=7)
    reminders_raise(today=day)
    reminders_raise(today=day)
    assert len(mail.outbox) == 0
    reminders_daily(day.isoformat())
    reminders_daily(day.isoformat())
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [u["cw_dong"].email, u["cw_xi"].email, u["cw_nan"].email]
    )


def test_a_township_with_lead_times_5_and_1_is_reminded_on_exactly_those_days(world):
    org, c = world.org, world.campaign
    org.town.reminder_days = "5,1"
    org.town.save(update_fields=["reminder_days"])
    for day in _days(D(2026, 6, 1), D(2026, 7, 15)):
        reminders_daily(day.isoformat())
    due = {}
    for key, due_on in Reminder.objects.filter(key__startswith=f"campaign:{c.pk}:").values_list(
        "key", "due_on"
    ):
        due.setdefault(key, set()).add(due_on)
    expected = {}
    for field, deadline in (
        ("self_deadline", SELF),
        ("submission_deadline", SUBMISSION),
        ("city_deadline", CITY),
    ):
        for offset in (5, 1):
            expected[f"campaign:{c.pk}:{field}:{deadline.isoformat()}:d{offset}"] = {
                deadline - dt.timedelta(days=offset)
            }
    assert due == expected
    u = world.users
    assert set(Reminder.objects.filter(user=u["cw_xi"]).values_list("due_on", flat=True)) == {
        SELF - dt.timedelta(days=5),
        SELF - dt.timedelta(days=1),
    }
    # the other township keeps the default: its settings are its own
    assert org.other_town.reminder_offsets == (7, 3, 1, 0)
