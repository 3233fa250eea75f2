"""The township side: 初审 page, grading board, the city's 示范村 board, veto events and village history.

Every object comes through the scoped selectors; a user without the needed workflow side gets the same
404 as for a missing page, and child rows (scores, claims, vetoes) are looked up through their assessment.
"""

from .board import city_board, city_decide, confirm_grades, grade_override, grading_board, village_history
from .common import label_grades, review_result_context
from .computed import computed_fill, computed_restore
from .edit import (
    accept_remaining,
    bonus_review,
    review_edit,
    score_review,
    veto_clear_all,
    veto_event_create,
    veto_review,
)

__all__ = [
    "accept_remaining",
    "bonus_review",
    "city_board",
    "city_decide",
    "computed_fill",
    "computed_restore",
    "confirm_grades",
    "grade_override",
    "grading_board",
    "label_grades",
    "review_edit",
    "review_result_context",
    "score_review",
    "veto_clear_all",
    "veto_event_create",
    "veto_review",
    "village_history",
]
