"""The benchmark scripts' pure parts: citygen's sizes and names, the latency benchmark's ratios and its
comparison of two runs."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import citygen
import dashboard_latency


def test_citygen_defaults_to_the_city_of_20_townships_of_75_villages_over_5_years():
    args = citygen.parse_args([])
    assert args.sizes == [75] * 20 and args.years == 5 and args.database is None


def test_citygen_splits_a_total_of_villages_into_townships_with_a_smaller_last_one():
    args = citygen.parse_args(["--villages", "50000", "--database", "bench_province"])
    assert args.townships == 667 and len(args.sizes) == 667
    assert args.sizes[:-1] == [75] * 666 and args.sizes[-1] == 50 and sum(args.sizes) == 50_000
    assert citygen.parse_args(["--villages", "150"]).sizes == [75, 75]


def test_citygen_takes_townships_and_villages_per_township(capsys):
    args = citygen.parse_args(["--townships", "3", "--villages-per-township", "120", "--years", "2"])
    assert args.sizes == [120, 120, 120] and args.years == 2
    with pytest.raises(SystemExit):
        citygen.parse_args(["--townships", "3", "--villages", "100"])
    with pytest.raises(SystemExit):
        citygen.parse_args(["--villages", str(citygen.MAX_VILLAGES + 1)])
    assert "not both" in capsys.readouterr().err


def test_citygen_names_stay_unique_at_province_scale():
    towns = [citygen.township_name(i) for i in range(1000)]
    assert len(set(towns)) == 1000 and towns[0] == "青石镇" and towns[20] == "青石东镇"
    villages = citygen.village_names(250)
    assert len(set(villages)) == 250 and villages[0] == "东庄" and villages[100] == "东庄2"


def test_citygen_database_option_replaces_only_the_name(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_city")
    url, _, name = citygen.database_url("bench_province")
    assert url == "postgres://postgres@127.0.0.1:5432/bench_province" and name == "bench_province"
    with pytest.raises(SystemExit):
        citygen.database_url("test")


def test_ratios_are_taken_against_the_bare_and_the_minimal_page_of_the_same_run():
    rows = dashboard_latency.add_ratios(
        [
            {"url": dashboard_latency.BARE, "throughput_rps": 200.0},
            {"url": dashboard_latency.MINIMAL, "throughput_rps": 80.0},
            {"url": "/dashboard/city/1/2026/", "throughput_rps": 20.0},
            {"url": "/broken/", "errors": 1},
        ]
    )
    assert rows[2]["vs_bare"] == 0.1 and rows[2]["vs_minimal"] == 0.25
    assert rows[0]["vs_bare"] == 1.0 and rows[1]["vs_minimal"] == 1.0
    assert "vs_bare" not in rows[3]


def test_compare_matches_pages_by_label_and_checks_the_growth_target(tmp_path, capsys):
    def result(db, villages, rows):
        return {
            "data": {"database": db, "villages": villages},
            "load_average_at_start": [1, 1, 1],
            "results": rows,
        }

    first = tmp_path / "a.json"
    second = tmp_path / "b.json"
    first.write_text(
        json.dumps(
            result(
                "bench_city",
                1500,
                [
                    {
                        "page": "dashboards:city",
                        "url": "/dashboard/city/1/2026/",
                        "median_ms": 100,
                        "single_ms": 40,
                    },
                    {
                        "page": "grading board",
                        "url": "/assessments/85/grading/",
                        "median_ms": 50,
                        "single_ms": 20,
                    },
                ],
            )
        )
    )
    second.write_text(
        json.dumps(
            result(
                "bench_province",
                50000,
                [
                    {
                        "page": "dashboards:city",
                        "url": "/dashboard/city/1/2026/",
                        "median_ms": 400,
                        "single_ms": 44,
                    },
                    {
                        "page": "grading board",
                        "url": "/assessments/2673/grading/",
                        "median_ms": 60,
                        "single_ms": 25,
                    },
                    {"page": "only here", "url": "/x/", "median_ms": 5},
                ],
            )
        )
    )
    rows = dashboard_latency.compare(first, second)
    assert [r["page"] for r in rows] == ["dashboards:city", "grading board"]
    assert (
        rows[0]["median_ratio"] == 4.0
        and rows[0]["single_ratio"] == 1.1
        and rows[0]["within_target"] is False
    )
    assert (
        rows[1]["median_ratio"] == 1.2
        and rows[1]["single_ratio"] == 1.25
        and rows[1]["within_target"] is True
    )
    assert "50,000 villages" in capsys.readouterr().out
