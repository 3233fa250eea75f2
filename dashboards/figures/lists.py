"""The village lists behind the township dashboard's figures, filtered by the same expressions the
figures count with."""

from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from common.errors import InvalidInputError
from indices.models import Dimension, Grade

from .expressions import (
    BIN,
    DEC,
    DONE,
    PROGRESS_LABELS,
    YOY_LABELS,
    effective_grade_expr,
    progress_expr,
    scored_q,
)
from .township import campaign_assessments

FIGURES = {
    "progress": "自评进度",
    "grade": "等次分布",
    "dimension": "维度得分",
    "score": "得分分布",
    "yoy": "等次动态变化",
    "ranking": "清廉指数排名",
}


class BadFigure(InvalidInputError, ValueError):
    """A figure or a figure parameter the dashboard does not have (the value is the message)."""


@dataclass
class FigureList:
    title: str
    queryset: object
    dimension: str = ""  # dimension code when the list carries a dimension score


def figure_list(campaign, params, branch=None):
    """The assessments behind one figure of the township dashboard, annotated for the list.

    params: figure=progress&stage=…&branch_key=…  |  grade&grade=CODE|""  |  dimension&dim=CODE  |
    score&bin=LOW  |  yoy&prev=CODE|""&cur=CODE|""  |  yoy&kind=up|same|down|new  |  ranking.
    """
    figure = params.get("figure", "")
    if figure not in FIGURES:
        raise BadFigure(figure)
    qs = (
        campaign_assessments(campaign, branch)
        .select_related("village", "village__branch")
        .annotate(
            stage=progress_expr(),
            eff_grade=effective_grade_expr(),
            prev_grade=F("previous_grade"),
        )
    )
    title = FIGURES[figure]
    dimension = ""
    if figure == "progress":
        stage = params.get("stage", "")
        if stage and stage not in PROGRESS_LABELS:
            raise BadFigure(stage)
        if stage:
            qs = qs.filter(stage=stage)
            title += f"：{PROGRESS_LABELS[stage]}"
        bkey = params.get("bkey", "")
        if bkey:
            if not bkey.isdigit():
                raise BadFigure(bkey)
            qs = (
                qs.filter(village__branch__isnull=True) if bkey == "0" else qs.filter(village__branch_id=bkey)
            )
    elif figure == "grade":
        code = params.get("grade", "")
        if code:
            qs = qs.filter(status__in=DONE, final_grade=code)
        else:
            qs = qs.exclude(status__in=DONE, final_grade__in=grade_codes(campaign))
            title += "：未定级"
    elif figure == "dimension":
        dimension = params.get("dim", "")
        if not Dimension.objects.filter(standard_id=campaign.standard_id, code=dimension).exists():
            raise BadFigure(dimension)
        # the dimension's total from the read model (a decimal string), not the score lines
        dim_total = Cast(KeyTextTransform(dimension, "dimension_scores"), DEC)
        qs = qs.filter(scored_q()).annotate(dim_score=dim_total)
        title += f"：{dimension}"
    elif figure == "score":
        low = params.get("bin", "")
        if not low.lstrip("-").isdigit():
            raise BadFigure(low)
        low = int(low)
        qs = qs.filter(scored_q(), final_score__gte=low, final_score__lt=low + BIN)
        title += f"：{low}–{low + BIN}分"
    elif figure == "yoy":
        kind = params.get("kind", "")
        if kind:
            if kind not in YOY_LABELS:
                raise BadFigure(kind)
            qs = _yoy_kind_filter(qs, campaign, kind)
            title += f"：{YOY_LABELS[kind]}"
        else:
            qs = qs.filter(prev_grade=params.get("prev", ""), eff_grade=params.get("cur", ""))
    return FigureList(title=title, queryset=qs, dimension=dimension)


def _yoy_kind_filter(qs, campaign, kind):
    """Villages whose grade went up / stayed / went down / was graded for the first time, on this
    year's scale (a grade code the standard does not have counts as no grade, as in the figure)."""
    grades = list(Grade.objects.filter(standard_id=campaign.standard_id).values_list("code", "rank"))

    def rank_of(alias):
        whens = [When(**{alias: code}, then=Value(rank)) for code, rank in grades]
        return Case(*whens, default=None, output_field=IntegerField())

    qs = qs.annotate(cur_rank=rank_of("eff_grade"), prev_rank=rank_of("prev_grade")).filter(
        cur_rank__isnull=False
    )
    if kind == "new":
        return qs.filter(prev_rank__isnull=True)
    qs = qs.filter(prev_rank__isnull=False)
    lookup = {"up": "cur_rank__lt", "same": "cur_rank", "down": "cur_rank__gt"}[kind]
    return qs.filter(**{lookup: F("prev_rank")})


def grade_codes(campaign):
    return Grade.objects.filter(standard_id=campaign.standard_id).values("code")
