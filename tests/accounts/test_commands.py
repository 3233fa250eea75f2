import pytest
from django.core.management import call_command

from accounts.models import Membership, Role, User


@pytest.mark.django_db
def test_create_admin_prints_a_one_time_password_that_must_be_changed(capsys, client):
    call_command("create_admin", "chief")
    out = capsys.readouterr().out
    password = out.split("一次性密码：")[1].split()[0]
    user = User.objects.get(username="chief")
    assert user.must_change_password is True
    assert user.check_password(password)
    assert Membership.objects.filter(user=user, role=Role.ADMIN).exists()
    client.force_login(user)
    assert client.get("/admin/")["Location"] == "/accounts/password/"
