"""Creating and editing campaigns, and the year's targets."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from assessments.models import Campaign
from assessments.services import WorkflowError
from assessments.services.campaigns import annual_target_save, campaign_create, campaign_update
from audit.models import AuditEvent
from indices.services import standard_import
from tests.factories import user_with_role
from villages.models import AnnualTarget

TOWNSHIP_SAMPLE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "township_index_standard.sample.yaml"
)
CREATE = reverse("assessments:campaign_create")


@pytest.fixture
def township_standard(db):
    with TOWNSHIP_SAMPLE.open("rb") as fh:
        return standard_import(source=fh, fmt="yaml", actor=None, year=2024)


def _errors(response):
    form = response.context["form"]
    return [str(e) for e in form.non_field_errors()], {k: [str(e) for e in v] for k, v in form.errors.items()}


def _post(client, standard, **extra):
    data = {"year": 2025, "standard": standard.pk, **extra}
    return client.post(CREATE, data)


# --- Create (village level) ------------------------------------------------------------------------


def test_reviewer_creates_the_village_campaign_with_default_deadlines_and_all_active_villages(client, cycle):
    org = cycle.org
    org.cousin.is_active = False
    org.cousin.save()
    client.force_login(cycle.reviewer)
    page = client.get(CREATE)
    assert page.status_code == 200
    assert set(page.context["form"].initial["villages"]) == {org.village.pk, org.sibling.pk}
    response = _post(client, cycle.standard, villages=[org.village.pk, org.sibling.pk])
    campaign = Campaign.objects.get(township=org.town, year=2025)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:campaign_detail", args=[campaign.pk])
    assert (campaign.self_deadline, campaign.submission_deadline, campaign.city_deadline) == (
        datetime.date(2025, 6, 25),
        datetime.date(2025, 6, 30),
        datetime.date(2025, 7, 10),
    )
    assert campaign.name == "甲镇2025年度“清廉村居”测评"
    assert campaign.created_by == cycle.reviewer
    assert sorted(campaign.assessments.values_list("village__name", flat=True)) == ["东村", "西村"]
    assert AuditEvent.objects.filter(action="campaign.create", object_id=str(campaign.pk)).count() == 1


def test_unchecked_villages_do_not_take_part(client, cycle):
    client.force_login(cycle.reviewer)
    _post(client, cycle.standard, villages=[cycle.org.village.pk])
    campaign = Campaign.objects.get(township=cycle.org.town, year=2025)
    assert list(campaign.assessments.values_list("village__name", flat=True)) == ["东村"]


def test_a_village_of_another_township_cannot_be_slipped_in(client, cycle):
    client.force_login(cycle.reviewer)
    response = _post(client, cycle.standard, villages=[cycle.org.village.pk, cycle.org.foreign.pk])
    assert response.status_code == 200
    assert "villages" in _errors(response)[1]
    assert not Campaign.objects.filter(year=2025).exists()


def test_create_refuses_a_township_level_standard_for_a_village_campaign(client, cycle, township_standard):
    client.force_login(cycle.reviewer)
    response = _post(client, township_standard, villages=[cycle.org.village.pk])
    assert response.status_code == 200
    assert _errors(response)[1]["standard"] == ["请选择本辖区适用的村级指数标准。"]
    assert not Campaign.objects.filter(year=2025).exists()
    with pytest.raises(ValidationError) as err:
        campaign_create(actor=None, township=cycle.org.town, year=2025, standard=township_standard)
    assert err.value.messages == ["村级测评须使用村级指数标准。"]


def test_create_refuses_a_duplicate_year(client, cycle):
    client.force_login(cycle.reviewer)
    response = client.post(
        CREATE, {"year": 2024, "standard": cycle.standard.pk, "villages": [cycle.org.village.pk]}
    )
    assert response.status_code == 200
    assert _errors(response)[0] == ["甲镇2024年度测评已存在。"]
    assert Campaign.objects.filter(township=cycle.org.town).count() == 1


def test_create_refuses_unordered_deadlines(client, cycle):
    client.force_login(cycle.reviewer)
    response = _post(
        client,
        cycle.standard,
        villages=[cycle.org.village.pk],
        self_deadline="2025-07-01",
        submission_deadline="2025-06-30",
        city_deadline="2025-07-10",
    )
    assert _errors(response)[0] == ["截止日期须依次为：自评截止日 ≤ 报送截止日 ≤ 报市截止日。"]
    assert not Campaign.objects.filter(year=2025).exists()


def test_create_saves_the_years_targets_per_grade_in_the_same_transaction(client, cycle):
    client.force_login(cycle.reviewer)
    counts = {"target-mode": "counts", "target-grade_0": 7, "target-grade_1": 33, "target-grade_2": 13}
    counts.update({"target-grade_3": 13, "target-cumulative": "on", "target-note": "含往年"})
    _post(client, cycle.standard, villages=[cycle.org.village.pk], **counts)
    target = AnnualTarget.objects.get(township=cycle.org.town, year=2025)
    assert target.mode == "counts" and target.cumulative and target.note == "含往年"
    rows = list(target.grade_counts.values_list("grade_code", "grade_name", "count"))
    assert rows == [
        ("SHIFAN", "示范村", 7),
        ("DABIAO", "达标村", 33),
        ("TISHENG", "提升村", 13),
        ("CUJIN", "促进村", 13),
    ]
    audit = AuditEvent.objects.get(action="target.save")
    assert audit.message == "甲镇2025年度目标：示范村7个、达标村33个、提升村13个、促进村13个"


def test_target_counts_need_at_least_one_grade_and_nothing_is_created_otherwise(client, cycle):
    client.force_login(cycle.reviewer)
    response = _post(client, cycle.standard, villages=[cycle.org.village.pk], **{"target-mode": "counts"})
    assert response.status_code == 200
    assert [str(e) for e in response.context["target_form"].non_field_errors()] == [
        "按等次数量设置目标时，请至少填写一个等次的目标数量（留空的等次不设目标）。"
    ]
    assert not Campaign.objects.filter(year=2025).exists()


def test_share_target_and_existing_target_is_not_overwritten_from_the_create_page(client, cycle):
    client.force_login(cycle.reviewer)
    annual_target_save(township=cycle.org.town, year=2025, mode="share", share_percent=30, actor=None)
    page = client.get(CREATE, {"year": 2025})
    response = _post(
        client,
        cycle.standard,
        villages=[cycle.org.village.pk],
        **{"target-mode": "share", "target-share_percent": 80},
    )
    assert response.status_code == 200
    assert [str(e) for e in response.context["target_form"].non_field_errors()] == [
        "甲镇2025年度目标已设置，可在测评设置中修改。"
    ]
    assert AnnualTarget.objects.get(township=cycle.org.town, year=2025).share_percent == 30
    assert page.status_code == 200


def test_target_service_validates_and_replaces(cycle):
    with pytest.raises(ValidationError) as err:
        annual_target_save(township=cycle.org.town, year=2025, mode="share", share_percent=120, actor=None)
    assert err.value.messages == ["达标比例须为 0 到 100 之间的数字。"]
    with pytest.raises(ValidationError):
        annual_target_save(
            township=cycle.org.town, year=2025, mode="counts", counts=[("A", "示范村", -1)], actor=None
        )
    annual_target_save(
        township=cycle.org.town, year=2025, mode="counts", counts=[("A", "示范村", 3)], actor=None
    )
    target = annual_target_save(
        township=cycle.org.town, year=2025, mode="share", share_percent=30, actor=None
    )
    assert AnnualTarget.objects.filter(township=cycle.org.town, year=2025).count() == 1
    assert target.grade_counts.count() == 0 and target.share_percent == 30
    assert AuditEvent.objects.filter(action="target.save").order_by("id").last().detail["before"][
        "counts"
    ] == {"A": 3}


@pytest.mark.parametrize(
    "role", [Role.TOWNSHIP_LEADER, Role.BRANCH_SECRETARY, Role.VILLAGE_COMMITTEE, Role.UNIT_STAFF]
)
def test_roles_without_campaign_manage_cannot_create(client, cycle, role):
    node = {
        Role.TOWNSHIP_LEADER: cycle.org.town,
        Role.BRANCH_SECRETARY: cycle.org.branch,
        Role.VILLAGE_COMMITTEE: cycle.org.village,
        Role.UNIT_STAFF: cycle.org.unit,
    }[role]
    client.force_login(user_with_role(role, node))
    assert client.get(CREATE).status_code == 404
    assert _post(client, cycle.standard, villages=[cycle.org.village.pk]).status_code == 404
    assert not Campaign.objects.filter(year=2025).exists()


def test_a_leader_who_reviews_elsewhere_cannot_create_for_the_led_township(client, cycle):
    user = user_with_role(Role.TOWNSHIP_REVIEWER, cycle.org.other_town)
    from accounts.models import Membership

    Membership.objects.create(user=user, role=Role.TOWNSHIP_LEADER, township=cycle.org.town)
    client.force_login(user)
    assert client.get(CREATE).context["township"] == cycle.org.other_town
    assert client.get(CREATE, {"township": cycle.org.town.pk}).status_code == 404
    assert client.get(reverse("assessments:campaign_edit", args=[cycle.campaign.pk])).status_code == 404


# --- Create (township level) -----------------------------------------------------------------------


def test_city_office_creates_the_township_level_campaign_of_its_region(client, cycle, township_standard):
    client.force_login(cycle.city)
    page = client.get(CREATE)
    assert page.context["level"] == "township"
    assert list(page.context["form"].fields["standard"].queryset) == [township_standard]
    response = client.post(CREATE + "?level=township", {"year": 2025, "standard": township_standard.pk})
    campaign = Campaign.objects.get(level="township", region=cycle.org.city, year=2025)
    assert response["Location"] == reverse("assessments:campaign_detail", args=[campaign.pk])
    assert sorted(campaign.assessments.values_list("township__name", flat=True)) == ["乙镇", "甲镇"]
    again = client.post(CREATE + "?level=township", {"year": 2025, "standard": township_standard.pk})
    assert _errors(again)[0] == ["甲市2025年度镇街测评已存在。"]
    village_level = client.post(CREATE + "?level=township", {"year": 2026, "standard": cycle.standard.pk})
    assert _errors(village_level)[1]["standard"] == ["请选择本辖区适用的镇街指数标准。"]


def test_city_office_cannot_create_village_campaigns_nor_for_another_region(client, cycle, township_standard):
    client.force_login(cycle.city)
    assert client.get(CREATE + "?level=village").status_code == 404
    assert client.get(CREATE, {"level": "township", "region": cycle.org.other_city.pk}).status_code == 404


# --- Edit ------------------------------------------------------------------------------------------


def page_versions(client, url):
    """The versions the edit page carries (settings and target), as its form posts them back."""
    context = client.get(url).context
    versions = {"seen": context["form"].initial["seen"]}
    if context["target_form"] is not None:
        versions["target-seen"] = context["target_form"].initial["seen"]
    return versions


def test_reviewer_edits_name_and_deadlines_and_the_change_is_audited(client, cycle, township_standard):
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    assert client.get(url).status_code == 200
    data = {
        "name": "甲镇2024年度测评（调整）",
        "self_deadline": "2024-06-28",
        "submission_deadline": "2024-07-02",
        "city_deadline": "2024-07-12",
        "standard": township_standard.pk,  # not a field: ignored
        **page_versions(client, url),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    campaign = Campaign.objects.get(pk=cycle.campaign.pk)
    assert campaign.name == "甲镇2024年度测评（调整）"
    assert campaign.self_deadline == datetime.date(2024, 6, 28)
    assert campaign.standard == cycle.standard
    audit = AuditEvent.objects.get(action="campaign.update")
    assert audit.message == "修改甲镇2024年度测评（调整）：名称、自评截止日、报送截止日、报市截止日"
    assert audit.detail["changes"]["self_deadline"][1] == "2024-06-28"


def test_edit_refuses_unordered_deadlines(client, cycle):
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    data = {
        "name": "x",
        "self_deadline": "2024-07-20",
        "submission_deadline": "2024-07-02",
        "city_deadline": "2024-07-12",
        **page_versions(client, url),
    }
    response = client.post(url, data)
    assert _errors(response)[0] == ["截止日期须依次为：自评截止日 ≤ 报送截止日 ≤ 报市截止日。"]
    assert Campaign.objects.get(pk=cycle.campaign.pk).name == cycle.campaign.name


def test_edit_sets_the_target_when_asked(client, cycle):
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    data = {
        "name": cycle.campaign.name,
        "self_deadline": cycle.campaign.self_deadline,
        "submission_deadline": cycle.campaign.submission_deadline,
        "city_deadline": cycle.campaign.city_deadline,
        "target-mode": "share",
        "target-share_percent": "80",
        **page_versions(client, url),
    }
    assert client.post(url, data).status_code == 302
    assert AnnualTarget.objects.get(township=cycle.org.town, year=2024).share_percent == 80
    assert not AuditEvent.objects.filter(action="campaign.update").exists()  # nothing else changed


def test_edit_is_locked_once_grades_are_confirmed(client, cycle):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(grades_confirmed_at=timezone.now())
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    page = client.get(url).content.decode()
    assert "测评设置不能再修改" in page
    data = {
        "name": "改名",
        "self_deadline": "2024-06-28",
        "submission_deadline": "2024-07-02",
        "city_deadline": "2024-07-12",
    }
    client.post(url, data)
    assert Campaign.objects.get(pk=cycle.campaign.pk).name == cycle.campaign.name
    campaign = Campaign.objects.get(pk=cycle.campaign.pk)
    with pytest.raises(WorkflowError) as err:
        campaign_update(
            campaign=campaign,
            actor=None,
            name="改名",
            **{f: None for f in ("self_deadline", "submission_deadline", "city_deadline")},
        )
    assert err.value.problems == ["本年度等次已确认，不能再修改测评设置。"]


@pytest.mark.parametrize("who", ["leader", "city", "secretary", "committee"])
def test_only_the_townships_reviewer_edits_its_village_campaign(client, cycle, who):
    client.force_login(getattr(cycle, who))
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "改名"}).status_code == 404
    assert Campaign.objects.get(pk=cycle.campaign.pk).name == cycle.campaign.name
