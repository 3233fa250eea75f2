"""manage.py audit_verify and the hourly task: a failing chain is named, and the administrators — not the
township reviewers, whose audit view is their township's — are told once per distinct failure."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Notification, Role
from audit.models import AuditEvent
from audit.services import audit_log
from portal.tasks import audit_seal_task, audit_verify_task
from tests.accounts.test_audit import tamper
from tests.factories import user_with_role


@pytest.mark.django_db
def test_the_command_passes_on_a_sound_chain_and_names_the_broken_row(org, capsys):
    for i in range(3):
        audit_log(action="test.event", username="someone", message=f"事件{i}")
    call_command("audit_verify")
    assert "审计日志校验通过" in capsys.readouterr().out
    tamper("UPDATE audit_auditevent SET message = 'x' WHERE seq = 2")
    with pytest.raises(CommandError, match="1 处问题"):
        call_command("audit_verify")
    assert "第2条审计记录" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_failure_notifies_the_administrators_once(org, django_capture_on_commit_callbacks):
    admin = user_with_role(Role.ADMIN, None, username="sysadmin")
    reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei")
    audit_log(action="test.event", username="someone", message="一")
    audit_log(action="test.event", username="someone", message="二")
    assert audit_seal_task() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert audit_verify_task()["ok"]
    assert not Notification.objects.exists()
    tamper("DELETE FROM audit_auditevent WHERE seq = 1")
    with django_capture_on_commit_callbacks(execute=True):
        result = audit_verify_task()
    assert not result["ok"] and "第1条审计记录缺失" in result["problems"][0]
    note = Notification.objects.get()
    assert note.user == admin and note.title == "审计日志校验未通过" and "第1条" in note.body
    with django_capture_on_commit_callbacks(execute=True):
        audit_verify_task()  # the same failure again: no second notification
    assert Notification.objects.count() == 1
    assert not Notification.objects.filter(user=reviewer).exists()
    assert AuditEvent.objects.count() >= 1
