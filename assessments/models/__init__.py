"""The yearly assessment cycle: campaigns, one assessment per subject (village, or township for the
镇街-level standard), indicator scores, bonus claims, veto checks, evidence, sign-offs and events.

Totals on Assessment are derived data: services recompute them from the lines on every change (never
increment them), so that aggregation for boards and dashboards can stay in SQL.

    assessment  Campaign, Assessment
    lines       IndicatorScore, BonusClaim, VetoCheck
    documents   Evidence, Signoff
    history     AssessmentEvent, VetoEvent
    city        DemonstrationApplication
    summary     CampaignSummary (a read model for the dashboards)
"""

# Imported in the order the models have always been defined: Django registers them in this order
# (content types, reverse relations), so keep it.
# isort: off
from .assessment import SCORE, Campaign, Assessment
from .lines import IndicatorScore, BonusClaim, VetoCheck
from .documents import Evidence, Signoff
from .history import AssessmentEvent, VetoEvent
from .city import DemonstrationApplication
from .summary import CampaignSummary

# isort: on

__all__ = [
    "SCORE",
    "Assessment",
    "AssessmentEvent",
    "BonusClaim",
    "Campaign",
    "CampaignSummary",
    "DemonstrationApplication",
    "Evidence",
    "IndicatorScore",
    "Signoff",
    "VetoCheck",
    "VetoEvent",
]
