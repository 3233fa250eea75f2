"""One builder per export kind: (job, path to write, progress) → (download file name, summary)."""

from django.utils import timezone

from common.dates import cn_date
from ledgers.models import Rectification

from ..data import campaign_matrix, campaign_table
from ..models import ExportJob
from .record import build_village_record

K = ExportJob.Kind


def _title(job):
    return f"{job.township.name}{job.year}年"


def _write(path, payload):
    with open(path, "wb") as f:
        f.write(payload)


def build_score_matrix(job, path, progress):
    from ..excel import score_matrix_xlsx

    progress(10, "汇总各村各指标得分")
    matrix = campaign_matrix(job.campaign)
    progress(50, "写入Excel")
    with open(path, "wb") as f:
        score_matrix_xlsx(matrix, f)
    return f"{_title(job)}清廉村居各村指标得分汇总表.xlsx", {"villages": len(matrix.rows)}


def build_grade_roster_xlsx(job, path, progress):
    from ..excel import grade_roster_xlsx

    progress(10, "汇总定级结果")
    table = campaign_table(job.campaign)
    with open(path, "wb") as f:
        grade_roster_xlsx(table, f)
    return f"{_title(job)}清廉村居定级名册.xlsx", {"villages": len(table.rows)}


def build_grade_roster_pdf(job, path, progress):
    from ..pdf import grade_roster_pdf

    progress(10, "汇总定级结果")
    table = campaign_table(job.campaign)
    progress(30, "排版PDF")
    _write(path, grade_roster_pdf(table))
    return f"{_title(job)}清廉村居定级名册.pdf", {"villages": len(table.rows)}


def build_ranking_pdf(job, path, progress):
    from ..pdf import ranking_pdf

    progress(10, "计算清廉指数排名")
    table = campaign_table(job.campaign)
    progress(30, "排版PDF")
    _write(path, ranking_pdf(table))
    return f"{_title(job)}村居清廉指数排名.pdf", {"villages": len(table.rows)}


def build_compliance(job, path, progress):
    from ledgers.exports import compliance_xlsx

    progress(10, "汇总台账报送情况")
    with open(path, "wb") as f:
        compliance_xlsx(township=job.township, year=job.year, out=f, today=timezone.localdate())
    return f"{_title(job)}日常监管台账报送情况（截至{cn_date(timezone.localdate())}）.xlsx", {}


def build_rectifications(job, path, progress):
    from ledgers.exports import rectification_xlsx

    progress(10, "汇总整改事项")
    items = Rectification.objects.filter(township=job.township, deadline__year=job.year).order_by(
        "deadline", "pk"
    )
    with open(path, "wb") as f:
        rectification_xlsx(rectifications=items, out=f)
    return f"{_title(job)}整改清单.xlsx", {"items": items.count()}


def _year_summary(job, progress):
    from ..data.summary import year_summary
    from ..data.summary_text import summary_document

    progress(10, "汇总本年度数据")
    return summary_document(year_summary(job.township, job.year))


def build_year_summary_docx(job, path, progress):
    from ..word import year_summary_docx

    document = _year_summary(job, progress)
    progress(60, "写入Word文档")
    with open(path, "wb") as f:
        year_summary_docx(document, f)
    return f"{document.title}.docx", {"sections": len(document.sections)}


def build_year_summary_pdf(job, path, progress):
    from ..pdf import year_summary_pdf

    document = _year_summary(job, progress)
    progress(40, "排版PDF")
    _write(path, year_summary_pdf(document))
    return f"{document.title}.pdf", {"sections": len(document.sections)}


# The city package is not here: it fans out into one task per village (jobs.FANOUT, services.package).
BUILDERS = {
    K.SCORE_MATRIX_XLSX: build_score_matrix,
    K.GRADE_ROSTER_XLSX: build_grade_roster_xlsx,
    K.GRADE_ROSTER_PDF: build_grade_roster_pdf,
    K.RANKING_PDF: build_ranking_pdf,
    K.COMPLIANCE_XLSX: build_compliance,
    K.RECTIFICATION_XLSX: build_rectifications,
    K.VILLAGE_RECORD: build_village_record,
    K.YEAR_SUMMARY_DOCX: build_year_summary_docx,
    K.YEAR_SUMMARY_PDF: build_year_summary_pdf,
}
