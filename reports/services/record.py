"""The village record (档案) as one ZIP: the record's PDF summary, then for each year the village's
申请表 and 评分表 (PDF) and its evidence files, with a table of contents (目录.xlsx) listing every file
with its SHA-256. Evidence is re-hashed while copied (like the city package): a changed file stops the
build with the file named."""

import io
import zipfile

from django.utils import timezone

from access.roles import Cap
from access.scope import scope_for

from ..data import mask_review, village_document
from ..data.record import village_record
from .errors import ExportError
from .package import PackageWriter, safe_part


def build_village_record(job, path, progress):
    from ..excel import package_index_xlsx
    from ..pdf import application_form_pdf, score_sheet_pdf, village_record_pdf

    village = job.village
    if village is None:
        raise ExportError("导出任务缺少所属村（社区），档案未生成。")
    review_visible = bool(job.created_by) and scope_for(job.created_by).can(Cap.REVIEW_SCORES_VIEW)
    record = village_record(village, confirmed_only=False, review_visible=review_visible)
    total = 1 + sum(2 + len(y.evidence) for y in record.years)
    done = 0
    root = safe_part(f"{village.township.name}{village.name}档案")
    created = timezone.localtime(job.created_at)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        w = PackageWriter(zf, created.timetuple()[:6])
        progress(1, "生成档案摘要", force=True)
        w.add_bytes(
            f"{root}/01_档案摘要.pdf", village_record_pdf(record), village=village.name, kind="档案摘要"
        )
        done += 1
        for y in record.years:
            folder = f"{root}/{y.year}年"
            doc = village_document(y.assessment)
            if not y.review_visible:
                mask_review(doc)
            for filename, kind, render in (
                ("申请表.pdf", "申请表", application_form_pdf),
                ("评分表.pdf", "评分表", score_sheet_pdf),
            ):
                progress(100 * done / total, f"{y.year}年：{kind}")
                w.add_bytes(
                    f"{folder}/{filename}", render(doc), village=village.name, kind=f"{y.year}年{kind}"
                )
                done += 1
            for e in y.evidence:
                progress(100 * done / total, f"{y.year}年：复核并打包佐证材料")
                w.add_evidence(
                    f"{folder}/佐证材料/{safe_part(e.original_name)}",
                    e,
                    village=village.name,
                    kind=f"{y.year}年佐证（{e.get_kind_display()}）",
                )
                done += 1
        progress(99, "生成目录")
        index = io.BytesIO()
        package_index_xlsx(
            title=f"{village.name}档案目录", entries=[e.__dict__ for e in w.entries], out=index
        )
        info = zipfile.ZipInfo(f"{root}/00_目录.xlsx", date_time=w.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, index.getvalue())
    summary = {
        "years": len(record.years),
        "files": len(w.entries) + 1,
        "evidence": sum(len(y.evidence) for y in record.years),
    }
    return f"{root}.zip", summary
