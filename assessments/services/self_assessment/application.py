"""The 申请表 fields on the assessment (guarded by Assessment.version) and the 两委/监委会 sign-offs."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from common.errors import ConflictError

from ...models import Assessment, Signoff
from ...permissions import signoff_sides
from ...scoring import normal
from ..common import WorkflowError, record_event
from .base import ACHIEVEMENTS_MAX, FORM_FIELDS, PROBLEMS_MAX, clean_text, lock_editable, void_signoffs

# --- 申请表 ------------------------------------------------------------------------------------------


def form_state_of(values):
    """JSON-safe 申请表 values (decimals as text)."""
    state = {k: v for k, v in values.items() if k in FORM_FIELDS}
    if state.get("collective_income") is not None:
        state["collective_income"] = normal(state["collective_income"])
    return state


def form_state(a):
    state = form_state_of({name: getattr(a, name) for name in FORM_FIELDS})
    state["version"] = a.version
    return state


def _clean_form(a, data):
    """Only the 申请表 fields are taken (status, scores, grades can never be set here), each validated."""
    values, problems = {}, []
    grades = set(a.campaign.standard.grades.values_list("code", flat=True))
    for name in FORM_FIELDS:
        if name not in data:
            continue
        field = Assessment._meta.get_field(name)
        value = data[name]
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").strip()
        if value == "" and field.null:
            value = None
        try:
            value = field.clean(value, a)
        except ValidationError as e:
            problems.extend(f"{field.verbose_name}：{m}" for m in e.messages)
            continue
        if name == "achievements" and len(value) > ACHIEVEMENTS_MAX:
            problems.append(f"主要做法与成效不能超过 {ACHIEVEMENTS_MAX:,} 字（现为 {len(value):,} 字）。")
        elif name == "problems" and len(value) > PROBLEMS_MAX:
            problems.append(f"存在问题及整改措施不能超过 {PROBLEMS_MAX:,} 字（现为 {len(value):,} 字）。")
        elif name == "applied_grade" and value and value not in grades:
            problems.append("申报等次须为本年度指数标准中的等次。")
        values[name] = value
    if problems:
        raise WorkflowError(problems)
    return values


@transaction.atomic
def application_form_save(*, assessment, actor, data, expected_version, request=None):
    """The 《申请表》 fields kept on the assessment, guarded by Assessment.version."""
    a = lock_editable(assessment, actor)
    if a.village_id is None:
        raise WorkflowError("镇街测评无需填写村级申请表。")
    values = _clean_form(a, data)
    if a.version != expected_version:
        raise ConflictError(current=form_state(a))
    changed = {k: v for k, v in values.items() if getattr(a, k) != v}
    if not changed:
        return a
    updated = Assessment.objects.filter(pk=a.pk, version=expected_version).update(
        **changed, version=F("version") + 1
    )
    if not updated:
        raise ConflictError(current=form_state(Assessment.objects.get(pk=a.pk)))
    for k, v in changed.items():
        setattr(a, k, v)
    a.version = expected_version + 1
    labels = "、".join(str(Assessment._meta.get_field(k).verbose_name) for k in changed)
    record_event(
        assessment=a,
        actor=actor,
        action="application_form",
        subject="申请表",
        to_value=f"修改：{labels}",
        request=request,
    )
    void_signoffs(a, actor, request, "申请表")
    return a


# --- sign-offs -------------------------------------------------------------------------------------


@transaction.atomic
def signoff_sign(*, assessment, actor, side, opinion="", request=None):
    """A 两委 or 监委会 member confirms this round's submission; one sign-off per side per round."""
    a = lock_editable(assessment, actor)
    if a.village_id is None:
        raise WorkflowError("镇街测评无需村级签署。")
    if side not in Signoff.Side.values:
        raise WorkflowError("签署方无效。")
    label = Signoff.Side(side).label
    if side not in signoff_sides(actor, a):
        raise WorkflowError(f"您不是{label}成员，不能代表{label}签署。")
    opinion = clean_text(opinion, 300, "签署意见")
    round_no = a.round + 1
    existing = Signoff.objects.filter(assessment=a, side=side, round=round_no).select_related("user").first()
    if existing is not None:
        raise WorkflowError(f"本轮{label}已由{existing.user.display_name}签署，无需重复签署。")
    try:
        with transaction.atomic():
            signoff = Signoff.objects.create(
                assessment=a, side=side, round=round_no, user=actor, opinion=opinion
            )
    except IntegrityError:
        raise WorkflowError(f"本轮{label}已签署，无需重复签署。") from None
    record_event(
        assessment=a,
        actor=actor,
        action="signoff",
        subject=f"{label}签署",
        to_value=actor.display_name,
        reason=opinion,
        request=request,
    )
    return signoff
