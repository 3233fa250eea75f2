"""Append-only audit trail with a hash chain (SECURITY.md LOG-1..LOG-3).

A row is inserted unchained (no lock: writers of all townships proceed in parallel); the sealer
(audit.services.audit_seal, right after the writing transaction commits and on a short beat) gives
committed rows their place in the chain (`seq`) and their hash, in id order, under the chain head's
lock, which it holds only while sealing. On PostgreSQL a trigger refuses UPDATE and DELETE of a row
except the sealer's one update of an unsealed row's chain fields (migration 0002).
"""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    class Result(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"

    at = models.DateTimeField("时间", db_index=True)
    # PROTECT: accounts are disabled, never deleted; SET_NULL would rewrite sealed rows
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    actor_username = models.CharField("用户名", max_length=150, blank=True)
    actor_roles = models.CharField("角色", max_length=200, blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    township_id = models.BigIntegerField("镇街", null=True, blank=True)
    village_id = models.BigIntegerField("村（社区）", null=True, blank=True)
    result = models.CharField("结果", max_length=10, choices=Result.choices, default=Result.SUCCESS)
    message = models.CharField("摘要", max_length=300, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    # the chain: given by the sealer, empty until then
    seq = models.BigIntegerField("链序号", null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = verbose_name
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # the sealer's work list stays small whatever the size of the log
            models.Index(fields=["id"], condition=models.Q(hash__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action}"


class AuditChainHead(models.Model):
    """One row: the chain's last sealed position and hash, and the last external checkpoint. Locked by the
    sealer only, for the few statements of one sealing."""

    last_hash = models.CharField(max_length=64, blank=True)
    last_seq = models.BigIntegerField(default=0)
    checkpoint_seq = models.BigIntegerField(default=0)
    checkpoint_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = verbose_name

    def __str__(self):
        return self.last_hash[:12]
