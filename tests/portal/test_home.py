"""Task-oriented home pages (issue 12): the dates come from the campaign, the 监委会 member is told when
the sheet waits for their signature, the village sees its confirmed result, and township leadership and
the city office see the dashboard's headline first."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from access.roles import Cap, Role
from access.table import CAPS
from assessments.models import Assessment, Campaign, Signoff, VetoCheck
from indices.models import Grade
from ledgers.models import Rectification
from tests.assessments.conftest import fill_self
from tests.factories import user_with_role


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def card(response, title_part):
    found = [c for c in response.context["cards"] if title_part in c["title"]]
    assert len(found) == 1, [c["title"] for c in response.context["cards"]]
    return found[0]


# ---- dates -----------------------------------------------------------------------------------------------


def test_role_hints_carry_the_campaigns_own_deadlines(client, cycle):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(
        self_deadline=datetime.date(2025, 6, 20),
        submission_deadline=datetime.date(2025, 6, 28),
        city_deadline=datetime.date(2099, 7, 8),
    )
    hints = dict(home(client, cycle.committee).context["hints"])
    assert hints == {"村两委成员": "2025年6月20日前完成本村自评打分并上传佐证材料。"}
    hints = dict(home(client, cycle.secretary).context["hints"])
    assert hints == {"党总支书记": "2025年6月28日前以党总支为单位报送所辖村的申请表和评分表。"}
    page = home(client, cycle.reviewer).content.decode()
    assert "逐村初审打分定级，2099年7月8日前向市里报送示范村材料。" in page
    assert "6月25日" not in page and "7月10日" not in page


def test_without_an_open_campaign_the_hint_says_so_instead_of_a_date(client, org):
    committee = user_with_role(Role.VILLAGE_COMMITTEE, org.village)
    hints = dict(home(client, committee).context["hints"])
    assert hints["村两委成员"] == "目前没有进行中的测评年度，镇街发布本年度测评后这里会显示截止日期。"


def test_once_grades_are_confirmed_the_village_hint_has_no_date_but_the_city_deadline_stays(client, cycle):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(
        grades_confirmed_at=timezone.now(), city_deadline=datetime.date(2099, 7, 8)
    )
    assert dict(home(client, cycle.committee).context["hints"])["村两委成员"].startswith("目前没有进行中")
    hints = dict(home(client, cycle.reviewer).context["hints"])
    assert hints["镇纪委审核人员"] == "逐村初审打分定级，2099年7月8日前向市里报送示范村材料。"


def test_a_confirmed_campaign_past_its_city_deadline_is_not_open(client, cycle):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(
        grades_confirmed_at=timezone.now(), city_deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    hints = dict(home(client, cycle.committee).context["hints"])
    assert hints["村两委成员"].startswith("目前没有进行中的测评年度")


def test_a_campaign_without_a_deadline_says_it_is_not_set(client, cycle):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(submission_deadline=None)
    hints = dict(home(client, cycle.secretary).context["hints"])
    assert hints["党总支书记"] == f"{cycle.campaign.name}尚未设定报送截止日，请留意镇街通知。"


def test_the_units_hint_has_its_townships_due_day(client, org):
    org.town.ledger_due_day = 5
    org.town.save()
    hints = dict(home(client, user_with_role(Role.UNIT_STAFF, org.unit)).context["hints"])
    assert hints["责任单位工作人员"] == "每月5日前报送上月《日常监管台账》，无问题须零报告。"


def test_the_pending_card_writes_the_deadline_like_the_documents(client, cycle):
    Campaign.objects.filter(pk=cycle.campaign.pk).update(self_deadline=datetime.date(2031, 6, 5))
    text = card(home(client, cycle.committee), "填报东村").get("text")
    assert text.endswith("，自评截止 2031年6月5日。")


# ---- 待您签署 ----------------------------------------------------------------------------------------------


def _fill_without_signatures(a, committee, supervisor):
    fill_self(a, committee, supervisor)
    Signoff.objects.filter(assessment=a).delete()


def test_the_supervisor_is_told_to_sign_once_the_sheet_is_filled_and_lands_on_the_signing_block(
    client, cycle
):
    a = cycle.a["东村"]
    _fill_without_signatures(a, cycle.committee, cycle.supervisor)
    c = card(home(client, cycle.supervisor), "待您签署")
    assert c["title"] == "待您签署：东村2024年度自评"
    assert c["url"] == reverse("assessments:self_edit", args=[a.pk]) + "#signoff"
    assert (c["button"], c["tone"], c["urgent"]) == ("去签署", "sign", True)
    # The sheet has the block the anchor points at.
    client.force_login(cycle.supervisor)
    assert 'id="signoff"' in client.get(reverse("assessments:self_edit", args=[a.pk])).content.decode()


def test_the_supervisor_is_not_asked_to_sign_a_half_filled_sheet_nor_twice(client, cycle):
    a = cycle.a["东村"]
    response = home(client, cycle.supervisor)
    titles = [c["title"] for c in response.context["cards"]]
    assert "待您签署：东村2024年度自评" not in titles
    c = card(response, "东村2024年度自评填报中")
    assert "还有" in c["text"] and "项指标未自评" in c["text"] and not c["url"].endswith("#signoff")

    _fill_without_signatures(a, cycle.committee, cycle.supervisor)
    VetoCheck.objects.filter(assessment=a).update(self_answer=None)
    assert "负面清单还有" in card(home(client, cycle.supervisor), "填报中")["text"]

    VetoCheck.objects.filter(assessment=a).update(self_answer=False)
    Signoff.objects.create(assessment=a, side="supervisor", round=a.round + 1, user=cycle.supervisor)
    titles = [c["title"] for c in home(client, cycle.supervisor).context["cards"]]
    assert not any("东村2024年度自评" in t for t in titles)


def test_the_committee_member_keeps_the_fill_card_not_the_signing_one(client, cycle):
    _fill_without_signatures(cycle.a["东村"], cycle.committee, cycle.supervisor)
    response = home(client, cycle.committee)
    assert card(response, "填报东村2024年度自评")["button"] == "去办理"
    assert not any("待您签署" in c["title"] for c in response.context["cards"])


# ---- the village's result ------------------------------------------------------------------------------


def _confirm(cycle, village, code, final, self_total, city_grade=""):
    Assessment.objects.filter(pk=cycle.a[village].pk).update(
        status=Assessment.Status.CONFIRMED, final_grade=code, final_score=Decimal(final),
        self_total=Decimal(self_total), city_grade=city_grade,
    )  # fmt: skip
    Campaign.objects.filter(pk=cycle.campaign.pk).update(grades_confirmed_at=timezone.now())


def test_after_grading_the_village_home_shows_its_grade_score_and_the_reasons(client, cycle):
    assert not [c for c in home(client, cycle.committee).context["cards"] if c.get("tone") == "result"]
    _confirm(cycle, "东村", "DABIAO", "86.50", "92.00")
    response = home(client, cycle.committee)
    first = response.context["cards"][0]
    assert first["title"] == "东村2024年度定级结果"
    assert first["figure"] == Grade.objects.get(standard=cycle.standard, code="DABIAO").name == "达标村"
    assert first["text"].startswith("总分 86.5 分（自评 92 分）。")
    a = cycle.a["东村"]
    assert first["url"] == reverse("assessments:assessment_detail", args=[a.pk]) + "#review-result"
    assert 'id="review-result"' in client.get(first["url"]).content.decode()
    # The supervisor of the same village sees it too; another village's member does not.
    assert card(home(client, cycle.supervisor), "定级结果")["figure"] == "达标村"
    other = user_with_role(Role.VILLAGE_COMMITTEE, cycle.org.sibling)
    assert not [c for c in home(client, other).context["cards"] if c.get("tone") == "result"]


def test_the_result_card_shows_the_grade_in_force_after_the_citys_decision(client, cycle):
    _confirm(cycle, "东村", "SHIFAN", "95", "96", city_grade="DABIAO")
    c = card(home(client, cycle.committee), "定级结果")
    assert c["figure"] == "达标村" and "（市级认定）" in c["text"]


# ---- the dashboard first ---------------------------------------------------------------------------------


def test_only_township_leadership_and_the_city_office_hold_the_dashboard_home():
    holders = {r for r, caps in CAPS.items() if Cap.DASHBOARD_HOME in caps}
    assert holders == {Role.TOWNSHIP_LEADER, Role.CITY_OFFICE, Role.ADMIN}


def test_the_leader_sees_the_townships_headline_first_with_a_link_to_the_dashboard(client, cycle):
    Rectification.objects.create(
        township=cycle.org.town, village=cycle.org.village, source="review", problem="问题",
        requirement="整改", deadline=timezone.localdate() - datetime.timedelta(days=3),
    )  # fmt: skip
    response = home(client, cycle.leader)
    (block,) = response.context["headlines"]
    assert block["kind"] == "township" and block["title"] == "甲镇 2024年"
    figures = {label: value for label, value, _css in block["figures"]}
    assert figures["参评村（社区）"] == 3 and figures["整改已逾期"] == 1
    assert [name for name, _n, _t in block["grades"]] == ["示范村", "达标村", "提升村", "促进村"]
    html = response.content.decode()
    url = reverse("dashboards:township", args=[cycle.org.town.pk, 2024])
    assert html.index("数据看板 · 甲镇 2024年") < html.index("card-action")
    assert f'href="{url}"' in html
    assert client.get(url).status_code == 200


def test_the_city_office_sees_its_townships_compared_first(client, cycle):
    response = home(client, cycle.city)
    (block,) = response.context["headlines"]
    assert block["kind"] == "city" and block["url"] == reverse(
        "dashboards:city", args=[cycle.org.city.pk, 2024]
    )
    rows = {r["name"]: r for r in block["rows"]}
    assert set(rows) == {"甲镇", "乙镇"} and rows["甲镇"]["total"] == 3 and rows["乙镇"]["total"] == 0
    # Its own work stays on the page below the figures.
    assert card(response, "示范村市级评选")["url"] == reverse("assessments:city_board")


@pytest.mark.parametrize("who", ["reviewer", "committee", "secretary"])
def test_those_who_work_through_a_queue_get_no_headline(client, cycle, who):
    assert home(client, getattr(cycle, who)).context["headlines"] == []


def test_the_leaders_home_costs_a_bounded_number_of_queries(client, cycle, django_assert_max_num_queries):
    client.force_login(cycle.leader)
    with django_assert_max_num_queries(40):
        assert client.get(reverse("home")).status_code == 200
