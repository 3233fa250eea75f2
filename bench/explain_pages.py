"""EXPLAIN (ANALYZE, BUFFERS) of the slowest SQL queries of some pages, for finding missing indexes and
row-multiplying joins on a big bench database (issue 16).

Run:  .venv/bin/python bench/explain_pages.py --database bench_province [--top 2] USER:PATH ...

Each page is requested twice in-process through Django's test client (the first warms caches); the
queries of the second request are timed and the `--top` slowest of each page are explained.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_latency as harness


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pages", nargs="+", help="USER:PATH (or PATH, user as in dashboard_latency)")
    p.add_argument("--database", default=None)
    p.add_argument("--top", type=int, default=2, help="queries explained per page")
    args = p.parse_args()
    harness.setup_django(harness.server_env(args.database))
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    for spec in args.pages:
        user, path = harness.split_url(spec)
        client = Client(HTTP_HOST="127.0.0.1")
        if user != harness.ANONYMOUS:
            client.force_login(User.objects.get(username=user), backend=settings.AUTHENTICATION_BACKENDS[-1])
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(path).status_code
        queries = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))
        total = sum(float(q["time"]) for q in queries) * 1000
        print(f"\n=== {path} as {user}: HTTP {status}, {len(queries)} queries, {total:.0f} ms in SQL")
        for q in queries[: args.top]:
            print(f"\n--- {float(q['time']) * 1000:.0f} ms: {q['sql'][:600]}")
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                for (line,) in cur.fetchall():
                    print("   ", line)


if __name__ == "__main__":
    main()
