"""The handling of a message as data: which action leads from which states to which."""

from dataclasses import dataclass

NEW, ANSWERED, DISMISSED, RECTIFIED = "new", "answered", "dismissed", "rectified"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    label: str


TRANSITIONS = (
    Transition("answer", frozenset({NEW, ANSWERED}), ANSWERED, "答复"),
    Transition("dismiss", frozenset({NEW}), DISMISSED, "不予处理"),
    Transition("rectify", frozenset({NEW, ANSWERED}), RECTIFIED, "转为整改事项"),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def available(status):
    return [t for t in TRANSITIONS if status in t.sources]
