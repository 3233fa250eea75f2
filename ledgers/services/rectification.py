"""整改事项: creation, the village's response and the township's verification.

Every change is one named function: atomic, locks the row, checks the optimistic `version`, writes a
RectificationEvent and an audit row, and queues notifications on commit. The allowed transitions are
the table in ledgers/workflow.py (pure data); `_apply` is the one function that applies it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from access.recipients import holders_q
from access.roles import Side
from access.scope import scope_for
from accounts.models import Membership
from accounts.services import notify
from assessments.readmodels import township_data_changed
from audit.services import audit_log
from common.dates import cn_date
from common.errors import ConflictError, NotFoundError, NotPermittedError
from common.storage import atomic_with_file
from common.uploads import ALLOWED_LABEL, prepare_upload

from ..models import Rectification, RectificationEvent
from ..selectors import rectification_side
from ..workflow import ACTION_LABELS, BY_ACTION, today_local

S = Rectification.Status


# ---- writes -----------------------------------------------------------------------------------


def _reviewers(township_id):
    q = holders_q("rectification", Side.REVIEWER, township=[township_id])
    return [m.user for m in Membership.objects.filter(q).select_related("user")]


def _village_users(village_id):
    # the village's whole 两委 and 监委会 hear about its items, though only the 两委 answers them
    q = holders_q("assessment.village", Side.SELF, village=[village_id])
    return [m.user for m in Membership.objects.filter(q).select_related("user")]


def _url(item):
    return reverse("ledgers:rectification_detail", args=[item.pk])


def _event(item, actor, action, from_status, note=""):
    RectificationEvent.objects.create(
        rectification=item,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=item.status,
        note=note,
    )
    audit_log(
        action=f"rectification.{action}",
        actor=actor,
        obj=item,
        township_id=item.township_id,
        village_id=item.village_id,
        message=f"整改事项 {item.pk}：{ACTION_LABELS[action]}",
        detail={"from": from_status, "to": item.status},
    )


def _conflict(item):
    """The stale-save refusal: names the stored state, the last step and who took it."""
    last = item.events.select_related("actor").order_by("-at", "-id").first()
    who = ""
    if last is not None:
        name = last.actor.display_name if last.actor else "系统"
        who = f"，{name}于{cn_date(timezone.localtime(last.at), with_time=True)}保存"
        if last.note:
            who += f"：{last.note[:60]}"
    return ConflictError(
        f"该整改事项已被他人修改（当前状态为“{item.get_status_display()}”{who}），您的提交未保存。"
        "请核对最新内容后重新提交。",
        current=item,
    )


def _apply(*, item, actor, action, expected_version, note="", changes=None):
    """Lock, check side, state and version, change, write the event. Returns the fresh row."""
    t = BY_ACTION[action]
    with transaction.atomic():
        try:
            locked = Rectification.objects.select_for_update().get(pk=item.pk)
        except Rectification.DoesNotExist:
            raise NotFoundError("该整改事项不存在或已被删除。") from None
        if rectification_side(actor, locked) != t.side:
            raise NotPermittedError("您无权进行此操作。")
        if expected_version is not None and int(expected_version) != locked.version:
            raise _conflict(locked)
        if locked.status != t.source:
            raise ValidationError(f"当前状态为“{locked.get_status_display()}”，不能{t.label}。")
        from_status = locked.status
        for key, value in (changes or {}).items():
            setattr(locked, key, value)
        locked.status = t.target
        locked.version += 1
        locked.save()
        township_data_changed(locked.township_id)  # the dashboards' rectification counts
        _event(locked, actor, action, from_status, note)
    return locked


def rectification_create(
    *,
    township,
    village,
    source,
    problem,
    requirement,
    owner,
    deadline,
    actor,
    ledger_entry=None,
    assessment=None,
):
    if Side.REVIEWER not in scope_for(actor).sides("township", township):
        raise NotPermittedError("只有本镇街纪委审核人员可以创建整改事项。")
    if village.township_id != township.pk:
        raise ValidationError("该村（社区）不属于本镇街。")
    if not (problem or "").strip() or not (requirement or "").strip():
        raise ValidationError("问题和整改要求不能为空。")
    if deadline is None:
        raise ValidationError("请填写整改时限。")
    with transaction.atomic():
        if ledger_entry is not None and Rectification.objects.filter(ledger_entry=ledger_entry).exists():
            raise ValidationError("该台账问题已转为整改事项。")
        item = Rectification.objects.create(
            township=township,
            village=village,
            source=source,
            problem=problem.strip(),
            requirement=requirement.strip(),
            owner=owner or "",
            deadline=deadline,
            ledger_entry=ledger_entry,
            assessment=assessment,
            created_by=actor,
        )
        _event(item, actor, "create", "")
        township_data_changed(township.pk)
        notify(
            users=_village_users(village.pk),
            title="新的整改事项",
            body=f"{village.name}：{item.problem[:60]}",
            url=_url(item),
        )
    return item


def rectification_from_ledger_entry(*, entry, actor):
    """Turn a ledger problem into an item; an entry becomes at most one item."""
    if not entry.has_problem:
        raise ValidationError("该台账记录没有问题，无需整改。")
    village = entry.village
    deadline = entry.deadline or (entry.checked_on + datetime.timedelta(days=30))
    return rectification_create(
        township=village.township,
        village=village,
        source=Rectification.Source.LEDGER,
        problem=entry.finding or "（台账问题）",
        requirement=entry.requirement or "按台账要求整改",
        owner=entry.owner,
        deadline=deadline,
        actor=actor,
        ledger_entry=entry,
    )


def rectification_respond(*, item, actor, response, expected_version):
    response = (response or "").strip()
    if not response:
        raise ValidationError("请填写整改情况说明。")
    item = _apply(
        item=item,
        actor=actor,
        action="respond",
        expected_version=expected_version,
        note=response,
        changes={"response": response, "responded_at": timezone.now()},
    )
    notify(
        users=_reviewers(item.township_id),
        title="整改事项待验收",
        body=f"{item.village.name}：{item.problem[:60]}",
        url=_url(item),
    )
    return item


def rectification_verify(*, item, actor, accept, note, expected_version, today=None):
    note = (note or "").strip()
    if not accept and not note:
        raise ValidationError("验收不通过时须填写意见。")
    changes = {"verified_at": timezone.now(), "verify_note": note[:300]}
    if accept:
        changes["closed_on"] = today or today_local()
    item = _apply(
        item=item,
        actor=actor,
        action="accept" if accept else "reject",
        expected_version=expected_version,
        note=note,
        changes=changes,
    )
    notify(
        users=_village_users(item.village_id),
        title="整改事项已销号" if accept else "整改事项验收未通过",
        body=note or item.problem[:60],
        url=_url(item),
    )
    return item


def rectification_evidence_upload(*, item, actor, uploaded_file):
    """Attach a file to the village's response (while the item is open). The file is checked by parsing it
    (common.uploads.prepare_upload; images are re-encoded) and stored inside the transaction that commits
    its row (common.storage.atomic_with_file): if recording it fails, the stored file is removed again."""
    from ..models import RectificationEvidence

    if rectification_side(actor, item) != Side.SELF:
        raise NotPermittedError("只有本村村“两委”成员可以上传整改佐证。")
    if item.status != Rectification.Status.OPEN:
        raise ValidationError("只有未整改（或验收未通过）的事项可以补充佐证材料。")
    prepared = prepare_upload(uploaded_file, label=ALLOWED_LABEL)
    checked = prepared.checked
    evidence = RectificationEvidence(
        rectification=item,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    with atomic_with_file(evidence.file) as field:
        field.save(f"{evidence.pk}.{checked.ext}", prepared.content, save=False)
        evidence.save(force_insert=True)
        _event(item, actor, "evidence", item.status, note=checked.original_name)
    return evidence
