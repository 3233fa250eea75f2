"""Creating campaigns with their assessments, and reopening the village side after a deadline."""

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_log
from indices.models import IndexStandard

from ..models import Assessment, Campaign, IndicatorScore, VetoCheck
from .common import WorkflowError, record_event


def _leaf_indicators(standard):
    return list(
        standard.indicators.filter(children__isnull=True).order_by("dimension__sort_order", "sort_order")
    )


def _populate(assessments, standard):
    leaves = _leaf_indicators(standard)
    vetoes = list(standard.veto_items.all())
    IndicatorScore.objects.bulk_create(
        IndicatorScore(assessment=a, indicator=i) for a in assessments for i in leaves
    )
    VetoCheck.objects.bulk_create(VetoCheck(assessment=a, veto_item=v) for a in assessments for v in vetoes)


def _check_dates(self_deadline, submission_deadline, city_deadline):
    dates = [d for d in (self_deadline, submission_deadline, city_deadline) if d]
    if dates != sorted(dates):
        raise ValidationError("截止日期须依次为：自评截止日 ≤ 报送截止日 ≤ 报市截止日。")


@transaction.atomic
def campaign_create(
    *,
    actor,
    township,
    year,
    standard,
    name="",
    self_deadline=None,
    submission_deadline=None,
    city_deadline=None,
    villages=None,
    request=None,
):
    """A village-level campaign for a township, with one assessment per participating village."""
    if standard.level != IndexStandard.Level.VILLAGE:
        raise ValidationError("村级测评须使用村级指数标准。")
    _check_dates(self_deadline, submission_deadline, city_deadline)
    if Campaign.objects.filter(township=township, year=year, level=Campaign.Level.VILLAGE).exists():
        raise ValidationError(f"{township.name}{year}年度测评已存在。")
    campaign = Campaign.objects.create(
        level=Campaign.Level.VILLAGE,
        region=township.region,
        township=township,
        year=year,
        standard=standard,
        name=name or f"{township.name}{year}年度“清廉村居”测评",
        self_deadline=self_deadline,
        submission_deadline=submission_deadline,
        city_deadline=city_deadline,
        created_by=actor,
    )
    villages = list(villages if villages is not None else township.villages.filter(is_active=True))
    if any(v.township_id != township.pk for v in villages):
        raise ValidationError("参评村须属于本镇街。")
    assessments = Assessment.objects.bulk_create(
        Assessment(campaign=campaign, village=v, township=township) for v in villages
    )
    _populate(assessments, standard)
    audit_log(
        action="campaign.create",
        actor=actor,
        request=request,
        obj=campaign,
        township_id=township.pk,
        message=f"创建{campaign.name}（{len(assessments)}个村）",
    )
    return campaign


@transaction.atomic
def campaign_create_township_level(
    *,
    actor,
    region,
    year,
    standard,
    name="",
    self_deadline=None,
    submission_deadline=None,
    city_deadline=None,
    request=None,
):
    """A township-level campaign of a city: each of its townships self-assesses, the city reviews."""
    if standard.level != IndexStandard.Level.TOWNSHIP:
        raise ValidationError("镇街测评须使用镇街指数标准。")
    _check_dates(self_deadline, submission_deadline, city_deadline)
    if Campaign.objects.filter(region=region, year=year, level=Campaign.Level.TOWNSHIP).exists():
        raise ValidationError(f"{region.name}{year}年度镇街测评已存在。")
    campaign = Campaign.objects.create(
        level=Campaign.Level.TOWNSHIP,
        region=region,
        year=year,
        standard=standard,
        name=name or f"{region.name}{year}年度镇街“清廉村居”建设测评",
        self_deadline=self_deadline,
        submission_deadline=submission_deadline,
        city_deadline=city_deadline,
        created_by=actor,
    )
    assessments = Assessment.objects.bulk_create(
        Assessment(campaign=campaign, township=t) for t in region.townships.all()
    )
    _populate(assessments, standard)
    audit_log(
        action="campaign.create", actor=actor, request=request, obj=campaign, message=f"创建{campaign.name}"
    )
    return campaign


@transaction.atomic
def assessment_reopen(*, assessment, actor, until, reason, request=None):
    """Let one village edit again after the self-assessment deadline, until `until` (a date, inclusive)."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("延期须填写理由。")
    a = Assessment.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=assessment.pk)
    if a.campaign.is_confirmed:
        raise WorkflowError("本年度等次已确认，不能再延期填报。")
    end = timezone.make_aware(datetime.combine(until, time(23, 59, 59)))
    if end <= timezone.now():
        raise WorkflowError("延期截止时间须晚于现在。")
    old = a.reopened_until
    a.reopened_until = end
    a.save(update_fields=["reopened_until"])
    record_event(
        assessment=a,
        actor=actor,
        action="reopen",
        subject="延期填报",
        from_value=timezone.localtime(old).strftime("%Y-%m-%d") if old else "",
        to_value=until.strftime("%Y-%m-%d"),
        reason=reason,
        request=request,
    )
    return a
