"""Writes of the assessment cycle: every write is one named function, atomic, with its event rows."""

from .common import WorkflowError
from .totals import assessment_recompute
from .transitions import assessment_transition, guard_problems

__all__ = [
    "WorkflowError",
    "assessment_recompute",
    "assessment_transition",
    "guard_problems",
]
