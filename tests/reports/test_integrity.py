"""The periodic evidence re-check names changed and missing files to the administrators."""

from pathlib import Path

from accounts.models import Notification, Role
from audit.models import AuditEvent
from reports.tasks import evidence_verify
from tests.factories import user_with_role
from tests.reports.conftest import add_bonus


def test_the_periodic_check_reports_a_changed_and_a_missing_file_and_nothing_else(
    cycle, django_capture_on_commit_callbacks
):
    admin = user_with_role(Role.ADMIN, None, username="admin1")
    a = cycle.a["东村"]
    add_bonus(a, code_index=0, name="好文件.pdf")
    _, changed = add_bonus(a, code_index=1, name="被改动.pdf")
    _, missing = add_bonus(a, code_index=2, name="被删除.pdf")
    path = Path(changed.file.path)
    path.write_bytes(path.read_bytes().replace(b"bonus", b"BONUS"))
    Path(missing.file.path).unlink()
    with django_capture_on_commit_callbacks(execute=True):
        assert evidence_verify.delay().get() == {"checked": 3, "problems": 2}
    note = Notification.objects.get(user=admin)
    assert note.title == "佐证文件校验发现 2 个异常"
    assert f"测评佐证「被改动.pdf」已改动（{changed.pk}）" in note.body
    assert f"测评佐证「被删除.pdf」缺失（{missing.pk}）" in note.body
    assert "好文件" not in note.body
    row = AuditEvent.objects.get(action="evidence.verify")
    assert row.result == "failure" and row.detail["checked"] == 3
    # a clean store says so and bothers nobody
    changed.delete()
    missing.delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert evidence_verify.delay().get() == {"checked": 1, "problems": 0}
    assert Notification.objects.filter(user=admin).count() == 1
