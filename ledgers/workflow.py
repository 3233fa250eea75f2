"""The rectification (整改) workflow as data: who may move an item from which state to which, and when an
item is overdue. No database access; `services.rectification._apply` applies the table, the views ask
`selectors.rectification_available` which buttons to draw."""

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone

from access.roles import Side

from .models import PlanTask, Rectification

S = Rectification.Status


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    source: str
    target: str
    side: str  # access.table.SIDES["rectification"]: SELF is the item's village, REVIEWER its township


TRANSITIONS = (
    Transition("respond", "反馈整改情况", S.OPEN, S.RESPONDED, Side.SELF),
    Transition("accept", "验收通过并销号", S.RESPONDED, S.CLOSED, Side.REVIEWER),
    Transition("reject", "验收不通过", S.RESPONDED, S.OPEN, Side.REVIEWER),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
ACTION_LABELS = {"create": "创建", "evidence": "上传整改佐证", **{t.action: t.label for t in TRANSITIONS}}


def today_local():
    return timezone.localdate()


def is_overdue(item, today=None):
    today = today or today_local()
    return item.status != S.CLOSED and item.deadline < today


def overdue_case(today=None):
    """`is_overdue` as SQL, so lists filter and count overdue items in the database."""
    today = today or today_local()
    return Case(
        When(~Q(status=S.CLOSED) & Q(deadline__lt=today), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


# ---- plan tasks (工作任务): closing and reopening, and when a task is overdue ---------------------------


@dataclass(frozen=True)
class TaskTransition:
    action: str
    label: str
    closed_before: bool
    closed_after: bool
    side: str  # access.table.SIDES["township"]: REVIEWER keeps the township's task list


TASK_TRANSITIONS = (
    TaskTransition("close", "关闭任务", False, True, Side.REVIEWER),
    TaskTransition("reopen", "重新打开", True, False, Side.REVIEWER),
)
TASK_BY_ACTION = {t.action: t for t in TASK_TRANSITIONS}


def task_overdue_q(today=None, prefix=""):
    """A task is overdue when its due date has passed and it is neither done, standing nor closed."""
    today = today or today_local()
    return (
        Q(**{f"{prefix}deadline__lt": today})
        & ~Q(**{f"{prefix}status__in": [PlanTask.Status.DONE, PlanTask.Status.ONGOING]})
        & Q(**{f"{prefix}is_closed": False})
    )


def task_overdue_case(today=None, prefix=""):
    return Case(
        When(task_overdue_q(today, prefix), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
