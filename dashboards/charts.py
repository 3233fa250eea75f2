"""The dashboards' chart data: plain dicts (numbers, Chinese labels, drill-down URLs) that the
templates hand to static/js/dashboard.js through `json_script`. No figure is computed here."""

from urllib.parse import urlencode

from django.urls import reverse

from ledgers.compliance import COUNTED, LABELS, State
from ledgers.models import PlanTask

from .figures import BIN, PROGRESS, YOY_LABELS

STATE_COLOURS = {
    State.ON_TIME: "#3c9d5d",
    State.ZERO: "#6fb7d6",
    State.LATE: "#e6a23c",
    State.MISSING: "#c0392b",
    State.NOT_DUE: "#d9d9d9",
    State.NOT_APPLICABLE: "#f4f4f4",
}
STAGE_COLOURS = ["#bfbfbf", "#8fb4d9", "#4a7fb5", "#e6a23c", "#6aa84f", "#a61b1b"]
HEAT_STATES = [*COUNTED, State.NOT_APPLICABLE]


def num(value):
    return None if value is None else float(value)


def _url(base, **params):
    return f"{base}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def township_charts(d):
    t, year = d.township, d.year
    lst = reverse("dashboards:township_list", args=[t.pk, year])
    branch_param = {"branch": d.branch.pk} if d.branch else {}
    if d.campaign is not None and not d.campaign.is_annual:
        branch_param["round"] = d.campaign.kind  # the lists drill into the round shown
    charts = {}
    if d.campaign is not None:
        # progress by branch (stacked bars)
        keys = [b.pk for b in d.branches if d.branch is None or b.pk == d.branch.pk]
        names = [b.name for b in d.branches if d.branch is None or b.pk == d.branch.pk]
        if 0 in d.progress:
            keys.append(0)
            names.append("未分党总支")
        charts["progress"] = {
            "type": "stacked",
            "categories": names,
            "series": [
                {
                    "name": label,
                    "color": STAGE_COLOURS[i],
                    "data": [d.progress.get(k, {}).get(stage, 0) for k in keys],
                    "urls": [_url(lst, figure="progress", stage=stage, bkey=k, **branch_param) for k in keys],
                }
                for i, (stage, label) in enumerate(PROGRESS)
            ],
        }
        grades = d.grades
        charts["grades"] = {
            "type": "bars",
            "categories": [name for _, name, _ in grades] + ["未定级"],
            "series": [
                {
                    "name": "当前数量",
                    "color": "#a61b1b",
                    "data": [d.grade_counts.get(code, 0) for code, _, _ in grades] + [d.ungraded],
                    "urls": [_url(lst, figure="grade", grade=code, **branch_param) for code, _, _ in grades]
                    + [_url(lst, figure="grade", grade="", **branch_param)],
                }
            ],
            "targets": [d.grade_targets.get(code) for code, _, _ in grades] + [None]
            if d.grade_targets
            else [],
            "targetName": "年度目标",
        }
        dims = d.dimensions
        charts["dimensions"] = {
            "type": "bars",
            "categories": [f"{name}\n满分{max_score.normalize():f}" for _, name, max_score in dims],
            "unit": "分",
            "series": [
                {
                    "name": "平均得分",
                    "color": "#4a7fb5",
                    "data": [num(d.dimension_avg.get(code)) for code, _, _ in dims],
                    "urls": [_url(lst, figure="dimension", dim=code, **branch_param) for code, _, _ in dims],
                },
                {
                    "name": "满分",
                    "color": "#d9d9d9",
                    "data": [num(max_score) for _, _, max_score in dims],
                    "urls": [_url(lst, figure="dimension", dim=code, **branch_param) for code, _, _ in dims],
                },
            ],
        }
        bins = sorted(d.histogram)
        if bins:
            bins = list(range(bins[0], bins[-1] + BIN, BIN))
        charts["histogram"] = {
            "type": "bars",
            "categories": [f"{b}–{b + BIN}" for b in bins],
            "series": [
                {
                    "name": "村数",
                    "color": "#6aa84f",
                    "data": [d.histogram.get(b, 0) for b in bins],
                    "urls": [_url(lst, figure="score", bin=b, **branch_param) for b in bins],
                }
            ],
        }
        codes = [code for code, _, _ in grades]
        gnames = {code: name for code, name, _ in grades}
        prev_codes = [*codes, ""]
        cur_codes = [*codes, ""]
        charts["yoy"] = {
            "type": "matrix",
            "xs": [gnames[c] for c in codes] + ["未定级"],
            "ys": [gnames[c] for c in codes] + ["上年无等次"],
            "xName": f"{year}年",
            "yName": f"{year - 1}年",
            "data": [
                [x, y, d.yoy.get((p, c), 0), _url(lst, figure="yoy", prev=p, cur=c, **branch_param)]
                for y, p in enumerate(prev_codes)
                for x, c in enumerate(cur_codes)
            ],
        }
    charts["compliance"] = compliance_chart(d.compliance, t, year)
    charts["rectifications"] = rectification_chart([(t.pk, t.name)], {t.pk: d.rectifications})
    charts["tasks"] = task_chart([(t.pk, t.name)], {t.pk: d.tasks}, year)
    return charts


def compliance_chart(matrix, township, year):
    url = _url(reverse("ledgers:compliance"), township=township.pk, year=year)
    index = {s: i for i, s in enumerate(HEAT_STATES)}
    return {
        "type": "heatmap",
        "units": [row.unit.name for row in matrix.rows],
        "months": [f"{m}月" for m in range(1, 13)],
        "states": [{"label": LABELS[s], "color": STATE_COLOURS[s]} for s in HEAT_STATES],
        "data": [[c.month - 1, y, index[c.state]] for y, row in enumerate(matrix.rows) for c in row.cells],
        "url": url,
    }


RECT_BARS = [
    ("open", "未整改", "#c0392b"),
    ("responded", "已整改待验收", "#e6a23c"),
    ("closed", "已销号", "#3c9d5d"),
]


def rectification_chart(towns, counts):
    base = reverse("ledgers:rectification_list")
    series = [
        {
            "name": label,
            "color": colour,
            "data": [counts[pk].get(key, 0) for pk, _ in towns],
            "urls": [_url(base, township=pk, status=key) for pk, _ in towns],
        }
        for key, label, colour in RECT_BARS
    ]
    series.append(
        {
            "name": "已逾期（未销号）",
            "color": "#7b1010",
            "data": [counts[pk].get("overdue", 0) for pk, _ in towns],
            "urls": [_url(base, township=pk, overdue=1) for pk, _ in towns],
        }
    )
    return {"type": "bars", "categories": [name for _, name in towns], "series": series}


TASK_COLOURS = {"not_started": "#bfbfbf", "in_progress": "#4a7fb5", "done": "#3c9d5d", "ongoing": "#8fb4d9"}


def task_chart(towns, counts, year):
    base = reverse("ledgers:task_list")
    series = [
        {
            "name": label,
            "color": TASK_COLOURS[key],
            "data": [counts[pk].get(key, 0) for pk, _ in towns],
            "urls": [_url(base, township=pk, year=year, status=key) for pk, _ in towns],
        }
        for key, label in PlanTask.Status.choices
    ]
    series.append(
        {
            "name": "已过完成日期未完成",
            "color": "#c0392b",
            "data": [counts[pk].get("overdue", 0) for pk, _ in towns],
            "urls": [_url(base, township=pk, year=year, overdue=1) for pk, _ in towns],
        }
    )
    return {"type": "bars", "categories": [name for _, name in towns], "series": series}


def city_charts(c):
    year = c.year
    towns = c.towns
    tlist = [(r.township.pk, r.township.name) for r in towns]
    names = [name for _, name in tlist]

    # one reverse() per township, not one per chart cell (a city has hundreds of townships)
    list_base = {
        r.township.pk: reverse("dashboards:township_list", args=[r.township.pk, year]) for r in towns
    }
    dash_base = {r.township.pk: reverse("dashboards:township", args=[r.township.pk, year]) for r in towns}

    def lst(row, **params):
        return _url(list_base[row.township.pk], **params)

    def dash(row):
        return dash_base[row.township.pk]

    starts = sorted({b for r in towns for b in r.histogram})
    bins = list(range(starts[0], starts[-1] + BIN, BIN)) if starts else []

    charts = {
        "progress": {
            "type": "stacked",
            "categories": names,
            "series": [
                {
                    "name": label,
                    "color": STAGE_COLOURS[i],
                    "data": [r.progress.get(stage, 0) for r in towns],
                    "urls": [
                        lst(r, figure="progress", stage=stage) if r.campaign else dash(r) for r in towns
                    ],
                }
                for i, (stage, label) in enumerate(PROGRESS)
            ],
        },
        "grades": {
            "type": "bars",
            "categories": names,
            "series": [
                {
                    "name": g,
                    "data": [r.grade_counts.get(g, 0) for r in towns],
                    "urls": [
                        lst(r, figure="grade", grade=r.grade_codes[g]) if g in r.grade_codes else dash(r)
                        for r in towns
                    ],
                }
                for g in c.grade_names
            ],
        },
        "dimensions": {
            "type": "bars",
            "categories": c.dimension_names,
            "unit": "分",
            "series": [
                {
                    "name": r.township.name,
                    "data": [num(r.dimension_avg.get(n)) for n in c.dimension_names],
                    "urls": [
                        lst(r, figure="dimension", dim=r.dimension_codes[n])
                        if n in r.dimension_codes
                        else dash(r)
                        for n in c.dimension_names
                    ],
                }
                for r in towns
            ],
        },
        "scores": {
            "type": "bars",
            "categories": names,
            "unit": "分",
            "series": [
                {
                    "name": "平均清廉指数",
                    "color": "#a61b1b",
                    "data": [num(r.avg_score) for r in towns],
                    "urls": [lst(r, figure="ranking") if r.campaign else dash(r) for r in towns],
                }
            ],
        },
        "histogram": {
            "type": "bars",
            "categories": [f"{b}–{b + BIN}" for b in bins],
            "series": [
                {
                    "name": r.township.name,
                    "data": [r.histogram.get(b, 0) for b in bins],
                    "urls": [lst(r, figure="score", bin=b) if r.campaign else dash(r) for b in bins],
                }
                for r in towns
            ],
        },
        "compliance": {
            "type": "stacked",
            "categories": names,
            "series": [
                {
                    "name": LABELS[s],
                    "color": STATE_COLOURS[s],
                    "data": [r.compliance.get(s, 0) for r in towns],
                    "urls": [_url(reverse("ledgers:compliance"), township=pk, year=year) for pk, _ in tlist],
                }
                for s in COUNTED
            ],
        },
        "rectifications": rectification_chart(tlist, {r.township.pk: r.rectifications for r in towns}),
        "tasks": task_chart(tlist, {r.township.pk: r.tasks for r in towns}, year),
        "yoy": {
            "type": "stacked",
            "categories": names,
            "series": [
                {
                    "name": label,
                    "data": [r.yoy_kinds.get(kind, 0) for r in towns],
                    "urls": [lst(r, figure="yoy", kind=kind) if r.campaign else dash(r) for r in towns],
                }
                for kind, label in YOY_LABELS.items()
            ],
        },
    }
    return charts
