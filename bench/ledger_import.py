"""Benchmark: validate, then validate + import, a 10,000-row 日常监管台账 workbook.

Run: .venv/bin/python bench/ledger_import.py [rows]
Uses config.settings.local on a throw-away SQLite file (QL_VAR_DIR / DATABASE_URL point at a temp dir),
creates one township with a unit supervising 66 villages, and prints time and peak memory
(tracemalloc peak of Python allocations, and the process's ru_maxrss).
"""

import datetime as dt
import io
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="ql-bench-")
os.environ["QL_VAR_DIR"] = TMP
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from ledgers.excel import HEADER_ROW, SHEET, parse_ledger, template_bytes  # noqa: E402
from ledgers.models import LedgerEntry  # noqa: E402
from ledgers.services.ledger import ledger_import_excel  # noqa: E402
from villages.models import Region, ResponsibleUnit, Township, Village  # noqa: E402

YEAR, MONTH = 2024, 5
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000


def setup_org():
    call_command("migrate", verbosity=0)
    town = Township.objects.create(region=Region.objects.create(name="基准市"), name="基准镇")
    villages = [Village.objects.create(township=town, name=f"第{i:02d}村") for i in range(1, 67)]
    unit = ResponsibleUnit.objects.create(township=town, name="经管站")
    unit.villages.set(villages)
    return unit, villages


def workbook(unit, villages):
    data = template_bytes(unit=unit, year=YEAR, month=MONTH, villages=villages, indicator_codes=None)
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    ws["F4"] = "是"
    for n in range(1, ROWS + 1):
        problem = n % 5 == 0
        ws.append([
            n, villages[n % 66].name, "三资管理", "", "日常检查", dt.date(YEAR, MONTH, 1 + n % 28), "张三",
            "账目公开不及时" if problem else "", "一般" if problem else "", 1 if problem else 0,
            "限期公开" if problem else "", "李四", dt.date(YEAR, 6, 30) if problem else None,
            "", "", None, "否", "",
        ])  # fmt: skip
    assert ws.max_row == HEADER_ROW + ROWS
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def measure(label, fn, reset=None):
    """Time an untraced run (tracemalloc slows Python several-fold), then a traced run for the peak."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    if reset:
        reset()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(f"{label:<28} {seconds:7.2f} s   tracemalloc peak {peak / 2**20:7.1f} MB   ru_maxrss {rss:7.1f} MB")
    return result


def main():
    unit, villages = setup_org()
    names = {v.name: v.pk for v in villages}
    print(f"{'after setup':<28} ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")
    start = time.perf_counter()
    data = workbook(unit, villages)
    print(f"{'generate workbook':<28} {time.perf_counter() - start:7.2f} s")
    print(
        f"workbook: {ROWS} rows, {len(data) / 2**20:.2f} MB, max upload {settings.QL_IMPORT_MAX_BYTES / 2**20:g} MB"
    )
    parsed = measure(
        "validate only",
        lambda: parse_ledger(data, unit=unit, year=YEAR, month=MONTH, villages=names, indicator_codes=None),
    )
    print(f"  rows parsed {len(parsed.rows)}, problems {len(parsed.problems)}")

    def run_import():
        return ledger_import_excel(
            unit=unit, year=YEAR, month=MONTH, file=SimpleUploadedFile("bench.xlsx", data), villages=names,
            indicator_codes=None, max_bytes=settings.QL_IMPORT_MAX_BYTES, actor=None,
        )  # fmt: skip

    first = measure("validate + import (new)", run_import, reset=lambda: LedgerEntry.objects.all().delete())
    print(f"  ok={first.ok} {first.summary()}; rows in DB {LedgerEntry.objects.count()}")
    again = measure("validate + import (same)", run_import)
    print(f"  ok={again.ok} {again.summary()}; rows in DB {LedgerEntry.objects.count()}")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
