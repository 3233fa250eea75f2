"""The guided sheet (issue 12): one-tap full marks through the save endpoint, nothing scored without an
explicit answer, and the 提交前检查 list / disabled 提交自评 computed from the same submit guards the
transition checks."""

import re
from decimal import Decimal as D

import pytest

from assessments.models import Assessment, AssessmentEvent, IndicatorScore, Signoff, VetoCheck
from assessments.scoring import full_marks_rules
from assessments.services.transitions import GuardFailure, guard_problems, transition_failures
from assessments.workflow import Guard
from audit.models import AuditEvent
from tests.assessments.conftest import fill_self

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def east(cycle, client):
    client.force_login(cycle.committee)
    return cycle.a["东村"]


def save(client, a, row, **data):
    return client.post(f"/assessments/a/{a.pk}/self/score/{row.pk}/", {"version": row.version, **data}, **XHR)


@pytest.mark.parametrize(
    ("method", "rules", "expected"),
    [
        ("deduction", {1: ("d", D("1")), 2: ("d", D("0.5"))}, {}),
        ("tiered", {7: ("t", D("3")), 5: ("t", D("4")), 6: ("t", D("0"))}, [5]),
        ("checklist", {3: ("c", D("2")), 4: ("c", D("1")), 9: ("c", D("1"))}, [3, 4, 9]),
        ("checklist", {3: ("c", D("1")), 4: ("c", D("1"))}, None),  # cannot reach 4: no one-tap answer
        ("tiered", {7: ("t", D("3"))}, None),
    ],
)
def test_the_full_marks_choice_of_each_scoring_method(method, rules, expected):
    assert full_marks_rules(method=method, max_score=D("4"), rules=rules) == expected


def test_a_new_sheet_has_nothing_scored_and_shows_every_indicator_as_unscored(client, east):
    page = client.get(f"/assessments/a/{east.pk}/self/")
    html = page.content.decode()
    assert not east.scores.filter(self_score__isnull=False).exists()
    assert html.count('data-state="none"') == 25
    assert html.count('data-state="full"') == 0
    assert html.count(">无扣分情形（得满分）</button>") == 21  # the deduction indicators
    assert html.count(">全部达到（得满分）</button>") == 3  # checklist
    assert html.count(">达到最高档（得满分）</button>") == 1  # tiered (V5.5 is scored by the township)
    assert (page.context["done"], page.context["todo"]) == (0, 32)


def test_one_tap_saves_full_marks_in_place_with_one_event_and_the_new_check(client, cycle, east):
    row = east.scores.select_related("indicator").get(indicator__code="V1.2")
    audit_before = AuditEvent.objects.count()
    body = save(client, east, row, full="1", rules="1", note="").json()
    row.refresh_from_db()
    assert (row.self_score, row.self_rules, row.version) == (D("4.00"), {}, 2)
    assert (body["score"], body["state"], body["state_label"], body["rules"]) == ("4", "full", "满分", {})
    assert body["totals"]["self_total"] == "4"
    check = body["check"]
    assert (check["done"], check["todo"], check["ready"]) == (1, 32, False)
    assert "还有 24 项指标未自评" in check["check_html"]
    assert f'href="#ind-{row.pk}"' not in check["check_html"]
    event = AssessmentEvent.objects.get(assessment=east, action="self_score")
    assert (event.subject, event.from_value, event.to_value) == ("V1.2 自评分", "未评", "4")
    assert AuditEvent.objects.count() - audit_before == 1  # exactly one audit row for the write


def test_full_marks_replace_entered_deductions(client, east):
    row = east.scores.select_related("indicator").get(indicator__code="V1.1")
    per_month = row.indicator.rules.get(per="月")
    body = save(client, east, row, rules="1", **{f"count_{per_month.pk}": "2"}).json()
    assert (body["score"], body["state_label"]) == ("2", "扣1分")
    row.refresh_from_db()
    body = save(client, east, row, full="1", rules="1", **{f"count_{per_month.pk}": "2"}).json()
    assert (body["score"], body["rules"], body["state"]) == ("3", {}, "full")


@pytest.mark.parametrize(("code", "score"), [("V3.4", "4"), ("V4.1", "4"), ("V5.4", "3")])
def test_full_marks_on_tiered_and_checklist_indicators_pick_the_rules_that_give_them(
    client, east, code, score
):
    row = east.scores.select_related("indicator").get(indicator__code=code)
    body = save(client, east, row, full="1").json()
    row.refresh_from_db()
    assert body["score"] == score
    assert row.self_score == row.indicator.max_score
    rules = sorted(r.pk for r in row.indicator.rules.all())
    if row.indicator.scoring_method == "checklist":
        assert row.self_rules == rules
    else:
        top = row.indicator.rules.get(points=row.indicator.max_score)
        assert row.self_rules == [top.pk]


def test_full_marks_with_a_stale_version_is_a_conflict_and_writes_nothing(client, cycle, east):
    row = east.scores.get(indicator__code="V1.2")
    IndicatorScore.objects.filter(pk=row.pk).update(self_score=D("3"), version=5)
    response = save(client, east, row, full="1")
    assert response.status_code == 409
    assert response.json()["message"].startswith("他人已修改为 3 分，您的输入为 4 分。")
    row.refresh_from_db()
    assert (row.self_score, row.version) == (D("3.00"), 5)


def test_full_marks_are_refused_for_a_township_only_indicator(client, east):
    row = east.scores.get(indicator__code="V5.5")
    response = save(client, east, row, full="1")
    assert response.status_code == 400
    assert response.json()["errors"] == ["V5.5：V5.5 由镇街评分，村（社区）不自评。"]


def test_without_javascript_full_marks_post_and_redirect_back_to_the_indicator(client, east):
    row = east.scores.get(indicator__code="V2.1")
    response = client.post(f"/assessments/a/{east.pk}/self/score/{row.pk}/", {"version": 1, "full": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/a/{east.pk}/self/#ind-{row.pk}"
    row.refresh_from_db()
    assert row.self_score == row.indicator.max_score


def test_the_failures_carry_what_the_page_links_to(cycle, east):
    v11 = east.scores.get(indicator__code="V1.1")
    failures = transition_failures(east, "submit")
    assert [f.guard for f in failures] == [
        Guard.COMPLETE,
        Guard.COMPLETE,
        Guard.APPLICATION_FORM,
        Guard.SIGNED,
        Guard.SIGNED,
    ]
    assert failures[0].targets[0] == ("indicator", v11.pk, "V1.1 政治学习与“第一议题”")
    assert len(failures[0].targets) == 25
    first_veto = VetoCheck.objects.filter(assessment=east).order_by("veto_item__sort_order").first()
    assert failures[1].targets[0] == ("veto", first_veto.pk, "负面清单 N01")
    assert failures[2] == GuardFailure(
        Guard.APPLICATION_FORM,
        "请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。",
        (("stamped", None, "上传盖章申请表"),),
    )
    assert [f.targets for f in failures[3:]] == [
        (("signoff", "committee", "村“两委”签署"),),
        (("signoff", "supervisor", "村务监督委员会签署"),),
    ]
    # guard_problems (what other pages and the transition use) is the same evaluation, as messages
    assert guard_problems(east, [Guard.COMPLETE, Guard.APPLICATION_FORM, Guard.SIGNED]) == [
        f.message for f in failures
    ]


def test_the_check_list_links_every_missing_item_and_the_submit_stays_disabled(client, cycle, east):
    html = client.get(f"/assessments/a/{east.pk}/self/").content.decode()
    for row in east.scores.filter(indicator__scored_by="village_and_township"):
        assert f'href="#ind-{row.pk}" class="js-goto"' in html
    for check in VetoCheck.objects.filter(assessment=east):
        assert f'href="#veto-{check.pk}" class="js-goto"' in html
    assert (
        'href="#stamped" class="js-goto">请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。</a>' in html
    )
    assert 'href="#signoff" class="js-goto">本轮提交尚须村“两委”成员签署确认。</a>' in html
    submit = re.search(r'<button type="submit" class="btn btn-primary js-submit"[^>]*>', html).group(0)
    assert "disabled" in submit
    assert 'data-confirm="提交后本村不能再修改自评内容，确定提交吗？"' in html


def test_once_the_guards_pass_the_submit_is_enabled_and_the_list_says_so(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    page = client.get(f"/assessments/a/{east.pk}/self/")
    html = page.content.decode()
    assert page.context["ready"] is True and page.context["checks"] == []
    submit = re.search(r'<button type="submit" class="btn btn-primary js-submit"[^>]*>', html).group(0)
    assert "disabled" not in submit
    assert "已满足提交条件，可以提交自评。" in html
    assert (page.context["done"], page.context["todo"]) == (32, 32)


def test_a_save_that_voids_a_signoff_brings_the_signoff_back_into_the_check(client, cycle, east):
    fill_self(east, cycle.committee, cycle.supervisor)
    row = east.scores.get(indicator__code="V1.2")
    check = save(client, east, row, value="3").json()["check"]
    assert check["ready"] is False
    assert "本轮提交尚须村“两委”成员签署确认。" in check["check_html"]
    assert not Signoff.objects.filter(assessment=east).exists()


def test_the_page_and_the_refused_submit_give_the_same_reasons(client, cycle, east):
    Signoff.objects.create(assessment=east, side="committee", round=1, user=cycle.committee)
    page = client.get(f"/assessments/a/{east.pk}/self/")
    response = client.post(
        f"/assessments/a/{east.pk}/transition/submit/", {"next": f"/assessments/a/{east.pk}/self/"}
    )
    [message] = [str(m) for m in client.get(response["Location"]).context["messages"]]
    reasons = page.context["submit_problems"]
    assert len(reasons) == 4
    assert (
        message
        == f"未能提交自评，还须完成以下 4 项：{''.join(f'{i}. {r}' for i, r in enumerate(reasons, 1))}"
    )
    east.refresh_from_db()
    assert east.status == Assessment.Status.DRAFT
