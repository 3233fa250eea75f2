"""Deadline day: every village of a township saving its self-assessment at once, on both databases.

    .venv/bin/python bench/deadline_day.py [--villages 66] [--duration 60] [--only postgres|sqlite]

For each database it builds a fresh township of N villages (default 66, the size of a real township) in a
database of its own named bench_deadline (PostgreSQL: postgres://postgres@127.0.0.1:5432/bench_deadline,
or --pg-url; SQLite: /tmp/ql-bench-deadline/bench_deadline.sqlite3), through the services (sample
standard import, campaign creation: one assessment per village in 填报中) plus one 村两委 account per
village. Then it starts the server:

- PostgreSQL: gunicorn with config.settings.production, sync workers (2 × cores), as bench/dashboard_latency.py
  does (its harness is reused: static files, server environment, login through the real form);
- SQLite: `manage.py serve` (waitress) with the default settings, as `make run` serves the embedded default.

Every village logs in once, opens its sheet (for the CSRF token), and then saves score lines for
--duration seconds through the phone sheet's own endpoint (POST /assessments/a/<id>/self/score/<id>/ with
X-Requested-With, the line's version, a value and a note unique to each save), one request after the
other, each village on its own lines. Reported per database:

- errors: 5xx, 4xx by code (409 conflicts included), connection errors by kind;
- lost writes: lines whose stored note is not the one the client last got a success for (and not one of
  the saves that answered with an error afterwards), read from the database after the server stopped;
- saves reported as failed but kept: the stored note is that of a save that got an error answer;
- p50/p99/max of the successful saves, and beside them a reference measured in the same run under the
  same number of clients: the minimal logged-in page /accounts/notifications/ and /healthz, with ratios.

Writes bench/results/deadline_day-<time>.json. `--generate PLAN.json` is the internal step that builds the
data (run in a subprocess with the database's DATABASE_URL).
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dashboard_latency as harness  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DB_NAME = "bench_deadline"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
SQLITE_DIR = Path("/tmp/ql-bench-deadline")
PASSWORD = "Bench-deadline-1357"
REFERENCES = ("/accounts/notifications/", "/healthz")


def parse_args():
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--villages", type=int, default=66, help="villages saving at once (one client each)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of saving")
    p.add_argument("--reference-duration", type=float, default=15.0, help="seconds per reference page")
    p.add_argument("--only", choices=["postgres", "sqlite"], help="one database only")
    p.add_argument("--workers", type=int, default=2 * cores, help="gunicorn sync workers (PostgreSQL)")
    p.add_argument(
        "--pg-url", default=PG_URL, help="PostgreSQL URL of the bench database (name bench_deadline)"
    )
    p.add_argument("--generate", metavar="PLAN", help=argparse.SUPPRESS)
    return p.parse_args()


# --- data (runs in a subprocess with DATABASE_URL of the target database) ----------------------------


def generate(plan_path, villages):
    import datetime as dt

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Membership, Role, User
    from assessments.models import Assessment
    from assessments.services.campaigns import campaign_create
    from indices.services import standard_import
    from villages.models import PartyBranch, Region, Township, Village

    call_command("migrate", verbosity=0, interactive=False)
    region = Region.objects.create(name="截止日市")
    town = Township.objects.create(region=region, name="截止日镇")
    branches = [PartyBranch.objects.create(township=town, name=f"第{i + 1}党总支") for i in range(6)]
    vs = [
        Village.objects.create(township=town, branch=branches[i % 6], name=f"截止日{i + 1:02d}村")
        for i in range(villages)
    ]
    with (ROOT / "fixtures/standards/village_index_standard.sample.yaml").open("rb") as fh:
        standard = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
    today = dt.date.today()
    campaign = campaign_create(
        actor=None,
        township=town,
        year=2024,
        standard=standard,
        self_deadline=today + dt.timedelta(days=10),
        submission_deadline=today + dt.timedelta(days=15),
        city_deadline=today + dt.timedelta(days=25),
    )
    hashed, now = make_password(PASSWORD), timezone.now()
    users = User.objects.bulk_create(
        User(
            username=f"deadline_v{i + 1:02d}",
            full_name=f"截止日{i + 1:02d}村两委",
            password=hashed,
            password_changed_at=now,
        )
        for i in range(villages)
    )
    Membership.objects.bulk_create(
        Membership(user=u, role=Role.VILLAGE_COMMITTEE, village=v) for u, v in zip(users, vs, strict=True)
    )
    plan = []
    for user, village in zip(users, vs, strict=True):
        a = Assessment.objects.get(campaign=campaign, village=village)
        lines = [
            {"score": s.pk, "version": s.version, "max": str(s.indicator.max_score)}
            for s in a.scores.filter(indicator__scored_by="village_and_township").select_related("indicator")
        ]
        plan.append({"username": user.username, "assessment": a.pk, "lines": lines})
    Path(plan_path).write_text(json.dumps(plan), encoding="utf-8")


# --- preparing a database and a server ---------------------------------------------------------------


def refuse_test_name(name):
    if name != DB_NAME:
        sys.exit(f"refusing database {name!r}: this benchmark uses its own database named {DB_NAME}")


def fresh_postgres(url):
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    refuse_test_name(parts.path.lstrip("/"))
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    conn.close()


def fresh_sqlite():
    shutil.rmtree(SQLITE_DIR, ignore_errors=True)
    (SQLITE_DIR / "media").mkdir(parents=True)
    return f"sqlite:///{SQLITE_DIR / (DB_NAME + '.sqlite3')}"


def build(env, villages, stamp):
    plan_path = RESULTS / f"deadline_plan-{stamp}.json"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--generate", str(plan_path), "--villages", str(villages)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(f"  data: {villages} villages generated in {time.perf_counter() - started:.1f} s", flush=True)
    return json.loads(plan_path.read_text(encoding="utf-8"))


def start_postgres(args, stamp):
    fresh_postgres(args.pg_url)
    env = harness.server_env()
    env.update(DATABASE_URL=args.pg_url, QL_MEDIA_ROOT=str(SQLITE_DIR / "pg-media"))
    (SQLITE_DIR / "pg-media").mkdir(parents=True, exist_ok=True)
    gen_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "false"}
    plan = build(gen_env, args.villages, stamp)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = harness.free_port()
    cmd = [
        str(Path(sys.executable).with_name("gunicorn")), "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--timeout", "120",
    ]  # fmt: skip
    label = f"gunicorn ({args.workers} sync workers) + PostgreSQL"
    return plan, port, cmd, env, label


def start_sqlite(args, stamp):
    url = fresh_sqlite()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_DEBUG")
    }
    env.update(DATABASE_URL=url, QL_MEDIA_ROOT=str(SQLITE_DIR / "media"), DJANGO_LOG_LEVEL="WARNING")
    plan = build({**env, "DJANGO_DEBUG": "false"}, args.villages, stamp)
    port = harness.free_port()
    cmd = [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"]
    return plan, port, cmd, env, "waitress + SQLite (make run's embedded default)"


# --- the clients ---------------------------------------------------------------------------------------


CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Village:
    """One village's client: its session, its lines and what the server answered for each save."""

    def __init__(self, port, spec):
        self.spec = spec
        self.session = harness.Session(port).login(spec["username"], PASSWORD)
        response, body = self.session.request("GET", f"/assessments/a/{spec['assessment']}/self/")
        match = CSRF_RE.search(body)
        if response.status != 200 or match is None:
            sys.exit(f"{spec['username']}: the sheet answers HTTP {response.status} without a CSRF token")
        self.csrf = match.group(1).decode()
        self.lines = {line["score"]: dict(line, acked=None, uncertain=[]) for line in spec["lines"]}
        self.samples, self.outcomes = [], Counter()

    def save(self, line, n):
        value = line["max"] if n % 2 else "0"
        note = f"{self.spec['username']} 第{n}次保存"
        body = urlencode({"version": line["version"], "value": value, "note": note})
        path = f"/assessments/a/{self.spec['assessment']}/self/score/{line['score']}/"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Requested-With": "XMLHttpRequest",
            "Accept": "application/json",
            "X-CSRFToken": self.csrf,
        }
        started = time.perf_counter()
        try:
            response, data = self.session.request("POST", path, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            self.outcomes[type(exc).__name__] += 1
            line["uncertain"].append(note)
            return
        elapsed = time.perf_counter() - started
        status = response.status
        if status == 200:
            self.samples.append(elapsed)
            self.outcomes["200"] += 1
            line["version"] = json.loads(data)["version"]
            line["acked"], line["uncertain"] = note, []
            return
        self.outcomes[str(status)] += 1
        if status == 409:  # the line moved on (an earlier save that answered with an error was kept)
            line["version"] = json.loads(data)["current"]["version"]
        else:
            line["uncertain"].append(note)

    def run(self, deadline):
        order, n = list(self.lines.values()), 0
        while time.perf_counter() < deadline:
            n += 1
            self.save(order[n % len(order)], n)


def saving(port, plan, seconds):
    print(f"  logging in {len(plan)} villages ...", flush=True)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:  # each login runs the production password hasher
        clients = list(pool.map(lambda spec: Village(port, spec), plan))
    print(f"  {len(clients)} villages saving for {seconds:.0f} s ...", flush=True)
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return clients, time.perf_counter() - started


def stored_notes(url, score_ids):
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        marks = ",".join("?" * len(score_ids))
    else:
        import psycopg2

        parts = urlsplit(url)
        conn = psycopg2.connect(
            host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
            dbname=parts.path.lstrip("/"),
        )  # fmt: skip
        marks = ",".join(["%s"] * len(score_ids))
    try:
        cur = conn.cursor()
        cur.execute(
            f"SELECT id, self_note FROM assessments_indicatorscore WHERE id IN ({marks})", list(score_ids)
        )
        return dict(cur.fetchall())
    finally:
        conn.close()


def ms_summary(samples):
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return {}
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"p50_ms": round(statistics.median(ms), 1), "p99_ms": round(q[98], 1), "max_ms": round(ms[-1], 1)}


def measure(args, which, stamp):
    plan, port, cmd, env, label = (start_postgres if which == "postgres" else start_sqlite)(args, stamp)
    print(f"== {label} ==", flush=True)
    log_path = RESULTS / f"deadline_day-{which}-{stamp}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    load_before = os.getloadavg()
    try:
        harness.wait_for(port, proc)
        clients, wall = saving(port, plan, args.duration)
        refs = {}
        cookie = clients[0].session.header()
        for path in REFERENCES:
            print(
                f"  reference {path}: {len(clients)} clients for {args.reference_duration:.0f} s ...",
                flush=True,
            )
            samples, errors, _, ref_wall = harness.fire(
                port,
                path,
                "" if path == "/healthz" else cookie,
                concurrency=len(clients),
                seconds=args.reference_duration,
                max_requests=0,
            )
            refs[path] = {
                "requests": len(samples) + len(errors),
                "errors": dict(Counter(errors)),
                "rps": round(len(samples) / ref_wall, 1),
                **ms_summary(samples),
            }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    lines = [line for c in clients for line in c.lines.values()]
    stored = stored_notes(env["DATABASE_URL"], [line["score"] for line in lines])
    lost = kept_but_failed = 0
    for line in lines:
        note = stored.get(line["score"])
        if note in line["uncertain"]:
            kept_but_failed += 1
        elif line["acked"] is not None and note != line["acked"]:
            lost += 1
    outcomes = sum((c.outcomes for c in clients), Counter())
    samples = [s for c in clients for s in c.samples]
    saves = ms_summary(samples)
    row = {
        "server": label,
        "villages": len(clients),
        "duration_s": round(wall, 1),
        "requests": sum(outcomes.values()),
        "saved": outcomes["200"],
        "saves_per_s": round(outcomes["200"] / wall, 1),
        "errors": {k: v for k, v in sorted(outcomes.items()) if k != "200"},
        "lost_writes": lost,
        "reported_failed_but_kept": kept_but_failed,
        **saves,
        "references": refs,
        "load_average_before": load_before,
    }
    for ref in refs.values():
        if ref.get("p50_ms") and saves:
            ref["save_p50_ratio"] = round(saves["p50_ms"] / ref["p50_ms"], 1)
            ref["save_p99_ratio"] = round(saves["p99_ms"] / ref["p99_ms"], 1)
    return row


def report(rows):
    print()
    for r in rows:
        errors = ", ".join(f"{k}×{v}" for k, v in r["errors"].items()) or "none"
        print(f"{r['server']}: {r['villages']} villages for {r['duration_s']} s")
        print(
            f"  saves ok {r['saved']} of {r['requests']} ({r['saves_per_s']}/s); errors: {errors}; "
            f"lost writes {r['lost_writes']}; reported failed but kept {r['reported_failed_but_kept']}"
        )
        print(f"  save latency ms: p50 {r.get('p50_ms')}  p99 {r.get('p99_ms')}  max {r.get('max_ms')}")
        for path, ref in r["references"].items():
            errs = ", ".join(f"{k}×{v}" for k, v in ref["errors"].items()) or "none"
            print(
                f"  reference {path}: p50 {ref.get('p50_ms')}  p99 {ref.get('p99_ms')}  ({ref['rps']}/s, errors {errs})"
                f"  → save/ref p50 ×{ref.get('save_p50_ratio')}, p99 ×{ref.get('save_p99_ratio')}"
            )


def main():
    args = parse_args()
    if args.generate:
        generate(args.generate, args.villages)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    os.environ["QL_STATIC_ROOT"] = os.environ.get("QL_STATIC_ROOT", "/tmp/ql-bench-static")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(64))
    targets = [args.only] if args.only else ["postgres", "sqlite"]
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rows = [measure(args, which, stamp) for which in targets]
    report(rows)
    out = RESULTS / f"deadline_day-{stamp}.json"
    result = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": harness.git_commit(),
        "cores": os.cpu_count(),
        "args": {k: v for k, v in vars(args).items() if k != "generate"},
        "results": rows,
    }
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
