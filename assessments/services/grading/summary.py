"""The distribution of final grades against the township's target for the year, with warnings.

Aggregated in SQL: the number of queries does not depend on the number of villages.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from villages.models import AnnualTarget

from ...models import Assessment, Campaign
from ...selectors import campaign_target
from .base import S, standard_grades


@dataclass
class SummaryRow:
    code: str
    name: str
    counts_as_qinglian: bool
    count: int = 0
    target: int | None = None
    previous: int = 0  # earlier years' villages counted in this row (cumulative targets)

    @property
    def total(self):
        return self.count + self.previous

    @property
    def difference(self):
        return None if self.target is None else self.total - self.target


@dataclass
class GradingSummary:
    campaign: Campaign
    grades: list
    rows: list
    target: AnnualTarget | None = None
    total: int = 0
    reviewed: int = 0
    ungraded: int = 0
    qualified: int = 0
    qualified_previous: int = 0
    share: Decimal | None = None
    warnings: list = field(default_factory=list)

    @property
    def mode(self):
        return self.target.mode if self.target else ""

    @property
    def not_reviewed(self):
        return self.total - self.reviewed

    @property
    def all_reviewed(self):
        return self.total > 0 and self.reviewed == self.total

    @property
    def reached(self):
        """Villages reaching the standard (清廉村居 grades), earlier confirmed years included."""
        return self.qualified + self.qualified_previous

    @property
    def share_gap(self):
        """Percentage points short of a share target (None without one, 0 when it is met)."""
        if self.mode != AnnualTarget.Mode.SHARE or self.share is None:
            return None
        return max(self.target.share_percent - self.share, Decimal("0"))

    @property
    def differences(self):
        """How the proposed distribution breaks the year's target, one Chinese line per grade (or the
        share): what confirming needs a reason for. Grades without a target are never a difference."""
        if self.mode == AnnualTarget.Mode.COUNTS:
            lines = []
            for row in self.rows:
                if row.difference:
                    more = "多" if row.difference > 0 else "少"
                    extra = f"（含往年已认定 {row.previous} 个）" if row.previous else ""
                    lines.append(
                        f"{row.name}：目标 {row.target} 个，拟定 {row.total} 个{extra}，{more} {abs(row.difference)} 个"
                    )
            return lines
        if self.share_gap:
            goal = f"{self.target.share_percent.normalize():f}"
            return [
                f"达到清廉村居标准的村：目标 {goal}%，拟定 {self.share}%（{self.reached}/{self.total}），"
                f"低 {self.share_gap.normalize():f} 个百分点"
            ]
        return []

    @property
    def fingerprint(self):
        """The distribution as seen on a page, to tell whether it changed before a confirmation."""
        counts = ",".join(f"{r.code}:{r.count}+{r.previous}" for r in self.rows)
        return f"{counts};ungraded:{self.ungraded};total:{self.total};target:{self.target_key}"

    @property
    def target_key(self):
        t = self.target
        if t is None:
            return "none"
        if t.mode == AnnualTarget.Mode.SHARE:
            return f"share:{t.share_percent}:{int(t.cumulative)}"
        return "counts:" + ",".join(f"{g.grade_code}={g.count}" for g in t.grade_counts.all())


DONE = (S.REVIEWED, S.CONFIRMED)


def _previous_confirmed(campaign):
    """This township's village assessments of earlier years' confirmed annual rounds (a mid-term
    evaluation or a pilot acceptance is no standing grade of the village)."""
    return Assessment.objects.filter(
        campaign__level=Campaign.Level.VILLAGE,
        campaign__kind=Campaign.Kind.ANNUAL,
        campaign__township_id=campaign.township_id,
        campaign__year__lt=campaign.year,
        campaign__grades_confirmed_at__isnull=False,
    )


def _effective_in(codes):
    return Q(city_grade__in=codes) | Q(city_grade="", final_grade__in=codes)


def grading_summary(campaign):
    """The distribution of final grades against the year's target, with warnings (a fixed number of
    queries whatever the number of villages)."""
    grades = standard_grades(campaign.standard)
    rows = [SummaryRow(g.code, g.name, g.counts_as_qinglian) for g in grades]
    by_code = {r.code: r for r in rows}
    summary = GradingSummary(campaign=campaign, grades=grades, rows=rows)
    unit = "村" if campaign.level == Campaign.Level.VILLAGE else "镇街"
    done = DONE
    counts = campaign.assessments.values("status", "final_grade").annotate(n=Count("id")).order_by()
    for row in counts:
        summary.total += row["n"]
        if row["status"] in done:
            summary.reviewed += row["n"]
        # Only reviewed grades count: a draft's provisional grade from its self scores is no grade yet.
        if row["status"] in done and row["final_grade"] in by_code:
            by_code[row["final_grade"]].count += row["n"]
        else:
            summary.ungraded += row["n"]
    qinglian = [g.code for g in grades if g.counts_as_qinglian]
    summary.qualified = sum(r.count for r in rows if r.counts_as_qinglian)
    if summary.not_reviewed:
        summary.warnings.append(f"尚有 {summary.not_reviewed} 个{unit}未完成初审，未计入等次分布。")
    if campaign.level != Campaign.Level.VILLAGE:
        return summary
    target = campaign_target(campaign)
    summary.target = target
    if target is None:
        summary.warnings.append(f"未设置{campaign.target_label}，无法比对等次分布。")
    elif target.mode == AnnualTarget.Mode.COUNTS:
        _compare_counts(summary, target, grades, by_code)
    else:
        _compare_share(summary, target, qinglian)
    _lowest_still_lowest(summary, grades)
    return summary


def _compare_counts(summary, target, grades, by_code):
    campaign = summary.campaign
    if target.cumulative and grades:
        top = grades[0].code
        this_year_top = campaign.assessments.filter(final_grade=top, status__in=DONE).values("village_id")
        by_code[top].previous = (
            _previous_confirmed(campaign)
            .filter(_effective_in([top]))
            .exclude(village_id__in=this_year_top)
            .values("village_id")
            .distinct()
            .count()
        )
    planned = 0
    for tg in target.grade_counts.all():
        planned += tg.count
        row = by_code.get(tg.grade_code)
        if row is None:
            summary.warnings.append(f"年度目标中的等次“{tg.grade_name}”不在本年度指数标准中。")
            continue
        row.target = tg.count
    for row in summary.rows:
        if row.difference:
            more = "多" if row.difference > 0 else "少"
            extra = f"（含往年已认定 {row.previous} 个）" if row.previous else ""
            summary.warnings.append(
                f"{row.name}：目标 {row.target} 个，当前 {row.total} 个{extra}，{more} {abs(row.difference)} 个。"
            )
    if planned and planned != summary.total:
        summary.warnings.append(f"年度目标合计 {planned} 个村，本年度参评 {summary.total} 个村。")


def _compare_share(summary, target, qinglian):
    campaign = summary.campaign
    if target.cumulative:
        this_year = campaign.assessments.filter(final_grade__in=qinglian, status__in=DONE).values(
            "village_id"
        )
        summary.qualified_previous = (
            _previous_confirmed(campaign)
            .filter(_effective_in(qinglian), village__in=campaign.assessments.values("village_id"))
            .exclude(village_id__in=this_year)
            .values("village_id")
            .distinct()
            .count()
        )
    reached = summary.reached
    if summary.total:
        summary.share = (Decimal(reached) * 100 / summary.total).quantize(Decimal("0.1"))
        if summary.share < target.share_percent:
            summary.warnings.append(
                f"达到清廉村居标准的村占 {summary.share}%（{reached}/{summary.total}），"
                f"低于年度目标 {target.share_percent.normalize():f}%。"
            )


def _lowest_still_lowest(summary, grades):
    """逐年提升: last year's lowest-grade villages that are still graded lowest."""
    if len(grades) < 2:
        return
    campaign, lowest = summary.campaign, grades[-1]
    still = (
        _previous_confirmed(campaign)
        .filter(campaign__year=campaign.year - 1)
        .filter(_effective_in([lowest.code]))
        .filter(
            village_id__in=campaign.assessments.filter(final_grade=lowest.code, status__in=DONE).values(
                "village_id"
            )
        )
        .count()
    )
    if still:
        summary.warnings.append(
            f"{campaign.year - 1}年的{lowest.name}中仍有 {still} 个村当前为{lowest.name}，未实现逐年提升。"
        )
