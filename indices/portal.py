"""What indices contributes to the home page: the standards and their import; and the sample
standards for the demo. Declared as data; portal collects it (see portal/registry.py)."""

from django.urls import reverse

from .demo import seed_demo_standards


def standard_cards(user, scope):
    if scope.can("standards.view"):
        yield (
            "指数标准",
            "按年度查看村级、镇街指数标准：维度、指标、分值、加分项、否决项和等次。",
            reverse("indices:standard_list"),
        )


def standard_import_cards(user, scope):
    if scope.can("standards.manage"):
        yield (
            "导入指数标准",
            "从 YAML 或 Excel 导入新版本，校验通过后一次写入。",
            reverse("indices:standard_import"),
        )


HOME_CARDS = [
    (180, standard_cards),
    (190, standard_import_cards),
]
DEMO = [
    (20, seed_demo_standards),
]
