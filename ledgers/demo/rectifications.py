"""Rectification items in every state: ledger problems (older ones closed, recent ones open — some
overdue — or answered and waiting for acceptance), the township review's findings and the city's feedback."""

import datetime
import random

from assessments.models import Assessment, Campaign

from ..models import LedgerEntry, Rectification, RectificationEvent
from .base import at

R = Rectification.Status


def seed_rectifications(t):
    """Ledger problems turned into items: older ones closed, recent ones open (some overdue) or
    answered and waiting for acceptance; plus items from the township's review and the city's feedback."""
    rnd = random.Random(f"{t.township.name}rectify")
    items, events = [], []
    by_year = {}
    for entry in t.problems:
        by_year.setdefault(entry.checked_on.year, []).append(entry)
    converted = []
    for _year, entries in sorted(by_year.items()):
        for entry in rnd.sample(entries, min(len(entries), 10)):
            items.append(_from_ledger(t, entry, rnd))
            converted.append(entry)
    # the unit's own 整改状态 column follows the item
    for entry, item in zip(converted, items, strict=True):
        entry.rectify_status, entry.closed_on = item.status, item.closed_on
    LedgerEntry.objects.bulk_update(converted, ["rectify_status", "closed_on"])
    items += _from_assessments(t)
    Rectification.objects.bulk_create(items)
    for item in items:
        events += _events(t, item)
    RectificationEvent.objects.bulk_create(events)
    return len(items)


def _state(t, deadline, rnd):
    """closed long after the deadline; recent: open, answered or closed (an open one past its
    deadline is overdue)."""
    if deadline < t.today - datetime.timedelta(days=60):
        return R.CLOSED if rnd.random() < 0.9 else R.OPEN
    return rnd.choice([R.OPEN, R.OPEN, R.RESPONDED, R.CLOSED])


def _item(t, *, village, source, problem, requirement, deadline, rnd=None, status=None, **links):
    status = status or _state(t, deadline, rnd)
    item = Rectification(
        township=t.township,
        village=village,
        source=source,
        problem=problem,
        requirement=requirement,
        owner="村党组织书记",
        deadline=deadline,
        status=status,
        created_by=t.reviewer,
        **links,
    )
    if status in (R.RESPONDED, R.CLOSED):
        item.response = "已按要求整改，相关材料已补齐。"
        item.responded_at = at(min(deadline, t.today) - datetime.timedelta(days=3))
    if status == R.CLOSED:
        item.verify_note = "经核查已整改到位。"
        item.verified_at = at(min(deadline, t.today))
        item.closed_on = min(deadline, t.today)
    return item


def _from_ledger(t, entry, rnd):
    return _item(
        t,
        village=entry.village,
        source=Rectification.Source.LEDGER,
        problem=entry.finding,
        requirement=entry.requirement,
        deadline=entry.deadline,
        rnd=rnd,
        ledger_entry=entry,
    )


def _from_assessments(t):
    """The 2024 city feedback on the candidate graded lower, and two problems the 2025 review found."""
    items = []
    city = Assessment.objects.filter(
        campaign__township=t.township,
        campaign__level=Campaign.Level.VILLAGE,
        city_decision=Assessment.CityDecision.OTHER,
    ).select_related("village", "campaign")
    for a in city:
        items.append(
            _item(
                t,
                village=a.village,
                source=Rectification.Source.CITY,
                problem="市级评选反馈：清廉文化品牌特色不够鲜明。",
                requirement="提炼本村清廉文化品牌，完善阵地展示内容。",
                deadline=datetime.date(a.campaign.year, 12, 31),
                status=R.CLOSED,
                assessment=a,
            )
        )
    reviewed = (
        Assessment.objects.filter(
            campaign__township=t.township,
            campaign__year=2025,
            campaign__level=Campaign.Level.VILLAGE,
            status=Assessment.Status.REVIEWED,
        )
        .select_related("village")
        .order_by("-village__sort_order")[:2]
    )
    # one still open within its deadline, one answered and waiting for the township's acceptance
    plans = (
        (t.today + datetime.timedelta(days=20), R.OPEN),
        (t.today + datetime.timedelta(days=5), R.RESPONDED),
    )
    for a, (deadline, status) in zip(reviewed, plans, strict=False):
        items.append(
            _item(
                t,
                village=a.village,
                source=Rectification.Source.REVIEW,
                problem="初审发现：村务监督委员会对工程项目验收记录签字不全。",
                requirement="补齐验收记录签字，建立工程项目监督台账。",
                deadline=deadline,
                status=status,
                assessment=a,
            )
        )
    return items


def _events(t, item):
    rows = [RectificationEvent(rectification=item, actor=t.reviewer, action="create", to_status=R.OPEN)]
    if item.status in (R.RESPONDED, R.CLOSED):
        rows.append(
            RectificationEvent(
                rectification=item,
                action="respond",
                from_status=R.OPEN,
                to_status=R.RESPONDED,
                note=item.response,
            )
        )
    if item.status == R.CLOSED:
        rows.append(
            RectificationEvent(
                rectification=item,
                actor=t.reviewer,
                action="accept",
                from_status=R.RESPONDED,
                to_status=R.CLOSED,
                note=item.verify_note,
            )
        )
    return rows
