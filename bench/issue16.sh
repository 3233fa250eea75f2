#!/bin/sh
# Issue 16 baselines in one command: the latency benchmark on the 1,500-village city and on the
# 50,000-village province (generated first when missing), then the comparison of the two runs.
#   bench/issue16.sh [extra dashboard_latency.py options, e.g. --duration 10]
# PYTHON defaults to .venv/bin/python; DATABASE_URL names the PostgreSQL server (the database part is
# replaced by bench_city / bench_province).
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
CITY_DB=${CITY_DB:-bench_city}
PROVINCE_DB=${PROVINCE_DB:-bench_province}
"$PYTHON" bench/citygen.py --database "$CITY_DB"
"$PYTHON" bench/citygen.py --database "$PROVINCE_DB" --villages 50000
"$PYTHON" bench/dashboard_latency.py --database "$CITY_DB" --duration 15 --tag city "$@"
"$PYTHON" bench/dashboard_latency.py --database "$PROVINCE_DB" --duration 15 --tag province "$@"
first=$(ls -t bench/results/dashboard_latency-*-city.json | head -1)
second=$(ls -t bench/results/dashboard_latency-*-province.json | head -1)
"$PYTHON" bench/dashboard_latency.py --compare "$first" "$second"
