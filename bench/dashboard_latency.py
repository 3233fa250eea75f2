"""Latency of the dashboards (and every other heavy page) under concurrent requests, next to reference pages
measured in the same run and the same gunicorn.

Run after bench/citygen.py:
    .venv/bin/python bench/dashboard_latency.py [--database bench_city] [--concurrency 8] [--duration 20]
                                                [--url [USER:]PATH ...]
    .venv/bin/python bench/dashboard_latency.py --compare RESULT_1500.json RESULT_50000.json

Starts gunicorn the way the Dockerfile does (sync workers, default 2 × cores) with config.settings.bench —
production as it is plus the bare reference page /bench/bare/ — against --database (a name on
DATABASE_URL's server; default the bench_city database), with DEBUG off, a random DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost and DJANGO_SECURE_SSL_REDIRECT=false (the benchmark speaks plain
HTTP on the loopback; everything else, HSTS and secure cookies included, stays as in production; the client
keeps cookies itself, so Secure cookies still travel). Static files are collected into a cache directory
first because production uses the whitenoise manifest storage. Clients send `Accept-Encoding: gzip` as
browsers do (`--no-gzip` to turn it off); the bytes column is what travelled.

Each user logs in once through the real login form (CSRF token, django-axes); all client threads of a URL
share that session. Per URL: a warm-up, then C threads with keep-alive http.client connections fire
requests for T seconds (or until R requests). Sync gunicorn workers close the connection after every
response, so each request also pays a loopback TCP connect, as it would behind a non-keep-alive proxy.
The SQL query count of one request is measured in-process with Django's test client on the same database.

Without --url: the two references first — /bench/bare/ (a plain template with a 66-row table: no database,
no login) and /accounts/notifications/ (the minimal logged-in page: session, user, menu) — and /healthz,
then the dashboards found in dashboards/urls.py (routes filled in with the first township, the region and
the current year), the grading board of the first township's current campaign, the ledger compliance page,
the city's 示范村 board, the campaign list (township and city), the rectification and task lists, the
ledger list and the first township's public page (its latest confirmed year is published first when
nothing is). Every row gets its throughput as a ratio of the bare page's and of the minimal logged-in
page's, and the 1-minute load average before and after it. A URL is `PATH` or `USER:PATH` (`-:PATH` for
anonymous); a PATH on its own is fetched as the default user of its kind (bench_city for city/region routes
and /assessments/city/, bench_t01_leader otherwise, anonymous for /healthz and /bench/bare/).

Prints a table and writes JSON to bench/results/. --compare prints, per page (matched by its label, as ids
differ between databases), the time per request of the second file over the first — median under load
and the single in-process request — against the issue's target of at most 1.5×.
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
BARE = "/bench/bare/"
MINIMAL = "/accounts/notifications/"
ANONYMOUS_PREFIXES = ("/healthz", BARE, "/public/")
TARGET_GROWTH = 1.5  # issue 16: each page's time per request at 50,000 villages ≤ 1.5× its time at 1,500


def parse_args(argv=None):
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
    p.add_argument(
        "--database", default=None, help="database name on DATABASE_URL's server (default bench_city)"
    )
    p.add_argument("--no-gzip", action="store_true", help="do not send Accept-Encoding: gzip")
    p.add_argument("--tag", default="", help="a word added to the result file's name (e.g. city, province)")
    p.add_argument(
        "--compare", nargs=2, metavar=("FIRST.json", "SECOND.json"), help="compare two result files and exit"
    )
    return p.parse_args(argv)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database=None):
    env = dict(os.environ)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if database:
        url = urlsplit(url)._replace(path=f"/{database}").geturl()
    # All bench clients come from one address: the per-client limit of public pages stays on (its cost is
    # in the figures) but high enough not to refuse them.
    env.setdefault("QL_PUBLIC_REQUESTS_PER_MINUTE", "100000000")
    # As production runs: the cache (sessions, scopes, data versions, cached figures) in the shared Redis,
    # one database of its own (BENCH_REDIS_URL to change it). Without it every gunicorn worker would
    # keep its own memory cache and sessions and scopes would be read from the database.
    env["REDIS_URL"] = env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.bench",
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
    if path.startswith(ANONYMOUS_PREFIXES):
        return ANONYMOUS, path
    city = any(word in path for word in ("/city", "region"))
    return (CITY_USER if city else TOWNSHIP_USER), path


def publish_first_township():
    """The first township's latest confirmed year, published through the service (as its 镇纪委 account)
    when nothing of it is published yet; returns (township, year, first village) or None."""
    from django.db import transaction

    from accounts.models import User
    from assessments.models import Campaign
    from publication.models import Publication
    from publication.selectors import publication_blockers
    from publication.services import publication_publish
    from villages.models import Township

    township = Township.objects.order_by("pk").first()
    if township is None:
        sys.exit("no data: run bench/citygen.py first")
    campaigns = Campaign.objects.filter(
        township=township, level="village", kind="annual", grades_confirmed_at__isnull=False
    ).order_by("-year")
    for campaign in campaigns:
        if Publication.objects.filter(campaign=campaign, status=Publication.Status.PUBLISHED).exists():
            break
        if not publication_blockers(campaign):
            with transaction.atomic():
                publication_publish(campaign=campaign, actor=User.objects.get(username="bench_t01_jiwei"))
            break
    else:
        return None
    village = campaign.assessments.select_related("village").order_by("village__sort_order").first().village
    return township, campaign.year, village


def default_urls():
    """(label, [USER:]PATH) of the references, the dashboards from dashboards/urls.py and the other heavy
    pages. Labels name the page independently of the database's ids, for --compare."""
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
    urls = [("bare 66-row page", BARE), ("minimal logged-in page", MINIMAL), ("healthz", "/healthz")]
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
                if route.endswith("/list/"):
                    query = "?figure=ranking"  # a figure's village list needs the figure it lists
                urls.append((f"dashboards:{p.name}", f"{prefix}{filled}{query}"))

    walk(dashboards_urls.urlpatterns, "/dashboard/")
    if campaign:
        urls.append(("grading board (one township)", f"/assessments/{campaign.pk}/grading/"))
    urls += [
        ("ledger compliance", f"/ledgers/compliance/?{urlencode({'township': township.pk, 'year': year})}"),
        ("city 示范村 board", "/assessments/city/"),
        ("campaign list (township)", f"{TOWNSHIP_USER}:/assessments/"),
        ("campaign list (city)", f"{CITY_USER}:/assessments/"),
        ("rectification list (township)", f"{TOWNSHIP_USER}:/ledgers/rectifications/"),
        ("rectification list (city)", f"{CITY_USER}:/ledgers/rectifications/"),
        ("task list (township)", f"{TOWNSHIP_USER}:/ledgers/tasks/"),
        ("ledger list (township)", f"{TOWNSHIP_USER}:/ledgers/"),
        ("ledger list (city)", f"{CITY_USER}:/ledgers/"),
        ("task list (city)", f"{CITY_USER}:/ledgers/tasks/"),
    ]
    published = publish_first_township()
    if published:
        town, pub_year, first_village = published
        urls += [
            ("public township page", f"{ANONYMOUS}:/public/t/{town.public_key}/{pub_year}/"),
            ("public village card", f"{ANONYMOUS}:/public/v/{first_village.public_key}/"),
        ]
    return urls


SINGLE_REPEATS = 9


def query_counts(targets):
    """Status, SQL query count and time spent in SQL of one (warm, unloaded) request per URL, and the
    median time of SINGLE_REPEATS such requests, through Django's test client in this process."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a failing page shows as its status
    out = {}
    for user, path in targets:
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
        if user != ANONYMOUS:
            # the project's own backend (the last one; axes' is first and authenticates nobody)
            client.force_login(User.objects.get(username=user), backend=settings.AUTHENTICATION_BACKENDS[-1])
        client.get(path)  # the first request loads templates and warms caches
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            wall = time.perf_counter() - started
        sql = sum(float(q["time"]) for q in ctx.captured_queries)
        queries = len(ctx.captured_queries)  # now: each request empties the connection's query log
        # the time: the median of SINGLE_REPEATS requests, one sample being at the mercy of the machine
        walls = [wall]
        for _ in range(SINGLE_REPEATS - 1):
            started = time.perf_counter()
            client.get(path)
            walls.append(time.perf_counter() - started)
        wall = statistics.median(walls)
        out[user, path] = (response.status_code, queries, wall * 1000, sql * 1000)
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


def fire(port, path, cookie, *, concurrency, seconds, max_requests, gzip=True):
    """C threads, each with its own keep-alive connection, until the deadline or max_requests in all."""
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    issued = [0]
    samples, errors, sizes = [], [], []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Host": f"127.0.0.1:{port}", "Accept": "text/html"}
        if gzip:
            headers["Accept-Encoding"] = "gzip"
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
        ("page", "page", "<"), ("url", "URL", "<"), ("requests", "req", ">"), ("errors", "err", ">"),
        ("throughput_rps", "req/s", ">"), ("vs_bare", "×bare", ">"), ("vs_minimal", "×login", ">"),
        ("median_ms", "median", ">"), ("p99_ms", "p99", ">"), ("queries", "queries", ">"),
        ("single_ms", "1 req", ">"), ("single_sql_ms", "in SQL", ">"), ("bytes", "bytes", ">"),
        ("load_1m_before", "load<", ">"), ("load_1m_after", "load>", ">"),
    ]  # fmt: skip
    cells = [[str(r.get(k, "")) for k, _, _ in cols] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (_, h, _) in enumerate(cols)]
    line = "  ".join(f"{h:{a}{w}}" for (_, h, a), w in zip(cols, widths, strict=True))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(f"{v:{a}{w}}" for v, (_, _, a), w in zip(c, cols, widths, strict=True)))


def add_ratios(rows):
    """Each row's throughput over the bare page's and the minimal logged-in page's, from the same run."""
    by_url = {r["url"]: r for r in rows}
    bare = by_url.get(BARE, {}).get("throughput_rps")
    minimal = by_url.get(MINIMAL, {}).get("throughput_rps")
    for r in rows:
        rps = r.get("throughput_rps")
        if rps and bare:
            r["vs_bare"] = round(rps / bare, 3)
        if rps and minimal:
            r["vs_minimal"] = round(rps / minimal, 3)
    return rows


def compare(first_path, second_path):
    """Per page label: time per request in the second result over the first (median under load and one
    in-process request), against TARGET_GROWTH. Returns the comparison rows."""
    first, second = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (first_path, second_path))
    a_rows = {r.get("page", r["url"]): r for r in first["results"]}
    out = []
    for r in second["results"]:
        label = r.get("page", r["url"])
        a = a_rows.get(label)
        if a is None or not a.get("median_ms") or not r.get("median_ms"):
            continue
        row = {"page": label, "first_median": a["median_ms"], "second_median": r["median_ms"]}
        row["median_ratio"] = round(r["median_ms"] / a["median_ms"], 2)
        if a.get("single_ms") and r.get("single_ms"):
            row["first_single"], row["second_single"] = a["single_ms"], r["single_ms"]
            row["single_ratio"] = round(r["single_ms"] / a["single_ms"], 2)
        worst = max(row["median_ratio"], row.get("single_ratio", 0))
        row["within_target"] = worst <= TARGET_GROWTH
        out.append(row)
    for name, result in (("first", first), ("second", second)):
        data = result.get("data", {})
        print(
            f"{name}: {Path(first_path if name == 'first' else second_path).name} — {data.get('database')}, "
            f"{data.get('villages', 0):,} villages, {data.get('indicator_scores', 0):,} score rows, "
            f"load average at start {' '.join(f'{x:.2f}' for x in result.get('load_average_at_start', []))}"
        )
    print(f"time per request, second ÷ first (target ≤ {TARGET_GROWTH}×); ms")
    head = f"{'page':<34} {'median 1st':>10} {'2nd':>8} {'ratio':>6}   {'1 req 1st':>9} {'2nd':>8} {'ratio':>6}  ok"
    print(head)
    print("-" * len(head))
    for row in out:
        print(
            f"{row['page']:<34} {row['first_median']:>10} {row['second_median']:>8} {row['median_ratio']:>5}×   "
            f"{row.get('first_single', ''):>9} {row.get('second_single', ''):>8} "
            f"{str(row.get('single_ratio', '')) + '×':>6}  {'yes' if row['within_target'] else 'NO'}"
        )
    return out


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
    if args.compare:
        compare(*args.compare)
        return
    env = server_env(args.database)
    setup_django(env)
    labelled = [(spec, spec) for spec in args.url] if args.url else default_urls()
    targets = [split_url(spec) for _, spec in labelled]
    labels = {target: label for (label, _), target in zip(labelled, targets, strict=True)}
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
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S") + (f"-{args.tag}" if args.tag else "")
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
    gzip = not args.no_gzip
    try:
        wait_for(port, proc)
        sessions = {}
        for user, _ in targets:
            if user != ANONYMOUS and user not in sessions:
                sessions[user] = Session(port).login(user, args.password)
        for user, path in targets:
            cookie = sessions[user].header() if user in sessions else ""
            check = fire(port, path, cookie, concurrency=1, seconds=60, max_requests=1, gzip=gzip)
            if check[1]:
                print(f"skip {path} as {user}: {check[1][0]}")
                rows.append(
                    {
                        "page": labels[user, path],
                        "url": path,
                        "user": user,
                        "requests": 1,
                        "errors": 1,
                        "error_kinds": check[1],
                    }
                )
                continue
            load_before = round(os.getloadavg()[0], 2)
            fire(
                port,
                path,
                cookie,
                concurrency=args.concurrency,
                seconds=args.warmup,
                max_requests=0,
                gzip=gzip,
            )
            print(f"measuring {labels[user, path]}: {path} as {user} ...", flush=True)
            samples, errors, sizes, wall = fire(
                port,
                path,
                cookie,
                concurrency=args.concurrency,
                seconds=args.duration if not args.requests else 3600,
                max_requests=args.requests,
                gzip=gzip,
            )
            row = {
                "page": labels[user, path],
                "url": path,
                "user": user,
                **summarise(samples, errors, sizes, wall),
                "load_1m_before": load_before,
                "load_1m_after": round(os.getloadavg()[0], 2),
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
    add_ratios(rows)
    load_at_end = os.getloadavg()
    facts = db_facts()
    print()
    print(
        f"{facts['database']}: {facts['townships']:,} townships, {facts['villages']:,} villages, "
        f"{facts['indicator_scores']:,} score rows"
    )
    print(
        f"gunicorn {args.workers} sync workers, {args.concurrency} concurrent clients, "
        f"{args.requests or args.duration} {'requests' if args.requests else 's'} per URL, "
        f"{os.cpu_count()} cores shared by server, PostgreSQL and client; latencies in ms; "
        f"{'gzip' if gzip else 'no gzip'}"
    )
    print("queries, 1 req, in SQL: one warm request through the test client in this process, without load")
    print("×bare, ×login: req/s over the bare 66-row page's and the minimal logged-in page's, same run")
    print(
        "load average at the start: "
        + " ".join(f"{x:.2f}" for x in load_at_start)
        + "; at the end: "
        + " ".join(f"{x:.2f}" for x in load_at_end)
    )
    table(rows)
    for r in rows:
        if r.get("error_kinds"):
            print(f"errors on {r['url']}: {', '.join(r['error_kinds'])}")
    result = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "settings": "config.settings.bench (production + /bench/bare/; DJANGO_SECURE_SSL_REDIRECT=false)",
        "workers": args.workers,
        "worker_class": "sync",
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "max_requests": args.requests,
        "warmup_s": args.warmup,
        "gzip": gzip,
        "cores": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_at_end,
        "data": facts,
        "results": rows,
    }
    out = RESULTS / f"dashboard_latency-{stamp}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
