"""The city dashboard puts its townships side by side; each column is what a recount gives."""

import datetime as dt
import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from assessments.models import Campaign
from ledgers.compliance import COUNTED, compliance_counts_by_township, compliance_matrix
from ledgers.selectors import ledger_units_for_user
from tests.dashboards import expected as exp
from tests.dashboards.conftest import YEAR, build_township

NAMES = {"SHIFAN": "示范村", "DABIAO": "达标村", "TISHENG": "提升村", "CUJIN": "促进村"}
RANK = {c: i for i, c in enumerate(NAMES)}


def q2(value):
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def city_page(client, dash):
    build_township(dash.org.other_town, dash.standard, 15, seed=9, prefix="乙")
    client.force_login(dash.city)
    response = client.get(reverse("dashboards:city", args=[dash.org.city.pk, YEAR]))
    assert response.status_code == 200
    return response


def test_each_township_column_matches_a_recount(city_page, dash):
    c = city_page.context["c"]
    towns = {r.township.name: r for r in c.towns}
    assert set(towns) == {"甲镇", "乙镇"}  # 丙镇 belongs to another city
    for town in (dash.org.town, dash.org.other_town):
        row = towns[town.name]
        campaign = Campaign.objects.get(township=town, year=YEAR)
        rows = exp.rows(campaign)
        stages = Counter(exp.stage(a) for a in rows)
        assert {k: n for k, n in row.progress.items() if n} == dict(stages)
        counted, _ = exp.grade_counts(rows, list(NAMES))
        assert row.grade_counts == {NAMES[c]: n for c, n in counted.items()}
        assert row.grade_targets == {
            g.grade_name: g.count for g in town.targets.get(year=YEAR).grade_counts.all()
        }
        qualified = sum(n for code, n in counted.items() if code != "CUJIN")
        assert row.qualified == qualified
        assert row.qualified_share == q2(Decimal(qualified) * 100 / len(rows))
        scored = exp.scored(rows)
        assert row.avg_score == q2(sum(a.final_score for a in scored) / len(scored))
        dim_names = {"V1": "班子清廉", "V2": "权力清源", "V3": "村务清爽", "V4": "民风清朗", "V5": "监督清晰"}
        assert row.dimension_avg == {dim_names[k]: v for k, v in exp.dimension_averages(rows).items()}
        assert {s.value: n for s, n in row.compliance.items() if n} == dict(exp.compliance(town, YEAR))
        assert row.rectifications == exp.rectifications(town)
        assert row.tasks == exp.tasks(town, YEAR)
        kinds = Counter()
        for (prev, cur), n in exp.yoy(campaign, rows).items():
            if cur:
                kinds[
                    "new"
                    if not prev
                    else "up"
                    if RANK[cur] < RANK[prev]
                    else "same"
                    if cur == prev
                    else "down"
                ] += n
        assert row.yoy_kinds == dict(kinds)


def test_townships_are_ranked_by_average_index_and_the_top_villages_span_the_city(city_page, dash):
    c = city_page.context["c"]
    by_avg = sorted(c.towns, key=lambda r: -r.avg_score)
    tie = by_avg[0].avg_score == by_avg[1].avg_score
    assert [r.index_rank for r in by_avg] == ([1, 1] if tie else [1, 2])
    everyone = []
    for town in (dash.org.town, dash.org.other_town):
        everyone += exp.scored(exp.rows(Campaign.objects.get(township=town, year=YEAR)))
    best = sorted((a.final_score for a in everyone), reverse=True)[:10]
    assert [score for _, _, score, _, _ in c.top_villages] == best
    table = re.search(r'id="top-villages">(.*?)</table>', city_page.content.decode(), re.S).group(1)
    assert re.findall(r'/a/\d+/">([^<]+)</a>', table) == [name for name, *_ in c.top_villages]


def test_city_chart_links_open_the_township_lists_behind_them(client, city_page, dash):
    charts = city_page.context["charts"]
    checked = 0
    for key in ("progress", "grades", "histogram", "yoy"):
        for series in charts[key]["series"]:
            for i, link in enumerate(series["urls"]):
                response = client.get(link)
                assert response.status_code == 200
                assert "/list/" in link
                assert response.context["page_obj"].paginator.count == series["data"][i], (key, link)
                checked += 1
    assert checked > 30


def test_rectification_and_task_links_list_only_that_townships_items(client, city_page, dash):
    for key in ("rectifications", "tasks"):
        for series in city_page.context["charts"][key]["series"]:
            for i, link in enumerate(series["urls"]):
                response = client.get(link)
                assert response.status_code == 200
                assert response.context["page_obj"].paginator.count == series["data"][i], link


def test_city_dimension_bars_open_the_townships_dimension_lists(client, city_page, dash):
    c = city_page.context["c"]
    for series in city_page.context["charts"]["dimensions"]["series"]:
        row = next(r for r in c.towns if r.township.name == series["name"])
        scored = len(exp.scored(exp.rows(row.campaign)))
        for link in series["urls"]:
            assert "figure=dimension" in link
            assert client.get(link).context["page_obj"].paginator.count == scored


@pytest.mark.parametrize(
    "today", [dt.date(YEAR, 3, 1), dt.date(YEAR, 7, 2), dt.date(YEAR, 7, 3), dt.date(YEAR + 1, 2, 1)]
)
def test_the_city_compliance_counts_equal_the_compliance_matrix_on_any_day(dash, today):
    """The city's per-township counts (two queries) agree with the matrix behind the ledger pages."""
    build_township(dash.org.other_town, dash.standard, 4, seed=9, prefix="乙")
    units = ledger_units_for_user(dash.city).filter(township__region=dash.org.city)
    expected = {}
    for row in compliance_matrix(units=units, year=YEAR, today=today).rows:
        counts = expected.setdefault(row.unit.township_id, dict.fromkeys(COUNTED, 0))
        for cell in row.cells:
            if cell.state in COUNTED:
                counts[cell.state] += 1
    assert compliance_counts_by_township(units=units, year=YEAR, today=today) == expected
    assert set(expected) == {dash.org.town.pk, dash.org.other_town.pk}
