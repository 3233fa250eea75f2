"""Where one page's time goes, in-process: cProfile of N warm requests of each page through Django's WSGI
handler (the whole middleware stack, as gunicorn calls it), beside the bare reference page, with the
settings, database and Redis cache the latency benchmark gives its server.

Run after bench/citygen.py:
    .venv/bin/python bench/profile_page.py [--database bench_city] [-n 200] [--top 25] [USER:]PATH ...

Prints per page the mean time per request, the number of SQL queries and cache round trips of one
request, and the `--top` functions by cumulative time. Paths and users as in dashboard_latency.py.
"""

import argparse
import cProfile
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_latency as harness


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pages", nargs="*", help="[USER:]PATH (default: the bare and the minimal logged-in page)")
    p.add_argument("--database", default=None)
    p.add_argument("-n", type=int, default=200, help="requests per page")
    p.add_argument("--top", type=int, default=25, help="functions printed per page")
    p.add_argument("--no-profile", action="store_true", help="time only")
    args = p.parse_args()
    env = harness.server_env(args.database)
    if not Path(env["QL_STATIC_ROOT"], "staticfiles.json").exists():  # production's manifest storage
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=env, check=True
        )
    harness.setup_django(env)
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    handler = WSGIHandler()
    pages = args.pages or [harness.BARE, harness.MINIMAL]
    for spec in pages:
        user, path = harness.split_url(spec)
        cookie = ""
        if user != harness.ANONYMOUS:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=user), backend=settings.AUTHENTICATION_BACKENDS[-1])
            cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path.split("?")[0],
            "QUERY_STRING": path.split("?", 1)[1] if "?" in path else "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "HTTP_ACCEPT_ENCODING": "gzip",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }

        def request(environ=environ):
            status = []
            body = b"".join(handler(dict(environ), lambda s, h, *a: status.append(s)))
            return status[0], body

        request()
        queries = []

        def count(execute, sql, *rest, queries=queries):
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            status, body = request()  # (Django resets connection.queries at each request's start)
        profile = cProfile.Profile()
        started = time.perf_counter()
        if not args.no_profile:
            profile.enable()
        for _ in range(args.n):
            request()
        profile.disable()
        elapsed = (time.perf_counter() - started) / args.n * 1000
        print(
            f"\n=== {path} as {user}: {status}, {len(body)} bytes, {len(queries)} queries, {elapsed:.2f} ms/request"
        )
        if not args.no_profile:
            stats = pstats.Stats(profile, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
