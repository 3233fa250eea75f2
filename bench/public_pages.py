"""Throughput of the public pages (issue 13) next to the minimal logged-in page, measured in the same run.

Run after bench/citygen.py (PostgreSQL database bench_city):
    .venv/bin/python bench/public_pages.py [--concurrency 8] [--duration 20]

Publishes the first township's latest confirmed year if nothing is published yet (through the service, as
its 镇纪委 account), then measures with bench/dashboard_latency.py's harness (gunicorn sync workers, the
production settings, C concurrent clients): the township's public page and one village card, read without
a login, beside the reference pages /accounts/notifications/ (the minimal logged-in page, as a township
leader) and /healthz (no database, no session). Prints the harness's table and each public page's
throughput as a ratio of the minimal logged-in page's (issue 13 asks for ≥ 1.0×).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_latency as harness

REFERENCE = "/accounts/notifications/"


def main():
    env = harness.server_env()
    harness.setup_django(env)
    published = harness.publish_first_township()
    if published is None:
        sys.exit("no confirmed campaign of the first township can be published")
    township, year, village = published
    urls = [
        f"-:/public/t/{township.public_key}/{year}/",
        f"-:/public/v/{village.public_key}/",
        f"{harness.TOWNSHIP_USER}:{REFERENCE}",
        "/healthz",
    ]
    extra = [a for a in sys.argv[1:] if not a.startswith("--url")]
    sys.argv = [sys.argv[0], *extra, *(f"--url={u}" for u in urls)]
    harness.main()
    latest = max(harness.RESULTS.glob("dashboard_latency-*.json"), key=lambda p: p.stat().st_mtime)
    rows = {r["url"]: r for r in json.loads(latest.read_text(encoding="utf-8"))["results"]}
    ref = rows.get(REFERENCE, {}).get("throughput_rps")
    print()
    for url, row in rows.items():
        if url.startswith("/public/") and ref:
            ratio = row.get("throughput_rps", 0) / ref
            print(
                f"{url}: {row.get('throughput_rps')} req/s = {ratio:.2f}× the minimal logged-in page ({ref} req/s)"
            )


if __name__ == "__main__":
    main()
