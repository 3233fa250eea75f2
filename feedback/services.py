"""群众意见 writes: a villager's message from the public card, and the township's handling of it.

Each is one function: keyword-only, atomic, one audit row. The township's actions lock the row, check
the actor's side through the access table, the optimistic `version` and the transition table.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import strip_tags

from access.roles import Side
from access.scope import scope_for
from audit.services import audit_log
from common.errors import ConflictError, InvalidInputError, NotFoundError, NotPermittedError
from common.text import clean_text
from ledgers.models import Rectification
from ledgers.services.rectification import rectification_create
from publication.selectors import village_is_published
from villages.models import Village

from . import throttle
from .models import CONTACT_MAX, TEXT_MAX, TEXT_MIN, Feedback
from .workflow import BY_ACTION

RECTIFY_DAYS = 30  # the deadline of an item made from a message; the township may tighten it there
REASON_MAX = 300
ANSWER_MAX = 1000


class ThrottledError(InvalidInputError):
    """Over the hourly limit of a sender or a village: a message of the user's own is refused."""


def client_hash(ip):
    """The sender's address, keyed by the server secret: throttles without keeping the address."""
    return salted_hmac("feedback.client", ip or "", algorithm="sha256").hexdigest()


def _plain(value, label, *, multiline=True):
    """Text as typed without markup, cleaned by common.text: NFKC, CR LF stored as LF, refused with a
    message naming `label` when it holds format (zero-width, BOM, bidi) or control characters."""
    return clean_text(strip_tags(str(value or "")), label=label, max_length=None, multiline=multiline)


def feedback_submit(*, village_key, category, text, contact="", ip=None):
    """Store a villager's message for the village whose public key is `village_key`.

    Raises NotFoundError for an unknown key, InvalidInputError for a refused value or when the sender
    or the village is over the hourly limit; nothing is stored then.
    """
    try:
        village = Village.objects.only("id", "township_id", "name").get(public_key=str(village_key)[:16])
    except Village.DoesNotExist:
        raise NotFoundError("该村（社区）不存在。") from None
    if not village_is_published(village_key):
        # nothing unpublished is reachable from the public side: no card, no message
        raise NotFoundError("该村（社区）不存在。")
    if category not in Feedback.Category.values:
        raise InvalidInputError("请选择意见类别。")
    text = _plain(text, "意见内容")
    if len(text) < TEXT_MIN:
        raise InvalidInputError(f"意见内容请至少填写 {TEXT_MIN} 个字。")
    if len(text) > TEXT_MAX:
        raise InvalidInputError(f"意见内容不能超过 {TEXT_MAX} 个字（现为 {len(text)} 个字）。")
    contact = _plain(contact, "联系方式", multiline=False)
    if len(contact) > CONTACT_MAX:
        raise InvalidInputError(f"联系方式不能超过 {CONTACT_MAX} 个字。")
    sender = client_hash(ip)
    refused = throttle.take(client_hash=sender, village_id=village.pk)
    if refused:
        raise ThrottledError(refused)
    try:
        with transaction.atomic():
            item = Feedback.objects.create(
                village=village,
                township_id=village.township_id,
                category=category,
                text=text,
                contact=contact,
                client_hash=sender,
            )
            # no request: the audit row must not keep the sender's address either
            audit_log(
                action="feedback.submit",
                obj=item,
                township_id=village.township_id,
                village_id=village.pk,
                message=f"群众意见 {item.pk}：{village.name}",
                detail={"category": category, "client": sender[:16]},
            )
    except Exception:
        throttle.give_back(client_hash=sender, village_id=village.pk)
        raise
    return item


def _handle(*, feedback, actor, action, expected_version, changes, detail=None, request=None, extra=None):
    """Lock, check side, version and state, apply `changes` (and `extra(locked)`), write the audit row."""
    t = BY_ACTION[action]
    with transaction.atomic():
        try:
            locked = (
                Feedback.objects.select_for_update().select_related("village", "township").get(pk=feedback.pk)
            )
        except Feedback.DoesNotExist:
            raise NotFoundError("该意见不存在或已被删除。") from None
        if Side.REVIEWER not in scope_for(actor).sides("township", locked.township):
            raise NotPermittedError("只有本镇街纪委审核人员可以处理群众意见。")
        try:
            version = int(expected_version)
        except (TypeError, ValueError):
            raise InvalidInputError("缺少版本号，请刷新页面后重试。") from None
        if version != locked.version:
            raise ConflictError("该意见已被他人处理，请刷新页面后查看。")
        if locked.status not in t.sources:
            raise ConflictError(f"该意见当前状态为“{locked.get_status_display()}”，不能{t.label}。")
        from_status = locked.status
        for key, value in changes.items():
            setattr(locked, key, value)
        if extra is not None:
            extra(locked)
        locked.status = t.target
        locked.handled_by = actor
        locked.handled_at = timezone.now()
        locked.version += 1
        locked.save()
        audit_log(
            action=f"feedback.{action}",
            actor=actor,
            request=request,
            obj=locked,
            township_id=locked.township_id,
            village_id=locked.village_id,
            message=f"群众意见 {locked.pk}：{t.label}",
            detail={"from": from_status, "to": locked.status, **(detail or {})},
        )
    return locked


def feedback_answer(*, feedback, actor, answer, expected_version, request=None):
    answer = _plain(answer, "答复")
    if not answer:
        raise InvalidInputError("请填写答复内容。")
    if len(answer) > ANSWER_MAX:
        raise InvalidInputError(f"答复不能超过 {ANSWER_MAX} 个字。")
    return _handle(
        feedback=feedback,
        actor=actor,
        action="answer",
        expected_version=expected_version,
        changes={"answer": answer},
        request=request,
    )


def feedback_dismiss(*, feedback, actor, reason, expected_version, request=None):
    reason = _plain(reason, "理由")
    if not reason:
        raise InvalidInputError("不予处理须填写理由。")
    if len(reason) > REASON_MAX:
        raise InvalidInputError(f"理由不能超过 {REASON_MAX} 个字。")
    return _handle(
        feedback=feedback,
        actor=actor,
        action="dismiss",
        expected_version=expected_version,
        changes={"reason": reason},
        request=request,
    )


def feedback_to_rectification(*, feedback, actor, expected_version, today=None, request=None):
    """One click: a 整改 item for the message's village (source 群众意见), linked back to the message.

    The item is made by the ledgers service (its own event and audit row come with it); this writes
    the message's row. A second click meets the changed version and state and is refused.
    """
    today = today or timezone.localdate()

    def make_item(locked):
        try:
            item = rectification_create(
                township=locked.township,
                village=locked.village,
                source=Rectification.Source.FEEDBACK,
                problem=f"群众反映（{locked.get_category_display()}）：{locked.text}",
                requirement="核实群众反映的问题，落实整改并反馈整改情况。",
                owner="",
                deadline=today + datetime.timedelta(days=RECTIFY_DAYS),
                actor=actor,
            )
        except ValidationError as exc:
            raise InvalidInputError("；".join(exc.messages)) from None
        locked.rectification = item

    return _handle(
        feedback=feedback,
        actor=actor,
        action="rectify",
        expected_version=expected_version,
        changes={},
        extra=make_item,
        request=request,
    )
