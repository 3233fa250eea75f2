"""The reviewer's queue: a campaign's assessments filtered and ordered the way the campaign page lists
them, with each one's review progress counted in SQL; the review page walks the same order for
上一个村 / 下一个村.

The filter travels in the query string (`QueueFilter.querystring`), so the review page opened from a
filtered list steps through that list. Access is the caller's: it passes rows already scoped to the user
(`selectors.assessment_list_for_user`).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from .models import Assessment, BonusClaim, IndicatorScore, VetoCheck

S = Assessment.Status

# A pseudo status for the reviewer's to-do list: forwarded to the township, or under review.
TODO = "todo"
TODO_STATES = (S.FORWARDED, S.IN_REVIEW)
TODO_LABEL = "待初审（已报镇街、初审中）"

SORTS = {
    "subject": ("village__sort_order", "village__name", "township__name"),
    "branch": ("village__branch__sort_order", "village__branch__name", "village__sort_order"),
    "status": ("status_order", "village__sort_order", "township__name"),
    "submitted": ("submitted_at", "village__sort_order"),
    "self_total": ("self_total", "village__sort_order"),
    "progress": ("n_reviewed", "village__sort_order"),
}
# Sorting by the review's total would disclose it: only for those who see review scores.
SCORE_SORTS = {"final": ("final_score", "village__sort_order")}
STATUS_ORDER = Case(
    *(When(status=s.value, then=Value(i)) for i, s in enumerate(S)), output_field=IntegerField()
)


def _int(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


@dataclass(frozen=True)
class QueueFilter:
    q: str = ""
    status: str = ""
    branch_id: int | None = None
    sort: str = "subject"

    @classmethod
    def from_query(cls, data):
        status = data.get("status", "")
        return cls(
            q=data.get("q", "").strip()[:50],
            status=status if status in S.values or status == TODO else "",
            branch_id=_int(data.get("branch")),
            sort=(data.get("sort", "") or "subject")[:20],
        )

    def querystring(self):
        """The non-default parts, URL-encoded ("" when the list is unfiltered)."""
        pairs = [("q", self.q), ("status", self.status), ("branch", self.branch_id or "")]
        if self.sort != "subject":
            pairs.append(("sort", self.sort))
        return urlencode([(k, v) for k, v in pairs if v not in ("", None)])

    def condition(self):
        """The filter as one Q (so that the review page can OR the current row into it)."""
        q = Q()
        if self.q:
            q &= Q(village__name__icontains=self.q) | Q(township__name__icontains=self.q)
        if self.status == TODO:
            q &= Q(status__in=TODO_STATES)
        elif self.status:
            q &= Q(status=self.status)
        if self.branch_id is not None:
            q &= Q(village__branch_id=self.branch_id)
        return q

    def ordered(self, rows, *, scores_visible):
        """`rows` sorted by the filter's key (an unknown or hidden key sorts by name), ties by id."""
        sorts = SORTS | (SCORE_SORTS if scores_visible else {})
        key = self.sort
        fields = sorts.get(key.lstrip("-"))
        if fields is None:
            key, fields = "subject", sorts["subject"]
        if key.lstrip("-") == "status":
            rows = rows.annotate(status_order=STATUS_ORDER)
        if key.lstrip("-") == "progress" and "n_reviewed" not in rows.query.annotations:
            rows = rows.annotate(n_reviewed=_count(_lines(IndicatorScore).filter(review_score__isnull=False)))
        if key.startswith("-"):
            fields = ("-" + fields[0], *fields[1:])
        return rows.order_by(*fields, "pk")


def _lines(model):
    return model.objects.filter(assessment=OuterRef("pk"))


def _count(lines):
    sub = lines.order_by().values("assessment").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def with_review_progress(rows):
    """Each row annotated with its review progress, one correlated count per figure (no join fan-out):
    n_scores / n_reviewed, n_claims / n_claims_decided, n_vetoes / n_vetoes_decided."""
    return rows.annotate(
        n_scores=_count(_lines(IndicatorScore)),
        n_reviewed=_count(_lines(IndicatorScore).filter(review_score__isnull=False)),
        n_claims=_count(_lines(BonusClaim)),
        n_claims_decided=_count(_lines(BonusClaim).exclude(status=BonusClaim.Status.CLAIMED)),
        n_vetoes=_count(_lines(VetoCheck)),
        n_vetoes_decided=_count(_lines(VetoCheck).exclude(review=VetoCheck.Review.PENDING)),
    )


def review_progress(assessment):
    """The same figures for one assessment, in one query (the review page's answer to a save)."""
    row = with_review_progress(Assessment.objects.filter(pk=assessment.pk)).values(*PROGRESS_FIELDS).get()
    return progress_of(row)


PROGRESS_FIELDS = ("n_scores", "n_reviewed", "n_claims", "n_claims_decided", "n_vetoes", "n_vetoes_decided")


def progress_of(row):
    """{"scores": (done, total), "claims": …, "vetoes": …} from annotated figures."""
    get = row.get if isinstance(row, dict) else lambda f: getattr(row, f)
    return {
        "scores": (get("n_reviewed"), get("n_scores")),
        "claims": (get("n_claims_decided"), get("n_claims")),
        "vetoes": (get("n_vetoes_decided"), get("n_vetoes")),
    }


@dataclass(frozen=True)
class Neighbours:
    previous: int | None
    next: int | None
    position: int  # 1-based place of the current row in the queue
    total: int


def queue_neighbours(rows, assessment, flt, *, scores_visible=True):
    """Where `assessment` sits in the queue `rows` (scoped, of its campaign) filtered by `flt`: the ids
    before and after it. The current row is kept in the list even when it no longer matches the filter
    (a village just completed drops out of "待初审"), so the walk goes on from where the reviewer is."""
    condition = flt.condition()
    if condition:  # an empty Q would vanish from the OR and leave the current row alone
        rows = rows.filter(condition | Q(pk=assessment.pk))
    ids = list(flt.ordered(rows, scores_visible=scores_visible).values_list("pk", flat=True))
    i = ids.index(assessment.pk)
    return Neighbours(
        previous=ids[i - 1] if i > 0 else None,
        next=ids[i + 1] if i + 1 < len(ids) else None,
        position=i + 1,
        total=len(ids),
    )
