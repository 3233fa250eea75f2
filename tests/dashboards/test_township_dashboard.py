"""The township dashboard shows, for every figure, what a plain recount of the same rows gives."""

import re
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.dashboards import expected as exp
from tests.dashboards.conftest import YEAR
from villages.models import PartyBranch

CODES = ["SHIFAN", "DABIAO", "TISHENG", "CUJIN"]


def url(town, year=YEAR, **params):
    base = reverse("dashboards:township", args=[town.pk, year])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.fixture
def page(client, dash):
    client.force_login(dash.leader)
    response = client.get(url(dash.org.town))
    assert response.status_code == 200
    return response


def test_progress_by_branch_matches_a_recount(page, dash):
    d = page.context["d"]
    counted = exp.progress(exp.rows(dash.campaign))
    shown = {(bkey, stage): n for bkey, per in d.progress.items() for stage, n in per.items() if n}
    assert shown == dict(counted)
    assert sum(d.progress_total.values()) == len(exp.rows(dash.campaign))
    # every stage occurs in the built data, so no figure is trivially zero
    assert {stage for _, stage in counted} == {
        "not_started",
        "drafting",
        "submitted",
        "returned",
        "reviewed",
        "graded",
    }


def test_grade_distribution_and_targets_match_a_recount(page, dash):
    d = page.context["d"]
    counted, ungraded = exp.grade_counts(exp.rows(dash.campaign), CODES)
    assert {c: n for c, n in d.grade_counts.items() if n} == dict(counted)
    assert d.ungraded == ungraded
    target = dash.org.town.targets.get(year=YEAR)
    assert d.grade_targets == {g.grade_code: g.count for g in target.grade_counts.all()}
    chart = page.context["charts"]["grades"]
    assert chart["series"][0]["data"] == [counted[c] for c in CODES] + [ungraded]


def test_dimension_averages_and_weakest_villages_match_a_recount(page, dash):
    d = page.context["d"]
    rows = exp.rows(dash.campaign)
    assert d.dimension_avg == exp.dimension_averages(rows)
    weakest = exp.weakest(rows)
    assert {code: [(name, total) for _, name, total in items] for code, items in d.weakest.items()} == weakest
    html = page.content.decode()
    for code, items in weakest.items():
        block = re.search(rf'data-weakest="{code}">(.*?)</ol>', html, re.S).group(1)
        assert re.findall(r'">([^<]+)</a>', block) == [name for name, _ in items]


def test_score_histogram_matches_a_recount(page, dash):
    d = page.context["d"]
    assert d.histogram == dict(exp.histogram(exp.rows(dash.campaign)))
    chart = page.context["charts"]["histogram"]
    assert sum(chart["series"][0]["data"]) == len(exp.scored(exp.rows(dash.campaign)))


def test_compliance_rectifications_and_tasks_match_a_recount(page, dash):
    d = page.context["d"]
    town = dash.org.town
    assert {s.value: n for s, n in d.compliance.totals.items() if n} == dict(exp.compliance(town, YEAR))
    assert d.rectifications == exp.rectifications(town)
    assert d.tasks == exp.tasks(town, YEAR)
    html = page.content.decode()
    assert f'data-kpi="rect_overdue">{exp.rectifications(town)["overdue"]}<' in html


def test_year_over_year_transitions_match_a_recount(page, dash):
    d = page.context["d"]
    assert d.yoy == dict(exp.yoy(dash.campaign, exp.rows(dash.campaign)))
    rank = {c: i for i, c in enumerate(CODES)}
    kinds = {}
    for (prev, cur), n in d.yoy.items():
        if not cur:
            continue
        kind = "new" if not prev else "up" if rank[cur] < rank[prev] else "same" if cur == prev else "down"
        kinds[kind] = kinds.get(kind, 0) + n
    assert d.yoy_kinds == kinds


def test_ranking_shows_the_top_ten_by_final_score_with_shared_ranks(page, dash):
    d = page.context["d"]
    ranks = exp.competition_ranking(exp.rows(dash.campaign))
    assert len(d.ranking) == 10
    assert [(r.name, r.rank) for r in d.ranking] == [(r.name, ranks[r.name]) for r in d.ranking]
    assert sorted(ranks.values())[:10] == [r.rank for r in d.ranking]
    table = re.search(r'id="ranking">(.*?)</table>', page.content.decode(), re.S).group(1)
    assert re.findall(r'/a/\d+/">([^<]+)</a>', table) == [r.name for r in d.ranking]
    # the grade column shows a grade only once the village is reviewed (a draft's provisional grade is none)
    by_name = {a.village.name: a for a in exp.rows(dash.campaign)}
    names = {"SHIFAN": "示范村", "DABIAO": "达标村", "TISHENG": "提升村", "CUJIN": "促进村"}
    cells = re.findall(r"<td>([^<]*)</td></tr>", table)
    assert cells == [names.get(exp.effective(by_name[r.name]), "—") for r in d.ranking]


def test_branch_filter_restricts_every_village_figure_to_the_branch(client, dash):
    branch = PartyBranch.objects.get(township=dash.org.town, name="样本第1党总支")
    client.force_login(dash.leader)
    d = client.get(url(dash.org.town, branch=branch.pk)).context["d"]
    rows = exp.rows(dash.campaign, branch)
    assert {(b, s): n for b, per in d.progress.items() for s, n in per.items() if n} == dict(
        exp.progress(rows)
    )
    counted, ungraded = exp.grade_counts(rows, CODES)
    assert {c: n for c, n in d.grade_counts.items() if n} == dict(counted)
    assert d.ungraded == ungraded
    assert d.grade_targets == {}
    assert d.dimension_avg == exp.dimension_averages(rows)
    assert d.histogram == dict(exp.histogram(rows))
    assert d.rectifications == exp.rectifications(dash.org.town, branch)


def _list_names(client, link):
    names, page_no = [], 1
    while True:
        response = client.get(link + f"&page={page_no}")
        assert response.status_code == 200
        names += [r.name for r in response.context["rows"]]
        if not response.context["page_obj"].has_next():
            return names
        page_no += 1


def test_every_chart_link_lists_exactly_the_villages_behind_it(client, dash):
    client.force_login(dash.leader)
    response = client.get(url(dash.org.town))
    charts = response.context["charts"]
    rows = exp.rows(dash.campaign)
    prev_yoy = exp.yoy(dash.campaign, rows)
    checked = 0
    for key in ("progress", "grades", "histogram"):
        for series in charts[key]["series"]:
            for i, link in enumerate(series["urls"]):
                names = _list_names(client, link)
                assert len(names) == series["data"][i], (key, link)
                q = {k: v[0] for k, v in parse_qs(urlsplit(link).query, keep_blank_values=True).items()}
                if key == "progress":
                    want = [
                        a
                        for a in rows
                        if exp.stage(a) == q["stage"] and (a.village.branch_id or 0) == int(q["bkey"])
                    ]
                elif key == "grades":
                    want = (
                        [a for a in rows if a.status in exp.DONE and a.final_grade == q["grade"]]
                        if q["grade"]
                        else [a for a in rows if not (a.status in exp.DONE and a.final_grade in CODES)]
                    )
                else:
                    low = int(q["bin"])
                    want = [a for a in exp.scored(rows) if low <= a.final_score < low + 5]
                assert sorted(names) == sorted(a.village.name for a in want), (key, link)
                checked += 1
    for _x, _y, n, link in charts["yoy"]["data"]:
        names = _list_names(client, link)
        q = {k: v[0] for k, v in parse_qs(urlsplit(link).query, keep_blank_values=True).items()}
        assert len(names) == n == prev_yoy.get((q["prev"], q["cur"]), 0)
        checked += 1
    assert checked > 40


def test_dimension_list_holds_the_scored_villages_weakest_first(client, dash):
    client.force_login(dash.leader)
    rows = exp.rows(dash.campaign)
    totals = exp.dimension_totals(rows)["V3"]
    names = _list_names(
        client, url(dash.org.town).replace("/2025/", "/2025/list/") + "?figure=dimension&dim=V3"
    )
    assert sorted(names) == sorted(a.village.name for a in exp.scored(rows))
    assert names[:5] == [name for name, _ in exp.weakest(rows)["V3"]]
    assert len(totals) == len(names)


def test_excel_export_of_a_list_reads_back_with_the_same_rows(client, dash):
    client.force_login(dash.leader)
    base = reverse("dashboards:township_list", args=[dash.org.town.pk, YEAR])
    names = _list_names(client, base + "?figure=ranking")
    rows = exp.rows(dash.campaign)
    assert len(names) == len(rows)
    export = client.get(
        reverse("dashboards:township_list_export", args=[dash.org.town.pk, YEAR]) + "?figure=ranking"
    )
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(export.content)).active
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:9] == [
        "序号",
        "村（社区）",
        "党总支",
        "进度",
        "状态",
        "自评总分",
        "当前总分",
        "等次",
        "上年等次",
    ]
    data = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in data] == names
    by_name = {a.village.name: a for a in rows}
    for r in data:
        assert isinstance(r[6], (int, float)) and abs(r[6] - float(by_name[r[1]].final_score)) < 1e-9
    assert [r[6] for r in data] == sorted((r[6] for r in data), reverse=True)


def test_an_unknown_figure_or_a_year_without_campaign_is_not_found(client, dash):
    client.force_login(dash.leader)
    base = reverse("dashboards:township_list", args=[dash.org.town.pk, YEAR])
    assert client.get(base + "?figure=nonsense").status_code == 404
    assert client.get(base + "?figure=dimension&dim=V9").status_code == 404
    other = reverse("dashboards:township_list", args=[dash.org.town.pk, YEAR + 3])
    assert client.get(other + "?figure=ranking").status_code == 404
    # the dashboard itself still opens for a year without a campaign (ledgers, tasks, rectifications)
    response = client.get(url(dash.org.town, YEAR + 3))
    assert response.status_code == 200
    assert "尚未创建村级测评年度" in response.content.decode()


@pytest.mark.parametrize("who", ["leader", "city"])
def test_every_link_on_the_page_opens_for_the_user_who_sees_it(client, dash, who):
    client.force_login(getattr(dash, who))
    response = client.get(url(dash.org.town))
    html = response.content.decode()
    links = set(re.findall(r'href="(/(?:dashboard|ledgers|assessments)/[^"]*)"', html))
    links |= {
        link
        for chart in response.context["charts"].values()
        for link in [chart.get("url")] + [u for s in chart.get("series", []) for u in s["urls"]]
        if link
    }
    assert len(links) > 50
    for link in sorted(links):
        assert client.get(link.replace("&amp;", "&"), follow=True).status_code == 200, link


def test_year_over_year_kind_lists_hold_exactly_the_villages_of_each_kind(client, dash):
    client.force_login(dash.leader)
    rows = exp.rows(dash.campaign)
    rank = {c: i for i, c in enumerate(CODES)}
    prev = {
        a.village_id: exp.effective(a)
        for a in exp.Assessment.objects.filter(campaign__township=dash.org.town, campaign__year=YEAR - 1)
    }
    want = {"up": [], "same": [], "down": [], "new": []}
    for a in rows:
        cur, before = exp.effective(a), prev.get(a.village_id, "")
        if not cur:
            continue
        kind = (
            "new" if not before else "up" if rank[cur] < rank[before] else "same" if cur == before else "down"
        )
        want[kind].append(a.village.name)
    html = client.get(url(dash.org.town)).content.decode()
    for kind, names in want.items():
        link = re.search(rf'data-yoy="{kind}" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        assert sorted(_list_names(client, link)) == sorted(names), kind
    assert sum(len(v) for v in want.values()) > 5


def test_task_and_rectification_links_list_exactly_the_counted_items(client, dash):
    client.force_login(dash.leader)
    charts = client.get(url(dash.org.town)).context["charts"]
    for key in ("tasks", "rectifications"):
        for series in charts[key]["series"]:
            for i, link in enumerate(series["urls"]):
                response = client.get(link)
                assert response.status_code == 200
                assert response.context["page_obj"].paginator.count == series["data"][i], link
