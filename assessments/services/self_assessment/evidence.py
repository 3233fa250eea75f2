"""Evidence files: validated and phone photos converted (common.uploads.prepare_upload), stored as
<uuid>.<ext>, never orphaned."""

from django.db import transaction

from common.storage import atomic_with_file
from common.uploads import prepare_upload
from indices.models import Indicator

from ...models import Evidence
from ..common import WorkflowError, record_event
from .base import delete_files_on_commit, lock_editable, self_edit_problem, void_signoffs


def evidence_upload(
    *, assessment, actor, kind, uploaded_file, indicator=None, bonus_claim=None, request=None
):
    """Validate one file by parsing it (common.uploads.prepare_upload: images are re-encoded without EXIF,
    HEIC becomes JPEG, big photos are downscaled), store it under <uuid>.<ext> and record it; size, type
    and hash are those of the stored bytes.

    The file is written inside the transaction that commits its row (common.storage.atomic_with_file): if
    anything after storing fails, or the commit does, the stored file is removed again. Call it outside
    any enclosing transaction (the views do): a rollback of an outer transaction after this returns
    cannot be seen here; `manage.py cleanup_orphan_files` finds such files.
    """
    problem = self_edit_problem(assessment, actor)
    if problem:
        raise WorkflowError(problem)
    prepared = prepare_upload(uploaded_file)
    checked, content = prepared.checked, prepared.content
    evidence = Evidence(
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    with atomic_with_file(evidence.file) as stored:
        a = lock_editable(assessment, actor)
        target = _evidence_target(a, kind, indicator, bonus_claim)
        evidence.assessment = a
        evidence.round = a.round + 1
        for key, value in target.items():
            setattr(evidence, key, value)
        stored.save(f"{evidence.pk}.{checked.ext}", content, save=False)
        evidence.save(force_insert=True)
        record_event(
            assessment=a,
            actor=actor,
            action="evidence_upload",
            subject=f"{evidence.get_kind_display()} {_target_label(target)}".strip(),
            to_value=checked.original_name,
            request=request,
        )
        void_signoffs(a, actor, request, "佐证材料")
    return evidence


def _evidence_target(a, kind, indicator, bonus_claim):
    if kind == Evidence.Kind.INDICATOR:
        if indicator is None or not a.scores.filter(indicator=indicator).exists():
            raise WorkflowError("该指标不属于本测评。")
        if indicator.scored_by != Indicator.ScoredBy.VILLAGE_AND_TOWNSHIP:
            raise WorkflowError(f"{indicator.code} 由镇街评分，无需上传自评佐证。")
        return {"indicator": indicator}
    if kind == Evidence.Kind.BONUS:
        if bonus_claim is None or bonus_claim.assessment_id != a.pk:
            raise WorkflowError("请先保存加分申报，再上传加分依据材料。")
        return {"bonus_claim": bonus_claim}
    if kind == Evidence.Kind.APPLICATION_FORM:
        if a.village_id is None:
            raise WorkflowError("镇街测评无需上传盖章申请表。")
        return {}
    raise WorkflowError("材料类型无效。")


def _target_label(target):
    if "indicator" in target:
        return target["indicator"].code
    if "bonus_claim" in target:
        return target["bonus_claim"].bonus_item.code
    return ""


@transaction.atomic
def evidence_delete(*, assessment, evidence, actor, request=None):
    a = lock_editable(assessment, actor)
    try:
        ev = Evidence.objects.select_related("indicator", "bonus_claim__bonus_item").get(
            pk=evidence.pk, assessment=a
        )
    except Evidence.DoesNotExist:
        raise WorkflowError("该材料不属于本测评。") from None
    name = ev.file.name
    ev.delete()
    delete_files_on_commit([name])
    target = {"indicator": ev.indicator} if ev.indicator_id else {}
    if ev.bonus_claim_id:
        target = {"bonus_claim": ev.bonus_claim}
    record_event(
        assessment=a,
        actor=actor,
        action="evidence_delete",
        subject=f"{ev.get_kind_display()} {_target_label(target)}".strip(),
        from_value=ev.original_name,
        request=request,
    )
    void_signoffs(a, actor, request, "佐证材料")
