"""The figures of the township and city dashboards (数据看板), and the village lists behind them.

Every figure is one grouped SQL aggregate (or a fixed handful), so a dashboard makes the same number
of queries with 5 villages or 1,000 (and with 2 townships or 20). The expressions that classify an
assessment (progress stage, effective grade, last year's grade, score bin) are defined once, in
`expressions`, and used both to count and to list, so a figure and its drill-down list always agree.

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
