"""The year-end summary (年度总结) of one township: the year's figures read in a fixed number of queries
whatever the number of villages, units or items (aggregation in SQL).

Two parts are read through small selector functions because other work on issue 14 changes what they
read: `summary_rounds` (evaluation rounds: today one village-level campaign per township and year) and
`summary_tasks` (the plan's task list: today PlanTask rows with one status each). Adapt those two when
rounds with kinds and fanned-out tasks land; the rest of the summary only sees their results.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, CharField, Count, F, IntegerField, Max, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import Assessment, Campaign, IndicatorScore
from assessments.selectors import batch_results_for_township
from assessments.services.grading.summary import grading_summary
from common.rounds import RoundKind
from indices.models import Dimension, Grade
from ledgers.compliance import State, compliance_matrix
from ledgers.models import PlanTask, Rectification
from publication.models import Publication
from villages.models import AnnualTarget, ResponsibleUnit, Township, Village

from .common import DEC, GRADED, ZERO

TWO = Decimal("0.01")
ONE = Decimal("0.1")


@dataclass
class GradeLine:
    """One grade of the year: the target, the township's grades and the grades in force after the
    city's decision (earlier confirmed years included where the target is cumulative)."""

    code: str
    name: str
    counts_as_qinglian: bool
    target: int | None
    township: int
    in_force: int
    previous: int = 0

    @property
    def missed(self):
        """A 清廉村居 grade with fewer villages in force than the target."""
        return self.counts_as_qinglian and self.target is not None and self.in_force < self.target


@dataclass
class DimensionLine:
    code: str
    name: str
    max_score: Decimal
    average: Decimal | None


@dataclass
class UnitLedgers:
    name: str
    late: int
    missing: int


@dataclass
class SourceLine:
    code: str
    label: str
    opened: int
    closed: int
    overdue: int


@dataclass
class RoundLine:
    kind: str
    name: str
    villages: int
    graded: int
    confirmed: bool
    grades: list  # [(grade name, n)], most first


@dataclass
class YearSummary:
    township: Township
    year: int
    today: dt.date
    villages: int = 0  # villages taking part in the construction (is_active)
    campaign: Campaign | None = None
    assessed: int = 0
    reviewed: int = 0
    confirmed_at: dt.datetime | None = None
    city_decided: bool = False
    target_mode: str = ""
    share_percent: Decimal | None = None
    cumulative: bool = False
    grades: list = field(default_factory=list)  # [GradeLine], best first
    reached: int = (
        0  # villages whose grade in force counts as 清廉村居 (earlier years included if cumulative)
    )
    share: Decimal | None = None  # reached / assessed, in %
    dimensions: list = field(default_factory=list)  # [DimensionLine]
    ledgers: dict = field(default_factory=dict)  # State → count over the year's due months
    ledger_units: int = 0
    ledger_rate: Decimal | None = None  # on time (incl. 零报告) / due, in %
    late_units: list = field(default_factory=list)  # [UnitLedgers] with a late or missing ledger
    rectifications: list = field(default_factory=list)  # [SourceLine]
    tasks: dict = field(
        default_factory=dict
    )  # {"total", "done", "in_progress", "not_started", "ongoing", "overdue"}
    batch: dict | None = None  # {"planned", "reached", "benchmark", "missing"} of this year's creation batch
    publication: dict = field(default_factory=dict)  # {"published", "first_at", "version", "versions"}
    feedback: dict = field(default_factory=dict)  # {"total", "by_status": [(label, n)], "pending"}
    other_rounds: list = field(default_factory=list)  # [RoundLine]: 试点验收, 中期评估, 终期评估 of the year

    @property
    def rectification_totals(self):
        return SourceLine(
            "",
            "合计",
            sum(r.opened for r in self.rectifications),
            sum(r.closed for r in self.rectifications),
            sum(r.overdue for r in self.rectifications),
        )

    @property
    def share_missed(self):
        return (
            self.target_mode == AnnualTarget.Mode.SHARE
            and self.share_percent is not None
            and self.assessed > 0
            and (self.share or ZERO) < self.share_percent
        )

    @property
    def problems(self):
        """三、存在问题, computed: targets missed, overdue rectifications, late ledgers, overdue tasks,
        batch villages short of the standard, villagers' messages not yet handled."""
        lines = []
        for g in self.grades:
            if g.missed:
                lines.append(
                    f"{g.name}未完成年度目标：目标 {g.target} 个，现行等次 {g.in_force} 个，"
                    f"差 {g.target - g.in_force} 个。"
                )
        if self.share_missed:
            lines.append(
                f"达到清廉村居标准的村占 {self.share}%（{self.reached}/{self.assessed}），"
                f"低于年度目标 {self.share_percent.normalize():f}%。"
            )
        overdue = self.rectification_totals.overdue
        if overdue:
            lines.append(f"有 {overdue} 项整改事项已超过整改时限仍未销号。")
        late = self.ledgers.get(State.LATE, 0)
        missing = self.ledgers.get(State.MISSING, 0)
        if late or missing:
            counts = "、".join(f"{label} {n} 次" for label, n in (("逾期报送", late), ("未报", missing)) if n)
            names = "、".join(u.name for u in self.late_units)
            lines.append(f"日常监管台账{counts}（涉及{names}）。")
        if self.tasks.get("overdue"):
            lines.append(f"有 {self.tasks['overdue']} 项重点任务超过完成时限仍未完成。")
        if self.batch and self.batch["reached"] is not None and self.batch["missing"]:
            lines.append(f"本年度创建批次中{'、'.join(self.batch['missing'])}未达到清廉村居标准。")
        if self.feedback.get("pending"):
            lines.append(f"有 {self.feedback['pending']} 条群众意见尚未处理。")
        return lines


def _pct(part, whole, quantum=ONE):
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(quantum, rounding=ROUND_HALF_UP)


# --- the parts that other work on issue 14 reshapes ----------------------------------------------------


def summary_rounds(township, year):
    """The year's village-level evaluation rounds (one query), the annual round (年度测评) first: its
    grades are the year's; the others (试点验收, 中期评估, 终期评估) are reported beside it."""
    annual_first = Case(
        When(kind=RoundKind.ANNUAL, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return list(
        Campaign.objects.filter(level=Campaign.Level.VILLAGE, township=township, year=year)
        .select_related("standard", "township")
        .order_by(annual_first, "pk")
    )


def _other_rounds(summary, rounds):
    """Each other round of the year: its villages, how many are graded and the grades (two queries)."""
    if not rounds:
        return
    names = dict(
        ((sid, code), name)
        for sid, code, name in Grade.objects.filter(
            standard_id__in={c.standard_id for c in rounds}
        ).values_list("standard_id", "code", "name")
    )
    per = {c.pk: {"campaign": c, "total": 0, "graded": 0, "grades": {}} for c in rounds}
    for r in (
        Assessment.objects.filter(campaign__in=rounds)
        .values("campaign_id", "campaign__standard_id", "status", "final_grade")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        row = per[r["campaign_id"]]
        row["total"] += r["n"]
        if r["status"] in GRADED and r["final_grade"]:
            row["graded"] += r["n"]
            name = names.get((r["campaign__standard_id"], r["final_grade"]), r["final_grade"])
            row["grades"][name] = row["grades"].get(name, 0) + r["n"]
    summary.other_rounds = [
        RoundLine(
            kind=row["campaign"].get_kind_display(),
            name=row["campaign"].name,
            villages=row["total"],
            graded=row["graded"],
            confirmed=row["campaign"].grades_confirmed_at is not None,
            grades=sorted(row["grades"].items(), key=lambda kv: -kv[1]),
        )
        for row in per.values()
    ]


def summary_tasks(township, year, today):
    """The plan's task completion of the year in one query. Overdue: a parsed due date before today
    and not done (长期推进 tasks have no end)."""
    S = PlanTask.Status
    open_q = ~Q(status__in=[S.DONE, S.ONGOING])
    return PlanTask.objects.filter(township=township, year=year).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=S.DONE)),
        in_progress=Count("pk", filter=Q(status=S.IN_PROGRESS)),
        not_started=Count("pk", filter=Q(status=S.NOT_STARTED)),
        ongoing=Count("pk", filter=Q(status=S.ONGOING)),
        overdue=Count("pk", filter=open_q & Q(deadline__lt=today)),
    )


# --- the rest -----------------------------------------------------------------------------------------


def _grades(summary, campaign):
    """Targets, the township's grades and the grades in force. grading_summary reads the targets and the
    township's grades (a fixed number of queries); one more query counts the grades in force."""
    g = grading_summary(campaign)
    summary.assessed, summary.reviewed = g.total, g.reviewed
    target = g.target
    if target is not None:
        summary.target_mode = target.mode
        summary.share_percent = target.share_percent
        summary.cumulative = target.cumulative
    in_force = Case(
        When(~Q(city_grade=""), then=F("city_grade")), default=F("final_grade"), output_field=CharField()
    )
    rows = list(
        Assessment.objects.filter(campaign=campaign, status__in=GRADED)
        .annotate(grade_in_force=in_force)
        .values("grade_in_force")
        .annotate(n=Count("pk"), by_city=Count("pk", filter=~Q(city_grade="")))
        .order_by()
    )
    counts = {r["grade_in_force"]: r["n"] for r in rows}
    summary.city_decided = any(r["by_city"] for r in rows)
    summary.grades = [
        GradeLine(
            code=row.code,
            name=row.name,
            counts_as_qinglian=row.counts_as_qinglian,
            target=row.target,
            township=row.total,
            in_force=counts.get(row.code, 0) + row.previous,
            previous=row.previous,
        )
        for row in g.rows
    ]
    this_year = sum(counts.get(r.code, 0) for r in g.rows if r.counts_as_qinglian)
    summary.reached = this_year + g.qualified_previous
    summary.share = _pct(summary.reached, summary.assessed)


def _dimensions(summary, campaign):
    """五清 averages over the reviewed villages: each village's dimension total (the review score where
    there is one, else the self score), averaged."""
    effective = Coalesce("review_score", "self_score", Value(ZERO, output_field=DEC), output_field=DEC)
    totals = dict(
        IndicatorScore.objects.filter(assessment__campaign=campaign, assessment__status__in=GRADED)
        .values("indicator__dimension_id")
        .annotate(total=Sum(effective))
        .order_by()
        .values_list("indicator__dimension_id", "total")
    )
    summary.dimensions = [
        DimensionLine(
            code=d.code,
            name=d.name,
            max_score=d.max_score,
            average=(totals.get(d.pk, ZERO) / summary.reviewed).quantize(TWO, rounding=ROUND_HALF_UP)
            if summary.reviewed
            else None,
        )
        for d in Dimension.objects.filter(standard=campaign.standard).order_by("sort_order", "pk")
    ]


def _ledgers(summary, township, year, today):
    units = (
        ResponsibleUnit.objects.filter(township=township)
        .select_related("township")
        .order_by("sort_order", "pk")
    )
    matrix = compliance_matrix(units=units, year=year, today=today)
    summary.ledgers = dict(matrix.totals)
    summary.ledger_units = len(matrix.rows)
    on_time = matrix.totals[State.ON_TIME] + matrix.totals[State.ZERO]
    due = on_time + matrix.totals[State.LATE] + matrix.totals[State.MISSING]
    summary.ledger_rate = _pct(on_time, due)
    for row in matrix.rows:
        late = sum(1 for c in row.cells if c.state == State.LATE)
        missing = sum(1 for c in row.cells if c.state == State.MISSING)
        if late or missing:
            summary.late_units.append(UnitLedgers(row.unit.name, late, missing))


def _rectifications(summary, township, year, today):
    """The year's 整改事项 (opened in the year) by source: opened, closed, overdue (not closed and past
    the deadline today)."""
    closed = Rectification.Status.CLOSED
    rows = {
        r["source"]: r
        for r in Rectification.objects.filter(township=township, created_at__year=year)
        .values("source")
        .annotate(
            opened=Count("pk"),
            closed=Count("pk", filter=Q(status=closed)),
            overdue=Count("pk", filter=~Q(status=closed) & Q(deadline__lt=today)),
        )
        .order_by()
    }
    summary.rectifications = [
        SourceLine(
            code,
            label,
            rows.get(code, {}).get("opened", 0),
            rows.get(code, {}).get("closed", 0),
            rows.get(code, {}).get("overdue", 0),
        )
        for code, label in Rectification.Source.choices
    ]


def _batch(summary, township, year):
    for row in batch_results_for_township(township):
        if row["year"] == year:
            summary.batch = {
                "planned": [v.name for v in row["planned"]],
                "benchmark": row["benchmark"].name if row["benchmark"] else "",
                "reached": row["reached"],
                "missing": [v.name for v in row["missing"]],
            }


def _publication(summary, township, year):
    p = Publication.objects.filter(township=township, year=year).aggregate(
        versions=Count("pk"),
        first_at=Min("published_at"),
        version=Max("version", filter=Q(status=Publication.Status.PUBLISHED)),
        at=Max("published_at", filter=Q(status=Publication.Status.PUBLISHED)),
    )
    summary.publication = {
        "published": p["version"] is not None,
        "first_at": p["first_at"],
        "at": p["at"],
        "version": p["version"],
        "versions": p["versions"],
    }


def _feedback(summary, township, year):
    """Villagers' messages (群众意见) of the year, by state. feedback sits beside reports in the layers, so
    the count goes through the township's reverse relation; the state labels are that model's own."""
    relation = Township._meta.get_field("feedback")
    status_field = relation.related_model._meta.get_field("status")
    counts = dict(
        relation.related_model.objects.filter(township=township, created_at__year=year)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    summary.feedback = {
        "total": sum(counts.values()),
        "by_status": [(label, counts.get(code, 0)) for code, label in status_field.choices],
        "pending": counts.get(status_field.default, 0),
    }


def year_summary(township, year, *, today=None):
    """Everything the 年度总结 states for `township` and `year`. The caller has checked that the user sees
    the township whole. A fixed number of queries (pinned by the tests at two township sizes)."""
    today = today or timezone.localdate()
    summary = YearSummary(township=township, year=year, today=today)
    summary.villages = Village.objects.filter(township=township, is_active=True).count()
    rounds = summary_rounds(township, year)
    annual = [c for c in rounds if c.kind == RoundKind.ANNUAL]
    if annual:
        campaign = summary.campaign = annual[0]
        summary.confirmed_at = campaign.grades_confirmed_at
        _grades(summary, campaign)
        _dimensions(summary, campaign)
    _other_rounds(summary, [c for c in rounds if c.kind != RoundKind.ANNUAL])
    _ledgers(summary, township, year, today)
    _rectifications(summary, township, year, today)
    summary.tasks = summary_tasks(township, year, today)
    _batch(summary, township, year)
    _publication(summary, township, year)
    _feedback(summary, township, year)
    return summary
