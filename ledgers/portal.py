"""What ledgers contributes to the home page: rectifications to answer or to verify, last month's
ledger to submit, and the ledger pages; and the demo ledgers. Declared as data; portal
collects it (see portal/registry.py)."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from access.roles import Cap
from villages.models import ResponsibleUnit

from .compliance import LEDGER_START_MONTH
from .demo import seed_demo_ledgers
from .models import LedgerSubmission, PlanSubTask, PlanTask, Rectification


def open_rectification_pending(user, scope):
    items = []
    if villages := scope.held(Cap.RECTIFY_VIEW, "village"):
        open_items = Rectification.objects.filter(
            village_id__in=villages, status=Rectification.Status.OPEN
        ).count()
        if open_items:
            items.append(
                (
                    f"{open_items} 项整改事项待反馈",
                    "说明整改情况并上传佐证材料，提交镇街验收。",
                    reverse("ledgers:rectification_list") + "?status=open",
                )
            )
    return items


def responded_rectification_pending(user, scope):
    items = []
    reviewer_towns = scope.held(Cap.RECTIFY_MANAGE, "township")
    if reviewer_towns:
        responded = Rectification.objects.filter(
            township_id__in=reviewer_towns, status=Rectification.Status.RESPONDED
        ).count()
        if responded:
            items.append(
                (
                    f"{responded} 项整改待验收",
                    "村里已反馈整改情况，请核实后销号或退回。",
                    reverse("ledgers:rectification_list") + "?status=responded",
                )
            )
    return items


def ledger_due_pending(user, scope):
    items = []
    unit_ids = scope.held(Cap.LEDGER_SUBMIT, "unit")
    if unit_ids:
        today = timezone.localdate()
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        if month >= LEDGER_START_MONTH:
            done = set(
                LedgerSubmission.objects.filter(
                    unit_id__in=unit_ids, year=year, month=month, submitted_at__isnull=False
                ).values_list("unit_id", flat=True)
            )
            for unit in (
                ResponsibleUnit.objects.filter(pk__in=unit_ids)
                .exclude(pk__in=done)
                .select_related("township")
            ):
                items.append(
                    (
                        f"报送{unit.name}{year}年{month}月台账",
                        f"每月{unit.township.ledger_due_day}日前报送上月台账，本月无问题须零报告。",
                        reverse("ledgers:ledger_edit", args=[unit.pk, year, month]),
                    )
                )
    return items


def subtask_pending(user, scope):
    """A village (or 党总支) with shares of this year's tasks not done and not reported this month."""
    villages = scope.held(Cap.SUBTASKS_REPORT, "village")
    branches = scope.held(Cap.SUBTASKS_REPORT, "branch")
    if not (villages or branches):
        return []
    today = timezone.localdate()
    open_shares = (
        PlanSubTask.objects.filter(Q(village_id__in=villages) | Q(branch_id__in=branches))
        .filter(task__year=today.year, task__is_closed=False)
        .exclude(status=PlanTask.Status.DONE)
        .exclude(progress__year=today.year, progress__month=today.month)
        .count()
    )
    if not open_shares:
        return []
    return [
        (
            f"{open_shares} 项分解任务本月待填报进展",
            "镇街实施方案中分解到本村（本党总支）的任务，请按月填报推进情况并上传佐证。",
            reverse("ledgers:subtask_list"),
        )
    ]


def ledger_cards(user, scope):
    if scope.can("ledger.view"):
        yield (
            "日常监管台账",
            "按月填报或上传《日常监管台账》，查看各责任单位按时、逾期、未报情况。",
            reverse("ledgers:ledger_list"),
        )


HOME_PENDING = [
    (20, open_rectification_pending),
    (25, subtask_pending),
    (40, responded_rectification_pending),
    (50, ledger_due_pending),
]
HOME_CARDS = [
    (170, ledger_cards),
]
DEMO = [
    (50, seed_demo_ledgers),
]
