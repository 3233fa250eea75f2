"""Backup → restore drills (issue 15): a snapshot of a campaign with evidence files and audit rows is
restored by `manage.py restore` in a separate process into a fresh empty database and media folder, and
the restored installation is compared with the source: row counts of every table, the audit chain and
every evidence file's sha256. On SQLite the last writes are still in the WAL when the backup runs."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from assessments.models import Evidence
from assessments.services import self_assessment as svc
from audit.models import AuditEvent
from audit.services import audit_log
from portal.backup import MANIFEST, SIDECAR, backup, compare_with_manifest, read_manifest, row_counts
from tests.assessments.conftest import PDF_BYTES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def png(colour):
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buf, "PNG")
    return buf.getvalue()


def build_data(cycle):
    """An assessment with evidence files (application form and indicator photos) and audit rows."""
    east = cycle.a["东村"]
    indicator = east.scores.filter(indicator__scored_by="village_and_township").first().indicator
    svc.evidence_upload(
        assessment=east,
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=SimpleUploadedFile("申请表（盖章）.pdf", PDF_BYTES),
    )
    for i, colour in enumerate([(166, 27, 27), (27, 120, 60), (30, 60, 160)]):
        svc.evidence_upload(
            assessment=east,
            actor=cycle.committee,
            kind="indicator",
            indicator=indicator,
            uploaded_file=SimpleUploadedFile(f"现场照片{i}.png", png(colour)),
        )
    for i in range(5):
        audit_log(action="backup.drill", actor=cycle.reviewer, message=f"演练记录{i}")
    assert Evidence.objects.count() == 4


def file_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_restore(folder, database_url, media):
    """`manage.py restore` in its own process, configured for the fresh database and media folder."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url,
        QL_TEST_MEDIA_ROOT=str(media),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "restore", str(folder)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def make_backup(tmp_path):
    call_command("backup", out=str(tmp_path / "backups"), stdout=io.StringIO())
    (folder,) = (tmp_path / "backups").iterdir()
    return folder


def assert_restored_equal(fetch, media):
    """Compare the restored database (through `fetch(sql)`) and media folder with the live source."""
    source_counts = row_counts()
    assert sum(source_counts.values()) > 0
    restored_counts = {
        table: fetch(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")[0][0]
        for table in source_counts
    }
    assert restored_counts == source_counts
    source_chain = list(AuditEvent.objects.order_by("id").values_list("id", "seq", "prev_hash", "hash"))
    assert len(source_chain) > 5
    assert fetch("SELECT id, seq, prev_hash, hash FROM audit_auditevent ORDER BY id") == [
        tuple(r) for r in source_chain
    ]
    evidence = list(Evidence.objects.values_list("file", "sha256"))
    assert len(evidence) == 4
    for name, recorded in evidence:
        original = file_sha256(Path(settings.MEDIA_ROOT) / name)
        assert original == recorded
        assert file_sha256(Path(media) / name) == original, name


def test_sqlite_drill_keeps_the_writes_still_in_the_wal_which_a_file_copy_loses(cycle, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite drill (WAL) runs on the embedded default")
    build_data(cycle)
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # Everything so far into the database file, then no automatic checkpoint: the next writes
        # stay in the WAL, as the last saves do between two checkpoints.
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    late = [audit_log(action="backup.drill", message=f"尚在 WAL 中的保存{i}") for i in range(30)]
    other = sqlite3.connect(name)
    other.execute("PRAGMA wal_autocheckpoint=0")
    with other:
        other.execute(
            "UPDATE villages_village SET name = name || '（WAL）' WHERE id = ?", [cycle.org.village.pk]
        )
    try:
        assert Path(name + "-wal").stat().st_size > 0
        # What an operator's `cp` of the live database file gets: none of the late saves.
        copied = tmp_path / "cp.sqlite3"
        shutil.copyfile(name, copied)
        plain = sqlite3.connect(copied)
        assert plain.execute("SELECT MAX(id) FROM audit_auditevent").fetchone()[0] < late[0].pk
        assert (
            plain.execute(
                "SELECT name FROM villages_village WHERE id = ?", [cycle.org.village.pk]
            ).fetchone()[0]
            == "东村"
        )
        plain.close()

        folder = make_backup(tmp_path)
        # the second connection is still open: the WAL was never checkpointed into the file
        assert Path(name + "-wal").stat().st_size > 0
    finally:
        other.close()

    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    last = AuditEvent.objects.get(pk=late[-1].pk)  # sealed into the chain as soon as it was written
    assert last.hash and manifest["audit_chain_head"] == {"seq": last.seq, "id": last.pk, "hash": last.hash}
    assert manifest["database"]["vendor"] == "sqlite"

    target = tmp_path / "fresh.sqlite3"
    media = tmp_path / "fresh-media"
    media.mkdir()
    result = run_restore(folder, f"sqlite:///{target}", media)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "恢复完成并核对一致" in result.stdout

    restored = sqlite3.connect(target)
    try:
        assert (
            restored.execute(
                "SELECT name FROM villages_village WHERE id = ?", [cycle.org.village.pk]
            ).fetchone()[0]
            == "东村（WAL）"
        )
        assert_restored_equal(lambda sql: restored.execute(sql).fetchall(), media)
    finally:
        restored.close()


def _pg_url(db, name):
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{name}"


def test_postgresql_drill_restores_into_a_fresh_database(cycle, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL drill runs when DATABASE_URL points at PostgreSQL")
    import psycopg2

    build_data(cycle)
    folder = make_backup(tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["database"]["vendor"] == "postgresql"
    last = AuditEvent.objects.order_by("-seq").first()
    assert last.hash and manifest["audit_chain_head"] == {"seq": last.seq, "id": last.pk, "hash": last.hash}

    db = connection.settings_dict
    fresh = f"ql_restore_drill_{uuid.uuid4().hex[:12]}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{fresh}"')
    try:
        media = tmp_path / "fresh-media"
        media.mkdir()
        result = run_restore(folder, _pg_url(db, fresh), media)
        assert result.returncode == 0, result.stderr + result.stdout
        assert "恢复完成并核对一致" in result.stdout
        restored = psycopg2.connect(
            dbname=fresh,
            user=db["USER"],
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
        )
        try:
            with restored.cursor() as cur:

                def fetch(sql):
                    cur.execute(sql)
                    return cur.fetchall()

                assert_restored_equal(fetch, media)
        finally:
            restored.close()
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')


def test_a_tampered_file_in_the_backup_makes_restore_refuse_naming_it(cycle, tmp_path):
    build_data(cycle)
    folder = make_backup(tmp_path)
    photo = Evidence.objects.filter(kind="indicator").first().file.name
    tampered = folder / "files" / photo
    tampered.write_bytes(tampered.read_bytes()[:-1] + b"\0")

    media = tmp_path / "fresh-media"
    media.mkdir()
    if connection.vendor == "sqlite":
        target = tmp_path / "fresh.sqlite3"
        result = run_restore(folder, f"sqlite:///{target}", media)
    else:
        result = run_restore(folder, _pg_url(connection.settings_dict, "ql_never_created"), media)
    assert result.returncode != 0
    assert photo in result.stderr
    assert "校验值不符" in result.stderr
    assert not any(media.iterdir())
    if connection.vendor == "sqlite":
        # refused before anything was written
        assert (
            not target.exists()
            or not sqlite3.connect(target)
            .execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetchall()
        )


def test_restore_refuses_a_changed_manifest_and_a_database_that_is_not_empty(cycle, tmp_path):
    build_data(cycle)
    folder = make_backup(tmp_path)
    # the live test database is not empty
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(folder), stdout=io.StringIO())
    manifest = (folder / MANIFEST).read_text(encoding="utf-8")
    (folder / MANIFEST).write_text(manifest.replace('"backup.drill"', '"x"') + " ", encoding="utf-8")
    with pytest.raises(CommandError, match=r"manifest\.json 的校验值不符"):
        call_command("restore", str(folder), stdout=io.StringIO())
    (folder / SIDECAR).unlink()
    with pytest.raises(CommandError, match="不是完整的备份"):
        call_command("restore", str(folder), stdout=io.StringIO())


def test_backup_refuses_a_folder_that_is_not_empty(db, tmp_path):
    import datetime

    now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    target = tmp_path / "qinglian-backup-20260102-030405"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with pytest.raises(Exception, match="已存在且不为空"):
        backup(tmp_path, progress=lambda _: None, now=now)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_the_comparison_after_a_restore_names_each_difference(cycle, tmp_path):
    build_data(cycle)
    folder = make_backup(tmp_path)
    manifest = read_manifest(folder)
    assert compare_with_manifest(manifest) == []
    audit_log(action="backup.drill", message="备份之后的一条")
    Evidence.objects.filter(kind="indicator").first().delete()
    diffs = compare_with_manifest(manifest)
    events = manifest["row_counts"]["audit_auditevent"]
    assert f"数据表 audit_auditevent 行数不符：清单 {events}，恢复后 {events + 1}" in diffs
    assert any(d.startswith("数据表 assessments_evidence 行数不符") for d in diffs)
    assert any(d.startswith("审计链末条不符") for d in diffs)
    assert len(diffs) == 3
