"""The figures of the township and city dashboards (数据看板), and the village lists behind them.

The figures read the read models that the write services keep (assessments.readmodels): the township
dashboard counts its round's assessment rows (one query, O(villages of the township)), the city
dashboard reads one CampaignSummary per township; neither reads the score lines, and both make the
same number of queries with 5 villages or 1,000 (and with 2 townships or 20). The classifiers (progress
stage, effective grade, score bin) exist twice, in Python for counting (assessments.readmodels) and in
SQL for the drill-down lists (`expressions`); the tests hold the two to the same answers.

    expressions  the shared classifying expressions and constants
    township     the township dashboard
    lists        the village lists behind the township figures
    city         the city dashboard
"""

from .city import CityDashboard, TownRow, city_dashboard
from .expressions import BIN, PROGRESS, PROGRESS_LABELS, YOY_LABELS
from .lists import FIGURES, BadFigure, FigureList, figure_list
from .township import TownshipDashboard, township_dashboard, village_campaign

__all__ = [
    "BIN",
    "FIGURES",
    "PROGRESS",
    "PROGRESS_LABELS",
    "YOY_LABELS",
    "BadFigure",
    "CityDashboard",
    "FigureList",
    "TownRow",
    "TownshipDashboard",
    "city_dashboard",
    "figure_list",
    "township_dashboard",
    "village_campaign",
]
