"""Writes of the publication app: publish (or correct) a confirmed campaign's results, withdraw them.
Each is atomic and leaves exactly one audit row; the public pages' cache is bumped after commit."""

from django.db import transaction
from django.utils import timezone

from access.roles import Side
from access.scope import scope_for
from assessments.models import Campaign
from audit.services import audit_log
from common.errors import ConflictError, InvalidInputError, NotPermittedError
from common.text import clean_text

from . import cache
from .models import Publication
from .selectors import publication_blockers, publication_payload

REASON_MAX = 300


def _reason(reason, what):
    # common.text: NFKC, no format/control characters; the length is checked below with its own words
    reason = clean_text(reason, label="理由", max_length=None, multiline=True)
    if not reason:
        raise InvalidInputError(f"{what}须填写理由。")
    if len(reason) > REASON_MAX:
        raise InvalidInputError(f"理由不能超过 {REASON_MAX} 字。")
    return reason


def _lock_campaign(campaign, actor):
    c = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("standard", "township")
        .get(pk=campaign.pk)
    )
    if c.level != Campaign.Level.VILLAGE:
        raise InvalidInputError("只有村级测评的结果可以公开。")
    if not c.is_annual:
        raise InvalidInputError(f"只有年度测评的结果向村民公开，{c.get_kind_display()}的结果不公开。")
    if Side.MANAGER not in scope_for(actor).sides("campaign.village", c):
        raise NotPermittedError("您不能发布本年度的测评结果。")
    return c


@transaction.atomic
def publication_publish(*, campaign, actor, reason="", expected_version=None, request=None):
    """Publish the campaign's results; on a campaign already published, a correction (a reason is
    required; the new version replaces the one in force, which stays visible as superseded).

    Refused before the grades are confirmed and while a 示范村 candidate waits for the city's decision.
    `expected_version`: the version in force the user saw (0 for none): a double submit or a concurrent
    publication is refused (ConflictError) instead of publishing twice.
    """
    c = _lock_campaign(campaign, actor)
    blockers = publication_blockers(c)
    if blockers:
        raise InvalidInputError(blockers[0])
    versions = list(Publication.objects.select_for_update().filter(campaign=c).order_by("-version"))
    current = next((p for p in versions if p.status == Publication.Status.PUBLISHED), None)
    if expected_version is not None and (current.version if current else 0) != expected_version:
        raise ConflictError("公开结果已被他人更新，请刷新页面核对后再操作。")
    now = timezone.now()
    if current is not None:
        reason = _reason(reason, "更正已公开的结果")
        current.status = Publication.Status.SUPERSEDED
        current.superseded_at = now
        current.save(update_fields=["status", "superseded_at"])
    elif versions:
        # republishing after a withdrawal is also a new version of what was once public
        reason = _reason(reason, "撤回后重新公开")
    else:
        reason = ""
    pub = Publication.objects.create(
        township=c.township,
        campaign=c,
        year=c.year,
        version=(versions[0].version + 1) if versions else 1,
        status=Publication.Status.PUBLISHED,
        reason=reason,
        published_by=actor,
        published_at=now,
        payload=publication_payload(c),
    )
    audit_log(
        action="publication.correct" if pub.version > 1 else "publication.publish",
        actor=actor,
        request=request,
        obj=pub,
        township_id=c.township_id,
        message=f"{c.year}年测评结果公开第{pub.version}版" + (f"：{reason}" if reason else ""),
        detail={"campaign": c.pk, "version": pub.version, "villages": len(pub.payload["villages"])},
    )
    transaction.on_commit(cache.bump)
    return pub


@transaction.atomic
def publication_withdraw(*, publication, actor, reason, request=None):
    """Withdraw the publication in force: the year disappears from the public pages (404)."""
    reason = _reason(reason, "撤回公开结果")
    pub = Publication.objects.select_for_update().get(pk=publication.pk)
    _lock_campaign(pub.campaign, actor)
    if pub.status != Publication.Status.PUBLISHED:
        raise ConflictError("该版本已不在公开状态，无需撤回。")
    pub.status = Publication.Status.WITHDRAWN
    pub.withdrawn_by = actor
    pub.withdrawn_at = timezone.now()
    pub.withdraw_reason = reason
    pub.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdraw_reason"])
    audit_log(
        action="publication.withdraw",
        actor=actor,
        request=request,
        obj=pub,
        township_id=pub.township_id,
        message=f"撤回{pub.year}年测评结果公开第{pub.version}版：{reason}",
        detail={"campaign": pub.campaign_id, "version": pub.version},
    )
    transaction.on_commit(cache.bump)
    return pub
