"""整改 lifecycle: creation, respond, verify (accept / reject with note), overdue, locks and scope."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification, Role
from audit.models import AuditEvent
from common.errors import NotPermittedError
from ledgers import selectors as sel
from ledgers.models import LedgerEntry, LedgerSubmission, Rectification, RectificationEvent
from ledgers.services import rectification as svc
from ledgers.workflow import is_overdue
from tests.factories import user_with_role

S = Rectification.Status
DAY = datetime.date(2024, 6, 1)


@pytest.fixture
def people(org):
    class P:
        reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev")
        other_reviewer = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="rev2")
        committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cw")
        sibling_committee = user_with_role(Role.VILLAGE_COMMITTEE, org.sibling, username="cw2")
        staff = user_with_role(Role.UNIT_STAFF, org.unit, username="staff")
        secretary = user_with_role(Role.BRANCH_SECRETARY, org.branch, username="zz")

    return P


def make(org, people, **kw):
    values = {
        "township": org.town,
        "village": org.village,
        "source": Rectification.Source.REVIEW,
        "problem": "三务公开栏未按月更新",
        "requirement": "补齐公开内容并建立月度更新台账",
        "owner": "村务监督委员会",
        "deadline": DAY,
        "actor": people.reviewer,
    }
    values.update(kw)
    return svc.rectification_create(**values)


def login(client, user):
    client.force_login(user)
    return client


def test_reviewer_creates_item_with_event_and_audit(org, people):
    item = make(org, people)
    assert item.status == S.OPEN and item.version == 1
    assert list(item.events.values_list("action", "to_status")) == [("create", S.OPEN)]
    assert AuditEvent.objects.filter(action="rectification.create", object_id=str(item.pk)).exists()


def test_create_refused_for_village_of_another_township_and_for_other_reviewer(org, people):
    with pytest.raises(ValidationError):
        make(org, people, village=org.foreign)
    with pytest.raises(NotPermittedError):
        make(org, people, actor=people.other_reviewer)
    with pytest.raises(NotPermittedError):
        make(org, people, actor=people.committee)
    assert not Rectification.objects.exists()


def test_respond_then_accept_closes_with_today(org, people, django_capture_on_commit_callbacks):
    item = make(org, people)
    with django_capture_on_commit_callbacks(execute=True):
        item = svc.rectification_respond(
            item=item, actor=people.committee, response="已更新公开栏", expected_version=1
        )
    assert item.status == S.RESPONDED and item.response == "已更新公开栏" and item.version == 2
    assert Notification.objects.filter(user=people.reviewer, title="整改事项待验收").exists()
    with django_capture_on_commit_callbacks(execute=True):
        item = svc.rectification_verify(
            item=item, actor=people.reviewer, accept=True, note="", expected_version=2, today=DAY
        )
    assert item.status == S.CLOSED and item.closed_on == DAY
    assert Notification.objects.filter(user=people.committee, title="整改事项已销号").exists()
    assert list(item.events.values_list("action", flat=True)) == ["create", "respond", "accept"]


def test_reject_requires_note_and_reopens(org, people):
    item = make(org, people)
    item = svc.rectification_respond(item=item, actor=people.committee, response="已整改", expected_version=1)
    with pytest.raises(ValidationError, match="须填写意见"):
        svc.rectification_verify(item=item, actor=people.reviewer, accept=False, note=" ", expected_version=2)
    item = svc.rectification_verify(
        item=item, actor=people.reviewer, accept=False, note="佐证材料不全", expected_version=2
    )
    assert item.status == S.OPEN and item.verify_note == "佐证材料不全" and item.closed_on is None
    event = item.events.last()
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "reject",
        S.RESPONDED,
        S.OPEN,
        "佐证材料不全",
    )


def test_double_respond_refused(org, people):
    item = make(org, people)
    svc.rectification_respond(item=item, actor=people.committee, response="已整改", expected_version=1)
    with pytest.raises(ValidationError, match="当前状态为“已整改待验收”"):
        svc.rectification_respond(item=item, actor=people.committee, response="再次", expected_version=None)


def test_respond_needs_text_and_own_village(org, people):
    item = make(org, people)
    with pytest.raises(ValidationError):
        svc.rectification_respond(item=item, actor=people.committee, response="  ", expected_version=1)
    with pytest.raises(NotPermittedError):
        svc.rectification_respond(item=item, actor=people.sibling_committee, response="x", expected_version=1)
    with pytest.raises(NotPermittedError):
        svc.rectification_verify(item=item, actor=people.committee, accept=True, note="", expected_version=1)


def test_stale_version_is_a_conflict(org, people):
    item = make(org, people)
    svc.rectification_respond(item=item, actor=people.committee, response="已整改", expected_version=1)
    with pytest.raises(svc.ConflictError):
        svc.rectification_verify(item=item, actor=people.reviewer, accept=True, note="", expected_version=1)
    assert Rectification.objects.get(pk=item.pk).status == S.RESPONDED


def test_overdue_is_derived_and_counted_in_sql(org, people):
    open_late = make(org, people, deadline=datetime.date(2024, 5, 31))
    make(org, people, deadline=datetime.date(2024, 6, 1))  # due today: not overdue
    closed_late = make(org, people, deadline=datetime.date(2024, 5, 1))
    Rectification.objects.filter(pk=closed_late.pk).update(status=S.CLOSED)
    items = sel.rectification_list_for_user(people.reviewer, today=DAY)
    assert list(items.filter(is_overdue=True).values_list("pk", flat=True)) == [open_late.pk]
    assert is_overdue(open_late, today=DAY) and not is_overdue(open_late, today=datetime.date(2024, 5, 1))


def test_from_ledger_entry_copies_fields_once(org, people):
    sub = LedgerSubmission.objects.create(unit=org.unit, year=2024, month=5)
    entry = LedgerEntry.objects.create(
        submission=sub,
        seq=1,
        village=org.village,
        category=LedgerEntry.Category.SANZI,
        method=LedgerEntry.Method.ROUTINE,
        checked_on=datetime.date(2024, 5, 10),
        checker="检查组",
        finding="合同未经村民代表会议",
        level=LedgerEntry.Level.GENERAL,
        proposed_deduction=Decimal("2"),
        requirement="补办审议程序",
        owner="村会计",
        deadline=datetime.date(2024, 6, 30),
    )
    item = svc.rectification_from_ledger_entry(entry=entry, actor=people.reviewer)
    assert (item.source, item.village, item.problem, item.requirement, item.owner, item.deadline) == (
        Rectification.Source.LEDGER,
        org.village,
        "合同未经村民代表会议",
        "补办审议程序",
        "村会计",
        datetime.date(2024, 6, 30),
    )
    assert item.ledger_entry == entry
    with pytest.raises(ValidationError, match="已转为整改事项"):
        svc.rectification_from_ledger_entry(entry=entry, actor=people.reviewer)
    assert Rectification.objects.count() == 1


def test_list_is_scoped_and_counts(client, org, people):
    future = datetime.date(2999, 1, 1)
    make(org, people, deadline=future)
    make(org, people, village=org.sibling, deadline=future)
    make(org, people, village=org.cousin, deadline=datetime.date(2000, 1, 1))
    expect = {
        people.reviewer: 3,
        people.committee: 1,
        people.secretary: 2,  # 东村, 西村
        people.staff: 2,  # 东村, 南村
        people.other_reviewer: 0,
    }
    for user, count in expect.items():
        response = login(client, user).get(reverse("ledgers:rectification_list"))
        assert response.status_code == 200
        assert response.context["counts"]["total"] == count, user.username
        client.logout()
    response = login(client, people.reviewer).get(reverse("ledgers:rectification_list") + "?overdue=1")
    assert response.context["counts"]["overdue"] == 1
    assert response.context["page_obj"].paginator.count == 1


def test_detail_404_out_of_scope_and_post_only_writes(client, org, people):
    item = make(org, people)
    login(client, people.sibling_committee)
    assert client.get(reverse("ledgers:rectification_detail", args=[item.pk])).status_code == 404
    url = reverse("ledgers:rectification_respond", args=[item.pk])
    assert client.post(url, {"response": "x", "version": 1}).status_code == 404
    client.logout()
    login(client, people.committee)
    assert client.get(reverse("ledgers:rectification_detail", args=[item.pk])).status_code == 200
    assert client.get(url).status_code == 405
    response = client.post(url, {"response": "已整改完毕", "version": 1})
    assert response.status_code == 302
    assert Rectification.objects.get(pk=item.pk).status == S.RESPONDED
    # A village member cannot verify (no capability: 404).
    verify = reverse("ledgers:rectification_verify", args=[item.pk])
    assert client.post(verify, {"accept": "1", "version": 2}).status_code == 404
    client.logout()
    login(client, people.reviewer)
    client.post(verify, {"accept": "1", "note": "", "version": 2})
    assert Rectification.objects.get(pk=item.pk).status == S.CLOSED
    assert RectificationEvent.objects.filter(rectification=item).count() == 3


def test_create_page_for_reviewer_only(client, org, people):
    url = reverse("ledgers:rectification_create")
    login(client, people.committee)
    assert client.get(url).status_code == 404
    client.logout()
    login(client, people.reviewer)
    data = {
        "village": org.cousin.pk,
        "source": "city",
        "problem": "市级反馈：监督委员会记录不全",
        "requirement": "补齐记录",
        "owner": "",
        "deadline": "2024-09-30",
    }
    response = client.post(url, data)
    item = Rectification.objects.get()
    assert response.status_code == 302 and item.village == org.cousin and item.source == "city"


def test_list_query_count_does_not_grow_with_items(client, org, people, django_assert_num_queries):
    """The same number of queries for 3 and 33 items, with and without the status/overdue filters; the
    page's total comes from the counts above the list (no second count)."""
    for village in (org.village, org.sibling, org.cousin):
        make(org, people, village=village)
    client.force_login(people.reviewer)
    url = reverse("ledgers:rectification_list")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    assert not [
        q for q in small.captured_queries if 'COUNT(*) AS "__count" FROM "ledgers_rectification"' in q["sql"]
    ]
    for _ in range(30):
        make(org, people, village=org.cousin)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["page_obj"].paginator.count == 33
    assert len(response.context["page_obj"].object_list) == 30
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, {"status": "open", "page": "2"})
    assert response.context["page_obj"].paginator.count == response.context["counts"]["open"] == 33
    assert len(response.context["page_obj"].object_list) == 3
    # a name search is not among the counts: the paginator counts the narrowed list itself
    response = client.get(url, {"q": org.cousin.name})
    assert response.context["page_obj"].paginator.count == 31
