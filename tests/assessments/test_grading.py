"""定级: grade overrides, the distribution against the year's targets, confirmation, veto events and the
grading board (with a pinned query count at 10 and at 200 villages)."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, Role
from assessments.models import Assessment, AssessmentEvent, Campaign, VetoCheck, VetoEvent
from assessments.services import WorkflowError, assessment_transition
from assessments.services.campaigns import campaign_create
from assessments.services.grading import (
    campaign_confirm_grades,
    city_decide,
    grade_override,
    grading_summary,
    veto_event_record,
)
from assessments.services.review import veto_check_review
from audit.models import AuditEvent
from tests.assessments.test_review import review_everything, submit_and_forward
from tests.factories import user_with_role
from villages.models import AnnualTarget, AnnualTargetGrade, Township, Village

S = Assessment.Status
NAMES = {"SHIFAN": "示范村", "DABIAO": "达标村", "TISHENG": "提升村", "CUJIN": "促进村"}


def reviewed(cycle, name="东村", value=None):
    a = review_everything(submit_and_forward(cycle, name), cycle.reviewer, value=value)
    assessment_transition(assessment=a, action="complete_review", actor=cycle.reviewer)
    a.refresh_from_db()
    return a


def township(region, standard, n, name, year=2024):
    """A township of `n` villages (bulk-created) with its campaign and a reviewer."""
    town = Township.objects.create(region=region, name=name)
    Village.objects.bulk_create(
        Village(township=town, name=f"{name}{i:03d}村", sort_order=i) for i in range(n)
    )
    campaign = campaign_create(actor=None, township=town, year=year, standard=standard)
    return town, campaign, user_with_role(Role.TOWNSHIP_REVIEWER, town)


def grade(campaign, plan, status=S.REVIEWED):
    """plan: [(grade code, how many)] applied to the campaign's assessments in village order."""
    ids = list(campaign.assessments.order_by("village__sort_order").values_list("pk", flat=True))
    start = 0
    for code, n in plan:
        Assessment.objects.filter(pk__in=ids[start : start + n]).update(
            status=status, final_grade=code, proposed_grade=code, final_score=D("85")
        )
        start += n
    return ids


def target(town, year, counts=None, share=None, cumulative=False):
    t = AnnualTarget.objects.create(
        township=town,
        year=year,
        mode="share" if share is not None else "counts",
        share_percent=share,
        cumulative=cumulative,
    )
    for i, (code, n) in enumerate((counts or {}).items()):
        AnnualTargetGrade.objects.create(
            target=t, grade_code=code, grade_name=NAMES[code], count=n, sort_order=i
        )
    return t


# --- distribution against the target ------------------------------------------------------------------


def test_counts_target_7_33_13_13_against_the_proposed_distribution(cycle):
    town, campaign, _ = township(cycle.org.city, cycle.standard, 66, "鲍镇")
    target(town, 2024, {"SHIFAN": 7, "DABIAO": 33, "TISHENG": 13, "CUJIN": 13})
    grade(campaign, [("SHIFAN", 5), ("DABIAO", 35), ("TISHENG", 13), ("CUJIN", 13)])
    summary = grading_summary(campaign)
    rows = [(r.code, r.target, r.count, r.difference) for r in summary.rows]
    assert rows == [("SHIFAN", 7, 5, -2), ("DABIAO", 33, 35, 2), ("TISHENG", 13, 13, 0), ("CUJIN", 13, 13, 0)]
    assert summary.warnings == [
        "示范村：目标 7 个，当前 5 个，少 2 个。",
        "达标村：目标 33 个，当前 35 个，多 2 个。",
    ]
    assert (summary.total, summary.reviewed, summary.all_reviewed) == (66, 66, True)


def test_unreviewed_villages_and_a_target_total_that_does_not_match_are_warned(cycle):
    town, campaign, _ = township(cycle.org.city, cycle.standard, 10, "小镇")
    target(town, 2024, {"SHIFAN": 2, "DABIAO": 6, "TISHENG": 1, "CUJIN": 0})
    grade(campaign, [("SHIFAN", 2), ("DABIAO", 6)])
    ids = list(campaign.assessments.order_by("village__sort_order").values_list("pk", flat=True))
    Assessment.objects.filter(pk__in=ids[8:]).update(status=S.IN_REVIEW, final_grade="TISHENG")
    summary = grading_summary(campaign)
    assert summary.warnings == [
        # In-review grades are provisional and do not count: 提升村 has none yet.
        "尚有 2 个村未完成初审，未计入等次分布。",
        "提升村：目标 1 个，当前 0 个，少 1 个。",
        "年度目标合计 9 个村，本年度参评 10 个村。",
    ]
    assert not summary.all_reviewed


def test_a_share_target_compares_the_share_of_qinglian_villages(cycle):
    town, campaign, _ = township(cycle.org.city, cycle.standard, 10, "三镇")
    target(town, 2024, share=D("80"))
    grade(campaign, [("DABIAO", 5), ("TISHENG", 2), ("CUJIN", 3)])
    summary = grading_summary(campaign)
    assert (summary.mode, summary.qualified, summary.share) == ("share", 7, D("70.0"))
    assert summary.warnings == ["达到清廉村居标准的村占 70.0%（7/10），低于年度目标 80%。"]
    grade(campaign, [("DABIAO", 8)])
    assert grading_summary(campaign).warnings == []


def test_a_cumulative_target_counts_earlier_confirmed_top_grades_of_the_township(cycle):
    town, c2024, _ = township(cycle.org.city, cycle.standard, 20, "累镇")
    grade(c2024, [("SHIFAN", 7), ("DABIAO", 10), ("CUJIN", 3)], status=S.CONFIRMED)
    Campaign.objects.filter(pk=c2024.pk).update(grades_confirmed_at=timezone.now())
    # One of 2024's 示范村 was not confirmed by the city: it does not count.
    first = c2024.assessments.order_by("village__sort_order").first()
    Assessment.objects.filter(pk=first.pk).update(city_decision="other", city_grade="DABIAO")
    c2025 = campaign_create(actor=None, township=town, year=2025, standard=cycle.standard)
    target(town, 2025, {"SHIFAN": 10, "DABIAO": 7, "TISHENG": 3}, cumulative=True)
    # 2025: villages 0-2 示范 again (0 now confirmed by the township), 3-6 达标, 7-16 达标/提升, 17-19 still 促进.
    grade(c2025, [("SHIFAN", 3), ("DABIAO", 4), ("DABIAO", 3), ("TISHENG", 7), ("CUJIN", 3)])
    summary = grading_summary(c2025)
    top = summary.rows[0]
    assert (top.count, top.previous, top.total, top.target) == (3, 4, 7, 10)
    assert summary.warnings == [
        "示范村：目标 10 个，当前 7 个（含往年已认定 4 个），少 3 个。",
        "提升村：目标 3 个，当前 7 个，多 4 个。",
        "2024年的促进村中仍有 3 个村当前为促进村，未实现逐年提升。",
    ]


def test_no_target_is_said(cycle):
    summary = grading_summary(cycle.campaign)
    assert "未设置2024年度目标，无法比对等次分布。" in summary.warnings


# --- override -----------------------------------------------------------------------------------------


def test_override_with_a_reason_sets_the_final_grade_and_choosing_the_proposed_grade_clears_it(cycle):
    a = reviewed(cycle)
    assert (a.final_score, a.proposed_grade, a.final_grade) == (D("100"), "SHIFAN", "SHIFAN")
    with pytest.raises(WorkflowError, match="调整等次须填写理由"):
        grade_override(
            assessment=a, expected_version=a.version, actor=cycle.reviewer, grade_code="DABIAO", reason=""
        )
    with pytest.raises(WorkflowError, match="不属于本年度指数标准"):
        grade_override(
            assessment=a, expected_version=a.version, actor=cycle.reviewer, grade_code="XX", reason="x"
        )
    with pytest.raises(WorkflowError, match="您不能调整"):
        grade_override(
            assessment=a, expected_version=a.version, actor=cycle.leader, grade_code="DABIAO", reason="x"
        )
    grade_override(
        assessment=a,
        expected_version=a.version,
        actor=cycle.reviewer,
        grade_code="DABIAO",
        reason="群众满意度偏低，暂不推荐",
    )
    a.refresh_from_db()
    assert (a.proposed_grade, a.final_grade, a.grade_override_reason) == (
        "SHIFAN",
        "DABIAO",
        "群众满意度偏低，暂不推荐",
    )
    e = AssessmentEvent.objects.filter(assessment=a, action="grade_override").get()
    assert (e.from_value, e.to_value, e.reason) == ("示范村", "达标村", "群众满意度偏低，暂不推荐")
    grade_override(
        assessment=a,
        expected_version=a.version,
        actor=cycle.reviewer,
        grade_code="SHIFAN",
        reason="复议后恢复",
    )
    a.refresh_from_db()
    assert (a.final_grade, a.grade_override_reason) == ("SHIFAN", "")


def test_override_needs_the_reviewed_state_and_a_veto_cannot_be_overridden_upward(cycle):
    a = submit_and_forward(cycle)
    with pytest.raises(WorkflowError, match="初审完成后才能调整等次"):
        grade_override(
            assessment=a, expected_version=a.version, actor=cycle.reviewer, grade_code="DABIAO", reason="x"
        )
    review_everything(a, cycle.reviewer)
    v = VetoCheck.objects.filter(assessment=a).first()
    veto_check_review(
        assessment=a,
        check=v,
        expected_version=v.version,
        actor=cycle.reviewer,
        decision="confirmed",
        reason="查实",
    )
    assessment_transition(assessment=a, action="complete_review", actor=cycle.reviewer)
    a.refresh_from_db()
    assert a.final_grade == "CUJIN"
    with pytest.raises(WorkflowError, match="只能定为促进村，不能调高等次"):
        grade_override(
            assessment=a,
            expected_version=a.version,
            actor=cycle.reviewer,
            grade_code="TISHENG",
            reason="情节轻微",
        )
    a.refresh_from_db()
    assert a.final_grade == "CUJIN"


# --- confirmation -------------------------------------------------------------------------------------


def test_confirm_is_refused_until_every_village_is_reviewed_then_confirms_marks_candidates_and_notifies(
    cycle, django_capture_on_commit_callbacks
):
    east = reviewed(cycle)
    west = reviewed(cycle, "西村", value="2")
    with pytest.raises(WorkflowError) as err:
        campaign_confirm_grades(campaign=cycle.campaign, actor=cycle.reviewer)
    assert err.value.problems == ["以下对象尚未完成初审，不能确认定级：南村（填报中）。"]
    with pytest.raises(WorkflowError, match="您不能确认"):
        campaign_confirm_grades(campaign=cycle.campaign, actor=cycle.leader)
    south = reviewed(cycle, "南村")
    assert (east.final_grade, west.final_grade, south.final_grade) == ("SHIFAN", "CUJIN", "SHIFAN")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_confirm_grades(campaign=cycle.campaign, actor=cycle.reviewer)
    cycle.campaign.refresh_from_db()
    assert cycle.campaign.is_confirmed and cycle.campaign.grades_confirmed_by == cycle.reviewer
    rows = {
        a.village.name: (a.status, a.city_candidate)
        for a in cycle.campaign.assessments.select_related("village")
    }
    assert rows == {"东村": (S.CONFIRMED, True), "西村": (S.CONFIRMED, False), "南村": (S.CONFIRMED, True)}
    assert AssessmentEvent.objects.filter(action="confirm_grade").count() == 3
    assert AssessmentEvent.objects.filter(action="city_candidate").count() == 2
    assert AuditEvent.objects.filter(action="campaign.confirm_grades").count() == 1
    for user in (cycle.committee, cycle.supervisor):
        note = Notification.objects.get(user=user)
        assert (note.title, note.body) == ("2024年度“清廉村居”测评结果已公布", "东村定级为：示范村。")
        assert note.url == reverse("assessments:assessment_detail", args=[east.pk])
    assert not Notification.objects.filter(user__in=[cycle.reviewer, cycle.secretary, cycle.leader]).exists()
    events = AssessmentEvent.objects.count()
    with pytest.raises(WorkflowError, match="不能重复确认"):
        campaign_confirm_grades(campaign=cycle.campaign, actor=cycle.reviewer)
    assert AssessmentEvent.objects.count() == events
    with pytest.raises(WorkflowError, match="本年度等次已确认"):
        grade_override(
            assessment=east,
            expected_version=east.version,
            actor=cycle.reviewer,
            grade_code="DABIAO",
            reason="x",
        )


# --- veto events (动态管理) ----------------------------------------------------------------------------


def _confirmed(cycle):
    for name in ("东村", "西村", "南村"):
        reviewed(cycle, name)
    campaign_confirm_grades(campaign=cycle.campaign, actor=cycle.reviewer)
    return Assessment.objects.get(campaign=cycle.campaign, village__name="东村")


def test_a_veto_event_downgrades_a_confirmed_village_and_its_city_grade_and_notifies(
    cycle, django_capture_on_commit_callbacks
):
    east = _confirmed(cycle)
    city_decide(assessment=east, expected_version=east.version, actor=cycle.city, decision="confirmed")
    item = cycle.standard.veto_items.get(code="N04")
    with django_capture_on_commit_callbacks(execute=True):
        event = veto_event_record(
            assessment=east,
            actor=cycle.reviewer,
            veto_item=item,
            occurred_on=datetime.date.today(),
            description="村委委员受党纪处分",
        )
    east.refresh_from_db()
    assert (event.grade_before, event.grade_after) == ("SHIFAN", "CUJIN")
    assert (east.final_grade, east.city_grade, east.effective_grade, east.veto_confirmed) == (
        "CUJIN",
        "CUJIN",
        "CUJIN",
        True,
    )
    e = AssessmentEvent.objects.filter(assessment=east, action="veto_event").get()
    assert (e.subject, e.from_value, e.to_value) == ("动态管理：否决事项降级", "示范村", "促进村")
    assert AuditEvent.objects.filter(action="assessment.veto_event", object_id=str(east.pk)).count() == 1
    assert Notification.objects.filter(user=cycle.committee, title="动态管理：否决事项降级").count() == 1


def test_a_veto_event_needs_a_confirmed_assessment_the_reviewer_and_a_description(cycle):
    a = submit_and_forward(cycle)
    item = cycle.standard.veto_items.first()
    today = datetime.date.today()
    with pytest.raises(WorkflowError, match="尚未定级"):
        veto_event_record(
            assessment=a, actor=cycle.reviewer, veto_item=item, occurred_on=today, description="x"
        )
    with pytest.raises(WorkflowError, match="情况说明"):
        veto_event_record(
            assessment=a, actor=cycle.reviewer, veto_item=item, occurred_on=today, description=" "
        )
    with pytest.raises(WorkflowError, match="不能晚于今天"):
        veto_event_record(
            assessment=a,
            actor=cycle.reviewer,
            veto_item=item,
            occurred_on=today + datetime.timedelta(days=1),
            description="x",
        )
    with pytest.raises(WorkflowError, match="您不能"):
        veto_event_record(assessment=a, actor=cycle.city, veto_item=item, occurred_on=today, description="x")
    assert not VetoEvent.objects.exists()


def test_the_veto_event_form_posts_by_the_reviewer_only(client, cycle):
    east = _confirmed(cycle)
    url = reverse("assessments:veto_event_create", args=[east.pk])
    item = cycle.standard.veto_items.first()
    data = {"veto_item": item.pk, "occurred_on": datetime.date.today().isoformat(), "description": "查实"}
    client.force_login(cycle.committee)
    assert client.post(url, data).status_code == 404
    client.force_login(cycle.reviewer)
    assert client.post(url, {**data, "veto_item": 999999}).status_code == 404
    page = client.get(reverse("assessments:review_edit", args=[east.pk]))
    assert "登记否决事项并降级" in page.content.decode()
    assert client.post(url, data).status_code == 302
    assert VetoEvent.objects.filter(assessment=east).count() == 1


# --- the board ----------------------------------------------------------------------------------------


def _board(campaign):
    return reverse("assessments:grading_board", args=[campaign.pk])


def test_the_board_makes_the_same_number_of_queries_at_10_and_at_200_villages(client, cycle):
    counts = {}
    for n in (10, 200):
        town, campaign, reviewer = township(cycle.org.city, cycle.standard, n, f"规模{n}镇")
        target(town, 2024, {"SHIFAN": 1, "DABIAO": n - 3, "TISHENG": 1, "CUJIN": 1})
        grade(campaign, [("SHIFAN", 2), ("DABIAO", n - 4), ("TISHENG", 1)])
        client.force_login(reviewer)
        client.get(_board(campaign))  # warm caches (sessions, content types)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(_board(campaign) + "?sort=-final_score")
        assert response.status_code == 200
        assert len(response.context["rows"]) == n
        counts[n] = len(ctx.captured_queries)
    assert counts[10] == counts[200], counts
    # 15 for the board, 2 more for the self estimates of the villages not reviewed yet
    assert counts[200] <= 17, counts


def test_a_second_look_at_the_board_asks_the_database_nothing_at_10_and_at_200_villages(client, cycle):
    """The page whole (accounts.pages) and the campaign's row (selectors.campaign_row) from the cache."""
    for n in (10, 200):
        _town, campaign, reviewer = township(cycle.org.city, cycle.standard, n, f"再看{n}镇")
        grade(campaign, [("SHIFAN", 2), ("DABIAO", n - 2)])
        client.force_login(reviewer)
        client.get(_board(campaign))
        client.get(_board(campaign))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(_board(campaign))
        assert response.status_code == 200 and not response.templates
        assert ctx.captured_queries == [], n


def test_the_board_shows_the_distribution_the_override_forms_and_a_disabled_confirm(client, cycle):
    a = reviewed(cycle)
    target(cycle.org.town, 2024, {"SHIFAN": 1, "DABIAO": 1, "TISHENG": 1, "CUJIN": 0})
    client.force_login(cycle.reviewer)
    html = client.get(_board(cycle.campaign)).content.decode()
    assert "尚有 2 个村未完成初审，未计入等次分布。" in html
    assert "“确认定级”须待全部 3 个村完成初审（尚有 2 个未完成）。" in html
    assert reverse("assessments:grade_override", args=[a.pk]) in html
    # The confirmation is a page of its own (GET), opened only once every village is reviewed.
    assert 'disabled title="尚有 2 个村未完成初审">确认定级…</button>' in html
    assert reverse("assessments:confirm_grades", args=[cycle.campaign.pk]) not in html
    response = client.post(
        reverse("assessments:grade_override", args=[a.pk]),
        {"grade": "DABIAO", "reason": "满意度偏低", "version": a.version},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.final_grade == "DABIAO"
    html = client.get(_board(cycle.campaign)).content.decode()
    assert "已调整" in html and "满意度偏低" in html
    client.post(reverse("assessments:confirm_grades", args=[cycle.campaign.pk]))
    cycle.campaign.refresh_from_db()
    assert not cycle.campaign.is_confirmed


def test_the_leader_reads_the_board_but_cannot_change_it_and_village_roles_get_404(client, cycle):
    reviewed(cycle)
    client.force_login(cycle.leader)
    response = client.get(_board(cycle.campaign))
    assert response.status_code == 200
    html = response.content.decode()
    assert "grade_override" not in html and "调整</button>" not in html and "确认定级…" not in html
    assert client.get(reverse("assessments:confirm_grades", args=[cycle.campaign.pk])).status_code == 404
    assert client.post(reverse("assessments:confirm_grades", args=[cycle.campaign.pk])).status_code == 404
    a = cycle.a["东村"]
    assert (
        client.post(reverse("assessments:grade_override", args=[a.pk]), {"grade": "DABIAO"}).status_code
        == 404
    )
    for user in (cycle.committee, cycle.supervisor, cycle.secretary, cycle.city):
        client.force_login(user)
        assert client.get(_board(cycle.campaign)).status_code == 404, user.username
        assert client.post(reverse("assessments:confirm_grades", args=[cycle.campaign.pk])).status_code == 404
    cycle.campaign.refresh_from_db()
    assert not cycle.campaign.is_confirmed


def test_confirming_through_the_board(client, cycle):
    for name in ("东村", "西村", "南村"):
        reviewed(cycle, name)
    client.force_login(cycle.reviewer)
    html = client.get(_board(cycle.campaign)).content.decode()
    assert "确认后报市" in html
    url = reverse("assessments:confirm_grades", args=[cycle.campaign.pk])
    assert f'href="{url}">确认定级…</a>' in html
    page = client.get(url)
    seen = page.context["summary"].fingerprint
    client.post(url, {"distribution": seen})
    cycle.campaign.refresh_from_db()
    assert cycle.campaign.is_confirmed
    html = client.get(_board(cycle.campaign)).content.decode()
    assert "等次已于" in html and "报市</span>" in html


def test_the_cached_board_carries_each_requests_own_csrf_token_and_each_users_own_forms(cycle):
    """The board's HTML is cached per data version (issue 16): a reviewer's second look is served from
    the cache with a CSRF token that the override accepts; the leader, after the reviewer, gets no form;
    and the override shows on the board at once."""
    import re

    from django.test import Client

    from common.fragments import CSRF_SLOT

    a = reviewed(cycle)
    reviewer = Client(enforce_csrf_checks=True)
    reviewer.force_login(cycle.reviewer)
    reviewer.get(_board(cycle.campaign))
    html = reviewer.get(_board(cycle.campaign)).content.decode()
    assert CSRF_SLOT not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    leader = Client()
    leader.force_login(cycle.leader)
    assert "调整</button>" not in leader.get(_board(cycle.campaign)).content.decode()
    response = reviewer.post(
        reverse("assessments:grade_override", args=[a.pk]),
        {"csrfmiddlewaretoken": token, "grade": "DABIAO", "reason": "群众满意度偏低", "version": a.version},
    )
    assert response.status_code == 302
    assert "群众满意度偏低" in leader.get(_board(cycle.campaign)).content.decode()


def test_a_renamed_campaign_shows_on_its_cached_board_at_once(cycle):
    """The board is cached whole per data version (accounts.pages): editing the campaign's name and
    deadlines renews the township's version, so the next look shows them."""
    from django.test import Client

    from assessments.services.campaigns import campaign_update

    client = Client()
    client.force_login(cycle.reviewer)
    client.get(_board(cycle.campaign))
    assert not client.get(_board(cycle.campaign)).templates  # cached
    c = cycle.campaign
    campaign_update(
        campaign=c,
        actor=cycle.reviewer,
        name="甲镇2024年度测评（改名）",
        self_deadline=c.self_deadline,
        submission_deadline=c.submission_deadline,
        city_deadline=c.city_deadline,
    )
    assert "甲镇2024年度测评（改名）" in client.get(_board(cycle.campaign)).content.decode()
