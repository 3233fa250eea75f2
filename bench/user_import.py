"""Benchmark: import a 2,000-row user sheet into one township, next to references measured in the same run.

Run: .venv/bin/python bench/user_import.py [rows]
Uses config.settings.local (production password hasher) on a throw-away SQLite file under a temporary
QL_VAR_DIR, builds one township with 66 villages, 6 党总支 and 12 责任单位, generates the sheet and prints:
  * parse only: reading and checking the workbook's rows (no database), the floor of any import;
  * org import: the 组织机构 import of a 村（社区） sheet with the same number of rows (the house's other
    all-or-nothing import), as a reference of what an import of this size costs;
  * user import (new): every row checked, accounts and roles created, one-time passwords hashed;
  * user import (same): the same sheet again, which changes nothing;
  * slip sheet: the credentials PDF of the new accounts.
"""

import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="ql-bench-")
os.environ["QL_VAR_DIR"] = TMP
os.environ.pop("DATABASE_URL", None)  # the embedded SQLite file under QL_VAR_DIR
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from accounts.credentials import credentials_pdf  # noqa: E402
from accounts.importing import GRANTABLE_LABELS, HEADERS, SHEET, read_rows, user_import_excel  # noqa: E402
from accounts.models import Membership, User  # noqa: E402
from villages.models import PartyBranch, Region, ResponsibleUnit, Township, Village  # noqa: E402
from villages.services import org_import_excel  # noqa: E402
from villages.workbook import HEADERS as ORG_HEADERS  # noqa: E402
from villages.workbook import SHEET_VILLAGES  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def setup_org():
    call_command("migrate", verbosity=0)
    town = Township.objects.create(region=Region.objects.create(name="基准市"), name="基准镇")
    branches = [PartyBranch.objects.create(township=town, name=f"第{i}党总支") for i in range(1, 7)]
    villages = [
        Village.objects.create(township=town, name=f"第{i:02d}村", branch=branches[i % 6])
        for i in range(1, 67)
    ]
    units = [ResponsibleUnit.objects.create(township=town, name=f"单位{i:02d}") for i in range(1, 13)]
    actor = User.objects.create_superuser("bench_admin", password=None)
    return town, branches, villages, units, actor


def user_sheet(branches, villages, units):
    nodes = {
        "村两委成员": [v.name for v in villages],
        "村务监督委员会成员": [v.name for v in villages],
        "党总支书记": [b.name for b in branches],
        "责任单位工作人员": [u.name for u in units],
        "镇纪委审核人员": [""],
        "镇领导（只读）": ["基准镇"],
    }
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(HEADERS.values()))
    for n in range(ROWS):
        role = GRANTABLE_LABELS[n % len(GRANTABLE_LABELS)]
        login = f"user{n:05d}" if n % 2 else ""
        ws.append([f"用户{n:05d}", f"139{n:08d}", login, role, nodes[role][n % len(nodes[role])]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def org_sheet():
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_VILLAGES
    ws.append(list(ORG_HEADERS[SHEET_VILLAGES].values()))
    for n in range(ROWS):
        ws.append([f"参照村{n:05d}", "村", f"C{n:05d}", "", n, "是"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed(label, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<24} {seconds:7.2f} s")
    return result, seconds


def main():
    town, branches, villages, units, actor = setup_org()
    data = user_sheet(branches, villages, units)
    print(f"sheet: {ROWS} rows, {len(data) / 1024:.0f} KB; township: 66 villages, 6 branches, 12 units")
    (rows, problems), parse = timed("parse only", lambda: read_rows(data))
    assert len(rows) == ROWS and not problems, problems[:3]
    org_data = org_sheet()
    org, org_seconds = timed(
        "org import (reference)",
        lambda: org_import_excel(township=town, file=SimpleUploadedFile("org.xlsx", org_data), actor=actor),
    )
    assert org.ok, org.problems[:3]
    first, seconds = timed(
        "user import (new)",
        lambda: user_import_excel(township=town, file=SimpleUploadedFile("u.xlsx", data), actor=actor),
    )
    assert first.ok, first.problems[:3]
    print(f"  {first.summary()}; users {User.objects.count()}, memberships {Membership.objects.count()}")
    again, again_seconds = timed(
        "user import (same)",
        lambda: user_import_excel(township=town, file=SimpleUploadedFile("u.xlsx", data), actor=actor),
    )
    print(f"  {again.summary()}")
    pdf, pdf_seconds = timed(
        "slip sheet PDF",
        lambda: credentials_pdf(township=town, accounts=first.accounts, summary=first.summary()),
    )
    print(
        f"  {len(first.accounts)} slips, {len(pdf) / 1024:.0f} KB, {pdf_seconds / len(first.accounts) * 1000:.0f} ms per slip"
    )
    print(
        f"ratios: user import / parse only = {seconds / parse:.1f}×, "
        f"user import / org import = {seconds / org_seconds:.1f}×, re-import / parse only = {again_seconds / parse:.1f}×"
    )
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
