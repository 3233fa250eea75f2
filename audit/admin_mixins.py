"""Shared Django admin behaviour: the admin never writes around the services or the audit trail.

ReadOnlyAdminMixin: for domain records (scores, ledgers, standards, audit rows…) the admin is a window,
not a workflow bypass: no add, change or delete, every field shown read-only.

AuditedAdminMixin: for the few plain records an administrator does keep in the admin (the organisation
tree), every save and delete writes its audit row in the same transaction.
"""

from django.contrib.admin.utils import construct_change_message
from django.db import transaction

from .services import audit_log, audit_log_many


class ReadOnlyAdminMixin:
    """For ModelAdmin and InlineModelAdmin alike (the inline passes `obj` to has_add_permission)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        """Every field the page shows, in the order it showed them when they were editable."""
        declared = list(self.readonly_fields)
        if self.fields:
            return list(dict.fromkeys([*self.fields, *declared]))
        opts = self.model._meta
        editable = [f.name for f in (*opts.fields, *opts.many_to_many) if f.editable and not f.auto_created]
        return [name for name in editable if name not in declared] + declared

    def get_actions(self, request):
        return {}


def _place(obj):
    """The township and village an organisation record belongs to, so township reviewers see its row."""
    label = obj._meta.label_lower
    township_id = obj.pk if label == "villages.township" else getattr(obj, "township_id", None)
    village_id = obj.pk if label == "villages.village" else getattr(obj, "village_id", None)
    return {"township_id": township_id, "village_id": village_id}


class AuditedAdminMixin:
    """One audit row per admin save (with its inline rows and links) and per deleted record."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit_log(
            action="admin.update" if change else "admin.create",
            actor=request.user,
            request=request,
            obj=obj,
            **_place(obj),
            message=f"管理后台{'修改' if change else '新增'}{obj._meta.verbose_name}：{obj}",
            detail={"changes": construct_change_message(form, formsets, not change)},
        )

    def _delete_entry(self, obj, pk):
        return {
            "action": "admin.delete",
            "object_type": obj._meta.label_lower,
            "object_id": str(pk),
            **_place(obj),
            "message": f"管理后台删除{obj._meta.verbose_name}：{obj}",
        }

    def delete_model(self, request, obj):
        with transaction.atomic():
            pk = obj.pk
            super().delete_model(request, obj)
            audit_log(actor=request.user, request=request, **self._delete_entry(obj, pk))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            objs = [(obj, obj.pk) for obj in queryset]
            super().delete_queryset(request, queryset)
            audit_log_many(
                [self._delete_entry(obj, pk) for obj, pk in objs], actor=request.user, request=request
            )
