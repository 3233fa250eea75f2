"""The campaign settings form saves as loaded: GET the edit page, post back exactly what the browser would
send from it untouched, and expect success without any change, for each shape a seeded campaign has
(targets by grade counts with a grade left without target, a percentage target, no target, no deadlines)."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from assessments.models import Campaign
from audit.models import AuditEvent
from villages.models import AnnualTarget, AnnualTargetGrade


class FormValues(HTMLParser):
    """What a browser submits from the first POST form of a page left as loaded."""

    def __init__(self):
        super().__init__()
        self.data, self._in_form, self._select, self._textarea = [], False, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._in_form = True
        if not self._in_form or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.data.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = [a.get("name"), None, None]  # name, first option, selected option
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, first, chosen = self._select
            self.data.append((name, chosen if chosen is not None else first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # the parser keeps the newline that HTML drops right after <textarea>
            self.data.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def as_loaded(html):
    parser = FormValues()
    parser.feed(html)
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return data


def seed_target(town, year, *, mode, grades=(), share=None, cumulative=False, note=""):
    """A target written the way the demo seeds it (villages/demo.py), not through the form."""
    target = AnnualTarget.objects.create(
        township=town,
        year=year,
        mode=mode,
        share_percent=Decimal(str(share)) if share is not None else None,
        cumulative=cumulative,
        note=note,
    )
    AnnualTargetGrade.objects.bulk_create(
        AnnualTargetGrade(target=target, grade_code=c, grade_name=n, count=k, sort_order=i)
        for i, (c, n, k) in enumerate(grades)
    )
    return target


def _shape(name, cycle):
    town = cycle.org.town
    if name == "counts":  # 鲍沟镇 2025: 示范 10（含往年）、达标 43、提升 13, 促进村 left without a number
        seed_target(
            town,
            2024,
            mode="counts",
            grades=[("SHIFAN", "示范村", 10), ("DABIAO", "达标村", 43), ("TISHENG", "提升村", 13)],
            cumulative=True,
            note="到2025年底，示范村10个（含2024年）。",
        )
    elif name == "counts-all":  # 鲍沟镇 2024: all four grades
        seed_target(
            town,
            2024,
            mode="counts",
            grades=[
                ("SHIFAN", "示范村", 7),
                ("DABIAO", "达标村", 33),
                ("TISHENG", "提升村", 13),
                ("CUJIN", "促进村", 13),
            ],
        )
    elif name == "share":  # 三管镇: 30% of the villages reach the standard
        seed_target(town, 2024, mode="share", share=30, note="2022年，30%的村（居）达到清廉村居创建标准。")
    elif name == "no-deadlines":
        Campaign.objects.filter(pk=cycle.campaign.pk).update(
            self_deadline=None, submission_deadline=None, city_deadline=None
        )


def _target_state(town):
    t = AnnualTarget.objects.filter(township=town, year=2024).first()
    if t is None:
        return None
    counts = list(t.grade_counts.values_list("grade_code", "count"))
    return (t.mode, t.share_percent, t.cumulative, t.note, counts)


@pytest.mark.parametrize("shape", ["counts", "counts-all", "share", "none", "no-deadlines"])
def test_the_settings_form_posted_back_as_loaded_saves_and_changes_nothing(client, cycle, shape):
    _shape(shape, cycle)
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    page = client.get(url)
    assert page.status_code == 200
    data = as_loaded(page.content.decode())
    assert "csrfmiddlewaretoken" in data and "name" in data
    before = _target_state(cycle.org.town)
    campaign_before = Campaign.objects.values().get(pk=cycle.campaign.pk)
    audit_before = AuditEvent.objects.count()

    response = client.post(url, data)

    if response.status_code != 302:  # show the form's errors rather than a bare status
        errors = {
            "form": response.context["form"].errors,
            "target": response.context["target_form"] and response.context["target_form"].errors,
        }
        pytest.fail(f"saving as loaded was refused: {errors}")
    assert response["Location"] == reverse("assessments:campaign_detail", args=[cycle.campaign.pk])
    assert _target_state(cycle.org.town) == before
    assert Campaign.objects.values().get(pk=cycle.campaign.pk) == campaign_before
    assert AuditEvent.objects.count() == audit_before  # nothing changed, nothing audited


def test_the_loaded_form_shows_the_stored_counts_and_blank_for_a_grade_without_target(client, cycle):
    _shape("counts", cycle)
    client.force_login(cycle.reviewer)
    page = client.get(reverse("assessments:campaign_edit", args=[cycle.campaign.pk]))
    data = as_loaded(page.content.decode())
    assert data["target-mode"] == ["counts"]
    assert [data[f"target-grade_{i}"] for i in range(4)] == [["10"], ["43"], ["13"], [""]]
    assert data["target-cumulative"] == ["on"]
    assert "留空则不设目标" in page.content.decode()


def test_a_blank_grade_is_saved_as_no_target_for_that_grade(client, cycle):
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    data = as_loaded(client.get(url).content.decode())
    data.update({"target-mode": ["counts"], "target-grade_0": ["8"], "target-grade_1": ["32"]})
    data.update({"target-grade_2": ["10"], "target-grade_3": [""]})
    assert client.post(url, data).status_code == 302
    assert _target_state(cycle.org.town)[4] == [("SHIFAN", 8), ("DABIAO", 32), ("TISHENG", 10)]


def test_counts_with_every_grade_blank_is_refused_with_a_clear_message(client, cycle):
    url = reverse("assessments:campaign_edit", args=[cycle.campaign.pk])
    client.force_login(cycle.reviewer)
    data = as_loaded(client.get(url).content.decode())
    data["target-mode"] = ["counts"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert [str(e) for e in response.context["target_form"].non_field_errors()] == [
        "按等次数量设置目标时，请至少填写一个等次的目标数量（留空的等次不设目标）。"
    ]
    assert _target_state(cycle.org.town) is None
