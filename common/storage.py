"""No file without its row (issue 15): storing an upload together with the row that references it, and
finding what was left behind anyway (a killed web process, a rollback of an enclosing transaction).

`atomic_with_file(fieldfile)` opens the transaction that saves the row: the file is written inside it, and
if anything in the block *or the commit itself* fails, the stored file is deleted again. Use it outermost
(the services call it outside any enclosing transaction; an enclosing transaction rolled back later is
the sweeper's case).

`orphan_report()` lists stored files that no FileField row references (every model's FileFields, so the
evidence, rectification files, stamped application forms and export files alike) and stale temporary
files of this machine: Django's temporary uploads (`*.upload*` in FILE_UPLOAD_TEMP_DIR) and the export
builders' `ql-export-*.part` files there, each older than `temp_age`. Stored files younger than `min_age`
are left alone: they may belong to a request that has not committed yet. `manage.py cleanup_orphan_files`
reports (and with --delete removes) them; beat runs it daily.

Issue 16: every media read and write goes through Django's storage API (the default storage is the local
disk in the embedded edition and an S3-API object store when several machines share the files), so
nothing here does path arithmetic on MEDIA_ROOT: the walk is `listdir`, ages come from
`get_modified_time`, removal is `delete`. `stream_open` reads a stored file without loading it into
memory and `download_response` sends one to a browser after the view's access check.
"""

import datetime as dt
import logging
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.http import FileResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import content_disposition_header

log = logging.getLogger(__name__)

TEMP_UPLOAD_MARK = ".upload"
# Export builders write their file here on the worker's own disk before it is stored (reports.services.jobs)
TEMP_EXPORT_PREFIX = "ql-export-"
PART_SUFFIX = ".part"
CHUNK = 1 << 20


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


def temp_upload_dir():
    """This machine's folder for temporary files (uploads being received, exports being built)."""
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def local_temp_file(prefix=TEMP_EXPORT_PREFIX):
    """A named temporary file on this machine's disk (closed; the caller writes it by name and removes it).
    The sweeper removes ones a killed process left once they are older than its temp age."""
    fh = tempfile.NamedTemporaryFile(prefix=prefix, suffix=PART_SUFFIX, dir=temp_upload_dir(), delete=False)
    fh.close()
    return Path(fh.name)


def store_local_file(name, path, *, storage=None):
    """Store the local file `path` under `name` (streamed in chunks, never read into memory as a whole:
    FileSystemStorage copies it, S3Storage uploads it in parts). Returns the name actually stored: with
    file_overwrite off an existing name gets a suffix."""
    storage = storage or default_storage
    with open(path, "rb") as fh:
        return storage.save(name, File(fh, name=name))


def storage_files(storage=None, folder=""):
    """Every file name in the storage under `folder`, recursively through listdir (object storages too)."""
    storage = storage or default_storage
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{name}" if folder else name for name in files]
    for d in dirs:
        found += storage_files(storage, f"{folder}/{d}" if folder else d)
    return sorted(found)


class _S3Body:
    """The body of an S3 GET as a plain read-only file (FileResponse reads it in blocks)."""

    def __init__(self, body):
        self._body = body

    def read(self, size=-1):
        return self._body.read(None if size is None or size < 0 else size)

    def close(self):
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _is_s3(storage):
    return hasattr(storage, "bucket") and hasattr(storage, "_normalize_name")


def stream_open(name, *, storage=None):
    """(file, size) for reading a stored file from the start without holding it in memory.

    On S3 this is the GET's body streamed as it arrives (S3Storage.open would first copy the whole object
    into a temporary file); elsewhere the storage's own file. Raises FileNotFoundError when it is missing.
    """
    storage = storage or default_storage
    if _is_s3(storage):
        from botocore.exceptions import ClientError
        from storages.utils import clean_name

        try:
            got = storage.bucket.Object(storage._normalize_name(clean_name(name))).get()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(name) from None
            raise
        return _S3Body(got["Body"]), got["ContentLength"]
    fh = storage.open(name, "rb")
    return fh, fh.size


def stored_sha256(name, *, storage=None):
    """(SHA-256 hex, size) of a stored file, read in chunks. Raises FileNotFoundError when missing."""
    import hashlib

    h = hashlib.sha256()
    size = 0
    fh, _ = stream_open(name, storage=storage)
    with fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def presigned_downloads(storage=None):
    """Whether downloads are handed to the object store by a short-lived signed address."""
    storage = storage or default_storage
    return bool(getattr(settings, "QL_S3_PRESIGNED_DOWNLOADS", False)) and _is_s3(storage)


def download_response(name, *, filename, content_type, storage=None):
    """Send a stored file as an attachment named `filename` (Chinese names in filename*), after the view
    has checked access and written its audit row.

    Either streamed from the storage through this process (FileResponse over the open file, with its
    Content-Length), or, with QL_S3_PRESIGNED_DOWNLOADS on an S3 storage, a redirect to a signed address
    that expires after QL_S3_PRESIGNED_SECONDS and makes the store send the same name and type. The
    address is issued only here, after the check, and is never shown on a page. Raises FileNotFoundError.
    """
    storage = storage or default_storage
    if presigned_downloads(storage):
        if not storage.exists(name):
            raise FileNotFoundError(name)
        url = storage.url(
            name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
                "ResponseCacheControl": "no-store",
            },
            expire=getattr(settings, "QL_S3_PRESIGNED_SECONDS", 60),
        )
        response = HttpResponseRedirect(url)
    else:
        fh, size = stream_open(name, storage=storage)
        response = FileResponse(fh, as_attachment=True, filename=filename, content_type=content_type)
        response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@dataclass
class OrphanReport:
    orphans: list = field(default_factory=list)  # storage names
    orphan_bytes: int = 0
    temp_files: list = field(default_factory=list)  # absolute paths on this machine
    temp_bytes: int = 0

    def summary(self):
        return (
            f"orphans={len(self.orphans)} orphan_bytes={self.orphan_bytes} "
            f"temp_files={len(self.temp_files)} temp_bytes={self.temp_bytes}"
        )


_REFERENCE_SOURCES = []


def register_file_references(source):
    """Name another source of referenced storage names: `source()` returns an iterable of names that live
    outside FileField columns (the city package's parts, listed in a JSON column while a package builds).
    Apps above this package register theirs in AppConfig.ready(), so the sweeper never takes them."""
    if source not in _REFERENCE_SOURCES:
        _REFERENCE_SOURCES.append(source)


def referenced_files():
    """Every file name stored in any FileField column of any installed model (one query per field), and
    the names the registered sources give."""
    names = set()
    for source in _REFERENCE_SOURCES:
        names.update(source())
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


def _age(stat, now):
    return dt.timedelta(seconds=max(0.0, now - stat.st_mtime))


def _stale_temp_files(temp_age):
    """This machine's temporary uploads and export parts older than `temp_age`: (path, size) pairs."""
    now = time.time()
    found = []
    tmp = temp_upload_dir()
    if not tmp.is_dir():
        return found
    for pattern in (f"*{TEMP_UPLOAD_MARK}*", f"{TEMP_EXPORT_PREFIX}*{PART_SUFFIX}"):
        for path in tmp.glob(pattern):
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue
            if path.is_file() and _age(stat, now) >= temp_age:
                found.append((str(path), stat.st_size))
    return found


def orphan_report(*, min_age=dt.timedelta(hours=1), temp_age=dt.timedelta(days=1), storage=None):
    """Stored files without a row (older than `min_age`) and this machine's stale temporary files.

    Only the unreferenced names cost a look at their age and size (one HEAD each on S3), so a sweep of an
    object store costs its listing plus a little per orphan."""
    storage = storage or default_storage
    report = OrphanReport()
    referenced = referenced_files()
    now = timezone.now()
    for name in storage_files(storage):
        if name in referenced:
            continue
        try:
            modified = storage.get_modified_time(name)
            size = storage.size(name)
        except (FileNotFoundError, OSError):  # gone since the listing
            continue
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified)
        if now - modified < min_age:
            continue
        report.orphans.append(name)
        report.orphan_bytes += size
    for path, size in _stale_temp_files(temp_age):
        report.temp_files.append(path)
        report.temp_bytes += size
    report.orphans.sort()
    report.temp_files.sort()
    return report


def orphan_cleanup(*, delete=False, storage=None, **ages):
    """The report; with delete=True the files in it are removed (re-checked against the rows first)."""
    storage = storage or default_storage
    report = orphan_report(storage=storage, **ages)
    if delete and (report.orphans or report.temp_files):
        referenced = referenced_files()  # a row committed since the walk keeps its file
        for name in report.orphans:
            if name not in referenced:
                storage.delete(name)
        for path in report.temp_files:
            Path(path).unlink(missing_ok=True)
    log.info("cleanup_orphan_files delete=%s %s", delete, report.summary())
    return report
