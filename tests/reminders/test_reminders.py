"""Rules, texts, digests and the schedule of the reminders app."""

import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification, Role
from assessments.models import Assessment
from assessments.services.campaigns import campaign_create
from audit.models import AuditEvent
from config.celery_app import app
from ledgers.models import Rectification
from reminders.models import EmailDigest, Reminder
from reminders.rules import DEADLINE_OFFSETS, deadline_window
from reminders.services import digests_send, reminders_raise
from reminders.tasks import reminders_daily
from tests.factories import BranchFactory, TownshipFactory, UnitFactory, VillageFactory, user_with_role

from .conftest import CITY, SELF, SUBMISSION, rectification, submitted_ledger

D = dt.date
S = Assessment.Status


def _keys(user):
    return set(Reminder.objects.filter(user=user).values_list("key", flat=True))


def test_deadline_windows_run_from_each_offset_to_the_next():
    windows = [deadline_window(SELF, SELF - dt.timedelta(days=n)) for n in range(-1, 10)]
    assert DEADLINE_OFFSETS == (7, 3, 1, 0)
    assert windows == [None, 0, 1, 3, 3, 7, 7, 7, 7, None, None]


def test_a_village_that_submitted_gets_no_self_deadline_reminder(world):
    Assessment.objects.filter(pk=world.a["东村"].pk).update(status=S.SUBMITTED)
    Assessment.objects.filter(pk=world.a["西村"].pk).update(status=S.RETURNED)
    reminders_raise(today=SELF - dt.timedelta(days=3))
    u = world.users
    assert _keys(u["cw_dong"]) == set()
    assert _keys(u["jw_dong"]) == set()
    assert _keys(u["cw_xi"]) == {f"campaign:{world.campaign.pk}:self_deadline:2026-06-25:d3"}
    assert _keys(u["cw_nan"]) == {f"campaign:{world.campaign.pk}:self_deadline:2026-06-25:d3"}
    assert _keys(u["leader"]) == set()


def test_an_extended_deadline_is_a_new_event(world):
    c = world.campaign
    reminders_daily("2026-06-24")  # d1 before June 25
    c.self_deadline = D(2026, 6, 28)
    c.save(update_fields=["self_deadline"])
    reminders_daily("2026-06-24")  # now 4 days before: the d7 window of the new deadline
    reminders_daily("2026-06-27")
    assert _keys(world.users["cw_xi"]) == {
        f"campaign:{c.pk}:self_deadline:2026-06-25:d1",
        f"campaign:{c.pk}:self_deadline:2026-06-28:d7",
        f"campaign:{c.pk}:self_deadline:2026-06-28:d1",
    }


def test_texts_of_each_kind_are_in_chinese(world):
    org, u = world.org, world.users
    Assessment.objects.filter(pk=world.a["东村"].pk).update(status=S.SUBMITTED)
    submitted_ledger(org.other_unit, 2026, 6)
    item = rectification(org.sibling, D(2026, 6, 20), problem="集体资产台账登记不全，部分租赁合同未公开")

    reminders_raise(today=D(2026, 6, 23))
    xi = Reminder.objects.get(user=u["cw_xi"], kind=Reminder.Kind.SELF_DEADLINE)
    assert xi.title == "甲镇2026年度“清廉村居”测评：自评还有2天截止"
    assert xi.body == "西村（填报中）的自评尚未提交，请于2026年6月25日前完成自评、签署并提交。"
    assert xi.url == f"/assessments/a/{world.a['西村'].pk}/"
    zz = Reminder.objects.get(user=u["zz_1"])
    assert zz.title == "甲镇2026年度“清廉村居”测评：报送镇街还有7天截止"
    assert zz.body == (
        "第一党总支尚有2个村未报送镇街（村已提交待报送1个，尚未提交自评1个）。"
        "请于2026年6月30日前督促各村提交并报送镇街。"
    )
    overdue = Reminder.objects.get(user=u["cw_xi"], kind=Reminder.Kind.RECTIFICATION_OVERDUE)
    assert overdue.title == "整改逾期：西村"
    assert overdue.body == (
        "整改事项“集体资产台账登记不全，部分租赁合同未公开”的整改时限为2026年6月20日，已逾期（当前状态：未整改），"
        "请尽快反馈整改情况。"
    )
    note = Notification.objects.get(pk=overdue.notification_id)
    assert (note.user_id, note.title, note.body, note.url) == (
        u["cw_xi"].pk,
        overdue.title,
        overdue.body,
        f"/ledgers/rectifications/{item.pk}/",
    )

    reminders_raise(today=D(2026, 7, 2))
    ledger = Reminder.objects.get(user=u["jgz"])
    assert ledger.title == "台账报送提醒：2026年6月日常监管台账"
    assert ledger.body == "经管站2026年6月的日常监管台账尚未报送（今天是报送截止日），请尽快填报并报送。"
    assert not Reminder.objects.filter(user=u["mzk"]).exists()

    reminders_raise(today=CITY)
    city = Reminder.objects.get(user=u["jiwei"], kind=Reminder.Kind.CITY_DEADLINE)
    assert city.title == "甲镇2026年度“清廉村居”测评：报市今天截止"
    assert city.body == "本年度定级尚未确认，尚有3个村未完成初审，请于2026年7月10日前确认定级并报送市级评选。"
    assert not Reminder.objects.filter(user=u["jiwei_yi"]).exists()


def test_a_responded_overdue_rectification_reminds_the_reviewers_only(world):
    org, u = world.org, world.users
    rectification(org.village, D(2026, 5, 31), status=Rectification.Status.RESPONDED)
    rectification(org.sibling, D(2026, 5, 31), status=Rectification.Status.CLOSED)
    reminders_raise(today=D(2026, 6, 1))
    assert Reminder.objects.filter(kind=Reminder.Kind.RECTIFICATION_OVERDUE).count() == 1
    r = Reminder.objects.get(kind=Reminder.Kind.RECTIFICATION_OVERDUE)
    assert r.user == u["jiwei"]
    assert r.body.endswith("（当前状态：已整改待验收），整改情况已反馈，请尽快验收。")


def test_a_missed_daily_run_is_caught_up_within_two_days_and_not_later(world):
    org, u = world.org, world.users
    rectification(org.sibling, D(2026, 6, 10))
    reminders_raise(today=D(2026, 7, 4))  # ledger due July 2: caught up
    assert _keys(u["jgz"]) == {f"ledger:{org.unit.pk}:2026-06:due"}
    reminders_raise(today=D(2026, 6, 14))  # rectification overdue since June 11: too old to raise
    assert not Reminder.objects.filter(kind=Reminder.Kind.RECTIFICATION_OVERDUE).exists()
    reminders_raise(today=D(2026, 6, 13))
    assert Reminder.objects.filter(kind=Reminder.Kind.RECTIFICATION_OVERDUE).count() == 2


def test_inactive_users_and_months_before_april_are_not_reminded(world):
    u = world.users
    u["cw_xi"].is_active = False
    u["cw_xi"].save(update_fields=["is_active"])
    reminders_raise(today=SELF)
    assert _keys(u["cw_xi"]) == set()
    reminders_raise(today=D(2026, 3, 2))  # February's ledger is not assessed
    reminders_raise(today=D(2026, 4, 2))  # nor March's
    assert not Reminder.objects.filter(kind=Reminder.Kind.LEDGER_DUE).exists()
    reminders_raise(today=D(2027, 1, 2))  # December's is
    assert _keys(u["jgz"]) == {f"ledger:{world.org.unit.pk}:2026-12:due"}


def test_reminders_raised_after_the_days_digest_wait_for_the_next_days_digest(world):
    org, u = world.org, world.users
    day = SELF - dt.timedelta(days=7)
    reminders_daily(day.isoformat())
    assert [m.to for m in mail.outbox if m.to == [u["cw_xi"].email]] == [[u["cw_xi"].email]]
    newcomer = user_with_role(
        Role.VILLAGE_COMMITTEE, org.sibling, username="cw_xi2", email="cw_xi2@example.invalid"
    )
    rectification(org.sibling, day - dt.timedelta(days=1))  # overdue today, noticed by a later run
    mail.outbox.clear()

    reminders_daily(day.isoformat())
    # the newcomer and the reviewer had no digest yet today; 西村's committee member had
    assert sorted(m.to[0] for m in mail.outbox) == ["cw_xi2@example.invalid", "jiwei@example.invalid"]
    waiting = Reminder.objects.filter(user=u["cw_xi"], digest__isnull=True)
    assert [r.kind for r in waiting] == [Reminder.Kind.RECTIFICATION_OVERDUE]
    assert Notification.objects.filter(user=u["cw_xi"]).count() == 2  # in-app at once
    assert Reminder.objects.filter(user=newcomer).count() == 2

    mail.outbox.clear()
    reminders_daily((day + dt.timedelta(days=1)).isoformat())  # a day without events
    assert [(m.to[0], m.subject) for m in mail.outbox] == [
        ("cw_xi@example.invalid", "【清廉村居】2026年6月19日待办提醒（1项）")
    ]
    assert "整改逾期：西村" in mail.outbox[0].body


def test_a_digest_lists_every_item_with_absolute_links_and_is_audited(world, settings):
    settings.SITE_URL = "https://qinglian.example.invalid/"
    u = world.users
    rectification(world.org.sibling, D(2026, 6, 17))
    reminders_daily("2026-06-18")
    [msg] = [m for m in mail.outbox if m.to == [u["cw_xi"].email]]
    assert msg.subject == "【清廉村居】2026年6月18日待办提醒（2项）"
    assert msg.from_email == settings.DEFAULT_FROM_EMAIL
    assert f"https://qinglian.example.invalid/assessments/a/{world.a['西村'].pk}/" in msg.body
    html = msg.alternatives[0][0]
    assert msg.alternatives[0][1] == "text/html"
    assert html.count("<li>") == 2
    assert "整改逾期：西村" in html
    digest = EmailDigest.objects.get(user=u["cw_xi"])
    assert (digest.status, digest.reminder_count, digest.email) == ("sent", 2, u["cw_xi"].email)
    events = AuditEvent.objects.filter(action="reminder.digest_send")
    assert events.count() == EmailDigest.objects.filter(status="sent").count() == len(mail.outbox) == 4
    assert events.get(object_id=str(digest.pk)).message == "发送2026年6月18日待办提醒邮件：cw_xi（2项）"


def test_a_failed_send_is_recorded_and_not_sent_again(world, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    reminders_daily("2026-06-18")
    failed = EmailDigest.objects.filter(status=EmailDigest.Status.FAILED)
    assert failed.count() == 3
    assert failed.first().error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert AuditEvent.objects.filter(action="reminder.digest_send", result="failure").count() == 3
    monkeypatch.undo()
    reminders_daily("2026-06-18")
    assert mail.outbox == []
    assert Notification.objects.count() == 4  # in-app notifications are there regardless


def test_a_concurrent_run_that_already_claimed_the_day_sends_nothing(world):
    u = world.users
    reminders_raise(today=D(2026, 6, 18))
    EmailDigest.objects.create(user=u["cw_xi"], day=D(2026, 6, 18))  # another worker got there first
    result = digests_send(day=D(2026, 6, 18))
    assert (result.sent, result.skipped) == (2, 1)
    assert u["cw_xi"].email not in [m.to[0] for m in mail.outbox]


def _township_with(n):
    town = TownshipFactory(name=f"规模镇{n}")
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, town)
    branch = BranchFactory(township=town)
    user_with_role(Role.BRANCH_SECRETARY, branch)
    unit = UnitFactory(township=town)
    user_with_role(Role.UNIT_STAFF, unit)
    for i in range(n):
        v = VillageFactory(township=town, branch=branch, name=f"规模村{i}")
        user_with_role(Role.VILLAGE_COMMITTEE, v)
        user_with_role(Role.VILLAGE_SUPERVISOR, v)
        rectification(v, D(2026, 6, 29))
    return town, reviewer


@pytest.mark.parametrize("n", [3, 15])
def test_raising_reminders_takes_the_same_number_of_queries_for_3_or_15_villages(standard, n):
    town, _ = _township_with(n)
    campaign_create(
        actor=None, township=town, year=2026, standard=standard, self_deadline=D(2026, 6, 30),
        submission_deadline=D(2026, 7, 2), city_deadline=D(2026, 7, 2),
    )  # fmt: skip
    with CaptureQueriesContext(connection) as ctx:
        result = reminders_raise(today=D(2026, 7, 1))
    # self d0 is past; per village: 2 rectification reminders (committee, reviewer) + submission/city d1
    # for the secretary and reviewer; the unit's June ledger is due on July 2, not yet
    assert result.created == Reminder.objects.count() == n * 2 + 2
    assert Reminder.objects.filter(kind=Reminder.Kind.SUBMISSION_DEADLINE).count() == 1
    assert len(ctx.captured_queries) == 12


def test_the_beat_schedule_runs_a_registered_task_every_morning_at_eight():
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-daily"]
    assert entry["task"] in app.tasks
    assert (
        app.tasks[entry["task"]] is reminders_daily or app.tasks[entry["task"]].name == reminders_daily.name
    )
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute) == ({8}, {0})
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert reminders_daily.acks_late is True
    assert reminders_daily.max_retries == 3


def test_the_command_runs_the_day_given_and_refuses_a_bad_date(world):
    out = StringIO()
    call_command("send_reminders", "--date", "2026-06-18", stdout=out)
    assert out.getvalue().strip() == (
        "2026-06-18：应提醒事件 4 条，新建提醒 4 条；邮件发送 3 封，失败 0 封，无邮箱跳过 1 人。"
    )
    out = StringIO()
    call_command("send_reminders", "--date", "2026-06-18", stdout=out)
    assert "新建提醒 0 条；邮件发送 0 封" in out.getvalue()
    with pytest.raises(Exception, match="日期格式应为 YYYY-MM-DD"):
        call_command("send_reminders", "--date", "18/06/2026")


def test_a_confirmed_campaign_reminds_nobody_of_its_deadlines(world):
    from django.utils import timezone

    world.campaign.grades_confirmed_at = timezone.now()
    world.campaign.save(update_fields=["grades_confirmed_at"])
    for day in (SELF, SUBMISSION, CITY):
        reminders_raise(today=day)
    assert not Reminder.objects.exists()


def test_a_township_level_campaign_reminds_the_township_reviewers_of_its_self_deadline(world):
    from pathlib import Path

    from assessments.services.campaigns import campaign_create_township_level
    from indices.services import standard_import

    sample = Path(settings.BASE_DIR) / "fixtures" / "standards" / "township_index_standard.sample.yaml"
    with sample.open("rb") as fh:
        township_standard = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
    org, u = world.org, world.users
    c = campaign_create_township_level(
        actor=None, region=org.city, year=2026, standard=township_standard, self_deadline=D(2026, 8, 10),
        submission_deadline=D(2026, 8, 12), city_deadline=D(2026, 8, 15),
    )  # fmt: skip
    Assessment.objects.filter(campaign=c, township=org.other_town).update(status=S.SUBMITTED)
    reminders_raise(today=D(2026, 8, 10))
    reminders_raise(today=D(2026, 8, 12))
    reminders_raise(today=D(2026, 8, 15))
    assert _keys(u["jiwei"]) == {f"campaign:{c.pk}:self_deadline:2026-08-10:d0"}
    assert Reminder.objects.get(user=u["jiwei"]).body == (
        "甲镇（填报中）的自评尚未提交，请于2026年8月10日前完成自评、签署并提交。"
    )
    assert _keys(u["jiwei_yi"]) == set()
    assert Reminder.objects.count() == 1
