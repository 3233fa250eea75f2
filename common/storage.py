"""No file without its row (issue 15): storing an upload together with the row that references it, and
finding what was left behind anyway (a killed web process, a rollback of an enclosing transaction).

`atomic_with_file(fieldfile)` opens the transaction that saves the row: the file is written inside it, and
if anything in the block *or the commit itself* fails, the stored file is deleted again. Use it outermost
(the services call it outside any enclosing transaction; an enclosing transaction rolled back later is
the sweeper's case).

`orphan_report()` lists media files that no FileField row references (every model's FileFields, so the
evidence, rectification files, stamped application forms and export files alike) and stale temporary
files: Django's temporary uploads (`*.upload*` in FILE_UPLOAD_TEMP_DIR) and `.part` files under the media
folder, each older than `temp_age`. Files younger than `min_age` are left alone: they may belong to a
request that has not committed yet. `manage.py cleanup_orphan_files` reports (and with --delete
removes) them; beat runs it daily.
"""

import datetime as dt
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

log = logging.getLogger(__name__)

TEMP_UPLOAD_MARK = ".upload"
PART_SUFFIX = ".part"


@contextmanager
def atomic_with_file(fieldfile, using=None):
    """`with atomic_with_file(obj.file) as f: f.save(name, content, save=False); obj.save()`.

    The block runs in transaction.atomic(); if it raises, or the commit fails, the file saved to `fieldfile`
    is deleted from its storage before the exception goes on.
    """
    try:
        with transaction.atomic(using=using):
            yield fieldfile
    except BaseException:
        name = fieldfile.name
        if name:
            try:
                fieldfile.storage.delete(name)
            except OSError:  # the sweeper will find it; the original error matters more
                log.exception("could not remove %s after a rollback", name)
        raise


@dataclass
class OrphanReport:
    orphans: list = field(default_factory=list)  # paths relative to MEDIA_ROOT
    orphan_bytes: int = 0
    temp_files: list = field(default_factory=list)  # absolute paths
    temp_bytes: int = 0

    def summary(self):
        return (
            f"orphans={len(self.orphans)} orphan_bytes={self.orphan_bytes} "
            f"temp_files={len(self.temp_files)} temp_bytes={self.temp_bytes}"
        )


def referenced_files():
    """Every file name stored in any FileField column of any installed model (one query per field)."""
    names = set()
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                names.update(
                    model._default_manager.exclude(**{f.name: ""})
                    .exclude(**{f"{f.name}__isnull": True})
                    .values_list(f.name, flat=True)
                    .iterator()
                )
    return {n.replace("\\", "/") for n in names}


def temp_upload_dir():
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def _age(stat, now):
    return dt.timedelta(seconds=max(0.0, now - stat.st_mtime))


def orphan_report(*, min_age=dt.timedelta(hours=1), temp_age=dt.timedelta(days=1)):
    now = time.time()
    report = OrphanReport()
    root = Path(settings.MEDIA_ROOT)
    referenced = referenced_files()
    if root.is_dir():
        for dirpath, _dirs, files in os.walk(root):
            for filename in files:
                path = Path(dirpath) / filename
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue
                rel = path.relative_to(root).as_posix()
                if filename.endswith(PART_SUFFIX):
                    if _age(stat, now) >= temp_age:
                        report.temp_files.append(str(path))
                        report.temp_bytes += stat.st_size
                    continue
                if rel in referenced or _age(stat, now) < min_age:
                    continue
                report.orphans.append(rel)
                report.orphan_bytes += stat.st_size
    tmp = temp_upload_dir()
    if tmp.is_dir():
        for path in tmp.glob(f"*{TEMP_UPLOAD_MARK}*"):
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue
            if path.is_file() and _age(stat, now) >= temp_age:
                report.temp_files.append(str(path))
                report.temp_bytes += stat.st_size
    report.orphans.sort()
    report.temp_files.sort()
    return report


def orphan_cleanup(*, delete=False, **ages):
    """The report; with delete=True the files in it are removed (re-checked against the rows first)."""
    report = orphan_report(**ages)
    if delete and (report.orphans or report.temp_files):
        referenced = referenced_files()  # a row committed since the walk keeps its file
        root = Path(settings.MEDIA_ROOT)
        for rel in report.orphans:
            if rel not in referenced:
                (root / rel).unlink(missing_ok=True)
        for path in report.temp_files:
            Path(path).unlink(missing_ok=True)
    log.info("cleanup_orphan_files delete=%s %s", delete, report.summary())
    return report
