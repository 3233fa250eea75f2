"""Latency of the dashboards (and other heavy pages) under concurrent requests, next to minimal pages.

Run after bench/citygen.py:
    .venv/bin/python bench/dashboard_latency.py [--concurrency 8] [--duration 20] [--url [USER:]PATH ...]

Starts gunicorn the way the Dockerfile does (sync workers, default 2 × cores) with
config.settings.production against DATABASE_URL (default the bench_city database), with DEBUG off, a random
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost and DJANGO_SECURE_SSL_REDIRECT=false (the
benchmark speaks plain HTTP on the loopback; everything else, HSTS and secure cookies included, stays as in
production; the client keeps cookies itself, so Secure cookies still travel). Static files are collected
into a cache directory first because production uses the whitenoise manifest storage.

Each user logs in once through the real login form (CSRF token, django-axes); all client threads of a URL
share that session. Per URL: a warm-up, then C threads with keep-alive http.client connections fire
requests for T seconds (or until R requests). Sync gunicorn workers close the connection after every
response, so each request also pays a loopback TCP connect, as it would behind a non-keep-alive proxy.
The SQL query count of one request is measured in-process with Django's test client on the same database.

Without --url: the dashboards found in dashboards/urls.py (routes filled in with the first township, the
region and the current year), the grading board of the first township's current campaign, the ledger
compliance page, the city's 示范村 board, plus the baselines /healthz (no DB, no auth) and the user's
notification list (a minimal logged-in page). A URL is `PATH` or `USER:PATH`; a PATH on its own is fetched
as the default user of its kind (bench_city for city/region routes and /assessments/city/, bench_t01_leader
otherwise, anonymous for /healthz).

Prints a table and writes JSON to bench/results/.
"""

import argparse
import http.client
import importlib
import json
import logging
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_city"
DEFAULT_PASSWORD = "Bench-lantern-2468"
CITY_USER = "bench_city"
TOWNSHIP_USER = "bench_t01_leader"
ANONYMOUS = "-"


def parse_args():
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", action="append", default=[], help="[USER:]PATH to benchmark (repeatable)")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent clients (threads)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of measurement per URL")
    p.add_argument("--requests", type=int, default=0, help="stop a URL after this many requests (0: by time)")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per URL")
    p.add_argument("--workers", type=int, default=2 * cores, help="gunicorn sync workers")
    p.add_argument("--password", default=DEFAULT_PASSWORD, help="password of the bench accounts")
    p.add_argument("--port", type=int, default=0, help="port for gunicorn (default: a free one)")
    p.add_argument("--no-queries", action="store_true", help="skip the in-process SQL query count")
    return p.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env():
    env = dict(os.environ)
    env.update(
        DATABASE_URL=os.environ.get("DATABASE_URL") or DEFAULT_URL,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_LOG_LEVEL="WARNING",
        QL_STATIC_ROOT=env.get("QL_STATIC_ROOT", "/tmp/ql-bench-static"),
    )
    name = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    if name in {"test", "test_test"}:
        sys.exit(f"refusing to benchmark against the test suite's database {name!r}")
    return env


# --- in-process Django: URL discovery and query counts --------------------------------------------------


def setup_django(env):
    os.environ.update(env)
    import django

    django.setup()


def split_url(spec):
    if not spec.startswith("/") and ":" in spec:
        user, path = spec.split(":", 1)
        return user, path
    path = spec
    if path.startswith("/healthz"):
        return ANONYMOUS, path
    city = any(word in path for word in ("/city", "region"))
    return (CITY_USER if city else TOWNSHIP_USER), path


def default_urls():
    """Dashboards from dashboards/urls.py, the existing heavy pages, and the two baselines."""
    from django.urls import URLPattern, URLResolver
    from django.utils import timezone

    from assessments.models import Campaign
    from villages.models import Region, Township, Village

    region = Region.objects.order_by("pk").first()
    township = Township.objects.filter(region=region).order_by("pk").first()
    if township is None:
        sys.exit("no data: run bench/citygen.py first")
    year = timezone.localdate().year
    campaign = Campaign.objects.filter(township=township, year=year, level="village", kind="annual").first()
    village = Village.objects.filter(township=township).order_by("sort_order").first()
    ids = {
        "township": township.pk,
        "region": region.pk,
        "city": region.pk,
        "village": village.pk,
        "year": year,
    }
    if campaign:
        ids["campaign"] = campaign.pk
    urls = []
    dashboards_urls = importlib.import_module("dashboards.urls")

    def fill(route):
        """The route with its converters filled in: by the converter's name (township_id, year, ...), or
        for a bare `pk` by the path segment before it (township/<int:pk>/ → the township's id)."""
        for match in re.finditer(r"(\w*)/?<(?:\w+:)?(\w+)>", route):
            segment, name = match.groups()
            key = next((k for k in ids if k in name), None)
            if key is None and name == "pk":
                key = next((k for k in ids if k in segment), None)
            if key is None:
                return None
            route = route.replace(match.group(0)[len(segment) :].lstrip("/"), str(ids[key]), 1)
        return route

    def walk(patterns, prefix):
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
                continue
            if not isinstance(p, URLPattern) or route.startswith("^") or "export" in route:
                continue  # regex routes cannot be filled; exports are files, not pages
            filled = fill(route)
            if filled is not None:
                query = "" if "<int:year>" in route else f"?{urlencode({'year': year})}"
                urls.append(f"{prefix}{filled}{query}")

    walk(dashboards_urls.urlpatterns, "/dashboard/")
    if campaign:
        urls.append(f"/assessments/{campaign.pk}/grading/")
    urls.append(f"/ledgers/compliance/?{urlencode({'township': township.pk, 'year': year})}")
    urls.append("/assessments/city/")
    urls += ["/accounts/notifications/", "/healthz"]
    return urls


def query_counts(targets):
    """Status, SQL query count, time and time spent in SQL of one (warm, unloaded) request per URL,
    through Django's test client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a failing page shows as its status
    out = {}
    for user, path in targets:
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        if user != ANONYMOUS:
            client.force_login(
                User.objects.get(username=user), backend="django.contrib.auth.backends.ModelBackend"
            )
        client.get(path)  # the first request loads templates and warms caches
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            wall = time.perf_counter() - started
        sql = sum(float(q["time"]) for q in ctx.captured_queries)
        out[user, path] = (response.status_code, len(ctx.captured_queries), wall * 1000, sql * 1000)
    return out


# --- the HTTP side --------------------------------------------------------------------------------------


class Session:
    """Cookies of one logged-in user, kept by hand (Secure cookies would not travel over http otherwise)."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def take(self, response):
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Host": f"127.0.0.1:{self.port}", "Cookie": self.header(), **(headers or {})}
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        self.take(response)
        conn.close()
        return response, data

    def login(self, username, password):
        response, data = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
        if response.status != 200 or match is None:
            sys.exit(f"login page: HTTP {response.status}, no CSRF token")
        body = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
        )
        response, data = self.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            sys.exit(f"login as {username} failed: HTTP {response.status} (wrong --password? axes lockout?)")
        return self


def wait_for(port, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited with {proc.returncode}; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{port}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer /healthz in time")


def fire(port, path, cookie, *, concurrency, seconds, max_requests):
    """C threads, each with its own keep-alive connection, until the deadline or max_requests in all."""
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    issued = [0]
    samples, errors, sizes = [], [], []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Host": f"127.0.0.1:{port}", "Accept": "text/html"}
        if cookie:
            headers["Cookie"] = cookie
        mine, bad = [], []
        while time.perf_counter() < deadline:
            if max_requests:
                with lock:
                    if issued[0] >= max_requests:
                        break
                    issued[0] += 1
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - start
                if response.status != 200:
                    bad.append(f"HTTP {response.status}")
                else:
                    mine.append(elapsed)
                    sizes.append(len(body))
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                bad.append(type(exc).__name__)
                conn.close()
        conn.close()
        with lock:
            samples.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, errors, sizes, time.perf_counter() - started


def summarise(samples, errors, sizes, wall):
    ms = sorted(s * 1000 for s in samples)
    row = {"requests": len(ms) + len(errors), "errors": len(errors), "wall_s": round(wall, 2)}
    row["throughput_rps"] = round(len(ms) / wall, 1) if wall else 0
    if ms:
        q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
        row.update(
            median_ms=round(statistics.median(ms), 1),
            p90_ms=round(q[89], 1),
            p99_ms=round(q[98], 1),
            max_ms=round(ms[-1], 1),
            mean_ms=round(statistics.fmean(ms), 1),
            bytes=round(statistics.fmean(sizes)),
        )
    if errors:
        row["error_kinds"] = sorted(set(errors))
    return row


def table(rows):
    cols = [
        ("url", "URL", "<"), ("user", "user", "<"), ("requests", "req", ">"), ("errors", "err", ">"),
        ("throughput_rps", "req/s", ">"), ("median_ms", "median", ">"), ("p90_ms", "p90", ">"),
        ("p99_ms", "p99", ">"), ("max_ms", "max", ">"), ("queries", "queries", ">"),
        ("single_ms", "1 req", ">"), ("single_sql_ms", "in SQL", ">"), ("bytes", "bytes", ">"),
    ]  # fmt: skip
    cells = [[str(r.get(k, "")) for k, _, _ in cols] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (_, h, _) in enumerate(cols)]
    line = "  ".join(f"{h:{a}{w}}" for (_, h, a), w in zip(cols, widths, strict=True))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(f"{v:{a}{w}}" for v, (_, _, a), w in zip(c, cols, widths, strict=True)))


def db_facts():
    from django.db import connection

    from assessments.models import Assessment, IndicatorScore
    from villages.models import Township, Village

    return {
        "database": connection.settings_dict["NAME"],
        "townships": Township.objects.count(),
        "villages": Village.objects.count(),
        "assessments": Assessment.objects.count(),
        "indicator_scores": IndicatorScore.objects.count(),
    }


def git_commit():
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return ""


def main():
    args = parse_args()
    env = server_env()
    setup_django(env)
    specs = args.url or default_urls()
    targets = [split_url(s) for s in specs]
    print(f"collectstatic into {env['QL_STATIC_ROOT']} ...", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    counts = {} if args.no_queries else query_counts(targets)
    for key, (status, *_) in counts.items():
        if status != 200:
            print(f"warning: {key[1]} as {key[0]} answers HTTP {status} in-process")
    if not args.url:  # discovered routes that redirect (to the current year) or need parameters (404)
        dropped = [t for t in targets if counts.get(t, (200,))[0] in (301, 302, 404)]
        for user, path in dropped:
            print(
                f"not measured: {path} (HTTP {counts[user, path][0]} as {user}; pass it with --url if wanted)"
            )
        targets = [t for t in targets if t not in dropped]
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    port = args.port or free_port()
    log_path = RESULTS / f"gunicorn-{stamp}.log"
    cmd = [
        str(Path(sys.executable).with_name("gunicorn")), "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--timeout", "120",
    ]  # fmt: skip
    print(
        f"starting gunicorn: {args.workers} sync workers on 127.0.0.1:{port} (log {log_path.name})",
        flush=True,
    )
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    rows = []
    load_at_start = os.getloadavg()
    try:
        wait_for(port, proc)
        sessions = {}
        for user, _ in targets:
            if user != ANONYMOUS and user not in sessions:
                sessions[user] = Session(port).login(user, args.password)
        for user, path in targets:
            cookie = sessions[user].header() if user in sessions else ""
            check = fire(port, path, cookie, concurrency=1, seconds=60, max_requests=1)
            if check[1]:
                print(f"skip {path} as {user}: {check[1][0]}")
                rows.append({"url": path, "user": user, "requests": 1, "errors": 1, "error_kinds": check[1]})
                continue
            load_before = round(os.getloadavg()[0], 2)
            fire(port, path, cookie, concurrency=args.concurrency, seconds=args.warmup, max_requests=0)
            print(f"measuring {path} as {user} ...", flush=True)
            samples, errors, sizes, wall = fire(
                port,
                path,
                cookie,
                concurrency=args.concurrency,
                seconds=args.duration if not args.requests else 3600,
                max_requests=args.requests,
            )
            row = {
                "url": path,
                "user": user,
                **summarise(samples, errors, sizes, wall),
                "load_1m_before": load_before,
            }
            if (user, path) in counts:
                _, row["queries"], inproc, sql = counts[user, path]
                row["single_ms"], row["single_sql_ms"] = round(inproc, 1), round(sql, 1)
            rows.append(row)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    print()
    print(
        f"gunicorn {args.workers} sync workers, {args.concurrency} concurrent clients, "
        f"{args.requests or args.duration} {'requests' if args.requests else 's'} per URL, "
        f"{os.cpu_count()} cores shared by server, PostgreSQL and client; latencies in ms"
    )
    print("queries, 1 req, in SQL: one warm request through the test client in this process, without load")
    print(
        "load average before the run (other processes on the machine): "
        + " ".join(f"{x:.2f}" for x in load_at_start)
    )
    table(rows)
    for r in rows:
        if r.get("error_kinds"):
            print(f"errors on {r['url']}: {', '.join(r['error_kinds'])}")
    result = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "settings": "config.settings.production (DJANGO_SECURE_SSL_REDIRECT=false)",
        "workers": args.workers,
        "worker_class": "sync",
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "max_requests": args.requests,
        "warmup_s": args.warmup,
        "cores": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "data": db_facts(),
        "results": rows,
    }
    out = RESULTS / f"dashboard_latency-{stamp}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
