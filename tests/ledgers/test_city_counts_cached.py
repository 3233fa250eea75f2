"""A city office's list counts (整改 by status, its ledgers, its plan years) span the region's whole
history, so they are cached under the region's data version (ledgers.selectors.region_cached, issue 16);
every write the lists show renews it, so the next page counts afresh. A township's counts stay live."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import Role
from ledgers.models import Rectification
from ledgers.services import rectification as rect
from ledgers.services.ledger import ledger_save_web, ledger_submit
from ledgers.services.tasks import task_create
from tests.factories import user_with_role

HEADER = {"zero_report": True, "filled_by_name": "填表人", "approved_by_name": "审核人"}
TASK = {
    "key_point": "（一）加强组织领导",
    "task": "成立工作专班",
    "measures": "每月调度一次。",
    "lead_text": "",
    "units_text": "",
    "responsible_person": "",
    "deadline_text": "9月底前",
}


@pytest.fixture
def city(org):
    return user_with_role(Role.CITY_OFFICE, org.city, username="city")


@pytest.fixture
def reviewer(org):
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="rev")


def _rectify(org, reviewer, **kw):
    values = {
        "township": org.town,
        "village": org.village,
        "source": Rectification.Source.REVIEW,
        "problem": "三务公开栏未按月更新",
        "requirement": "补齐公开内容",
        "owner": "村务监督委员会",
        "deadline": datetime.date.today() + datetime.timedelta(days=30),
        "actor": reviewer,
    }
    return rect.rectification_create(**(values | kw))


def test_the_city_offices_rectification_counts_follow_each_write(client, org, city, reviewer):
    client.force_login(city)
    url = reverse("ledgers:rectification_list")
    assert client.get(url).context["counts"]["total"] == 0
    item = _rectify(org, reviewer)
    counts = client.get(url).context["counts"]
    assert (counts["total"], counts["open"]) == (1, 1)
    committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village, username="cw")
    rect.rectification_respond(item=item, actor=committee, response="已整改", expected_version=item.version)
    counts = client.get(url).context["counts"]
    assert (counts["open"], counts["responded"]) == (0, 1)
    assert client.get(url).context["page_obj"].paginator.count == 1


def test_the_city_offices_ledger_count_follows_a_new_ledger(client, org, city):
    client.force_login(city)
    url = reverse("ledgers:ledger_list")
    assert client.get(url).context["page_obj"].paginator.count == 0
    ledger_save_web(unit=org.unit, year=2025, month=4, header=HEADER, rows=[], version=1, actor=city)
    assert client.get(url).context["page_obj"].paginator.count == 1
    assert client.get(url, {"year": 2024}).context["page_obj"].paginator.count == 0


def test_the_city_offices_plan_years_follow_a_new_task(client, org, city, reviewer):
    client.force_login(city)
    url = reverse("ledgers:task_list")
    assert client.get(url).context["years"] == []
    task_create(township=org.town, year=2025, actor=reviewer, data=TASK)
    response = client.get(url)
    assert response.context["years"] == [2025] and response.context["key_points"] == [TASK["key_point"]]
    other = user_with_role(Role.TOWNSHIP_REVIEWER, org.other_town, username="rev2")
    task_create(township=org.other_town, year=2026, actor=other, data=TASK | {"key_point": "（二）其他"})
    assert client.get(url).context["years"] == [2026, 2025]


def test_the_city_offices_ledger_and_task_pages_are_cached_whole_and_follow_each_write(
    client, org, city, reviewer
):
    """A city office's ledger and task lists are cached whole (accounts.pages): the second look renders
    nothing; a new ledger, a new task and a closed task show on the next look; a search renders."""
    from ledgers.services.tasks import task_close

    client.force_login(city)
    ledgers, tasks = reverse("ledgers:ledger_list"), reverse("ledgers:task_list")
    for url in (ledgers, tasks):
        client.get(url)
        assert not client.get(url).templates
    ledger_save_web(unit=org.unit, year=2025, month=4, header=HEADER, rows=[], version=1, actor=city)
    assert "2025年4月" in client.get(ledgers).content.decode()
    assert "已报送" not in client.get(ledgers).content.decode()
    ledger_submit(unit=org.unit, year=2025, month=4, actor=city)
    assert "已报送" in client.get(ledgers).content.decode()  # the submission renews the region's version
    task = task_create(township=org.town, year=2025, actor=reviewer, data=TASK)
    assert TASK["task"] in client.get(tasks).content.decode()
    assert not client.get(tasks).templates
    client.get(tasks, {"closed": "0"})
    open_tasks = client.get(tasks, {"closed": "0"})
    assert not open_tasks.templates and TASK["task"] in open_tasks.content.decode()
    task_close(task=task, actor=reviewer, reason="已完成")
    assert TASK["task"] not in client.get(tasks, {"closed": "0"}).content.decode()
    client.get(tasks, {"q": "专班"})
    assert client.get(tasks, {"q": "专班"}).templates  # a search is not cached
    # a township's reviewer reaches less than whole regions: rendered each time
    client.force_login(reviewer)
    client.get(tasks)
    assert client.get(tasks).templates
