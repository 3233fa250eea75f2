"""Two people saving the same ledger month, deduction or rectification step from the same page
(issue 15, optimistic locking): the first wins, the second is told what is stored now, nothing is lost."""

from decimal import Decimal

from django.urls import reverse

from accounts.models import Role
from ledgers.models import LedgerEntry, LedgerSubmission, Rectification
from ledgers.services import rectification as svc
from tests.factories import user_with_role
from tests.ledgers.test_ledger_views import _problem_entry, edit_url, form_data
from tests.ledgers.test_rectification import make, people  # noqa: F401 (fixture)


def test_two_first_saves_of_a_ledger_month_one_wins(client, org):
    first, second = (user_with_role(Role.UNIT_STAFF, org.unit, username=n) for n in ("staff_a", "staff_b"))
    client.force_login(first)
    assert client.get(edit_url(org.unit)).context["header"].initial["version"] == 1
    rows = [{"village": org.village.pk, "checker": "张三"}]
    assert client.post(edit_url(org.unit), form_data(rows, version=1)).status_code == 302
    client.force_login(second)
    response = client.post(
        edit_url(org.unit), form_data([{"village": org.cousin.pk, "checker": "李四"}], version=1)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "台账已被他人修改（当前为1 条记录，填报中，staff_a于" in page
    assert "您的修改未保存" in page and "李四" in page  # the loser's rows are still in the form
    sub = LedgerSubmission.objects.get()
    assert [(e.village_id, e.checker) for e in sub.entries.all()] == [(org.village.pk, "张三")]


def test_a_ledger_save_without_a_version_is_refused(client, org):
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    data = form_data([{"village": org.village.pk}])
    del data["version"]
    response = client.post(edit_url(org.unit), data)
    assert "页面已过期" in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_two_confirmations_of_a_deduction_one_wins(client, org):
    entry = _problem_entry(org)
    url = reverse("ledgers:entry_confirm", args=[entry.pk])
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev_a"))
    client.post(url, {"confirmed_deduction": "2"})
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev_b"))
    page = client.post(url, {"confirmed_deduction": "1", "reason": "主动整改"}, follow=True).content.decode()
    assert "第 1 条记录的扣分已被他人确认为 2.00 分（rev_a确认）" in page
    entry.refresh_from_db()
    assert (entry.deduction_confirmed, entry.confirmed_deduction) == (True, Decimal("2"))


def test_two_verifications_of_a_rectification_one_wins(client, org, people):  # noqa: F811
    item = make(org, people)
    svc.rectification_respond(item=item, actor=people.committee, response="已整改", expected_version=1)
    other = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev_b")
    url = reverse("ledgers:rectification_verify", args=[item.pk])
    client.force_login(people.reviewer)
    client.post(url, {"accept": "0", "note": "佐证材料不全", "version": 2})
    client.force_login(other)
    page = client.post(url, {"accept": "1", "note": "同意销号", "version": 2}, follow=True).content.decode()
    assert "该整改事项已被他人修改（当前状态为" in page and "佐证材料不全" in page
    assert "您的提交未保存" in page and "您填写的内容：同意销号" in page
    item.refresh_from_db()
    assert (item.status, item.version) == (Rectification.Status.OPEN, 3)  # sent back: the first stands
