"""What villages contributes to the home page: the user's own village, branch and unit, and the
organisation pages; and the demo townships. Declared as data; portal collects it (see
portal/registry.py)."""

from django.urls import reverse

from access.roles import Cap

from .demo import seed_demo_townships
from .models import PartyBranch, ResponsibleUnit, Township, Village


def own_village_cards(user, scope):
    if villages := scope.held(Cap.ORG_VIEW, "village"):
        for village in Village.objects.filter(pk__in=villages).select_related("township"):
            yield (
                f"本村：{village.name}",
                f"{village.township.name} · 查看本村基本信息、责任单位和所属党总支。",
                reverse("villages:village_detail", args=[village.pk]),
            )


def own_branch_cards(user, scope):
    if branches := scope.held(Cap.ORG_VIEW, "branch"):
        for branch in PartyBranch.objects.filter(pk__in=branches).select_related("township"):
            yield (
                f"本党总支：{branch.name}",
                "查看本党总支所辖村（社区）及其情况。",
                reverse("villages:village_list") + f"?branch={branch.pk}",
            )


def own_unit_cards(user, scope):
    if units := scope.held(Cap.ORG_VIEW, "unit"):
        for unit in ResponsibleUnit.objects.filter(pk__in=units):
            yield (
                f"本单位：{unit.name}",
                "查看本单位监管的村（社区）和监管领域。",
                reverse("villages:unit_detail", args=[unit.pk]),
            )


def org_cards(user, scope):
    if scope.reaches_a_township(Cap.ORG_VIEW):
        yield (
            "组织机构",
            "镇街、党总支、村（社区）、责任单位、工作专班和年度目标。",
            reverse("villages:township_list"),
        )


def org_import_cards(user, scope):
    if scope.can("org.manage"):
        yield (
            "导入组织机构",
            "从 Excel 批量导入村（社区）、党总支和责任单位，逐行校验。",
            reverse("villages:township_list"),
        )


def township_setup_cards(user, scope):
    """The set-up pages of each township where the user holds ORG_MANAGE itself (a city office or the
    administrator, who reach many, open them from the township page)."""
    if townships := scope.held(Cap.ORG_MANAGE, "township"):
        for township in Township.objects.filter(pk__in=townships).order_by("name"):
            yield (
                f"镇街设置：{township.name}",
                "台账报送截止日、测评截止日提醒天数、创建批次计划（任务分解表）。",
                reverse("villages:township_settings", args=[township.pk]),
            )


HOME_CARDS = [
    (100, own_village_cards),
    (110, own_branch_cards),
    (130, own_unit_cards),
    (140, org_cards),
    (150, org_import_cards),
    (155, township_setup_cards),
]
DEMO = [
    (10, seed_demo_townships),
]
