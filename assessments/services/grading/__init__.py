"""定级: grade overrides and confirmation, the distribution against the year's target, the city's
decision on 示范村 candidates, and veto events during the year."""

from .base import CITY, campaign_actor_sides, standard_grades, subject_members
from .decisions import campaign_confirm_grades, city_decide, grade_override, veto_event_record
from .summary import GradingSummary, SummaryRow, grading_summary

__all__ = [
    "CITY",
    "GradingSummary",
    "SummaryRow",
    "campaign_actor_sides",
    "campaign_confirm_grades",
    "city_decide",
    "grade_override",
    "grading_summary",
    "standard_grades",
    "subject_members",
    "veto_event_record",
]
