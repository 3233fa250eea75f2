"""A custom user from migration 0001, and roles held at nodes of the organisation tree."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from access.roles import ROLE_NODE, Role


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    must_change_password = models.BooleanField("首次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # The township an account was opened for: an account without any role yet still belongs to the
    # township administrator who created it (accounts.selectors.users_managed_by).
    created_in_township = models.ForeignKey(
        "villages.Township",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建所在镇街",
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = verbose_name
        ordering = ["username"]
        constraints = [
            # users log in with their mobile number too: it names one active account at most
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(is_active=True) & ~Q(phone=""),
                name="user_phone_unique_among_active",
            )
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self):
        return self.full_name or self.username

    def get_session_auth_hash(self):
        # A user loaded from the cache (accounts.usercache) carries the hash, its password deferred;
        # once the password is loaded or set, the hash is computed from it as usual.
        cached = self.__dict__.get("_ql_auth_hash")
        if cached is not None and "password" not in self.__dict__:
            return cached
        return super().get_session_auth_hash()


# The roles and the node each is held at are access vocabulary (access.roles); re-exported here because
# the Membership model is where they are stored.
NODE_FIELDS = ("region", "township", "branch", "village", "unit")


def _node_condition():
    cond = Q()
    for role, node in ROLE_NODE.items():
        fields = {f"{f}__isnull": f != node for f in NODE_FIELDS}
        cond |= Q(role=role, **fields)
    return cond


class Membership(models.Model):
    """A role a user holds at one node: the source of every scope decision."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name="用户")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        "villages.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="市（县、区）",
    )
    township = models.ForeignKey(
        "villages.Township",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="镇街",
    )
    branch = models.ForeignKey(
        "villages.PartyBranch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="党总支",
    )
    village = models.ForeignKey(
        "villages.Village",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="村（社区）",
    )
    unit = models.ForeignKey(
        "villages.ResponsibleUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="责任单位",
    )
    created_at = models.DateTimeField("授予时间", auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = verbose_name
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(condition=_node_condition(), name="membership_node_matches_role")
        ]

    def __str__(self):
        return f"{self.get_role_display()} @ {self.node or '全局'}"

    @property
    def node(self):
        field = ROLE_NODE.get(self.role)
        return getattr(self, field) if field else None


class Notification(models.Model):
    """An in-app message to one user (reminders, returned submissions, downgrades)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField("标题", max_length=120)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]

    def __str__(self):
        return self.title
