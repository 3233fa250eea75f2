"""A township's set-up pages (ORG_MANAGE at that township): its settings and its creation-batch plan.

The township comes through the scoped selector and the ORG_MANAGE check of `_managed_township` (anything
else is the same 404 as a missing township); writes go through villages.services_setup."""

import math

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access.checks import require_cap
from access.roles import Cap
from common.errors import ApplicationError, ConflictError

from .models import (
    DEFAULT_REMINDER_DAYS,
    MAX_REMINDER_DAY,
    REMINDER_DAYS_HELP,
    AnnualTarget,
    format_reminder_days,
)
from .selectors import batches_for_user, targets_for_user, villages_in_township_for_user
from .services_setup import creation_plan_save, plan_year_range, township_settings_update
from .views import _managed_township

PLAN_COLUMNS = 3  # years shown when the township has no plan yet: this year and the next two
MAX_PLAN_COLUMNS = 10


@require_cap(Cap.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def township_settings(request, pk):
    township = _managed_township(request, pk)
    values = {"ledger_due_day": township.ledger_due_day, "reminder_days": township.reminder_days}
    loaded = dict(values)
    error = None
    if request.method == "POST":
        values = {f: request.POST.get(f, "").strip()[:40] for f in values}
        loaded = {f: request.POST.get(f"loaded_{f}", "") for f in values}
        try:
            expected = (int(loaded["ledger_due_day"]), loaded["reminder_days"])
        except ValueError:
            expected = None
        try:
            changes = township_settings_update(
                township=township, actor=request.user, request=request, expected=expected, **values
            )
        except ConflictError as e:
            error = e.message
            township.refresh_from_db(fields=["ledger_due_day", "reminder_days"])
            values = {"ledger_due_day": township.ledger_due_day, "reminder_days": township.reminder_days}
            loaded = dict(values)
        except ApplicationError as e:
            error = e.message
        else:
            messages.success(request, "镇街设置已保存。" if changes else "镇街设置没有变化。")
            return redirect("villages:township_settings", pk=township.pk)
    context = {
        "township": township,
        "values": values,
        "loaded": loaded,
        "error": error,
        "default_days": format_reminder_days(DEFAULT_REMINDER_DAYS),
        "max_day": MAX_REMINDER_DAY,
        "days_help": REMINDER_DAYS_HELP,
        "tab": "settings",
    }
    return render(request, "villages/township_settings.html", context)


def _plan_years(request, batches, targets, first, last):
    """The year columns: every year of the plan (saving replaces the whole plan, so none may be hidden)
    and of the targets, widened by ?from=&to= within the allowed range, by at most MAX_PLAN_COLUMNS."""
    planned = {b.year for b in batches}
    years = planned | {t.year for t in targets if first <= t.year <= last}
    start = min(years) if years else timezone.localdate().year
    end = max(years) if years else start + PLAN_COLUMNS - 1
    for name in ("from", "to"):
        raw = request.GET.get(name, "").strip()
        if raw.isascii() and raw.isdigit() and len(raw) == 4 and first <= int(raw) <= last:
            if name == "from":
                start = max(min(start, int(raw)), end - MAX_PLAN_COLUMNS + 1)
            else:
                end = min(max(end, int(raw)), start + MAX_PLAN_COLUMNS - 1)
    start = min([start, *planned])
    end = max([end, *planned])
    return list(range(start, end + 1))


def _year_summaries(years, plan, targets, active_total):
    """Per year: the batch's villages and 标杆村, and the cumulative count against a share target."""
    # the creation plan runs against the year's (annual round's) target, not a 中期评估's or a pilot's
    by_year = {t.year: t for t in targets if t.kind == AnnualTarget.Kind.ANNUAL}
    rows, cumulative = [], 0
    for year in years:
        batch = [(vid, benchmark) for vid, (y, benchmark) in plan.items() if y == year]
        cumulative += len(batch)
        target = by_year.get(year)
        wanted = None
        if target is not None and target.mode == AnnualTarget.Mode.SHARE and target.share_percent is not None:
            wanted = math.ceil(active_total * target.share_percent / 100)
        rows.append(
            {
                "year": year,
                "count": len(batch),
                "has_benchmark": any(b for _, b in batch),
                "cumulative": cumulative,
                "target": target,
                "wanted": wanted,
                "met": wanted is None or cumulative >= wanted,
                "short": max((wanted or 0) - cumulative, 0),
            }
        )
    return rows


@require_cap(Cap.ORG_MANAGE)
@require_http_methods(["GET", "POST"])
def township_plan(request, pk):
    township = _managed_township(request, pk)
    user = request.user
    first, last = plan_year_range()
    villages = list(villages_in_township_for_user(user, township))
    batches = list(batches_for_user(user, township))
    targets = list(targets_for_user(user, township))
    plan = {b.village_id: (b.year, b.is_benchmark) for b in batches}
    years = _plan_years(request, batches, targets, first, last)
    error = None
    if request.method == "POST":
        posted_years = [
            (key.removeprefix("year_"), value)
            for key in request.POST
            if key.startswith("year_")
            for value in request.POST.getlist(key)
            if value.strip()
        ]
        posted_benchmarks = [
            (value, key.removeprefix("benchmark_"))
            for key in request.POST
            if key.startswith("benchmark_")
            for value in request.POST.getlist(key)
            if value.strip()
        ]
        try:
            old, new = creation_plan_save(
                township=township,
                actor=user,
                request=request,
                years=posted_years,
                benchmarks=posted_benchmarks,
            )
        except ApplicationError as e:
            error = e.message
            # show what the user ticked (those of this township's villages and shown years), to correct it
            shown = {str(v.pk): v.pk for v in villages}
            columns = {str(y): y for y in years}
            marks = {(vid, y) for vid, y in posted_benchmarks}
            plan = {
                shown[vid]: (columns[y], (vid, y) in marks)
                for vid, y in posted_years
                if vid in shown and y in columns
            }
        else:
            messages.success(request, "创建批次计划已保存。" if old != new else "创建批次计划没有变化。")
            query = f"?from={years[0]}&to={years[-1]}" if years else ""
            return redirect(request.path + query)
    active_total = sum(1 for v in villages if v.is_active)
    rows = [
        {
            "village": v,
            "year": plan.get(v.pk, (None, False))[0],
            "benchmark": plan.get(v.pk, (None, False))[1],
        }
        for v in villages
    ]
    context = {
        "township": township,
        "years": years,
        "rows": rows,
        "summaries": _year_summaries(years, plan, targets, active_total),
        "unplanned": sum(1 for v in villages if v.pk not in plan),
        "active_total": active_total,
        "error": error,
        "prev_year": years[0] - 1 if years and years[0] > first else None,
        "next_year": years[-1] + 1 if years and years[-1] < last else None,
        "first_year": years[0] if years else None,
        "last_year": years[-1] if years else None,
        "tab": "plan",
    }
    return render(request, "villages/township_plan.html", context)
