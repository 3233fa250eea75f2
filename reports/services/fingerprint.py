"""What the data behind an export looked like: a hash of a few SQL aggregates per kind.

A finished export whose fingerprint differs from the current one is stale (the data changed since);
the page says so and offers to rebuild. Each fingerprint is a fixed number of queries.
"""

import hashlib

from django.db.models import Count, Max, Sum
from django.utils import timezone

from assessments.models import (
    Assessment,
    BonusClaim,
    DemonstrationApplication,
    Evidence,
    IndicatorScore,
    VetoCheck,
)
from ledgers.models import LedgerEntry, LedgerSubmission, Rectification, RectificationEvent

from ..data.summary import year_summary
from ..data.summary_text import summary_document
from ..models import ExportJob

K = ExportJob.Kind
SUMMARY_KINDS = (K.YEAR_SUMMARY_DOCX, K.YEAR_SUMMARY_PDF)


def _campaign_parts(campaign, *, candidates_only):
    assessments = Assessment.objects.filter(campaign=campaign)
    if candidates_only:
        assessments = assessments.filter(city_candidate=True)
    ids = assessments.values("pk")
    rows = list(
        assessments.order_by("pk").values_list(
            "pk",
            "status",
            "version",
            "round",
            "final_score",
            "final_grade",
            "city_grade",
            "city_decision",
            "city_candidate",
            "grade_override_reason",
            "secretary_name",
            "director_name",
            "achievements",
        )
    )
    parts = [campaign.pk, campaign.standard_id, campaign.grades_confirmed_at, rows]
    parts.append(
        IndicatorScore.objects.filter(assessment__in=ids).aggregate(
            n=Count("pk"), v=Sum("version"), at=Max("updated_at")
        )
    )
    parts.append(BonusClaim.objects.filter(assessment__in=ids).aggregate(n=Count("pk"), v=Sum("version")))
    parts.append(VetoCheck.objects.filter(assessment__in=ids).aggregate(n=Count("pk"), v=Sum("version")))
    if candidates_only:
        parts.append(
            Evidence.objects.filter(assessment__in=ids).aggregate(
                n=Count("pk"), at=Max("uploaded_at"), names=Max("sha256")
            )
        )
        parts.append(
            DemonstrationApplication.objects.filter(assessment__in=ids).aggregate(
                n=Count("pk"), v=Sum("version"), at=Max("updated_at")
            )
        )
    return parts


def _village_parts(village):
    assessments = Assessment.objects.filter(village=village, campaign__level="village")
    ids = assessments.values("pk")
    return [
        list(
            assessments.order_by("pk").values_list(
                "pk", "status", "version", "final_score", "final_grade", "city_grade", "city_decision",
                "campaign__grades_confirmed_at",
            )
        ),
        IndicatorScore.objects.filter(assessment__in=ids).aggregate(n=Count("pk"), at=Max("updated_at")),
        BonusClaim.objects.filter(assessment__in=ids).aggregate(n=Count("pk"), v=Sum("version")),
        Evidence.objects.filter(assessment__in=ids).aggregate(n=Count("pk"), at=Max("uploaded_at")),
        Rectification.objects.filter(village=village).aggregate(n=Count("pk"), v=Sum("version")),
    ]  # fmt: skip


def summary_fingerprint(document):
    """The 年度总结's fingerprint is its document: it changes exactly when a figure (or the calendar's
    逾期) changes. The page, which has the document already, compares with it directly."""
    return hashlib.sha256(repr([document]).encode()).hexdigest()


def export_fingerprint(*, kind, township, year, campaign=None, village=None):
    if kind == K.VILLAGE_RECORD:
        parts = _village_parts(village)
    elif kind in SUMMARY_KINDS:
        return summary_fingerprint(summary_document(year_summary(township, year)))
    elif kind in (K.COMPLIANCE_XLSX,):
        parts = [
            LedgerSubmission.objects.filter(unit__township=township, year=year).aggregate(
                n=Count("pk"), at=Max("updated_at"), sub=Max("submitted_at")
            ),
            # states such as 未到期 → 未报 move with the calendar
            timezone.localdate(),
        ]
    elif kind == K.RECTIFICATION_XLSX:
        items = Rectification.objects.filter(township=township, deadline__year=year)
        parts = [
            items.aggregate(n=Count("pk"), v=Sum("version")),
            RectificationEvent.objects.filter(rectification__in=items.values("pk")).aggregate(m=Max("pk")),
            LedgerEntry.objects.filter(submission__unit__township=township, submission__year=year).aggregate(
                n=Count("pk")
            ),
            timezone.localdate(),  # 是否逾期 moves with the calendar
        ]
    else:
        parts = _campaign_parts(campaign, candidates_only=kind == K.CITY_PACKAGE)
    return hashlib.sha256(repr(parts).encode()).hexdigest()
