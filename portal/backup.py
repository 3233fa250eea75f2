"""Backup and restore of the whole installation: the database, every stored file and a manifest.

A backup is a folder:

    database.pgdump | database.sqlite3   the snapshot (pg_dump --format=custom, or SQLite's online backup)
    files/<storage path>                 every file of the default storage (evidence, exports, …)
    manifest.json                        version, vendor, row counts, audit chain head, every file's sha256
    manifest.json.sha256                 the manifest's own sha256

Row counts and the audit chain head are read from the snapshot itself (PostgreSQL: the exported snapshot
pg_dump runs in; SQLite: the backup file), so they describe exactly what was saved.

A restore goes into an empty database and an empty storage only. It checks the manifest checksum and every
file's sha256 before it writes anything, then compares the restored database with the manifest and runs
the audit chain verifier.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections, transaction

from audit.services import audit_chain_head, audit_seal, audit_verify
from common.storage import storage_files, stored_sha256, stream_open

MANIFEST = "manifest.json"
SIDECAR = "manifest.json.sha256"
FILES = "files"
PG_DUMP = "database.pgdump"
SQLITE_DUMP = "database.sqlite3"
FORMAT = 1


class BackupError(Exception):
    """A refusal or a failed check; the message is Chinese and names what is wrong."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_stream(fh):
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


# --- reading the database -----------------------------------------------------------------------


def table_names(using="default"):
    """Every existing table of the project's models (including many-to-many tables), sorted."""
    conn = connections[using]
    with conn.cursor() as cursor:
        existing = set(conn.introspection.table_names(cursor, include_views=False))
    return sorted(existing & set(conn.introspection.django_table_names(include_views=False)))


def row_counts(using="default"):
    with connections[using].cursor() as cursor:
        return _count_rows(cursor, table_names(using))


def _count_rows(cursor, tables):
    """Row counts per table; the names come from introspection, quoted, never from input."""
    quote = connections["default"].ops.quote_name
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def database_is_empty(using="default"):
    conn = connections[using]
    with conn.cursor() as cursor:
        return not conn.introspection.table_names(cursor, include_views=False)


def _pg_command(program, db):
    """Arguments and environment for pg_dump / pg_restore from the DATABASES entry (DATABASE_URL parts)."""
    args = [program]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(args, env):
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"{args[0]} 失败（退出码 {proc.returncode}）：{proc.stderr.strip()[:2000]}")


def _dump_postgresql(target):
    """pg_dump inside an exported REPEATABLE READ snapshot; counts and chain head from the same snapshot."""
    conn = connections["default"]
    db = conn.settings_dict
    with transaction.atomic(using="default"):
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        args, env = _pg_command("pg_dump", db)
        args += ["--format=custom", f"--snapshot={snapshot}", "--no-owner", "--file", str(target), db["NAME"]]
        _run(args, env)
        return row_counts("default"), audit_chain_head(using="default")


def _dump_sqlite(target):
    """SQLite's online backup API: a consistent copy that includes what is still in the WAL."""
    source = sqlite3.connect(connections["default"].settings_dict["NAME"], timeout=60)
    dest = sqlite3.connect(target)
    try:
        with dest:
            source.backup(dest)
        problem = dest.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"备份文件完整性检查未通过：{problem}")
        dest.execute("PRAGMA journal_mode=DELETE")
        # Counts and chain head from the snapshot itself, read with a plain connection: the file is not
        # (and should not become) one of Django's configured databases.
        cursor = dest.cursor()
        existing = {r[0] for r in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        project = set(connections["default"].introspection.django_table_names(include_views=False))
        return _count_rows(cursor, sorted(existing & project)), audit_chain_head(cursor=cursor)
    finally:
        dest.close()
        source.close()


# --- files ----------------------------------------------------------------------------------------


def _copy_files(out, progress):
    entries = []
    paths = storage_files()
    for i, name in enumerate(paths, 1):
        dest = out / FILES / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        src, _ = stream_open(name)
        with src, open(dest, "wb") as fh:
            for chunk in iter(lambda src=src: src.read(1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
        entries.append({"path": name, "size": size, "sha256": digest.hexdigest()})
        if i % 100 == 0 or i == len(paths):
            progress(f"  文件：{i}/{len(paths)}")
    return entries


# --- manifest --------------------------------------------------------------------------------------


def _git_commit():
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _app_version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qinglian")
    except PackageNotFoundError:
        return ""


def _write_manifest(out, manifest):
    data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    (out / MANIFEST).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (out / SIDECAR).write_text(f"{digest}  {MANIFEST}\n", encoding="ascii")
    return digest


def read_manifest(folder):
    """The manifest, after checking it against its sidecar checksum."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file() or not (folder / SIDECAR).is_file():
        raise BackupError(f"{folder} 不是完整的备份：缺少 {MANIFEST} 或 {SIDECAR}")
    expected = (folder / SIDECAR).read_text(encoding="ascii").split()[0]
    actual = sha256_of(folder / MANIFEST)
    if actual != expected:
        raise BackupError(f"{MANIFEST} 的校验值不符（应为 {expected}，实为 {actual}）：清单已被改动或损坏")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式：{manifest.get('format')}")
    return manifest


# --- backup -----------------------------------------------------------------------------------------


def backup(out_dir, *, progress=print, now=None):
    """Write a backup into a new folder under out_dir and return its path."""
    now = now or datetime.now(UTC)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"qinglian-backup-{now:%Y%m%d-%H%M%S}"
    if final.exists() and any(final.iterdir()):
        raise BackupError(f"目标文件夹 {final} 已存在且不为空，拒绝写入")
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}-", suffix=".partial", dir=out_dir))
    try:
        vendor = connections["default"].vendor
        progress(f"开始备份：数据库类型 {vendor}，目标 {final}")
        audit_seal()  # the committed audit rows get their place in the chain before the snapshot
        if vendor == "postgresql":
            db_file = PG_DUMP
            counts, head = _dump_postgresql(work / db_file)
        elif vendor == "sqlite":
            db_file = SQLITE_DUMP
            counts, head = _dump_sqlite(work / db_file)
        else:
            raise BackupError(f"不支持的数据库类型：{vendor}")
        progress(f"  数据库快照完成：{len(counts)} 张表，共 {sum(counts.values())} 行")
        files = _copy_files(work, progress)
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "app_version": _app_version(),
            "git_commit": _git_commit(),
            "database": {
                "vendor": vendor,
                "file": db_file,
                "size": (work / db_file).stat().st_size,
                "sha256": sha256_of(work / db_file),
            },
            "row_counts": counts,
            "audit_chain_head": head,
            "files": files,
        }
        digest = _write_manifest(work, manifest)
        if final.exists():
            final.rmdir()
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    total = sum(f["size"] for f in files)
    progress(
        f"备份完成：{final}\n"
        f"  数据表 {len(counts)} 张，共 {sum(counts.values())} 行；文件 {len(files)} 个，共 {total} 字节\n"
        f"  审计链末条：{_head_label(head)}\n"
        f"  清单校验值（sha256）：{digest}"
    )
    return final


def _head_label(head):
    return (
        f"第 {head['seq']} 条（编号 {head['id']}），哈希 {head['hash'][:16]}…" if head else "（无审计记录）"
    )


# --- restore ----------------------------------------------------------------------------------------


def _check_backup_files(folder, manifest, progress):
    db = manifest["database"]
    path = folder / db["file"]
    if not path.is_file():
        raise BackupError(f"备份中缺少数据库文件 {db['file']}")
    if sha256_of(path) != db["sha256"]:
        raise BackupError(f"数据库文件 {db['file']} 的校验值与清单不符：文件已被改动或损坏，拒绝恢复")
    bad = []
    for entry in manifest["files"]:
        p = folder / FILES / entry["path"]
        if not p.is_file():
            bad.append(f"{entry['path']}（缺失）")
        elif p.stat().st_size != entry["size"] or sha256_of(p) != entry["sha256"]:
            bad.append(f"{entry['path']}（校验值不符）")
    if bad:
        raise BackupError("备份中的文件与清单不符，拒绝恢复：" + "、".join(bad))
    progress(f"  清单与 {len(manifest['files'])} 个文件的校验值均已核对")


def _restore_postgresql(path):
    conn = connections["default"]
    db = conn.settings_dict
    conn.close()
    args, env = _pg_command("pg_restore", db)
    args += ["--no-owner", "--exit-on-error", "--single-transaction", "--dbname", db["NAME"], str(path)]
    _run(args, env)


def _restore_sqlite(path):
    conn = connections["default"]
    name = conn.settings_dict["NAME"]
    conn.close()
    source = sqlite3.connect(path)
    dest = sqlite3.connect(name, timeout=60)
    try:
        with dest:
            source.backup(dest)
        dest.execute("PRAGMA journal_mode=WAL")
    finally:
        dest.close()
        source.close()


def _restore_files(folder, manifest, progress):
    bad = []
    total = len(manifest["files"])
    for i, entry in enumerate(manifest["files"], 1):
        with open(folder / FILES / entry["path"], "rb") as fh:
            stored = default_storage.save(entry["path"], File(fh, name=entry["path"]))
        if stored != entry["path"]:
            bad.append(f"{entry['path']}（存为 {stored}）")
            continue
        if stored_sha256(stored)[0] != entry["sha256"]:
            bad.append(f"{entry['path']}（写入后校验值不符）")
        if i % 100 == 0 or i == total:
            progress(f"  文件：{i}/{total}")
    return bad


def compare_with_manifest(manifest, using="default"):
    """Differences between the database on `using` and the manifest, as Chinese lines (empty: equal)."""
    diffs = []
    counts = row_counts(using)
    expected = manifest["row_counts"]
    for table in sorted(set(expected) | set(counts)):
        if table not in counts:
            diffs.append(f"数据表 {table} 缺失（清单中 {expected[table]} 行）")
        elif table not in expected:
            diffs.append(f"数据表 {table} 不在清单中（恢复后 {counts[table]} 行）")
        elif counts[table] != expected[table]:
            diffs.append(f"数据表 {table} 行数不符：清单 {expected[table]}，恢复后 {counts[table]}")
    head = audit_chain_head(using=using)
    if head != manifest["audit_chain_head"]:
        diffs.append(
            f"审计链末条不符：清单 {_head_label(manifest['audit_chain_head'])}，恢复后 {_head_label(head)}"
        )
    return diffs


def restore(folder, *, progress=print):
    """Restore a backup folder into the (empty) default database and storage. Raises BackupError."""
    folder = Path(folder)
    progress(f"开始恢复：{folder}")
    manifest = read_manifest(folder)
    vendor = connections["default"].vendor
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"备份来自 {manifest['database']['vendor']} 数据库，当前配置的是 {vendor}，无法恢复"
        )
    _check_backup_files(folder, manifest, progress)
    if not database_is_empty():
        raise BackupError(
            "目标数据库不是空的：恢复只写入空数据库（请新建空库，或清空后再恢复），未做任何改动"
        )
    existing = storage_files()
    if existing:
        raise BackupError(
            f"目标文件存储不是空的（已有 {len(existing)} 个文件，如 {existing[0]}）：恢复只写入空存储"
        )
    progress("  目标数据库与文件存储均为空")
    if vendor == "postgresql":
        _restore_postgresql(folder / manifest["database"]["file"])
    else:
        _restore_sqlite(folder / manifest["database"]["file"])
    progress("  数据库已恢复")
    diffs = _restore_files(folder, manifest, progress)
    diffs += compare_with_manifest(manifest)
    # the chain as it was backed up: links and head (the external checkpoints may go on past the backup)
    report = audit_verify(seal=False, checkpoints=False)
    diffs += [f"审计链校验未通过：{problem}" for problem in report.problems]
    if diffs:
        raise BackupError("恢复后核对发现差异：\n  " + "\n  ".join(diffs))
    counts = manifest["row_counts"]
    progress(
        f"恢复完成并核对一致：数据表 {len(counts)} 张，共 {sum(counts.values())} 行；"
        f"文件 {len(manifest['files'])} 个；审计链末条 {_head_label(manifest['audit_chain_head'])}，全链校验通过"
    )
