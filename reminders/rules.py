"""Which reminder events are due on a given day. Reads only; the service writes.

Every rule runs a fixed number of queries whatever the number of villages, units or items, and returns
plain `Event`s: (user, key, texts). The key names the event and includes the deadline it is about, so
an extended deadline is a new event while a second run on the same day, or a later run within the
same window, yields the same key again (and the unique constraint on Reminder drops it).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from access.recipients import holder_roles, holders_q
from access.roles import Side
from accounts.models import Membership
from assessments.models import Assessment, Campaign
from common.dates import cn_date
from ledgers.compliance import LEDGER_START_MONTH
from ledgers.models import LedgerSubmission, Rectification
from ledgers.workflow import overdue_case
from villages.models import DEFAULT_REMINDER_DAYS, MAX_REMINDER_DAY

from .models import Reminder

# Days before a campaign deadline on which the people who still have work get a reminder, by default: a
# week ahead (time to plan), three days and one day ahead (time to finish and sign), and the day itself.
# A township sets its own (Township.reminder_days, on its settings page); a city's township-level
# campaign keeps the default. Each offset opens a window that lasts until the next one (7 → days 7..4,
# 3 → days 3..2, 1, 0), so a day the daily task did not run (outage) is caught up on the next run, still
# once per window.
DEADLINE_OFFSETS = DEFAULT_REMINDER_DAYS
# Ledger and rectification events are raised on their day; if the daily task missed that day, the next
# runs within this many days still raise them (once). Older events are not raised retroactively, so
# deploying the feature does not flood anyone with reminders about long-past deadlines.
CATCH_UP_DAYS = 2

A = Assessment.Status
NOT_SELF_SUBMITTED = (A.DRAFT, A.RETURNED)
NOT_FORWARDED = (A.DRAFT, A.RETURNED, A.SUBMITTED)
REVIEW_DONE = (A.REVIEWED, A.CONFIRMED)
DEADLINE_FIELDS = ("self_deadline", "submission_deadline", "city_deadline")


@dataclass(frozen=True)
class Event:
    user_id: int
    key: str
    kind: str
    title: str
    body: str
    url: str


def deadline_window(deadline, today, offsets=DEADLINE_OFFSETS):
    """The offset whose window `today` falls in before `deadline`, or None outside every window."""
    if deadline is None:
        return None
    days_left = (deadline - today).days
    if days_left < 0 or days_left > max(offsets):
        return None
    return min(o for o in offsets if o >= days_left)


def _offsets(campaign):
    """The lead times of the campaign's township (fetched with the campaign), or the default."""
    return campaign.township.reminder_offsets if campaign.township_id else DEADLINE_OFFSETS


def _when(deadline, today):
    days_left = (deadline - today).days
    return "今天截止" if days_left == 0 else f"还有{days_left}天截止"


def _previous_month(day):
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


# --- campaign deadlines -------------------------------------------------------------------------------


def campaign_deadline_events(today):
    """Self, submission and city deadlines of campaigns, to the people who still have work (4 queries)."""
    window = Q()
    for f in DEADLINE_FIELDS:
        window |= Q(**{f"{f}__gte": today, f"{f}__lte": today + dt.timedelta(days=MAX_REMINDER_DAY)})
    campaigns = {
        c.pk: c
        for c in Campaign.objects.filter(window, grades_confirmed_at__isnull=True).select_related("township")
    }
    if not campaigns:
        return []
    due = {}  # (campaign pk, field) → offset
    for c in campaigns.values():
        for f in DEADLINE_FIELDS:
            offset = deadline_window(getattr(c, f), today, _offsets(c))
            if offset is None:
                continue
            if f != "self_deadline" and c.level != Campaign.Level.VILLAGE:
                continue  # a township-level campaign has no branch step; the city itself reviews it
            due[c.pk, f] = offset
    if not due:
        return []
    rows = list(
        Assessment.objects.filter(campaign_id__in={pk for pk, _ in due})
        .exclude(status__in=REVIEW_DONE)
        .values(
            "pk",
            "campaign_id",
            "status",
            "village_id",
            "village__name",
            "village__branch_id",
            "village__branch__name",
            "township_id",
            "township__name",
        )
        .order_by("campaign_id", "village__sort_order", "township__name", "pk")
    )
    self_rows = [
        r for r in rows if (r["campaign_id"], "self_deadline") in due and r["status"] in NOT_SELF_SUBMITTED
    ]
    branch_rows = [
        r
        for r in rows
        if (r["campaign_id"], "submission_deadline") in due
        and r["status"] in NOT_FORWARDED
        and r["village__branch_id"]
    ]
    city_campaigns = [pk for pk, f in due if f == "city_deadline"]

    village_ids = {r["village_id"] for r in self_rows if r["village_id"]}
    subject_townships = {r["township_id"] for r in self_rows if not r["village_id"]}
    branch_ids = {r["village__branch_id"] for r in branch_rows}
    reviewer_townships = subject_townships | {campaigns[pk].township_id for pk in city_campaigns}
    members = Membership.objects.none()
    # a township-level subject's SELF and a village campaign's REVIEWER are both the township's 纪委
    cond = (
        holders_q("assessment.village", Side.SELF, village=village_ids)
        | holders_q("assessment.village", Side.BRANCH, branch=branch_ids)
        | holders_q("campaign.village", Side.REVIEWER, township=reviewer_townships)
    )
    if village_ids or branch_ids or reviewer_townships:
        members = Membership.objects.filter(cond, user__is_active=True)
    by_village, by_branch, by_township = {}, {}, {}
    for user_id, village_id, branch_id, township_id in members.values_list(
        "user_id", "village_id", "branch_id", "township_id"
    ).order_by("user_id"):
        if branch_id:
            by_branch.setdefault(branch_id, []).append(user_id)
        elif township_id:
            by_township.setdefault(township_id, []).append(user_id)
        else:
            by_village.setdefault(village_id, []).append(user_id)

    events = []
    events += _self_events(today, campaigns, due, self_rows, by_village, by_township)
    events += _branch_events(today, campaigns, due, branch_rows, by_branch)
    events += _city_events(today, campaigns, due, rows, city_campaigns, by_township)
    return events


def _key(campaign, field, offset):
    return f"campaign:{campaign.pk}:{field}:{getattr(campaign, field).isoformat()}:d{offset}"


def _self_events(today, campaigns, due, rows, by_village, by_township):
    todo = {}  # (user, campaign pk) → [row]
    for r in rows:
        users = (
            by_village.get(r["village_id"], []) if r["village_id"] else by_township.get(r["township_id"], [])
        )
        for user_id in users:
            todo.setdefault((user_id, r["campaign_id"]), []).append(r)
    events = []
    for (user_id, pk), subjects in todo.items():
        c = campaigns[pk]
        deadline = c.self_deadline
        names = "、".join(
            f"{r['village__name'] or r['township__name']}（{A(r['status']).label}）" for r in subjects
        )
        url = (
            reverse("assessments:assessment_detail", args=[subjects[0]["pk"]])
            if len(subjects) == 1
            else reverse("assessments:campaign_detail", args=[pk])
        )
        events.append(
            Event(
                user_id=user_id,
                key=_key(c, "self_deadline", due[pk, "self_deadline"]),
                kind=Reminder.Kind.SELF_DEADLINE,
                title=f"{c.name}：自评{_when(deadline, today)}",
                body=f"{names}的自评尚未提交，请于{cn_date(deadline)}前完成自评、签署并提交。",
                url=url,
            )
        )
    return events


def _branch_events(today, campaigns, due, rows, by_branch):
    todo = {}  # (user, campaign pk) → {branch id: [row]}
    for r in rows:
        for user_id in by_branch.get(r["village__branch_id"], []):
            todo.setdefault((user_id, r["campaign_id"]), {}).setdefault(r["village__branch_id"], []).append(r)
    events = []
    for (user_id, pk), branches in todo.items():
        c = campaigns[pk]
        deadline = c.submission_deadline
        parts = []
        for villages in branches.values():
            submitted = sum(1 for r in villages if r["status"] == A.SUBMITTED)
            pending = len(villages) - submitted
            parts.append(
                f"{villages[0]['village__branch__name']}尚有{len(villages)}个村未报送镇街"
                f"（村已提交待报送{submitted}个，尚未提交自评{pending}个）"
            )
        first_branch = next(iter(branches))
        events.append(
            Event(
                user_id=user_id,
                key=_key(c, "submission_deadline", due[pk, "submission_deadline"]),
                kind=Reminder.Kind.SUBMISSION_DEADLINE,
                title=f"{c.name}：报送镇街{_when(deadline, today)}",
                body="；".join(parts) + f"。请于{cn_date(deadline)}前督促各村提交并报送镇街。",
                url=reverse("assessments:branch_board", args=[pk, first_branch]),
            )
        )
    return events


def _city_events(today, campaigns, due, rows, city_campaigns, by_township):
    events = []
    for pk in city_campaigns:
        c = campaigns[pk]
        deadline = c.city_deadline
        open_count = sum(1 for r in rows if r["campaign_id"] == pk)
        detail = f"尚有{open_count}个村未完成初审，" if open_count else "各村初审已完成，"
        for user_id in by_township.get(c.township_id, []):
            events.append(
                Event(
                    user_id=user_id,
                    key=_key(c, "city_deadline", due[pk, "city_deadline"]),
                    kind=Reminder.Kind.CITY_DEADLINE,
                    title=f"{c.name}：报市{_when(deadline, today)}",
                    body=f"本年度定级尚未确认，{detail}请于{cn_date(deadline)}前确认定级并报送市级评选。",
                    url=reverse("assessments:grading_board", args=[pk]),
                )
            )
    return events


# --- monthly ledgers ----------------------------------------------------------------------------------


def ledger_due_events(today):
    """Unit staff whose unit has not submitted last month's ledger, on the township's due day (1 query)."""
    windows = {}  # due day of month → (ledger year, ledger month, due date)
    for back in range(CATCH_UP_DAYS + 1):
        day = today - dt.timedelta(days=back)
        year, month = _previous_month(day)
        if month >= LEDGER_START_MONTH:
            windows[day.day] = (year, month, day)
    if not windows:
        return []
    cond = Q()
    for due_day, (year, month, _) in windows.items():
        submitted = LedgerSubmission.objects.filter(
            unit_id=OuterRef("unit_id"), year=year, month=month, submitted_at__isnull=False
        )
        cond |= Q(unit__township__ledger_due_day=due_day) & ~Q(Exists(submitted))
    rows = (
        Membership.objects.filter(cond, role__in=holder_roles("unit", Side.UNIT), user__is_active=True)
        .values_list("user_id", "unit_id", "unit__name", "unit__township__ledger_due_day")
        .order_by("user_id", "unit_id")
    )
    events = []
    for user_id, unit_id, unit_name, due_day in rows:
        year, month, due = windows[due_day]
        when = "今天是报送截止日" if due == today else f"已于{cn_date(due)}截止"
        events.append(
            Event(
                user_id=user_id,
                key=f"ledger:{unit_id}:{year}-{month:02d}:due",
                kind=Reminder.Kind.LEDGER_DUE,
                title=f"台账报送提醒：{year}年{month}月日常监管台账",
                body=f"{unit_name}{year}年{month}月的日常监管台账尚未报送（{when}），请尽快填报并报送。",
                url=reverse("ledgers:ledger_edit", args=[unit_id, year, month]),
            )
        )
    return events


# --- rectifications -----------------------------------------------------------------------------------


def rectification_overdue_events(today):
    """Rectifications that went overdue (the same rule as the rectification list): 2 queries.

    The village committee is reminded while the item waits for its response (未整改); the township
    reviewers for every overdue item (they chase the village or still have to verify the response).
    """
    S = Rectification.Status
    items = list(
        Rectification.objects.annotate(is_overdue=overdue_case(today))
        .filter(is_overdue=True, deadline__gte=today - dt.timedelta(days=1 + CATCH_UP_DAYS))
        .values("pk", "village_id", "village__name", "township_id", "deadline", "status", "problem")
        .order_by("deadline", "pk")
    )
    if not items:
        return []
    members = Membership.objects.filter(
        holders_q(
            "rectification", Side.SELF, village={i["village_id"] for i in items if i["status"] == S.OPEN}
        )
        | holders_q("rectification", Side.REVIEWER, township={i["township_id"] for i in items}),
        user__is_active=True,
    ).values_list("user_id", "village_id", "township_id")
    by_village, by_township = {}, {}
    for user_id, village_id, township_id in members.order_by("user_id"):
        if township_id:
            by_township.setdefault(township_id, []).append(user_id)
        else:
            by_village.setdefault(village_id, []).append(user_id)
    events = []
    for i in items:
        users = list(by_township.get(i["township_id"], []))
        if i["status"] == S.OPEN:
            users += by_village.get(i["village_id"], [])
        problem = i["problem"] if len(i["problem"]) <= 30 else i["problem"][:30] + "…"
        todo = "请尽快反馈整改情况" if i["status"] == S.OPEN else "整改情况已反馈，请尽快验收"
        for user_id in dict.fromkeys(users):
            events.append(
                Event(
                    user_id=user_id,
                    key=f"rectification:{i['pk']}:overdue:{i['deadline'].isoformat()}",
                    kind=Reminder.Kind.RECTIFICATION_OVERDUE,
                    title=f"整改逾期：{i['village__name']}",
                    body=(
                        f"整改事项“{problem}”的整改时限为{cn_date(i['deadline'])}，已逾期"
                        f"（当前状态：{S(i['status']).label}），{todo}。"
                    ),
                    url=reverse("ledgers:rectification_detail", args=[i["pk"]]),
                )
            )
    return events


RULES = (campaign_deadline_events, ledger_due_events, rectification_overdue_events)


def events_due(today):
    """Every rule's events for `today`, one per (user, key)."""
    events = {}
    for rule in RULES:
        for e in rule(today):
            events.setdefault((e.user_id, e.key), e)
    return list(events.values())
