"""Benchmark: build the city package (示范村报市材料包) for N candidate villages with evidence.

Run: .venv/bin/python bench/city_package.py [villages ...]     (default: 66 1000)
Each size runs on a throw-away SQLite file under config.settings.local (QL_VAR_DIR and DATABASE_URL
point at a temp dir). Every village is a confirmed 示范村 candidate with the 申请表 fields, review
scores, a stamped application form scan and two bonus claims with evidence files, so the package holds
3 PDFs + 1 workbook + 3 evidence files per village. Reports the build time (the job as the worker runs
it, in-process), the time per village, the zip size and the process's peak RSS (before and after the build).
"""

import hashlib
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(a) for a in sys.argv[1:]] or [66, 1000]
STAMPED_KB, BONUS_KB = 800, 250  # a scanned A4 page, a photo of a certificate


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


def run_one(n):
    """Runs in a child process so each size has its own database, settings and peak memory."""
    tmp = tempfile.mkdtemp(prefix="ql-bench-pkg-")
    os.environ.update(
        QL_VAR_DIR=tmp,
        QL_MEDIA_ROOT=f"{tmp}/media",
        DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="false",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from reports.models import ExportJob
    from reports.services.fingerprint import export_fingerprint
    from reports.services.jobs import export_run

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    campaign = make_city(n)
    town = campaign.township
    setup = time.perf_counter() - t0

    kind = ExportJob.Kind.CITY_PACKAGE
    job = ExportJob.objects.create(
        kind=kind,
        township=town,
        year=2024,
        campaign=campaign,
        fingerprint=export_fingerprint(kind=kind, township=town, year=2024, campaign=campaign),
    )
    # No tracemalloc here: tracing every allocation made WeasyPrint 2-3x slower and the timing meaningless.
    # Memory is the process's peak RSS, next to its RSS before the build.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t1 = time.perf_counter()
    job = export_run(job_id=job.pk)
    elapsed = time.perf_counter() - t1
    assert job.status == "done", job.error
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{n:>5} 村 | 文件 {job.summary['files']:>5} 个 | 包 {job.size / 1048576:7.1f} MB | 生成 {elapsed:7.1f} s "
        f"| 每村 {elapsed / n:5.2f} s | 进程 RSS 峰值 {rss:6.0f} MB（生成前 {before:.0f} MB）"
        f"| 准备数据 {setup:5.1f} s",
        flush=True,
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if os.environ.get("QL_BENCH_CHILD"):
        run_one(int(os.environ["QL_BENCH_CHILD"]))
    else:
        print(
            f"城市材料包基准（每村：3 个 PDF、1 个 Excel、盖章申请表 {STAMPED_KB} KB、加分佐证 2×{BONUS_KB} KB）"
        )
        for size in SIZES:
            subprocess.run(
                [sys.executable, __file__], env={**os.environ, "QL_BENCH_CHILD": str(size)}, check=True
            )
