"""Benchmark data: a city- or province-scale 清廉村居 deployment in PostgreSQL (default 1 city, 20 townships,
1,500 villages, 5 years; up to 50,000 villages × 5 years, ~6–7 M score rows).

Run:  .venv/bin/python bench/citygen.py [--reset] [--townships N --villages-per-township M | --villages TOTAL]
                                        [--years Y] [--database NAME] [--password PW]
Database: --database NAME (on the server of DATABASE_URL), else DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_city). The database is created when missing and migrated;
`--reset` drops and recreates it first. Without `--reset` an existing city is reused as it is (generation
runs in one transaction, so a city is either complete or absent). Refuses the `test`, `test_test`,
`postgres` and template databases.

Every bulk table is written with COPY (primary keys reserved from the table's sequence when later rows
refer to them); the score, veto and history tables get their secondary indexes and foreign keys after the
load (one index build and one validating join each instead of millions of per-row index inserts and
deferred foreign-key checks); ANALYZE at the end. Each phase prints its time; row counts at the end.

What it writes (all invented, nothing real): region 基准市 with 20 townships × 75 villages grouped in 党总支,
6 责任单位 per township, one account per township role (领导, 纪委) plus a unit account and the city office;
the two sample standards (fixtures/standards) imported once and copied to each of the 5 years; per township
and year a village-level campaign (past years confirmed with grades in about the 7/33/13/13 proportions and
city decisions on 示范村 candidates; the current year in progress in every state), a township-level campaign
per year; every village × leaf indicator × year an IndicatorScore (bulk-loaded with COPY); totals computed
here with the project's own score arithmetic (assessments.scoring), including the capped deduction from
confirmed ledger problems; monthly ledgers per unit from April (on time / late / missing / zero reports),
rectifications (open, overdue, responded, closed), plan tasks and annual targets.
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_city"
FORBIDDEN_DBS = {"test", "test_test", "postgres", "template0", "template1"}
DEFAULT_PASSWORD = "Bench-lantern-2468"
REGION_NAME = "基准市"

TOWNSHIPS = 20
VILLAGES_PER_TOWNSHIP = 75
BRANCH_SIZE = 8
YEARS_BACK = 5
MAX_VILLAGES = 60_000
HALF = Decimal("0.5")
ZERO = Decimal("0")

TOWN_NAMES = [
    "青石", "柳河", "桃源", "金山", "白沙", "龙泉", "杏林", "云台", "松岭", "梅溪",
    "兰亭", "竹园", "莲塘", "枫桥", "石门", "双井", "清水", "凤鸣", "麦田", "新安",
]  # fmt: skip
# Beyond the first 20 townships (a province's worth): the same names with a second character.
TOWN_SUFFIXES = "东西南北中上下新山河湖桥岭湾坪塘溪口坝堡集铺店屯营寨庄坊园台岗埠圩洲港渡"
VILLAGE_FIRST = "东西南北中上下前后新"
VILLAGE_SECOND = "庄河坡岭湾桥店屯营寨"
UNITS = [
    ("经管站", ["三资管理"]),
    ("财政所", ["惠民资金"]),
    ("民政办", ["惠民资金", "村务监督"]),
    ("农业农村办", ["工程项目"]),
    ("党建办", ["四议两公开", "作风纪律"]),
    ("综治中心", ["三务公开"]),
]
# Share of each grade among a township's villages in a confirmed year: 7/33/13/13 of 66 (DOMAIN.md).
GRADE_BANDS = [
    ("SHIFAN", 7, 93, 97.5),
    ("DABIAO", 33, 81, 88),
    ("TISHENG", 13, 71, 78),
    ("CUJIN", 13, 55, 68),
]
FINDINGS = [
    ("三务公开栏财务收支未按月更新", "补齐公开内容并建立月度更新台账", "disclosure"),
    ("两笔村级开支无村务监督委员会审核签字", "补办审核手续，今后逐笔审核签字", "supervision"),
    ("村集体土地承包合同到期未续签", "召开村民代表会议研究处置并公开结果", "sanzi"),
    ("小型工程验收资料不全", "补齐验收和结算资料并归档", "project"),
    ("低保评议会议记录缺失", "补充评议记录，规范评议程序", "benefit"),
    ("村民代表会议决议未按规定公开", "限期公开决议及实施结果", "siyi"),
]
TASKS = [
    ("班子建设", "落实“第一议题”学习制度", "每月开展一次集中学习并形成记录"),
    ("三资管理", "开展村集体“三资”清产核资", "建立台账，逐村核对，问题限期整改"),
    ("村务公开", "规范“三务”公开内容和时限", "每月检查一次公开栏并通报"),
    ("工程项目", "村级小型工程全流程监管", "实行项目立项、招标、验收全过程公开"),
    ("惠民资金", "惠民惠农资金发放专项检查", "每季度抽查发放记录并入户核实"),
    ("监督体系", "村务监督委员会履职能力提升", "开展专题培训并实行履职纪实"),
    ("清廉文化", "打造“一村一品”清廉文化阵地", "每镇培育不少于3个特色品牌"),
    ("作风建设", "整治群众身边不正之风", "畅通信访渠道，问题线索限时办结"),
    ("数字监督", "推广“三资”线上审批和智慧印章", "年内实现全覆盖并定期通报使用情况"),
    ("考核评价", "开展年度清廉村居测评", "按指数标准组织自评、初审和定级"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every bench account")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--townships", type=int, default=None, help=f"number of townships (default {TOWNSHIPS})"
    )
    parser.add_argument(
        "--villages-per-township",
        type=int,
        default=VILLAGES_PER_TOWNSHIP,
        help=f"villages in each township (default {VILLAGES_PER_TOWNSHIP})",
    )
    parser.add_argument(
        "--villages",
        type=int,
        default=None,
        help="total villages instead of --townships: that many townships of --villages-per-township "
        "(the last one smaller when it does not divide)",
    )
    parser.add_argument(
        "--years", type=int, default=YEARS_BACK, help="years up to the current one (default 5)"
    )
    parser.add_argument("--database", default=None, help="database name on DATABASE_URL's server")
    args = parser.parse_args(argv)
    if args.villages is not None and args.townships is not None:
        parser.error("give --townships or --villages, not both")
    per = args.villages_per_township
    if not 1 <= per <= 1000:
        parser.error("--villages-per-township must be between 1 and 1000")
    if args.villages is not None:
        if not 1 <= args.villages <= MAX_VILLAGES:
            parser.error(f"--villages must be between 1 and {MAX_VILLAGES:,}")
        args.townships = -(-args.villages // per)
        sizes = [per] * (args.villages // per) + ([args.villages % per] if args.villages % per else [])
    else:
        args.townships = TOWNSHIPS if args.townships is None else args.townships
        if not 1 <= args.townships * per <= MAX_VILLAGES:
            parser.error(f"townships × villages per township must be between 1 and {MAX_VILLAGES:,}")
        sizes = [per] * args.townships
    if not 1 <= args.years <= 20:
        parser.error("--years must be between 1 and 20")
    args.sizes = sizes
    return args


def database_url(database=None):
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if database:
        url = urlsplit(url)._replace(path=f"/{database}").geturl()
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"citygen needs a PostgreSQL DATABASE_URL, got {url!r}")
    name = parts.path.lstrip("/")
    if not name or name in FORBIDDEN_DBS:
        sys.exit(f"refusing to use database {name!r}: pick a bench database such as bench_city")
    return url, parts, name


def ensure_database(parts, name, reset):
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        if reset:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            print(f"dropped database {name}")
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    conn.close()


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG would keep every one of the ~250k queries' SQL in memory
    import django

    django.setup()


# --- helpers ----------------------------------------------------------------------------------------


def half(value):
    return (Decimal(value) / HALF).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * HALF


def aware(day, hour=10, minute=0):
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _pg(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    else:
        value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(model, fields, rows):
    """COPY rows (tuples in `fields` order, attnames) into the model's table: ~10× faster than bulk_create."""
    return copy_lines(model, fields, ("\t".join(_pg(v) for v in row) + "\n" for row in rows))


def copy_lines(model, fields, lines, chunk=200_000):
    """COPY ready-made text lines (tab-separated, escaped, newline-terminated) in chunks of `chunk` lines,
    so that a province's 6–7 M score rows never sit in one buffer."""
    from django.db import connection

    opts = model._meta
    columns = ", ".join(connection.ops.quote_name(opts.get_field(f).column) for f in fields)
    statement = f"COPY {connection.ops.quote_name(opts.db_table)} ({columns}) FROM STDIN"
    count = 0
    buf, pending = io.StringIO(), 0
    with connection.cursor() as cur:
        for line in lines:
            buf.write(line)
            pending += 1
            if pending >= chunk:
                buf.seek(0)
                cur.copy_expert(statement, buf)
                count += pending
                buf, pending = io.StringIO(), 0
        if pending:
            buf.seek(0)
            cur.copy_expert(statement, buf)
            count += pending
    return count


def reserve_ids(model, n):
    """`n` consecutive primary keys taken from the table's sequence (nobody else writes the bench database
    while it is generated), so that COPY can write rows that later rows refer to."""
    from django.db import connection

    if n == 0:
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
        (sequence,) = cur.fetchone()
        cur.execute("SELECT nextval(%s)", [sequence])
        (first,) = cur.fetchone()
        cur.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
    return range(first, first + n)


def copy_objects(model, objs):
    """COPY unsaved model instances (every concrete field, auto_now fields filled as save() would), with
    primary keys reserved first and set on the instances; returns the instances, now saved."""
    objs = list(objs)
    fields = [f for f in model._meta.concrete_fields]
    for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = "default"
    copy_rows(
        model, [f.attname for f in fields], (tuple(f.pre_save(obj, True) for f in fields) for obj in objs)
    )
    return objs


class DeferredIndexes:
    """Drop the secondary indexes and the foreign-key/unique constraints of some tables for a bulk load and
    build them again afterwards (inside the same transaction): one sort per index and one validating
    join per foreign key instead of millions of index inserts and deferred per-row checks."""

    def __init__(self, models):
        self.tables = [m._meta.db_table for m in models]
        self.constraints = []
        self.indexes = []

    def __enter__(self):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')",
                [self.tables],
            )
            self.constraints = cur.fetchall()
            cur.execute(
                "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [self.tables],
            )
            self.indexes = cur.fetchall()
            for table, name, _ in self.constraints:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for _, name, _ in self.indexes:
                cur.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, exc_type, exc, tb):
        from django.db import connection

        if exc_type is not None:
            return False  # the transaction rolls back and takes the drops with it
        with connection.cursor() as cur:
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _, _, definition in self.indexes:
                cur.execute(definition)
            for table, name, definition in self.constraints:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        return False


def spread(leaves, base_target, rnd):
    """Scores per leaf indicator (half points) adding up to `base_target`, with some per-indicator noise."""
    total = min(half(base_target), sum(m for _, m, _, _ in leaves))
    ratio = total / sum(m for _, m, _, _ in leaves)
    got = []
    for _, top, _, _ in leaves:
        r = min(Decimal(1), max(ZERO, ratio + Decimal(rnd.uniform(-0.08, 0.08))))
        got.append(min(top, half(top * r)))
    order = list(range(len(leaves)))
    for _ in range(4000):
        diff = sum(got) - total
        if diff == 0:
            break
        i = rnd.choice(order)
        if diff < 0 and got[i] + HALF <= leaves[i][1]:
            got[i] += HALF
        elif diff > 0 and got[i] - HALF >= 0:
            got[i] -= HALF
    return got


# --- the city -------------------------------------------------------------------------------------


def township_name(i):
    """青石镇 … 新安镇 for the first 20, then 青石东镇, 柳河东镇 … and numbered past the suffixes."""
    base = TOWN_NAMES[i % len(TOWN_NAMES)]
    round_ = i // len(TOWN_NAMES)
    if round_ == 0:
        return f"{base}镇"
    if round_ <= len(TOWN_SUFFIXES):
        return f"{base}{TOWN_SUFFIXES[round_ - 1]}镇"
    return f"{base}{round_}镇"


def village_names(n):
    base = [f"{a}{b}" for a in VILLAGE_FIRST for b in VILLAGE_SECOND]
    return [base[i % len(base)] + ("" if i < len(base) else str(i // len(base) + 1)) for i in range(n)]


def make_org(rnd, sizes):
    from villages.models import PartyBranch, Region, ResponsibleUnit, Township, Village

    region = Region.objects.create(name=REGION_NAME, kind=Region.Kind.CITY)
    townships = copy_objects(
        Township,
        (Township(region=region, name=township_name(i), ledger_due_day=2) for i in range(len(sizes))),
    )
    size_of = {t.pk: n for t, n in zip(townships, sizes, strict=True)}
    branches = copy_objects(
        PartyBranch,
        (
            PartyBranch(township=t, name=f"第{b + 1}党总支", sort_order=b + 1)
            for t in townships
            for b in range(-(-size_of[t.pk] // BRANCH_SIZE))
        ),
    )
    by_town = defaultdict(list)
    for b in branches:
        by_town[b.township_id].append(b)
    villages = []
    for t in townships:
        for i, name in enumerate(village_names(size_of[t.pk])):
            community = i % 12 == 11
            villages.append(
                Village(
                    township=t,
                    branch=by_town[t.pk][i // BRANCH_SIZE],
                    name=f"{name}{'社区' if community else '村'}",
                    kind=Village.Kind.COMMUNITY if community else Village.Kind.VILLAGE,
                    code=f"{i + 1:03d}",
                    sort_order=i + 1,
                )
            )
    villages = copy_objects(Village, villages)
    v_by_town = defaultdict(list)
    for v in villages:
        v_by_town[v.township_id].append(v)
    units = copy_objects(
        ResponsibleUnit,
        (
            ResponsibleUnit(
                township=t,
                name=name,
                leader_name=f"{name}负责人",
                contact_name=f"{name}联络员",
                areas=areas,
                sort_order=i + 1,
            )
            for t in townships
            for i, (name, areas) in enumerate(UNITS)
        ),
    )
    links = []
    unit_villages = {}
    for u in units:
        vs = v_by_town[u.township_id]
        # 经管站 supervises every village; the others a third each, in turn.
        chosen = vs if u.sort_order == 1 else [v for k, v in enumerate(vs) if k % 3 == u.sort_order % 3]
        unit_villages[u.pk] = chosen
        links += [(u.pk, v.pk) for v in chosen]
    copy_rows(ResponsibleUnit.villages.through, ["responsibleunit_id", "village_id"], links)
    return region, townships, v_by_town, units, unit_villages


def make_users(region, townships, units, password):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Membership, Role, User

    hashed = make_password(password)  # one PBKDF2 run for every account
    now = timezone.now()
    spec = [("bench_city", "基准市清廉村居办", Role.CITY_OFFICE, {"region": region})]
    first_unit = {}
    for u in units:
        first_unit.setdefault(u.township_id, u)
    for i, t in enumerate(townships, start=1):
        spec += [
            (f"bench_t{i:02d}_leader", f"{t.name}领导", Role.TOWNSHIP_LEADER, {"township": t}),
            (f"bench_t{i:02d}_jiwei", f"{t.name}纪委审核员", Role.TOWNSHIP_REVIEWER, {"township": t}),
            (f"bench_t{i:02d}_unit", f"{t.name}经管站人员", Role.UNIT_STAFF, {"unit": first_unit[t.pk]}),
        ]
    users = copy_objects(
        User,
        (
            User(username=name, full_name=full, password=hashed, password_changed_at=now, date_joined=now)
            for name, full, _, _ in spec
        ),
    )
    copy_objects(
        Membership,
        (
            Membership(user=user, role=role, **node)
            for user, (_, _, role, node) in zip(users, spec, strict=True)
        ),
    )
    return {u.username: u for u in users}


def make_standards(years):
    """The two sample standards, imported for 2024 and copied (published) to every other bench year."""
    from indices.models import IndexStandard
    from indices.services import standard_copy, standard_import

    out = {}
    for level, rel in (
        ("village", "fixtures/standards/village_index_standard.sample.yaml"),
        ("township", "fixtures/standards/township_index_standard.sample.yaml"),
    ):
        with (ROOT / rel).open("rb") as fh:
            base = standard_import(source=fh, fmt="yaml", actor=None, year=2024)
        for year in years:
            std = (
                base
                if year == 2024
                else standard_copy(standard=base, new_version=f"{year}-bench", year=year, actor=None)
            )
            out[level, year] = std
    IndexStandard.objects.filter(pk__in=[s.pk for s in out.values()]).update(
        status=IndexStandard.Status.PUBLISHED
    )
    return out


def standard_facts(std):
    from assessments.services.totals import grade_rules

    leaves = [
        (i.pk, i.max_score, i.dimension_id, i.scored_by)
        for i in std.indicators.filter(children__isnull=True).order_by("dimension__sort_order", "sort_order")
    ]
    return {
        "leaves": leaves,
        "dims": {d.pk: d.max_score for d in std.dimensions.all()},
        "rules": grade_rules(std),
        "grades": list(std.grades.order_by("rank")),
        "vetoes": list(std.veto_items.values_list("pk", flat=True)),
        "bonus": list(std.bonus_items.values_list("pk", "per_item_cap")),
        "bonus_cap": std.bonus_total_cap,
        "deduction_cap": std.supervision_deduction_cap,
    }


# --- ledgers --------------------------------------------------------------------------------------


def months_of(year, today):
    from ledgers.compliance import LEDGER_START_MONTH

    last = 12 if year < today.year else today.month - 1
    return range(LEDGER_START_MONTH, last + 1)


def make_ledgers(townships, units, unit_villages, years, today, rnd):
    """Submissions per unit × month × year, their entries; returns problem entries and the confirmed
    deduction per (village, year) that assessments.services.totals would find."""
    from ledgers.models import LedgerEntry, LedgerSubmission

    due_day = {t.pk: t.ledger_due_day for t in townships}
    subs = []
    for year in years:
        for u in units:
            for month in months_of(year, today):
                nxt = dt.date(year + month // 12, month % 12 + 1, due_day[u.township_id])
                roll = rnd.random()
                if roll < 0.07:
                    continue  # 未报
                late = roll < 0.18
                day = (
                    nxt + dt.timedelta(days=rnd.randint(1, 6))
                    if late
                    else nxt - dt.timedelta(days=rnd.randint(0, 3))
                )
                subs.append(
                    LedgerSubmission(
                        unit=u,
                        year=year,
                        month=month,
                        status=LedgerSubmission.Status.SUBMITTED,
                        zero_report=rnd.random() < 0.4,
                        filled_by_name=u.contact_name,
                        approved_by_name=u.leader_name,
                        submitted_at=aware(day, 9 + rnd.randint(0, 8)),
                    )
                )
    # The current month's draft for a few units.
    subs += [
        LedgerSubmission(unit=u, year=today.year, month=today.month, filled_by_name=u.contact_name)
        for u in units
        if rnd.random() < 0.3
    ]
    subs = copy_objects(LedgerSubmission, subs)
    entries = []
    for s in subs:
        if s.zero_report or s.status != LedgerSubmission.Status.SUBMITTED:
            continue
        villages = unit_villages[s.unit_id]
        n_ok, n_bad = rnd.randint(1, 4), rnd.randint(1, 3)
        for seq in range(1, n_ok + n_bad + 1):
            checked = dt.date(s.year, s.month, rnd.randint(1, 28))
            base = {
                "submission": s,
                "seq": seq,
                "village": rnd.choice(villages),
                "method": rnd.choice(list(LedgerEntry.Method.values)),
                "checked_on": checked,
                "checker": f"{s.unit.name}检查组",
            }
            if seq <= n_ok:
                entries.append(LedgerEntry(category=rnd.choice(list(LedgerEntry.Category.values)), **base))
                continue
            finding, requirement, category = rnd.choice(FINDINGS)
            deadline = checked + dt.timedelta(days=30)
            past = deadline < today - dt.timedelta(days=60)
            closed = (past and rnd.random() < 0.93) or (not past and rnd.random() < 0.4)
            status = (
                "closed"
                if closed
                else ("overdue" if deadline < today else rnd.choice(["open", "in_progress"]))
            )
            confirmed = rnd.random() < (0.8 if past else 0.5)
            amount = HALF * rnd.randint(1, 3)
            entries.append(
                LedgerEntry(
                    category=category,
                    finding=finding,
                    level=rnd.choice(["general", "general", "general", "serious"]),
                    proposed_deduction=amount,
                    requirement=requirement,
                    owner="村党组织书记",
                    deadline=deadline,
                    rectify_status=status,
                    rectify_note="已整改到位，佐证材料已归档。" if closed else "",
                    closed_on=deadline - dt.timedelta(days=rnd.randint(0, 20)) if closed else None,
                    deduction_confirmed=confirmed,
                    confirmed_deduction=amount if confirmed else None,
                    **base,
                )
            )
    entries = copy_objects(LedgerEntry, entries)
    deductions = defaultdict(list)
    problems = []
    for e in entries:
        if e.level:
            problems.append(e)
            if e.deduction_confirmed:
                deductions[e.village_id, e.checked_on.year].append(e.confirmed_deduction)
    return len(subs), len(entries), problems, deductions


# --- campaigns ------------------------------------------------------------------------------------


def plan_states(n, year, today, rnd):
    """Status per subject: confirmed in past years; the current year in every state of the workflow."""
    from assessments.models import Assessment

    S = Assessment.Status
    if year < today.year:
        return [S.CONFIRMED] * n
    mix = [(S.DRAFT, 0.12), (S.SUBMITTED, 0.12), (S.FORWARDED, 0.2), (S.IN_REVIEW, 0.13), (S.RETURNED, 0.06)]
    states = []
    for status, share in mix:
        states += [status] * round(n * share)
    states += [S.REVIEWED] * (n - len(states))
    rnd.shuffle(states)
    return states


def target_scores(n, confirmed, rnd):
    if not confirmed:
        return [rnd.uniform(62, 97) for _ in range(n)]
    total = sum(c for _, c, _, _ in GRADE_BANDS)
    bands = []
    for _, count, low, high in GRADE_BANDS:
        bands += [(low, high)] * round(n * count / total)
    bands = (bands + [GRADE_BANDS[1][2:]] * n)[:n]
    rnd.shuffle(bands)
    return [rnd.uniform(low, high) for low, high in bands]


def new_campaign(*, level, region, township, year, std, reviewer, today):
    """The unsaved campaign row of one township (village level) or of the region (township level)."""
    from assessments.models import Campaign

    confirmed_year = year < today.year
    deadlines = campaign_deadlines(year, today)
    return Campaign(
        level=level,
        region=region,
        township=township,
        year=year,
        standard=std,
        name=f"{township.name if township else region.name}{year}年度“清廉村居”{'测评' if township else '镇街测评'}",
        self_deadline=deadlines[0],
        submission_deadline=deadlines[1],
        city_deadline=deadlines[2],
        grades_confirmed_at=aware(dt.date(year, 7, 5)) if confirmed_year else None,
        grades_confirmed_by=reviewer if confirmed_year else None,
    )


def campaign_deadlines(year, today):
    if year < today.year:
        return (dt.date(year, 6, 25), dt.date(year, 6, 30), dt.date(year, 7, 10))
    return tuple(today + dt.timedelta(days=d) for d in (20, 25, 40))


def make_campaign(*, campaign, facts, subjects, deductions, today, rnd):
    """One campaign's assessments (unsaved, totals computed here) with their score lines, veto verdicts and
    bonus claims, as (assessment, score_rows, bonus_claims, veto) tuples: write_assessments stores them."""
    from assessments.models import Assessment, Campaign
    from assessments.scoring import bonus_total, deduction_total, final_score, propose_grade, q2

    S = Assessment.Status
    year = campaign.year
    confirmed_year = year < today.year
    deadlines = campaign_deadlines(year, today)
    leaves = facts["leaves"]
    states = plan_states(len(subjects), year, today, rnd)
    targets = target_scores(len(subjects), confirmed_year, rnd)
    rows = []
    for (village, sub_township), status, target in zip(subjects, states, targets, strict=True):
        key = (village.pk if village else None, year)
        lines = deductions.get(key, [])
        deduction = deduction_total(lines, facts["deduction_cap"])
        bonus_claims = []
        if target > 90 and facts["bonus"] and rnd.random() < 0.6:
            pk, cap = rnd.choice(facts["bonus"])
            bonus_claims.append((pk, min(cap, Decimal(1))))
        reviewed = status in (S.REVIEWED, S.CONFIRMED) or status == S.IN_REVIEW
        accepted = [(p, p) for _, p in bonus_claims] if reviewed else []
        bonus = bonus_total(accepted, facts["bonus_cap"])
        base_target = target + float(deduction) - float(bonus)
        empty_draft = status == S.DRAFT and rnd.random() < 0.5
        scores = spread(leaves, base_target, rnd)
        score_rows = []
        for (ind_pk, top, dim_pk, scored_by), got in zip(leaves, scores, strict=True):
            village_scores = scored_by == "village_and_township" and not empty_draft
            self_score = min(top, got + (HALF if rnd.random() < 0.2 else ZERO)) if village_scores else None
            if status == S.IN_REVIEW:
                review = got if rnd.random() < 0.5 else None
            else:
                review = got if status in (S.REVIEWED, S.CONFIRMED) else None
            score_rows.append((ind_pk, dim_pk, self_score, review))
        veto = confirmed_year and rnd.random() < 0.01
        self_total = sum((s for _, _, s, _ in score_rows if s is not None), ZERO)
        effective = [(d, r if r is not None else (s if s is not None else ZERO)) for _, d, s, r in score_rows]
        review_base = sum((e for _, e in effective), ZERO)
        by_dim = defaultdict(lambda: ZERO)
        for d, e in effective:
            by_dim[d] += e
        ratios = [by_dim[d] / m for d, m in facts["dims"].items() if m]
        final = final_score(review_base, bonus, deduction)
        grade = propose_grade(facts["rules"], score=final, veto=veto, dimension_ratios=ratios)
        day = deadlines[0] - dt.timedelta(days=rnd.randint(0, 20))
        submitted = status not in (S.DRAFT,)
        a = Assessment(
            campaign=campaign,
            village=village,
            township=sub_township,
            status=status,
            round=0 if status == S.DRAFT else (2 if status == S.RETURNED and rnd.random() < 0.3 else 1),
            started_at=aware(day - dt.timedelta(days=30)),
            submitted_at=aware(day) if submitted else None,
            forwarded_at=aware(day + dt.timedelta(days=2)) if submitted and status != S.SUBMITTED else None,
            reviewed_at=aware(deadlines[1]) if status in (S.REVIEWED, S.CONFIRMED) else None,
            secretary_name="村党组织书记" if village else "",
            households=rnd.randint(200, 1500) if village else None,
            population=rnd.randint(800, 5000) if village else None,
            party_members=rnd.randint(20, 120) if village else None,
            self_total=q2(self_total),
            self_bonus=bonus_total([(p, p) for _, p in bonus_claims], facts["bonus_cap"]),
            review_base=q2(review_base),
            bonus_accepted=bonus,
            supervision_deduction=deduction,
            final_score=final,
            veto_confirmed=veto,
            proposed_grade=grade,
            final_grade=grade,
        )
        rows.append((a, score_rows, bonus_claims, veto))
    if confirmed_year and campaign.level == Campaign.Level.VILLAGE:
        top, second = facts["grades"][0].code, facts["grades"][1].code
        candidates = sorted((r[0] for r in rows if r[0].final_grade == top), key=lambda a: -a.final_score)
        for i, a in enumerate(candidates):
            a.city_candidate = True
            keep = i < len(candidates) - 1
            a.city_decision = Assessment.CityDecision.CONFIRMED if keep else Assessment.CityDecision.OTHER
            a.city_grade = top if keep else second
            a.city_reason = "" if keep else "清廉文化品牌特色不够鲜明，认定为达标村。"
            a.city_decided_at = aware(dt.date(year, 8, 15))
    return rows


NULL = "\\N"
SCORE_FIELDS = [
    "assessment_id", "indicator_id", "self_score", "self_note", "self_rules", "review_score", "review_note",
    "review_rules", "reviewed_by_id", "reviewed_at", "version", "updated_by_id", "updated_at",
    "computed_detail", "override_reason",
]  # fmt: skip
EVENT_FIELDS = [
    "assessment_id",
    "at",
    "actor_id",
    "action",
    "subject",
    "from_value",
    "to_value",
    "reason",
    "round",
]


def write_assessments(rows, reviewers, vetoes, today):
    """Store a year's assessments (COPY, keys reserved) and, by COPY, their score lines, veto verdicts,
    bonus claims and the history rows of the steps that led to each state. Returns the row counts."""
    from assessments.demo.batch import PATH, STEPS
    from assessments.models import Assessment, AssessmentEvent, BonusClaim, IndicatorScore, VetoCheck

    S = Assessment.Status
    assessments = copy_objects(Assessment, (r[0] for r in rows))
    now = _pg(aware(today))
    note = "已按要求落实，佐证材料见附件。"
    review_note = "抽查台账发现记录不全，按标准扣分。"

    def score_lines():
        for a, score_rows, _, _ in rows:
            reviewer = reviewers[a.campaign_id]
            reviewed_at = _pg(aware(campaign_deadlines(a.campaign.year, today)[1]))
            head = f"{a.pk}\t"
            for ind, _, s, r in score_rows:
                yield (
                    f"{head}{ind}\t{NULL if s is None else s}\t{note if s is not None else ''}\t{{}}\t"
                    f"{NULL if r is None else r}\t{'' if r is None or s in (None, r) else review_note}\t{{}}\t"
                    f"{NULL if r is None else reviewer}\t{NULL if r is None else reviewed_at}\t1\t{NULL}\t{now}\t{{}}\t\n"
                )

    counts = {"assessments": len(assessments)}
    counts["scores"] = copy_lines(IndicatorScore, SCORE_FIELDS, score_lines())
    veto_rows = []
    for a, _, _, veto in rows:
        answered = a.status != S.DRAFT
        for k, v in enumerate(vetoes[a.campaign_id]):
            if a.status in (S.REVIEWED, S.CONFIRMED):
                review = VetoCheck.Review.CONFIRMED if veto and k == 0 else VetoCheck.Review.CLEARED
            else:
                review = VetoCheck.Review.PENDING
            reason = "经核实属实。" if review == VetoCheck.Review.CONFIRMED else ""
            veto_rows.append((a.pk, v, False if answered else None, "", review, reason, 1))
    counts["vetoes"] = copy_rows(
        VetoCheck,
        ["assessment_id", "veto_item_id", "self_answer", "self_note", "review", "review_reason", "version"],
        veto_rows,
    )
    claims = []
    for a, _, bonus_claims, _ in rows:
        reviewed = a.status in (S.REVIEWED, S.CONFIRMED, S.IN_REVIEW)
        for pk, points in bonus_claims:
            claims.append(
                BonusClaim(
                    assessment=a,
                    bonus_item_id=pk,
                    claimed_points=points,
                    explanation="经验做法被镇街推广。",
                    status=BonusClaim.Status.ACCEPTED if reviewed else BonusClaim.Status.CLAIMED,
                    accepted_points=points if reviewed else None,
                )
            )
    counts["bonus claims"] = len(copy_objects(BonusClaim, claims))

    def event_rows():
        for a, _, _, _ in rows:
            if a.status == S.RETURNED:
                steps = [*STEPS[:3], ("return", "退回修改", S.IN_REVIEW, S.RETURNED)]
            else:
                steps = STEPS[: PATH.index(a.status)]
            at = {
                "submit": a.submitted_at,
                "forward": a.forwarded_at,
                "start_review": a.forwarded_at,
                "return": a.forwarded_at,
                "complete_review": a.reviewed_at,
                "confirm_grade": a.campaign.grades_confirmed_at,
            }
            village_step = {"submit", "forward"}
            for action, label, source, target in steps:
                when = at[action] or a.submitted_at
                if action in ("start_review", "return"):
                    when = when + dt.timedelta(days=1 if action == "start_review" else 3)
                actor = None if action in village_step else reviewers[a.campaign_id]
                reason = "佐证材料不全，请补充后重新提交。" if action == "return" else ""
                yield (a.pk, when, actor, action, label, S(source).label, S(target).label, reason, a.round)

    counts["events"] = copy_rows(AssessmentEvent, EVENT_FIELDS, event_rows())
    return assessments, counts


def make_rectifications(problems, assessments_by_year, today, rnd):
    """整改 from about 40% of ledger problems, plus township-review items for low-graded villages."""
    from ledgers.models import Rectification

    items = []
    for e in problems:
        if rnd.random() > 0.4:
            continue
        if e.rectify_status == "closed":
            status = Rectification.Status.CLOSED
        elif e.deadline < today and rnd.random() < 0.7:
            status = Rectification.Status.OPEN  # overdue
        else:
            status = rnd.choice([Rectification.Status.OPEN, Rectification.Status.RESPONDED])
        items.append(
            Rectification(
                township_id=e.village.township_id,
                village=e.village,
                source=Rectification.Source.LEDGER,
                ledger_entry=e,
                problem=e.finding,
                requirement=e.requirement,
                owner=e.owner,
                deadline=e.deadline,
                status=status,
                response="已按要求整改，相关材料已补齐。" if status != Rectification.Status.OPEN else "",
                responded_at=aware(e.deadline - dt.timedelta(days=3))
                if status != Rectification.Status.OPEN
                else None,
                verified_at=aware(e.deadline) if status == Rectification.Status.CLOSED else None,
                verify_note="经核查已整改到位。" if status == Rectification.Status.CLOSED else "",
                closed_on=e.closed_on if status == Rectification.Status.CLOSED else None,
            )
        )
    for year, assessments in assessments_by_year.items():
        for a in assessments:
            if a.village_id is None or a.final_grade not in ("CUJIN", "TISHENG") or rnd.random() > 0.5:
                continue
            deadline = (
                dt.date(year, 9, 30) if year < today.year else today + dt.timedelta(days=rnd.randint(-20, 40))
            )
            closed = year < today.year and rnd.random() < 0.9
            items.append(
                Rectification(
                    township_id=a.township_id,
                    village_id=a.village_id,
                    source=Rectification.Source.REVIEW,
                    assessment=a,
                    problem="测评初审发现村务公开、三资管理台账不规范。",
                    requirement="对照指数标准逐项整改，按期报送整改情况。",
                    owner="村党组织书记",
                    deadline=deadline,
                    status=Rectification.Status.CLOSED if closed else Rectification.Status.OPEN,
                    closed_on=deadline if closed else None,
                    verified_at=aware(deadline) if closed else None,
                )
            )
    copy_objects(Rectification, items)
    from django.db import connection

    with connection.cursor() as cur:  # when they were raised, not when this script ran
        cur.execute(f"UPDATE {Rectification._meta.db_table} SET created_at = (deadline - 30) + time '09:00'")
    return len(items)


def make_plan(townships, units, years, today, rnd, villages_per_township):
    from ledgers.models import PlanTask
    from villages.models import AnnualTarget, AnnualTargetGrade

    by_town = defaultdict(list)
    by_name = defaultdict(dict)
    for u in units:
        by_town[u.township_id].append(u)
        by_name[u.township_id][u.name] = u
    tasks = []
    for t in townships:
        for year in years:
            for n, (key_point, task, measures) in enumerate(TASKS, start=1):
                deadline = dt.date(year, rnd.choice([6, 9, 12]), 30)
                if year < today.year:
                    status = rnd.choice([PlanTask.Status.DONE] * 4 + [PlanTask.Status.ONGOING])
                elif deadline < today:
                    status = rnd.choice(
                        [PlanTask.Status.DONE, PlanTask.Status.DONE, PlanTask.Status.IN_PROGRESS]
                    )
                else:
                    status = rnd.choice([PlanTask.Status.NOT_STARTED, PlanTask.Status.IN_PROGRESS])
                lead = rnd.choice(by_town[t.pk])
                tasks.append(
                    PlanTask(
                        township=t,
                        year=year,
                        number=n,
                        key_point=key_point,
                        task=task,
                        measures=measures,
                        lead_text=lead.name,
                        units_text=lead.name,
                        responsible_person=lead.leader_name,
                        deadline_text=f"{deadline.year}年{deadline.month}月底前",
                        deadline=deadline,
                        status=status,
                    )
                )
    leads = [by_name[task.township_id][task.lead_text] for task in tasks]
    tasks = copy_objects(PlanTask, tasks)
    for through in (PlanTask.units.through, PlanTask.lead_units.through):
        copy_rows(
            through,
            ["plantask_id", "responsibleunit_id"],
            ((task.pk, lead.pk) for task, lead in zip(tasks, leads, strict=True)),
        )
    targets = copy_objects(
        AnnualTarget,
        (
            AnnualTarget(township=t, year=year, mode=AnnualTarget.Mode.COUNTS, note="基准测试目标")
            for t in townships
            for year in years
        ),
    )
    per = villages_per_township / sum(c for _, c, _, _ in GRADE_BANDS)
    names = {"SHIFAN": "示范村", "DABIAO": "达标村", "TISHENG": "提升村", "CUJIN": "促进村"}
    copy_objects(
        AnnualTargetGrade,
        (
            AnnualTargetGrade(
                target=tg, grade_code=code, grade_name=names[code], count=round(count * per), sort_order=i
            )
            for tg in targets
            for i, (code, count, _, _) in enumerate(GRADE_BANDS[:3])
        ),
    )
    return len(tasks)


def generate(password, seed, sizes, years_back):
    from django.db import transaction
    from django.utils import timezone

    from assessments.models import AssessmentEvent, Campaign, IndicatorScore, VetoCheck

    rnd = random.Random(seed)
    today = timezone.localdate()
    years = list(range(today.year - years_back + 1, today.year + 1))
    timings = {}

    def step(label, started):
        timings[label] = time.perf_counter() - started
        print(f"  {label:<34} {timings[label]:6.1f} s", flush=True)
        return time.perf_counter()

    with transaction.atomic():
        from django.db import connection

        with connection.cursor() as cur:
            # Foreign keys are DEFERRABLE INITIALLY DEFERRED: checked per statement instead, no queue of
            # millions of pending checks at commit, and tables can be altered for DeferredIndexes.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        t0 = time.perf_counter()
        region, townships, v_by_town, units, unit_villages = make_org(rnd, sizes)
        t0 = step("organisation", t0)
        users = make_users(region, townships, units, password)
        t0 = step("users", t0)
        standards = make_standards(years)
        facts = {key: standard_facts(std) for key, std in standards.items()}
        t0 = step("standards (import + copies)", t0)
        _, _, problems, deductions = make_ledgers(townships, units, unit_villages, years, today, rnd)
        t0 = step("ledgers", t0)
        by_year = defaultdict(list)
        totals = defaultdict(int)
        with DeferredIndexes([IndicatorScore, VetoCheck, AssessmentEvent]):
            for year in years:
                jiwei = {t.pk: users[f"bench_t{i:02d}_jiwei"] for i, t in enumerate(townships, start=1)}
                campaigns = [
                    new_campaign(
                        level=Campaign.Level.VILLAGE,
                        region=region,
                        township=t,
                        year=year,
                        std=standards["village", year],
                        reviewer=jiwei[t.pk],
                        today=today,
                    )
                    for t in townships
                ]
                campaigns.append(
                    new_campaign(
                        level=Campaign.Level.TOWNSHIP,
                        region=region,
                        township=None,
                        year=year,
                        std=standards["township", year],
                        reviewer=users["bench_city"],
                        today=today,
                    )
                )
                campaigns = copy_objects(Campaign, campaigns)
                rows, reviewers, vetoes = [], {}, {}
                for c in campaigns:
                    level = "village" if c.township_id else "township"
                    reviewers[c.pk] = (jiwei[c.township_id] if c.township_id else users["bench_city"]).pk
                    vetoes[c.pk] = facts[level, year]["vetoes"]
                    rows += make_campaign(
                        campaign=c,
                        facts=facts[level, year],
                        subjects=[(v, c.township) for v in v_by_town[c.township_id]]
                        if c.township_id
                        else [(None, t) for t in townships],
                        deductions=deductions if c.township_id else {},
                        today=today,
                        rnd=rnd,
                    )
                assessments, counts = write_assessments(rows, reviewers, vetoes, today)
                by_year[year] += [a for a in assessments if a.village_id]
                for k, n in counts.items():
                    totals[k] += n
                t0 = step(f"campaigns {year} ({counts['scores']:,} scores)", t0)
        t0 = step("indexes + foreign keys of scores", t0)
        make_rectifications(problems, by_year, today, rnd)
        make_plan(townships, units, years, today, rnd, max(sizes))
        step("rectifications, tasks, targets", t0)
        # The dashboards' read models, filled from the rows loaded directly above (no service ran).
        from assessments.readmodels import rebuild_read_models

        t0 = time.perf_counter()
        rebuild_read_models()
        step("read models (rebuild_read_models)", t0)
        # memberships loaded with COPY sent no signal: scopes cached for a previous city of this name go
        from common.dataversion import access_version_bump

        access_version_bump()
    return region


def analyze():
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"  {'ANALYZE':<34} {time.perf_counter() - started:6.1f} s")


def report(region, password):
    from django.apps import apps

    from accounts.models import User

    print("\nrow counts:")
    labels = [
        "villages.Township", "villages.PartyBranch", "villages.Village", "villages.ResponsibleUnit",
        "accounts.User", "indices.IndexStandard", "indices.Indicator", "assessments.Campaign",
        "assessments.Assessment", "assessments.IndicatorScore", "assessments.VetoCheck", "assessments.BonusClaim",
        "assessments.AssessmentEvent", "ledgers.LedgerSubmission", "ledgers.LedgerEntry",
        "ledgers.Rectification", "ledgers.PlanTask",
        "villages.AnnualTarget",
    ]  # fmt: skip
    for label in labels:
        print(f"  {label:<30} {apps.get_model(label).objects.count():>9,}")
    from django.db.models import Count

    from assessments.models import Assessment

    past = (
        Assessment.objects.filter(campaign__level="village", status="confirmed")
        .values("final_grade")
        .annotate(n=Count("id"))
        .order_by("final_grade")
    )
    print("  confirmed village grades:", ", ".join(f"{r['final_grade']} {r['n']}" for r in past))
    now = (
        Assessment.objects.filter(campaign__level="village", campaign__grades_confirmed_at__isnull=True)
        .values("status")
        .annotate(n=Count("id"))
        .order_by("status")
    )
    print("  current-year states:     ", ", ".join(f"{r['status']} {r['n']}" for r in now))
    t1 = region.townships.order_by("pk").first()
    print(f"\nregion {region.name} id={region.pk}; first township {t1.name} id={t1.pk}")
    names = list(
        User.objects.filter(username__startswith="bench_")
        .order_by("username")
        .values_list("username", flat=True)
    )
    print(
        f"accounts ({len(names)}): bench_city (市清廉村居办), bench_tNN_leader / bench_tNN_jiwei / bench_tNN_unit"
    )
    print(f"password of every bench account: {password}")


def main():
    args = parse_args()
    url, parts, name = database_url(args.database)
    started = time.perf_counter()
    ensure_database(parts, name, args.reset)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"  {'migrate':<34} {time.perf_counter() - started:6.1f} s")
    from villages.models import Region

    region = Region.objects.filter(name=REGION_NAME).first()
    if region is not None:
        print(f"database {name} already holds {REGION_NAME}: reusing it (use --reset to regenerate)")
    else:
        print(
            f"generating {REGION_NAME} into {name}: {len(args.sizes)} townships, {sum(args.sizes):,} villages, "
            f"{args.years} years ...",
            flush=True,
        )
        region = generate(args.password, args.seed, args.sizes, args.years)
        analyze()
        print(f"generation took {time.perf_counter() - started:.1f} s")
    report(region, args.password)


if __name__ == "__main__":
    main()
