"""The home page's "what can I do next" cards, per role, assembled from what each app registers
(see registry.py): first the work waiting for the user, then each app's cards, in their order."""

from django.urls import reverse

from accounts.models import Role
from accounts.scoping import scope_for

from .registry import registry


def home_cards(user):
    scope = scope_for(user)
    cards = []

    def add(title, text, url, button="进入", urgent=False):
        cards.append({"title": title, "text": text, "url": url, "button": button, "urgent": urgent})

    for title, text, url in pending_work(user, scope):
        add(title, text, url, button="去办理", urgent=True)
    for title, text, url in registry.cards(user, scope):
        add(title, text, url)
    if not cards:
        add(
            "暂无可用功能",
            "您的账户尚未分配角色，请联系镇纪委或系统管理员。",
            reverse("accounts:password_change"),
            "修改密码",
        )
    return cards


ROLE_HINTS = {
    Role.VILLAGE_COMMITTEE: "每年6月25日前完成本村自评打分并上传佐证材料。",
    Role.VILLAGE_SUPERVISOR: "与村“两委”共同完成自评，并对自评结果签署意见。",
    Role.BRANCH_SECRETARY: "6月30日前以党总支为单位报送所辖村的申请表和评分表。",
    Role.UNIT_STAFF: "每月2日前报送上月《日常监管台账》，无问题须零报告。",
    Role.TOWNSHIP_REVIEWER: "逐村初审打分定级，7月10日前向市里报送示范村材料。",
    Role.TOWNSHIP_LEADER: "查看全镇建设进度、等次分布和日常监管情况（只读）。",
    Role.CITY_OFFICE: "接收各镇街报送的示范村材料并评选认定。",
    Role.ADMIN: "维护用户、角色授权和系统配置。",
}


def role_hints(user):
    scope = scope_for(user)
    return [(Role(r).label, ROLE_HINTS[Role(r)]) for r in sorted(scope.roles)]


def pending_work(user, scope):
    """Work waiting for this user right now, first on the home page (a fixed number of queries)."""
    return list(registry.pending(user, scope))
