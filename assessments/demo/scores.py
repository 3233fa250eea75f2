"""Demo scores: indicator scores that add up to a wanted total, in the standard's half points."""

from decimal import ROUND_HALF_UP, Decimal

from ..models import IndicatorScore

HALF = Decimal("0.5")
# Score bands (of 100, before bonus and ledger deductions) per grade, best first: 2.5 points clear of
# the 90/80/70 lines, so a confirmed ledger deduction (at most 1 point a village a year in the demo)
# never moves a village to another grade.
BANDS = [(93, 97), (82.5, 87.5), (72.5, 77.5), (58, 66)]


def half_point(value):
    return (Decimal(value) / HALF).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * HALF


def spread(rows, target):
    """Scores per indicator, in half points, that add up to exactly `target` (rounded to 0.5)."""
    total = half_point(target)
    got = [min(r.indicator.max_score, half_point(r.indicator.max_score * total / 100)) for r in rows]
    step = 0
    while sum(got) != total and step < 10_000:
        i = step % len(rows)
        top = rows[i].indicator.max_score
        if sum(got) < total and got[i] + HALF <= top:
            got[i] += HALF
        elif sum(got) > total and got[i] - HALF >= 0:
            got[i] -= HALF
        step += 1
    return got


def score_rows(rows, target, rnd, *, review, reviewed_share=1.0):
    """Give the indicator rows (in the standard's order, not saved) scores adding up to `target`, self a
    little higher than the review. With `review`, the first `reviewed_share` of them also get the
    township's score: a review half done leaves the rest for the reviewer."""
    reviewed = round(len(rows) * reviewed_share) if review else 0
    for i, (row, got) in enumerate(zip(rows, spread(rows, target), strict=True)):
        top = row.indicator.max_score
        village_scored = row.indicator.scored_by == "village_and_township"
        row.self_score = min(top, got + (HALF if rnd.random() < 0.2 else 0)) if village_scored else None
        row.self_note = "已按要求落实，佐证材料见附件。" if village_scored else ""
        if i < reviewed:
            row.review_score = got
            row.review_note = "" if row.self_score in (None, got) else "抽查台账发现记录不全，按标准扣分。"
            if not village_scored:
                row.review_note = "按入户走访和群众满意度测评结果评分。"


def ordered_scores(queryset):
    return queryset.select_related("indicator", "indicator__dimension").order_by(
        "assessment_id", "indicator__dimension__sort_order", "indicator__sort_order"
    )


def set_scores(assessment, target, rnd, *, review, reviewed_share=1.0):
    """Score one assessment's indicators to `target` (see score_rows) and save them."""
    rows = list(ordered_scores(IndicatorScore.objects.filter(assessment=assessment)))
    score_rows(rows, target, rnd, review=review, reviewed_share=reviewed_share)
    fields = ["self_score", "self_note"] + (["review_score", "review_note"] if review else [])
    IndicatorScore.objects.bulk_update(rows, fields)


def queue_range(grades, code):
    """The self-score total of a village in the queue that lands on grade `code` once reviewed, whatever
    the reviewer gives the township-scored indicator (up to 4 points) and with up to half a point of
    bonus, one point of ledger deduction and half a point of review adjustment."""
    codes = [g.code for g in grades]
    i = codes.index(code)
    line = grades[i].min_score
    ceiling = grades[i - 1].min_score if i else Decimal("105")
    return line + Decimal("1.5"), ceiling - 5
