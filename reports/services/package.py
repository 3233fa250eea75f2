"""The city package: for each 示范村 candidate its 申请表, 示范村申请表 and 评分表 as PDF, the 评分表 as
Excel, the stamped application form and the bonus evidence, plus the township's grade roster, zipped
with an index (目录.xlsx) listing every file with its SHA-256.

Evidence is re-hashed while it is copied into the zip (SECURITY FILE-4): a file whose bytes no longer
match the hash taken at upload stops the build with the file named. Entries carry the job's creation
time, so a job built again (after a crash) gives the same entries.
"""

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from assessments.models import Assessment, Evidence

from ..data import campaign_table, village_document
from .errors import ExportError

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
        info.compress_type = zipfile.ZIP_DEFLATED
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


def build_city_package(job, path, progress):
    from ..excel import package_index_xlsx, score_sheet_xlsx
    from ..pdf import application_form_pdf, demonstration_form_pdf, grade_roster_pdf, score_sheet_pdf

    campaign = job.campaign
    chosen = candidates(campaign)
    if not chosen:
        raise ExportError("本年度尚无报市的示范村候选（确认定级后才会产生），无法生成材料包。")
    evidence = {}
    for e in (
        Evidence.objects.filter(
            assessment__in=chosen, kind__in=[Evidence.Kind.BONUS, Evidence.Kind.APPLICATION_FORM]
        )
        .select_related("bonus_claim__bonus_item")
        .order_by("uploaded_at", "pk")
    ):
        evidence.setdefault(e.assessment_id, []).append(e)
    total = 2 + sum(4 + len(evidence.get(a.pk, [])) for a in chosen)
    done = 0
    root = safe_part(f"{job.township.name}{job.year}年示范村报市材料")
    created = timezone.localtime(job.created_at)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        w = PackageWriter(zf, created.timetuple()[:6])
        progress(1, "生成定级名册", force=True)
        w.add_bytes(
            f"{root}/01_定级名册.pdf", grade_roster_pdf(campaign_table(campaign)), village="", kind="定级名册"
        )
        done += 1
        for n, a in enumerate(chosen, start=1):
            name = a.village.name
            folder = f"{root}/{n:02d}_{safe_part(name)}"
            doc = village_document(a)
            steps = (
                ("申请表.pdf", "申请表", application_form_pdf),
                ("示范村申请表.pdf", "示范村申请表", demonstration_form_pdf),
                ("评分表.pdf", "评分表", score_sheet_pdf),
            )
            for filename, kind, render in steps:
                progress(100 * done / total, f"{name}：{kind}（第{n}/{len(chosen)}个村）")
                w.add_bytes(f"{folder}/{filename}", render(doc), village=name, kind=kind)
                done += 1
            buffer = io.BytesIO()
            score_sheet_xlsx(doc, buffer)
            w.add_bytes(f"{folder}/评分表.xlsx", buffer.getvalue(), village=name, kind="评分表（Excel）")
            done += 1
            for e in evidence.get(a.pk, []):
                progress(100 * done / total, f"{name}：复核并打包佐证材料（第{n}/{len(chosen)}个村）")
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
        "villages": len(chosen),
        "files": len(w.entries) + 1,
        "evidence": sum(map(len, evidence.values())),
    }
    return f"{root}.zip", summary
