"""Monthly ledger pages: list, web entry, Excel template/upload, submission, confirmation, compliance.

Every unit comes through a scoped selector (out of scope is a 404). Only the unit's own staff write its
ledger; township roles read it, and the township reviewer confirms deductions.
"""

import datetime as dt
import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.checks import deny, require_cap
from access.roles import Cap, Side
from access.scope import scope_for
from accounts.pages import region_page
from audit.services import audit_log
from common.dates import cn_date
from common.downloads import attachment_response
from common.errors import ApplicationError
from common.pagination import CountedPaginator

from ..compliance import COUNTED, LABELS, LEDGER_START_MONTH, State, compliance_matrix, due_date, ledger_state
from ..excel import template_bytes
from ..exports import compliance_xlsx
from ..forms import EntryConfirmForm, EntryFormSet, LedgerHeaderForm, LedgerUploadForm
from ..models import LedgerEntry, LedgerSubmission
from ..selectors import (
    access_unit_by_id,
    entry_get_for_user,
    indicator_codes_for_township,
    ledger_entry_counts,
    ledger_for_unit_month,
    ledger_list_for_user,
    ledger_townships_for_user,
    ledger_units_for_user,
    region_cached,
    township_choices_for_compliance,
)
from ..services.ledger import (
    LedgerError,
    entry_confirm_deduction,
    ledger_import_excel,
    ledger_save_web,
)
from ..services.ledger import (
    ledger_submit as submit_service,
)
from ..services.rectification import rectification_from_ledger_entry

PAGE_SIZE = 30


def _int(request, name):
    value = request.GET.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _previous_month(today):
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def _deny(request, unit, cap):
    deny(request, unit, f"缺少权限 {cap}", township_id=unit.township_id)


def _unit_month(request, unit_pk, year, month, *, write=False):
    """The unit, through the access module: out of scope is a 404; writing needs the UNIT side."""
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    unit, _sides = access_unit_by_id(
        request.user, unit_pk, need=Side.UNIT if write else None, request=request
    )
    return unit


def _due(unit, year, month, submission, today):
    """(due date or None, a sentence on when this month's ledger is due and whether it is late)."""
    if month < LEDGER_START_MONTH:
        return None, f"{LEDGER_START_MONTH}月之前的月份不需报送台账。"
    due = due_date(year, month, unit.township.ledger_due_day)
    state = ledger_state(
        year=year, month=month, due_day=unit.township.ledger_due_day, today=today,
        submitted_at=submission.submitted_at if submission else None,
        zero_report=submission.zero_report if submission else False,
    )  # fmt: skip
    if state == State.MISSING:
        return due, f"应于{cn_date(due)}（含）前报送，已逾期未报。"
    if state == State.NOT_DUE:
        return due, f"应于{cn_date(due)}（含）前报送。"
    return due, ""


@require_cap(Cap.LEDGER_VIEW)
@require_GET
def ledger_list(request):
    """A city office's list (the same for everyone holding its regions whole) is cached per data version
    of its regions and today's date (the month to fill in), which ledger writes renew (accounts.pages)."""
    return region_page(
        request,
        "ledgers/ledger_list.html",
        cap=Cap.LEDGER_VIEW,
        context=lambda: _ledger_list_context(request),
        parts=(timezone.localdate(),),
        params=("township", "unit", "year", "month", "page"),
    )


def _ledger_list_context(request):
    ledgers = ledger_list_for_user(request.user)
    units = ledger_units_for_user(request.user)
    townships = ledger_townships_for_user(request.user)
    filters = {
        "township": _int(request, "township"),
        "unit": _int(request, "unit"),
        "year": _int(request, "year"),
        "month": _int(request, "month"),
    }
    if filters["township"]:
        ledgers = ledgers.filter(unit__township_id=filters["township"])
    # Across several townships the unit picker lists the chosen township's units only: a city's every
    # unit (4,000 at 50,000 villages) made the page grow with the city (issue 16).
    if len(townships) > 1:
        unit_choices = units.filter(township_id=filters["township"]) if filters["township"] else units.none()
    else:
        unit_choices = units
    if filters["unit"]:
        ledgers = ledgers.filter(unit_id=filters["unit"])
    if filters["year"]:
        ledgers = ledgers.filter(year=filters["year"])
    if filters["month"]:
        ledgers = ledgers.filter(month=filters["month"])
    scope = scope_for(request.user)
    today = timezone.localdate()
    year, month = _previous_month(today)
    own = scope.held(Cap.LEDGER_SUBMIT, "unit")
    own_units = list(units.filter(pk__in=own)) if own else []
    total = None
    if not filters["township"] and not filters["unit"]:
        # a city's ledgers of every year: counted once per data version (ledgers.selectors.region_cached)
        parts = ("ledger-count", filters["year"], filters["month"])
        total = region_cached(request.user, Cap.LEDGER_VIEW, parts, ledgers.count)
    page = CountedPaginator(ledgers, PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    page.object_list = ledger_entry_counts(page.object_list)
    context = {
        "page_obj": page,
        "townships": townships if len(townships) > 1 else [],
        "units": unit_choices,
        "filters": filters,
        "own_units": own_units,
        "open_months": _open_months(own_units, today),
        "shortcut": (year, month),
        "this_year": today.year,
        "months": range(1, 13),
    }
    return context


def _open_months(units, today):
    """[(unit, [(year, month, State)])]: the months of this year (and, early in the year, last year)
    whose ledger the unit has not submitted yet and that have begun, oldest first."""
    years = [today.year - 1, today.year] if today.month <= 2 else [today.year]
    found = {u.pk: [] for u in units}
    for year in years:
        for row in compliance_matrix(units=units, year=year, today=today).rows:
            for cell in row.cells:
                started = (year, cell.month) <= (today.year, today.month)
                if started and cell.state in (State.MISSING, State.NOT_DUE):
                    found[row.unit.pk].append((year, cell.month, cell.state))
    return [(u, found[u.pk]) for u in units]


@require_cap(Cap.LEDGER_SUBMIT)
@require_GET
def ledger_open(request):
    """填报其他月份: the unit's ledger of any month, from the list's small form (create-on-open: the
    edit page of a month without a ledger is its blank form)."""
    unit_pk, year, month = _int(request, "unit"), _int(request, "year"), _int(request, "month")
    if unit_pk is None or year is None or month is None:
        messages.error(request, "请选择责任单位、年份和月份。")
        return redirect("ledgers:ledger_list")
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        messages.error(request, "年份或月份无效。")
        return redirect("ledgers:ledger_list")
    unit = _unit_month(request, unit_pk, year, month, write=True)
    return redirect("ledgers:ledger_edit", unit.pk, year, month)


def _unit_villages(unit):
    return unit.villages.order_by("sort_order", "name")


def _formset(unit, year, month, submission, data=None):
    queryset = submission.entries.order_by("seq") if submission else LedgerEntry.objects.none()
    kwargs = {
        "villages": _unit_villages(unit),
        "year": year,
        "month": month,
        "indicator_codes": indicator_codes_for_township(unit.township),
    }
    return EntryFormSet(data, queryset=queryset, form_kwargs=kwargs, prefix="rows")


def _rows_from(formset):
    rows = []
    for form in formset.forms:
        if formset._should_delete_form(form) or (form.instance.pk is None and not form.has_changed()):
            continue
        data = dict(form.cleaned_data)
        village = data.pop("village")
        data.pop("id", None)
        data.pop("DELETE", None)
        data["village_id"] = village.pk
        rows.append(data)
    return rows


@require_cap(Cap.LEDGER_VIEW)
@require_http_methods(["GET", "POST"])
def ledger_edit(request, unit_pk, year, month):
    unit = _unit_month(request, unit_pk, year, month, write=request.method == "POST")
    scope = scope_for(request.user)
    submission = ledger_for_unit_month(unit, year, month)
    initial = {"version": submission.version if submission else 1}
    if submission:
        initial.update(
            filled_by_name=submission.filled_by_name,
            approved_by_name=submission.approved_by_name,
            zero_report=submission.zero_report,
        )
    if request.method == "POST":
        header = LedgerHeaderForm(request.POST)
        formset = _formset(unit, year, month, submission, request.POST)
        if header.is_valid() and formset.is_valid():
            try:
                ledger_save_web(
                    unit=unit, year=year, month=month, header=header.cleaned_data, rows=_rows_from(formset),
                    version=header.cleaned_data["version"], actor=request.user, request=request,
                )  # fmt: skip
            except LedgerError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "台账已保存。")
                return redirect("ledgers:ledger_edit", unit.pk, year, month)
    else:
        header = LedgerHeaderForm(initial=initial)
        formset = _formset(unit, year, month, submission)
    return _render_edit(request, unit, year, month, submission, header, formset, scope)


def _render_edit(request, unit, year, month, submission, header, formset, scope, upload=None, form=None):
    sides = scope.sides("unit", unit)
    can_confirm = scope.can(Cap.LEDGER_MANAGE) and Side.REVIEWER in sides
    context = {
        "unit": unit,
        "year": year,
        "month": month,
        "submission": submission,
        "header": header,
        "formset": formset,
        "can_edit": Side.UNIT in sides,
        "can_confirm": can_confirm,
        "upload_form": form or LedgerUploadForm(),
        "upload": upload,
        "entries": submission.entries.select_related("village", "rectification").order_by("seq")
        if submission
        else [],
    }
    context["due"], context["due_note"] = _due(unit, year, month, submission, timezone.localdate())
    return render(request, "ledgers/ledger_edit.html", context)


@require_cap(Cap.LEDGER_VIEW)
@require_GET
def ledger_template(request, unit_pk, year, month):
    unit = _unit_month(request, unit_pk, year, month)
    submission = ledger_for_unit_month(unit, year, month)
    data = template_bytes(
        unit=unit, year=year, month=month, villages=list(_unit_villages(unit)),
        indicator_codes=indicator_codes_for_township(unit.township), submission=submission,
        entries=list(submission.entries.order_by("seq")) if submission else (),
    )  # fmt: skip
    name = f"{unit.name}{year}年{month}月日常监管台账.xlsx"
    return attachment_response(data, name, fallback=f"ledger-{unit.pk}-{year}-{month:02d}.xlsx")


@require_cap(Cap.LEDGER_SUBMIT)
@require_POST
def ledger_upload(request, unit_pk, year, month):
    unit = _unit_month(request, unit_pk, year, month, write=True)
    form = LedgerUploadForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        villages = {v.name: v.pk for v in _unit_villages(unit)}
        try:
            result = ledger_import_excel(
                unit=unit, year=year, month=month, file=form.cleaned_data["file"], villages=villages,
                indicator_codes=indicator_codes_for_township(unit.township),
                max_bytes=settings.QL_IMPORT_MAX_BYTES, actor=request.user, request=request,
                version=form.cleaned_data["version"],
            )  # fmt: skip
        except LedgerError as error:
            messages.error(request, str(error))
            return redirect("ledgers:ledger_edit", unit.pk, year, month)
        if result.ok:
            messages.success(request, f"上传成功：{result.summary()}。")
            return redirect("ledgers:ledger_edit", unit.pk, year, month)
    submission = ledger_for_unit_month(unit, year, month)
    initial = {"version": submission.version if submission else 1}
    return _render_edit(
        request, unit, year, month, submission, LedgerHeaderForm(initial=initial),
        _formset(unit, year, month, submission), scope_for(request.user), upload=result, form=form,
    )  # fmt: skip


@require_cap(Cap.LEDGER_SUBMIT)
@require_POST
def ledger_submit(request, unit_pk, year, month):
    unit = _unit_month(request, unit_pk, year, month, write=True)
    version = request.POST.get("version", "")
    if not version.isdigit():  # a page without the version it was rendered with cannot be checked
        messages.error(request, "页面已过期，请刷新后再报送。")
        return redirect("ledgers:ledger_edit", unit.pk, year, month)
    try:
        submit_service(
            unit=unit, year=year, month=month, actor=request.user, request=request, version=int(version)
        )
    except LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{year}年{month}月台账已报送。")
    return redirect("ledgers:ledger_edit", unit.pk, year, month)


@require_cap(Cap.LEDGER_MANAGE)
@require_POST
def entry_confirm(request, pk):
    entry = entry_get_for_user(request.user, pk)
    unit = entry.submission.unit
    scope = scope_for(request.user)
    if Side.REVIEWER not in scope.sides("unit", unit):
        _deny(request, unit, Cap.LEDGER_MANAGE)
    form = EntryConfirmForm(request.POST)
    if form.is_valid():
        try:
            entry_confirm_deduction(
                entry=entry, deduction=form.cleaned_data["confirmed_deduction"],
                reason=form.cleaned_data["reason"], actor=request.user, request=request,
            )  # fmt: skip
        except LedgerError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"第 {entry.seq} 条记录的扣分已确认。")
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    sub = entry.submission
    return redirect("ledgers:ledger_edit", unit.pk, sub.year, sub.month)


@require_cap(Cap.LEDGER_MANAGE)
@require_POST
def entry_rectify(request, pk):
    """Turn a ledger problem into a rectification item (the township reviewer of the unit's township)."""
    entry = entry_get_for_user(request.user, pk)
    unit = entry.submission.unit
    scope = scope_for(request.user)
    if Side.REVIEWER not in scope.sides("unit", unit):
        _deny(request, unit, Cap.LEDGER_MANAGE)
    try:
        item = rectification_from_ledger_entry(entry=entry, actor=request.user)
    except (ValidationError, ApplicationError) as error:
        messages.error(request, "；".join(getattr(error, "messages", [str(error)])))
        sub = entry.submission
        return redirect("ledgers:ledger_edit", unit.pk, sub.year, sub.month)
    messages.success(request, f"第 {entry.seq} 条记录已转为整改事项。")
    return redirect("ledgers:rectification_detail", item.pk)


@require_cap(Cap.LEDGER_VIEW)
@require_GET
def compliance(request):
    today = timezone.localdate()
    year = _int(request, "year") or today.year
    if not 2000 <= year <= 2100:
        raise Http404
    townships = list(township_choices_for_compliance(request.user))
    chosen = _int(request, "township")
    township = next((t for t in townships if t.pk == chosen), townships[0] if townships else None)
    units = []
    if township is not None:
        units = ledger_units_for_user(request.user).filter(township=township)
    if request.GET.get("export") == "xlsx" and township is not None:
        return _compliance_export(request, township, year, units, today)
    matrix = compliance_matrix(units=units, year=year, today=today)
    context = {
        "townships": townships,
        "township": township,
        "year": year,
        "years": range(today.year, today.year - 5, -1),
        "matrix": matrix,
        "grid": _grid(matrix, year, today, scope_for(request.user).held(Cap.LEDGER_SUBMIT, "unit")),
        "months": range(1, 13),
        "legend": [(s, LABELS[s]) for s in (*COUNTED, State.NOT_APPLICABLE)],
        "totals": [(LABELS[s], matrix.totals[s], s.badge) for s in COUNTED],
        "history": [(y, [(LABELS[s], counts[s]) for s in COUNTED]) for y, counts in matrix.history],
        "start_month": LEDGER_START_MONTH,
        "submitted_status": LedgerSubmission.Status.SUBMITTED,
    }
    return render(request, "ledgers/compliance.html", context)


def _cell_tip(cell, fill):
    if cell.state == State.MISSING:
        return "未报：点击填报该月台账" if fill else "未报：点击查看该月台账情况"
    if cell.submitted_at:
        return f"{cell.state.label}：报送时间 {cn_date(cell.submitted_at, with_time=True)}"
    if cell.state == State.NOT_DUE:
        return "未到期：点击填报该月台账" if fill else "未到期：尚未报送"
    return cell.state.label


def _grid(matrix, year, today, own_units):
    """[(unit, fills, [(cell, url or "", tip)])]: every month that has begun links to that unit's
    ledger of the month; the unit's own staff land on its form (create-on-open), everyone else on
    the read-only page that says whether and when it was due."""
    rows = []
    for row in matrix.rows:
        fills = row.unit.pk in own_units
        cells = []
        for cell in row.cells:
            begun = (year, cell.month) <= (today.year, today.month)
            url = ""
            if begun and cell.state != State.NOT_APPLICABLE:
                url = reverse("ledgers:ledger_edit", args=[row.unit.pk, year, cell.month])
            cells.append((cell, url, _cell_tip(cell, fills)))
        rows.append((row.unit, fills, cells))
    return rows


def _compliance_export(request, township, year, units, today):
    buffer = io.BytesIO()
    compliance_xlsx(township=township, year=year, out=buffer, today=today, units=units)
    name = f"{township.name}{year}年日常监管台账报送情况.xlsx"
    audit_log(action="export.document", request=request, township_id=township.pk, message=f"下载{name}")
    return attachment_response(buffer.getvalue(), name, fallback=f"compliance-{year}.xlsx")
