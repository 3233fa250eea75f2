"""The city package: for each 示范村 candidate its 申请表, 示范村申请表 and 评分表 as PDF, the 评分表 as
Excel, the stamped application form and the bonus evidence, plus the township's grade roster, zipped
with an index (目录.xlsx) listing every file with its SHA-256.

It is built as many small jobs (reports.services.jobs drives them): one task per village renders that
village's documents into storage (`village_part_render`, under exports/parts/<job>/<attempt>/…, each
with its SHA-256), and a final task (`package_assemble`) streams the parts and the evidence into the zip.
No process holds more than one village, so a package uses every worker and no worker's memory depends
on the number of villages.

Evidence is re-hashed while it is copied into the zip (SECURITY FILE-4): a file whose bytes no longer
match the hash taken at upload stops the build with the file named. Entries carry the job's creation
time, so a job built again (after a crash) gives the same entries.
"""

import hashlib
import io
import logging
import re
import uuid
import zipfile
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from assessments.models import Assessment, Evidence

from ..data import campaign_table, village_document
from .errors import ExportError

log = logging.getLogger(__name__)
ALREADY_COMPRESSED = {
    "pdf",
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "heic",
    "zip",
    "rar",
    "7z",
    "gz",
    "docx",
    "xlsx",
    "pptx",
    "ofd",
}
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_part(name, limit=80):
    """A zip path component from a user-typed name: no separators, no dot-dot, no control characters."""
    name = UNSAFE.sub("_", name).strip(" .") or "未命名"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: limit - len(ext) - 1] + "." + ext) if dot and len(ext) <= 8 else name[:limit]
    return name


@dataclass
class Entry:
    village: str
    kind: str
    path: str
    size: int
    sha256: str


class PackageWriter:
    def __init__(self, zf, date_time):
        self.zf = zf
        self.date_time = date_time
        self.entries = []
        self.names = set()

    def _info(self, path):
        if path in self.names:  # two uploads with the same name
            stem, dot, ext = path.rpartition(".")
            n = 2
            while f"{stem}({n}){dot}{ext}" in self.names:
                n += 1
            path = f"{stem}({n}){dot}{ext}"
        self.names.add(path)
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        # scans, photos, PDFs and Office files are compressed already: deflating them again costs the
        # assembly (which runs once, after the villages) most of its time for a gain of a few per cent
        stored = path.rsplit(".", 1)[-1].lower() in ALREADY_COMPRESSED
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        return info

    def add_bytes(self, path, payload, *, village, kind):
        info = self._info(path)
        self.zf.writestr(info, payload)
        self.entries.append(
            Entry(village, kind, info.filename, len(payload), hashlib.sha256(payload).hexdigest())
        )

    def add_evidence(self, path, evidence, *, village, kind):
        """Copy an uploaded file into the zip, checking its hash on the way."""
        info = self._info(path)
        h = hashlib.sha256()
        size = 0
        try:
            source = evidence.file.open("rb")
        except (FileNotFoundError, OSError):
            raise ExportError(
                f"佐证文件缺失：{village}「{evidence.original_name}」在存储中找不到，材料包未生成。"
            ) from None
        with source, self.zf.open(info, "w") as target:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
                target.write(chunk)
        if h.hexdigest() != evidence.sha256:
            raise ExportError(
                f"佐证文件校验失败：{village}「{evidence.original_name}」的 SHA-256 与上传时记录的不一致"
                "（文件可能被改动或损坏），材料包未生成。请联系管理员核查。"
            )
        self.entries.append(Entry(village, kind, info.filename, size, evidence.sha256))

    def add_stored(self, path, stored, *, village):
        """Stream one rendered part from storage into the zip, checking it is the file its task wrote."""
        info = self._info(path)
        h = hashlib.sha256()
        size = 0
        try:
            source = default_storage.open(stored["storage"], "rb")
        except (FileNotFoundError, OSError):
            raise ExportError(
                f"材料包生成中断：{village}的「{stored['name']}」在存储中找不到，请重新生成。"
            ) from None
        with source, self.zf.open(info, "w") as target:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
                target.write(chunk)
        if h.hexdigest() != stored["sha256"]:
            raise ExportError(
                f"材料包生成中断：{village}的「{stored['name']}」与生成时的校验值不一致，请重新生成。"
            )
        self.entries.append(Entry(village, stored["kind"], info.filename, size, stored["sha256"]))


def candidates(campaign):
    """The candidates in the township's recommendation order (then by score)."""
    return list(
        Assessment.objects.filter(campaign=campaign, city_candidate=True)
        .select_related("village", "demonstration")
        .order_by(
            F("demonstration__recommendation_rank").asc(nulls_last=True),
            "-final_score",
            "village__sort_order",
        )
    )


def package_plan(campaign):
    """The villages of a package, in order; an empty plan is refused with the reason."""
    chosen = candidates(campaign)
    if not chosen:
        raise ExportError("本年度尚无报市的示范村候选（确认定级后才会产生），无法生成材料包。")
    return chosen


def parts_prefix(job_id, attempt=None):
    base = f"exports/parts/{job_id}"
    return base if attempt is None else f"{base}/{attempt}"


# (file name in the village's folder, kind in the index, name in storage); the storage names stay ASCII
VILLAGE_FILES = (
    ("申请表.pdf", "申请表", "application.pdf"),
    ("示范村申请表.pdf", "示范村申请表", "demonstration.pdf"),
    ("评分表.pdf", "评分表", "score_sheet.pdf"),
    ("评分表.xlsx", "评分表（Excel）", "score_sheet.xlsx"),
)


def township_part_render(*, job, part):
    """The township's part: its 定级名册, one document listing every village of the campaign."""
    from ..pdf import grade_roster_pdf

    payload = grade_roster_pdf(campaign_table(job.campaign))
    folder = f"{parts_prefix(job.pk, part.attempt)}/township/{uuid.uuid4().hex[:12]}"
    saved = default_storage.save(f"{folder}/grade_roster.pdf", ContentFile(payload))
    return [
        {
            "name": "01_定级名册.pdf",
            "kind": "定级名册",
            "storage": saved,
            "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
    ]


def village_part_render(*, job, part):
    """Render one village's four documents into storage; returns their manifest (name, kind, storage
    name, size, sha256). Every run writes under a folder of its own, so two runs of the same village (a
    redelivered message while the first is still running) never touch each other's files: the run that
    records the part first wins and the other deletes its files (`stored_delete`)."""
    from ..excel import score_sheet_xlsx
    from ..pdf import application_form_pdf, demonstration_form_pdf, score_sheet_pdf

    doc = village_document(part.assessment)
    renders = (application_form_pdf, demonstration_form_pdf, score_sheet_pdf, None)
    folder = f"{parts_prefix(job.pk, part.attempt)}/{part.assessment_id}/{uuid.uuid4().hex[:12]}"
    manifest = []
    try:
        for (name, kind, stored_name), render in zip(VILLAGE_FILES, renders, strict=True):
            if render is None:
                buffer = io.BytesIO()
                score_sheet_xlsx(doc, buffer)
                payload = buffer.getvalue()
            else:
                payload = render(doc)
            saved = default_storage.save(f"{folder}/{stored_name}", ContentFile(payload))
            manifest.append(
                {
                    "name": name,
                    "kind": kind,
                    "storage": saved,
                    "size": len(payload),
                    "sha256": hashlib.sha256(payload).hexdigest(),
                }
            )
    except BaseException:
        stored_delete(manifest)
        raise
    return manifest


def stored_delete(manifest):
    for stored in manifest:
        try:
            default_storage.delete(stored["storage"])
        except OSError:  # a leftover part is removed with its job's folder (parts_clean)
            log.warning("could not delete package part %s", stored["storage"], exc_info=True)


def part_storage_names():
    """The storage names of the parts of packages still being built (for the orphan sweeper). A finished
    or failed job's parts were removed with it; any its clean-up missed are the sweeper's to take."""
    from ..models import ExportJob, PackagePart

    running = PackagePart.objects.filter(job__status=ExportJob.Status.RUNNING).exclude(files=[])
    for files in running.values_list("files", flat=True).iterator():
        for f in files:
            if f.get("storage"):
                yield f["storage"]


def parts_clean(job_id):
    """Remove every part of every attempt of a job from storage (after its zip is stored, or failed)."""

    def walk(path):
        try:
            dirs, files = default_storage.listdir(path)
        except (FileNotFoundError, NotADirectoryError):
            return
        for name in files:
            default_storage.delete(f"{path}/{name}")
        for name in dirs:
            walk(f"{path}/{name}")
        try:  # the local disk keeps empty folders; object storage has none
            default_storage.delete(path)
        except OSError:
            pass

    walk(parts_prefix(job_id))


def package_assemble(job, parts, path, progress):
    """Zip the finished parts (in their order), the evidence (re-hashed) and the index into `path`."""
    from ..excel import package_index_xlsx

    township = [p for p in parts if p.assessment_id is None]
    parts = [p for p in parts if p.assessment_id is not None]
    evidence = {}
    for e in (
        Evidence.objects.filter(
            assessment__in=[p.assessment_id for p in parts],
            kind__in=[Evidence.Kind.BONUS, Evidence.Kind.APPLICATION_FORM],
        )
        .select_related("bonus_claim__bonus_item")
        .order_by("uploaded_at", "pk")
    ):
        evidence.setdefault(e.assessment_id, []).append(e)
    total = 2 + sum(len(p.files) + len(evidence.get(p.assessment_id, [])) for p in parts)
    done = 0
    root = safe_part(f"{job.township.name}{job.year}年示范村报市材料")
    created = timezone.localtime(job.created_at)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        w = PackageWriter(zf, created.timetuple()[:6])
        progress(1, "打包定级名册", force=True)
        for part in township:
            for stored in part.files:
                w.add_stored(f"{root}/{stored['name']}", stored, village="")
        done += 1
        for n, part in enumerate(parts, start=1):
            name = part.assessment.village.name
            folder = f"{root}/{n:02d}_{safe_part(name)}"
            progress(100 * done / total, f"打包：{name}（第{n}/{len(parts)}个村）")
            for stored in part.files:
                w.add_stored(f"{folder}/{stored['name']}", stored, village=name)
                done += 1
            for e in evidence.get(part.assessment_id, []):
                progress(100 * done / total, f"打包：{name}：复核佐证材料（第{n}/{len(parts)}个村）")
                if e.kind == Evidence.Kind.APPLICATION_FORM:
                    target, kind = f"{folder}/盖章申请表_{safe_part(e.original_name)}", "盖章申请表"
                else:
                    code = e.bonus_claim.bonus_item.code
                    target, kind = (
                        f"{folder}/加分佐证/{code}_{safe_part(e.original_name)}",
                        f"加分佐证 {code}",
                    )
                w.add_evidence(target, e, village=name, kind=kind)
                done += 1
        progress(99, "生成目录")
        index = io.BytesIO()
        entries = [e.__dict__ for e in w.entries]
        package_index_xlsx(
            title=f"{job.township.name}{job.year}年示范村报市材料目录", entries=entries, out=index
        )
        info = zipfile.ZipInfo(f"{root}/00_目录.xlsx", date_time=w.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, index.getvalue())
    summary = {
        "villages": len(parts),
        "files": len(w.entries) + 1,
        "evidence": sum(map(len, evidence.values())),
    }
    return f"{root}.zip", summary
