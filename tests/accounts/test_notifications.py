import pytest
from django.db import transaction

from accounts.models import Notification
from accounts.services import notify
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_notifications_are_created_only_when_the_transaction_commits():
    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(users=[user], title="不会出现")
        raise RuntimeError
    assert Notification.objects.count() == 0
    with transaction.atomic():
        notify(users=[user], title="初审结果已发布", url="/assessments/")
    assert list(Notification.objects.values_list("title", flat=True)) == ["初审结果已发布"]


@pytest.mark.django_db
def test_a_user_sees_only_their_own_notifications_and_opening_marks_them_read(client):
    me, other = UserFactory(), UserFactory()
    Notification.objects.create(user=me, title="给我的")
    Notification.objects.create(user=other, title="给别人的")
    client.force_login(me)
    page = client.get("/accounts/notifications/").content.decode()
    assert "给我的" in page and "给别人的" not in page
    assert Notification.objects.get(user=me).read_at is not None
    assert Notification.objects.get(user=other).read_at is None


@pytest.mark.django_db
def test_the_menu_count_follows_new_and_read_notifications_through_its_cache(
    client, django_capture_on_commit_callbacks
):
    """The unread count is cached per user (accounts.unread); creating and reading forget it."""
    import re

    from accounts.services import notify_each

    def badge():
        html = client.get("/").content.decode()
        found = re.search(r'通知 <span class="badge text-bg-warning">(\d+)</span>', html)
        return int(found.group(1)) if found else 0

    me = UserFactory()
    client.force_login(me)
    assert badge() == 0
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[me], title="第一条")
    assert badge() == 1
    with django_capture_on_commit_callbacks(execute=True):
        notify_each([([me], "第二条", "", ""), ([me], "第三条", "", "")])
    assert badge() == 3
    client.get("/accounts/notifications/")
    assert badge() == 0
