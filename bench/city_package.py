"""Benchmark: build the city package (示范村报市材料包) for N candidate villages with evidence, on real
Celery workers sharing the village tasks.

Run: .venv/bin/python bench/city_package.py [villages ...]     (default: 66 1000)
     QL_BENCH_WORKERS=2 (workers, each `--pool=prefork --concurrency 1`), QL_BENCH_PG=postgres://… (the
     server, default postgres://postgres@127.0.0.1:5432), REDIS_URL (default redis://127.0.0.1:6379/0).
Each size gets a fresh PostgreSQL database (ql_bench_pkg) and media folder under config.settings.local.
Every village is a confirmed 示范村 candidate with the 申请表 fields, review scores, a stamped application
form scan and two bonus claims with evidence files, so the package holds 3 PDFs + 1 workbook + 3 evidence
files per village. The workers listen on a queue of their own (the machine's Redis may be shared).
Prints the build time (request to finished zip), the time per village, the zip size, each worker's
peak RSS (VmHWM of the worker and its pool children, sampled every 0.5 s), the workers' CPU seconds
(user + system, children included: the cost per village whatever else loads the machine) and the load
average; the
first size is the reference of the others (ratios of time per village and of peak RSS).
"""

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(a) for a in sys.argv[1:]] or [66, 1000]
STAMPED_KB, BONUS_KB = 800, 250  # a scanned A4 page, a photo of a certificate
WORKERS = int(os.environ.get("QL_BENCH_WORKERS", "2"))
PG = os.environ.get("QL_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "ql_bench_pkg"


def make_city(n):
    """A township of n confirmed 示范村 candidates with forms, scores and evidence; returns the campaign."""
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.utils import timezone

    from assessments.models import (
        Assessment,
        BonusClaim,
        DemonstrationApplication,
        Evidence,
        IndicatorScore,
        VetoCheck,
    )
    from assessments.services.campaigns import campaign_create
    from indices.services import standard_import
    from villages.models import PartyBranch, Region, Township, Village

    rnd = random.Random(n)
    with open(ROOT / "fixtures" / "standards" / "village_index_standard.sample.yaml", "rb") as fh:
        standard = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
    town = Township.objects.create(region=Region.objects.create(name="基准市"), name="基准镇")
    branches = [
        PartyBranch.objects.create(township=town, name=f"第{b + 1}党总支") for b in range(max(1, n // 8))
    ]
    Village.objects.bulk_create(
        Village(township=town, branch=branches[i % len(branches)], name=f"基准{i + 1:04d}村", sort_order=i)
        for i in range(n)
    )
    campaign = campaign_create(actor=None, township=town, year=2024, standard=standard)
    scores = list(IndicatorScore.objects.filter(assessment__campaign=campaign).select_related("indicator"))
    for s in scores:
        top = s.indicator.max_score
        s.self_score = top
        s.review_score = top - (Decimal("0.5") if rnd.random() < 0.3 else 0)
        s.self_note = "已按要求落实，佐证材料见附件。"
        s.review_note = "抽查台账发现记录不全，按标准扣分。" if s.review_score != top else ""
    IndicatorScore.objects.bulk_update(
        scores, ["self_score", "review_score", "self_note", "review_note"], batch_size=2000
    )
    VetoCheck.objects.filter(assessment__campaign=campaign).update(self_answer=False, review="cleared")
    stamped = b"%PDF-1.4\n" + os.urandom(STAMPED_KB * 1024)
    bonus = b"%PDF-1.4\n" + os.urandom(BONUS_KB * 1024)
    items = list(standard.bonus_items.order_by("sort_order")[:2])
    assessments = list(campaign.assessments.select_related("village"))
    for rank, a in enumerate(assessments, start=1):
        with transaction.atomic():
            Evidence.objects.create(
                assessment=a,
                kind="application_form",
                file=ContentFile(stamped, name="form.pdf"),
                original_name=f"{a.village.name}申请表（盖章）.pdf",
                content_type="application/pdf",
                size=len(stamped),
                sha256=hashlib.sha256(stamped).hexdigest(),
            )
            for item in items:
                claim = BonusClaim.objects.create(
                    assessment=a,
                    bonus_item=item,
                    claimed_points=1,
                    status="accepted",
                    accepted_points=1,
                    review_reason="材料齐全，予以认定。",
                )
                Evidence.objects.create(
                    assessment=a,
                    kind="bonus",
                    bonus_claim=claim,
                    file=ContentFile(bonus, name="bonus.pdf"),
                    original_name=f"{item.code}证明材料.pdf",
                    content_type="application/pdf",
                    size=len(bonus),
                    sha256=hashlib.sha256(bonus).hexdigest(),
                )
            DemonstrationApplication.objects.create(
                assessment=a,
                brand_name=f"清廉品牌{rank}",
                recommendation_rank=rank,
                experience="以村级小微权力清单为抓手，建立“一月一公开、一季一评议”机制。" * 20,
                township_opinion="同意推荐。",
            )
    from assessments.services.totals import assessment_recompute

    for a in assessments:
        assessment_recompute(a)
    Assessment.objects.filter(campaign=campaign).update(
        status="confirmed",
        city_candidate=True,
        secretary_name="王某明",
        director_name="李某华",
        households=650,
        population=2100,
        party_members=48,
        committee_members=7,
        achievements="坚持“四议两公开”，三资管理全部进入平台。" * 10,
    )
    type(campaign).objects.filter(pk=campaign.pk).update(grades_confirmed_at=timezone.now())
    campaign.refresh_from_db()
    return campaign


def hwm_kb(pid):
    """Peak resident size (VmHWM, KB) of a process and its children, as far as they are alive now."""
    total = {}
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total[p] = int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid):
    """CPU time (user + system) of a worker: its own, its reaped children's and its live children's."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(p):
        raw = Path(f"/proc/{p}/stat").read_text()
        return raw[raw.rindex(")") + 2 :].split()

    try:
        f = fields(pid)
        total = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += sum(int(x) for x in fields(child)[11:13])
    except (OSError, ValueError):
        return None
    return total / tick


def run_one(n, tmp):
    """Runs in a child process so each size has its own database, settings and workers."""
    import django

    django.setup()
    from django.core.management import call_command

    from reports.models import ExportJob, PackagePart
    from reports.services.fingerprint import export_fingerprint

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    campaign = make_city(n)
    town = campaign.township
    setup = time.perf_counter() - t0
    queue = f"ql-bench-{uuid.uuid4().hex[:8]}"
    celery = str(Path(sys.executable).parent / "celery")
    workers = []
    for w in range(WORKERS):
        command = [celery, "-A", "config", "worker", "--pool=prefork", "--concurrency=1", "-Q", queue]
        command += ["-l", "warning", "-n", f"{queue}-{w}@%h"]
        log = open(f"{tmp}/worker-{w}.log", "w")
        workers.append(
            subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
        )
    from celery import Celery

    broker = Celery(broker=os.environ["REDIS_URL"])
    # the workers are up when they answer a ping
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(broker.control.ping(timeout=1.0) or []) < WORKERS:
        pass
    peaks = [{} for _ in workers]
    cpu_before = [cpu_seconds(w.pid) or 0.0 for w in workers]
    cpu = list(cpu_before)
    try:
        kind = ExportJob.Kind.CITY_PACKAGE
        job = ExportJob.objects.create(
            kind=kind,
            township=town,
            year=2024,
            campaign=campaign,
            fingerprint=export_fingerprint(kind=kind, township=town, year=2024, campaign=campaign),
        )
        t1 = time.perf_counter()
        broker.send_task("reports.export_build", args=[job.pk], queue=queue)
        while True:
            for w, worker in enumerate(workers):
                for pid, kb in hwm_kb(worker.pid).items():
                    peaks[w][pid] = max(peaks[w].get(pid, 0), kb)
                cpu[w] = max(cpu[w], cpu_seconds(worker.pid) or 0.0)
            job.refresh_from_db()
            if job.status in ("done", "failed"):
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - t1
        assert job.status == "done", job.error
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    by_node = {}
    for runner in PackagePart.objects.filter(job=job).values_list("runner", flat=True):
        node = runner.split(":")[1].split("@")[0].rsplit("-", 1)[-1]
        by_node[node] = by_node.get(node, 0) + 1
    load = os.getloadavg()
    rss = [max(p.values(), default=0) / 1024 for p in peaks]
    used = sum(c - b for c, b in zip(cpu, cpu_before, strict=True))
    print(
        f"{n:>5} 村 | 文件 {job.summary['files']:>5} 个 | 包 {job.size / 1048576:7.1f} MB | 生成 {elapsed:7.1f} s "
        f"| 每村 {elapsed / n:5.2f} s | 各worker RSS峰值 {' / '.join(f'{r:.0f}' for r in rss)} MB "
        f"| 各worker村数 {' / '.join(str(by_node[k]) for k in sorted(by_node))} "
        f"| worker CPU {used:6.1f} s（每村 {used / n:4.2f} s）"
        f"| 负载 {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} | 准备数据 {setup:5.1f} s",
        flush=True,
    )
    print(f"RESULT {n} {elapsed:.3f} {max(rss):.1f} {used:.2f}", flush=True)


def main():
    import shutil
    import tempfile

    print(
        f"城市材料包基准（{WORKERS} 个 worker，各 --concurrency 1；每村：3 个 PDF、1 个 Excel、"
        f"盖章申请表 {STAMPED_KB} KB、加分佐证 2×{BONUS_KB} KB）"
    )
    results = []
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "prepare_fonts"], check=True, cwd=ROOT)
    for size in SIZES:
        tmp = tempfile.mkdtemp(prefix="ql-bench-pkg-")
        subprocess.run(["psql", PG + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=True)
        subprocess.run(["psql", PG + "/postgres", "-qc", f"CREATE DATABASE {DB}"], check=True)
        env = {
            **os.environ,
            "QL_BENCH_CHILD": str(size),
            "QL_BENCH_TMP": tmp,
            "QL_VAR_DIR": tmp,
            "QL_MEDIA_ROOT": f"{tmp}/media",
            # the subset font as an installed machine has it (make run/test, the image: prepare_fonts);
            # a fresh cache here would make the first worker build it inside the measured time
            "QL_FONT_CACHE_DIR": os.environ.get("QL_FONT_CACHE_DIR", str(ROOT / "var" / "fonts")),
            "DATABASE_URL": f"{PG}/{DB}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "false",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        out = subprocess.run(
            [sys.executable, __file__], env=env, check=True, capture_output=True, text=True
        ).stdout
        for line in out.splitlines():
            if line.startswith("RESULT "):
                _, n, elapsed, rss, used = line.split()
                results.append((int(n), float(elapsed), float(rss), float(used)))
            else:
                print(line, flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["psql", PG + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=False)
    if len(results) > 1:
        n0, t0, r0, c0 = results[0]
        for n, t, r, c in results[1:]:
            print(
                f"{n} 村相对 {n0} 村：每村时间 {t / n:.2f} s / {t0 / n0:.2f} s = {(t / n) / (t0 / n0):.2f}×，"
                f"每村 CPU {c / n:.2f} s / {c0 / n0:.2f} s = {(c / n) / (c0 / n0):.2f}×，"
                f"worker RSS 峰值 {r:.0f} MB / {r0:.0f} MB = {r / r0:.2f}×"
            )


if __name__ == "__main__":
    if os.environ.get("QL_BENCH_CHILD"):
        sys.path.insert(0, str(ROOT))
        run_one(int(os.environ["QL_BENCH_CHILD"]), os.environ["QL_BENCH_TMP"])
    else:
        main()
