"""The 示范村申请表 fields of a candidate, kept by the township 纪委 (optimistic locking like the sheets)."""

from django.db import transaction
from django.db.models import F

from assessments.models import DemonstrationApplication
from audit.services import audit_log
from common.errors import ConflictError

FIELDS = ("brand_name", "experience", "honours", "satisfaction", "recommendation_rank", "township_opinion")


class DemonstrationConflict(ConflictError):
    def __init__(self, current):
        super().__init__("该申请表已被他人修改，请核对后重新保存。", current=current)


def demonstration_save(*, assessment, actor, data, version, request=None):
    """Save the fields; `version` is the one the editor loaded. A stale version changes nothing."""
    with transaction.atomic():
        app, _ = DemonstrationApplication.objects.get_or_create(assessment=assessment)
        app = DemonstrationApplication.objects.select_for_update().get(pk=app.pk)
        if app.version != version:
            raise DemonstrationConflict(app)
        changed = [f for f in FIELDS if getattr(app, f) != data[f]]
        if not changed:
            return app, []
        DemonstrationApplication.objects.filter(pk=app.pk, version=version).update(
            **{f: data[f] for f in FIELDS}, version=F("version") + 1, updated_by=actor
        )
        app.refresh_from_db()
        audit_log(
            action="demonstration.save",
            actor=actor,
            request=request,
            obj=app,
            township_id=assessment.township_id,
            village_id=assessment.village_id,
            message=f"修改示范村申请表：{assessment.subject_name}",
            detail={"fields": changed},
        )
    return app, changed
