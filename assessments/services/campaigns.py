"""Creating and editing campaigns with their assessments, the year's targets, and reopening the village
side after a deadline."""

import hashlib
import json
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_log
from common.dataversion import data_version_bump
from common.dates import cn_date
from common.errors import ConflictError
from common.rounds import RoundKind
from common.text import NOTE_LIMIT, clean_text
from indices.models import IndexStandard
from villages.models import AnnualTarget, AnnualTargetGrade

from ..models import Assessment, Campaign, IndicatorScore, VetoCheck
from ..readmodels import campaigns_refresh, township_data_changed
from .common import WorkflowError, record_event
from .transitions import assessment_transition


def round_word(kind):
    """How a round is named after "2025年度": "测评" (the annual one) or its kind, "中期评估"."""
    return "测评" if kind == RoundKind.ANNUAL else RoundKind(kind).label


def default_round_name(township, year, kind):
    """ "某镇2025年度“清廉村居”测评" for the annual round, "某镇2025年度“清廉村居”中期评估" for the others."""
    return f"{township.name}{year}年度“清廉村居”{round_word(kind)}"


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


def _create(
    *,
    level,
    region,
    township,
    year,
    standard,
    name,
    deadlines,
    actor,
    subjects,
    request,
    kind=RoundKind.ANNUAL,
):
    """The part both levels share: check, create the campaign and one assessment per subject, audit."""
    wanted = IndexStandard.Level.VILLAGE if level == Campaign.Level.VILLAGE else IndexStandard.Level.TOWNSHIP
    if standard.level != wanted:
        raise ValidationError(
            f"{Campaign.Level(level).label}须使用{IndexStandard.Level(wanted).label}指数标准。"
        )
    _check_dates(*deadlines)
    if level == Campaign.Level.VILLAGE:
        exists = Campaign.objects.filter(township=township, year=year, level=level, kind=kind).exists()
        taken = f"{township.name}{year}年度{round_word(kind)}已存在。"
    else:
        exists = Campaign.objects.filter(region=region, year=year, level=level).exists()
        taken = f"{region.name}{year}年度镇街测评已存在。"
    if exists:
        raise ValidationError(taken)
    self_deadline, submission_deadline, city_deadline = deadlines
    campaign = Campaign.objects.create(
        level=level,
        kind=kind,
        region=region,
        township=township,
        year=year,
        standard=standard,
        name=name,
        self_deadline=self_deadline,
        submission_deadline=submission_deadline,
        city_deadline=city_deadline,
        created_by=actor,
    )
    assessments = Assessment.objects.bulk_create(
        Assessment(campaign=campaign, village=village, township=subject_township)
        for village, subject_township in subjects
    )
    _populate(assessments, standard)
    campaigns_refresh([campaign.pk])
    audit_log(
        action="campaign.create",
        actor=actor,
        request=request,
        obj=campaign,
        township_id=township.pk if township else None,
        message=f"创建{campaign.name}（{len(assessments)}个{'村' if township else '镇街'}）",
    )
    return campaign


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
    kind=RoundKind.ANNUAL,
    request=None,
):
    """A village-level campaign (one evaluation round of `kind`) for a township, with one assessment per
    participating village: all active villages unless `villages` names some (a 试点验收 of one
    community)."""
    if kind not in RoundKind.values:
        raise ValidationError("请选择测评轮次。")
    villages = list(villages if villages is not None else township.villages.filter(is_active=True))
    if any(v.township_id != township.pk for v in villages):
        raise ValidationError("参评村须属于本镇街。")
    return _create(
        level=Campaign.Level.VILLAGE,
        kind=kind,
        region=township.region,
        township=township,
        year=year,
        standard=standard,
        name=name or default_round_name(township, year, kind),
        deadlines=(self_deadline, submission_deadline, city_deadline),
        actor=actor,
        subjects=[(v, township) for v in villages],
        request=request,
    )


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
    return _create(
        level=Campaign.Level.TOWNSHIP,
        region=region,
        township=None,
        year=year,
        standard=standard,
        name=name or f"{region.name}{year}年度镇街“清廉村居”建设测评",
        deadlines=(self_deadline, submission_deadline, city_deadline),
        actor=actor,
        subjects=[(None, t) for t in region.townships.all()],
        request=request,
    )


@transaction.atomic
def assessment_reopen(*, assessment, actor, until, reason, request=None):
    """Let one village edit again after the self-assessment deadline, until `until` (a date, inclusive)."""
    reason = clean_text(reason or "", label="理由", max_length=NOTE_LIMIT, multiline=True)
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


def default_deadlines(year):
    """The dates of the yearly workflow (DOMAIN.md, `000` §三(四)): self-assessment by June 25,
    submission by June 30, the city package by July 10. Each campaign may change them."""
    return date(year, 6, 25), date(year, 6, 30), date(year, 7, 10)


CAMPAIGN_FIELDS = {
    "name": "名称",
    "self_deadline": "自评截止日",
    "submission_deadline": "报送截止日",
    "city_deadline": "报市截止日",
}


def _digest(values):
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, default=str).encode()).hexdigest()[:20]


def settings_fingerprint(campaign):
    """The version of a campaign's settings the edit page carries: a digest of what the page shows."""
    return _digest([str(getattr(campaign, f) or "") for f in CAMPAIGN_FIELDS])


def target_fingerprint(target):
    """The version of a round's target the edit page carries ("none" while no target is set)."""
    if target is None:
        return "none"
    counts = sorted((g.grade_code, g.count) for g in target.grade_counts.all())
    return _digest([target.mode, str(target.share_percent), target.cumulative, target.note, counts])


def _last_saved_by(action, obj):
    """'（张三于2025年6月1日保存）' from the newest audit row of `action` on `obj`, or ''."""
    row = (
        AuditEvent.objects.filter(action=action, object_id=str(obj.pk))
        .order_by("-at", "-id")
        .values("actor_username", "at")
        .first()
    )
    if not row:
        return ""
    return f"（{row['actor_username'] or '系统'}于{cn_date(timezone.localtime(row['at']))}保存）"


def _day(value):
    return cn_date(value) if value else "未设"


@transaction.atomic
def campaign_update(
    *, campaign, actor, name, self_deadline, submission_deadline, city_deadline, expected=None, request=None
):
    """Change the name and deadlines until the grades are confirmed. The standard never changes: the
    assessments' lines were built from it.

    `expected` is settings_fingerprint() of the page the user saved from (the edit page always sends
    it): settings someone else saved since are not overwritten (ConflictError naming what is stored)."""
    c = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if c.is_confirmed:
        raise WorkflowError("本年度等次已确认，不能再修改测评设置。")
    if expected is not None and expected != settings_fingerprint(c):
        raise ConflictError(
            "测评设置已被他人修改，您的修改未保存。当前保存的是：名称“"
            f"{c.name}”，自评截止日{_day(c.self_deadline)}，报送截止日{_day(c.submission_deadline)}，"
            f"报市截止日{_day(c.city_deadline)}{_last_saved_by('campaign.update', c)}。"
            "您的输入仍在下方，核对后如仍以您的为准，请再次保存。",
            current=c,
        )
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写测评名称。")
    _check_dates(self_deadline, submission_deadline, city_deadline)
    new = {
        "name": name[:100],
        "self_deadline": self_deadline,
        "submission_deadline": submission_deadline,
        "city_deadline": city_deadline,
    }
    changes = {f: [str(getattr(c, f) or ""), str(v or "")] for f, v in new.items() if getattr(c, f) != v}
    if changes:
        for field in changes:
            setattr(c, field, new[field])
        c.save(update_fields=list(changes))
        # the boards and dashboards show the name and deadlines: their cached pages follow at once
        if c.township_id:
            township_data_changed(c.township_id)
        else:
            data_version_bump(regions=[c.region_id])
        audit_log(
            action="campaign.update",
            actor=actor,
            request=request,
            obj=c,
            township_id=c.township_id,
            message=f"修改{c.name}：{'、'.join(CAMPAIGN_FIELDS[f] for f in changes)}",
            detail={"changes": changes},
        )
    campaign.__dict__.update({f: getattr(c, f) for f in new})
    return c


def _clean_counts(counts):
    rows = []
    seen = set()
    for code, name, count in counts or ():
        try:
            count = int(count)
        except (TypeError, ValueError):
            raise ValidationError(f"{name}的目标数量须为整数。") from None
        if count < 0:
            raise ValidationError(f"{name}的目标数量不能为负数。")
        if code in seen:
            raise ValidationError(f"等次“{name}”重复。")
        seen.add(code)
        rows.append((code, name, count))
    if not rows:
        raise ValidationError("请填写各等次的目标数量。")
    return rows


def _clean_share(share_percent):
    try:
        share = Decimal(str(share_percent))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError("达标比例须为 0 到 100 之间的数字。") from None
    if not share.is_finite() or share < 0 or share > 100:
        raise ValidationError("达标比例须为 0 到 100 之间的数字。")
    return share.quantize(Decimal("0.01"))


@transaction.atomic
def annual_target_save(
    *,
    township,
    year,
    mode,
    counts=None,
    share_percent=None,
    cumulative=False,
    note="",
    kind=RoundKind.ANNUAL,
    actor,
    expected=None,
    request=None,
):
    """Set the township's target for a year's round of `kind` (the annual round's is the year's target),
    replacing any earlier one.

    mode "counts": `counts` is [(grade_code, grade_name, count)] in the grade scheme's order (鲍沟镇:
    示范 7, 达标 33, …); mode "share": `share_percent` of the villages reach the standard (三管镇: 30%).

    `expected` is target_fingerprint() of the page the user saved from ("none": no target yet): a target
    someone else set or changed since is not replaced (ConflictError); two first targets racing meet
    the unique constraint, and the later one gets the same conflict.
    """
    if mode == AnnualTarget.Mode.COUNTS:
        rows, share = _clean_counts(counts), None
    elif mode == AnnualTarget.Mode.SHARE:
        rows, share = [], _clean_share(share_percent)
    else:
        raise ValidationError("请选择目标方式。")
    if kind not in RoundKind.values:
        raise ValidationError("请选择测评轮次。")
    target = AnnualTarget.objects.select_for_update().filter(township=township, year=year, kind=kind).first()
    if expected is not None and expected != target_fingerprint(target):
        raise _target_conflict(target)
    before = None
    if target is None:
        target = AnnualTarget(township=township, year=year, kind=kind)
    else:
        before = {
            "mode": target.mode,
            "share_percent": str(target.share_percent) if target.share_percent is not None else None,
            "counts": {g.grade_code: g.count for g in target.grade_counts.all()},
        }
    target.mode = mode
    target.share_percent = share
    target.cumulative = bool(cumulative)
    target.note = (note or "").strip()
    try:
        with transaction.atomic():  # a savepoint: a parallel first target breaks only this insert
            target.save()
    except IntegrityError:
        raise _target_conflict(
            AnnualTarget.objects.filter(township=township, year=year, kind=kind).first()
        ) from None
    target.grade_counts.all().delete()
    township_data_changed(township.pk)  # the dashboards show the targets
    AnnualTargetGrade.objects.bulk_create(
        AnnualTargetGrade(target=target, grade_code=code, grade_name=name, count=count, sort_order=i)
        for i, (code, name, count) in enumerate(rows)
    )
    summary = "、".join(f"{name}{count}个" for _, name, count in rows) if rows else f"达标比例{share}%"
    audit_log(
        action="target.save",
        actor=actor,
        request=request,
        obj=target,
        township_id=township.pk,
        message=f"{township.name}{year}年度{'' if kind == RoundKind.ANNUAL else RoundKind(kind).label}目标：{summary}",
        detail={
            "kind": kind,
            "mode": mode,
            "counts": {code: count for code, _, count in rows},
            "share_percent": str(share) if share is not None else None,
            "cumulative": target.cumulative,
            "before": before,
        },
    )
    return target


def _target_conflict(target):
    if target is None:
        stored = "目标已被他人删除"
    elif target.mode == AnnualTarget.Mode.SHARE:
        stored = f"当前目标为达标比例{target.share_percent}%"
    else:
        counts = "、".join(f"{g.grade_name}{g.count}个" for g in target.grade_counts.order_by("sort_order"))
        stored = f"当前目标为{counts or '（未填写数量）'}"
    who = _last_saved_by("target.save", target) if target is not None else ""
    return ConflictError(
        f"年度目标已被他人修改，您的修改未保存。{stored}{who}。您的输入仍在下方，核对后如仍以您的为准，请再次保存。",
        current=target,
    )


SENT = frozenset(
    {
        Assessment.Status.FORWARDED,
        Assessment.Status.IN_REVIEW,
        Assessment.Status.REVIEWED,
        Assessment.Status.CONFIRMED,
    }
)


class RepeatedForwardError(WorkflowError):
    """Every selected village had already been forwarded: a double click or a browser retry."""


def _parse_ids(raw_ids):
    ids, bad = [], False
    for raw in raw_ids:
        text = str(raw).strip()
        if text.isdigit() and len(text) < 12:
            if int(text) not in ids:
                ids.append(int(text))
        else:
            bad = True
    return ids, bad


@transaction.atomic
def branch_forward(*, campaign, branch, assessment_ids, actor, request=None):
    """The party branch sends its ready villages (村已提交) to the township as one batch.

    All or nothing: an id outside this branch's villages of this campaign, or an assessment that is not
    submitted, refuses the whole batch with every problem listed. Each assessment goes through the
    workflow's `forward` transition (its own event row); the batch writes one audit row.
    """
    ids, bad = _parse_ids(assessment_ids)
    if not ids and not bad:
        raise WorkflowError("请选择要报送镇街的村。")
    locked = {
        a.pk: a
        for a in Assessment.objects.select_for_update(of=("self",))
        .select_related("village")
        .filter(pk__in=ids, campaign=campaign, village__branch=branch)
    }
    problems = ["所选内容有误，请刷新页面后重新选择。"] if bad else []
    repeated = []
    for pk in ids:
        a = locked.get(pk)
        if a is None:
            problems.append(f"编号 {pk} 不是{branch.name}在本年度测评中的村，不能报送。")
        elif a.status != Assessment.Status.SUBMITTED:
            if a.status in SENT:
                repeated.append(a.village.name)
                problems.append(f"{a.village.name}已报送镇街，不能重复报送。")
            else:
                problems.append(f"{a.village.name}当前状态为“{a.get_status_display()}”，尚未提交，不能报送。")
    if repeated and len(repeated) == len(problems):
        raise RepeatedForwardError(f"所选的村此前已报送镇街，本次没有重复报送：{'、'.join(repeated)}。")
    if problems:
        raise WorkflowError(problems)
    forwarded = []
    for pk in ids:
        forwarded.append(
            assessment_transition(assessment=locked[pk], action="forward", actor=actor, request=request)
        )
    names = [a.village.name for a in forwarded]
    audit_log(
        action="branch.forward",
        actor=actor,
        request=request,
        obj=branch,
        township_id=branch.township_id,
        message=f"{branch.name}向镇街报送{len(forwarded)}个村：{'、'.join(names)}",
        detail={"campaign": campaign.pk, "count": len(forwarded), "assessments": ids},
    )
    return forwarded
