"""Privilege boundaries for granting roles: who may give which role at which node.

A grant is allowed when the granting user holds USERS_MANAGE over the node's township (at the township
itself, or at its region for the city office), the role is one a township may hand out (city and
administrator roles are given only by the system administrator; a city office may name township roles
in its region), and the grantor is not changing their own roles. Every refusal is a Chinese sentence
the services raise as a NotPermittedError and the import reports per row.
"""

from .roles import ROLE_NODE, Cap, Role

# Roles a township administrator may hand out inside its own township.
TOWNSHIP_GRANTABLE = frozenset(
    {
        Role.VILLAGE_COMMITTEE,
        Role.VILLAGE_SUPERVISOR,
        Role.BRANCH_SECRETARY,
        Role.UNIT_STAFF,
        Role.TOWNSHIP_REVIEWER,
        Role.TOWNSHIP_LEADER,
    }
)
# Roles only the system administrator hands out.
SYSTEM_ONLY = frozenset({Role.CITY_OFFICE, Role.ADMIN})


def node_township_and_region(role, node):
    """(township id, region id) of the node a role is held at (None where it does not apply)."""
    kind = ROLE_NODE.get(role)
    if kind is None or node is None:
        return None, None
    if kind == "region":
        return None, node.pk
    if kind == "township":
        return node.pk, node.region_id
    township = node.township
    return township.pk, township.region_id


def grant_refusal(scope, *, role, node, actor=None, target=None):
    """Why `scope` may not grant (or revoke) `role` at `node` for `target`, or None when it may."""
    if actor is not None and target is not None and actor.pk == target.pk:
        return "不能修改自己的角色授权。"
    if scope.everywhere:
        return None
    if not scope.can(Cap.USERS_MANAGE):
        return "您无权管理用户和角色授权。"
    if role in SYSTEM_ONLY:
        return f"“{Role(role).label}”只能由系统管理员授予。"
    if role not in TOWNSHIP_GRANTABLE:
        return "未知的角色。"
    township_id, region_id = node_township_and_region(role, node)
    if township_id is None:
        return "请选择角色所在的组织节点。"
    if township_id in scope.held(Cap.USERS_MANAGE, "township"):
        return None
    if region_id in scope.held(Cap.USERS_MANAGE, "region"):
        return None
    return "只能在本人管理的镇街范围内授予角色。"


def account_create_refusal(scope, *, township):
    """Why `scope` may not open an account belonging to `township` (None: to no township), or None."""
    if scope.everywhere:
        return None
    if not scope.can(Cap.USERS_MANAGE):
        return "您无权管理用户和角色授权。"
    if township is None:
        return "请选择用户所属镇街。"
    if scope.reaches_township(Cap.USERS_MANAGE, township):
        return None
    return "只能为本人管理的镇街创建用户。"


def account_flags_refusal(scope):
    """Why `scope` may not set an account's administrative flags (admin site login, superuser), or None."""
    if scope.everywhere:
        return None
    return "只有系统管理员可以设置管理后台权限。"


def grantable_roles(scope):
    """The roles `scope` may hand out somewhere (the grant form's choices; grant_refusal decides each)."""
    if scope.everywhere:
        return [r for r in Role]
    if not scope.can(Cap.USERS_MANAGE):
        return []
    if scope.held(Cap.USERS_MANAGE, "township"):
        return [r for r in Role if r in TOWNSHIP_GRANTABLE]
    # the city office names the township roles of its region's townships
    return [r for r in Role if r in TOWNSHIP_GRANTABLE and ROLE_NODE[r] == "township"]


# The role that makes a user a township's administrator (USERS_MANAGE held at the township).
TOWNSHIP_ADMIN_ROLE = Role.TOWNSHIP_REVIEWER


def creates_townships(scope):
    """Whether `scope` may open new townships somewhere (the city office in its region, the administrator)."""
    return scope.everywhere or bool(scope.held(Cap.USERS_MANAGE, "region"))


def township_create_refusal(scope, *, region):
    """Why `scope` may not open a township in `region`, or None when it may."""
    if scope.reaches_region(Cap.USERS_MANAGE, region.pk):
        return None
    return "只能在本人所在的市（县、区）新建镇街。"


def region_create_refusal(scope):
    """Why `scope` may not open a new 市（县、区）, or None when it may (only the system administrator)."""
    if scope.everywhere:
        return None
    return "只有系统管理员可以新建市（县、区）。"
