"""The ledger page fits (issue 12): at a laptop's 1366×900 and a tablet's 1024×768 and 768×1024 nothing
overflows its box, the 确认 button stays on one line, the only sideways scroll is inside the records
table's own container, and 序号 stays in view while it scrolls. Screenshots in test-artifacts/."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from ledgers.models import LedgerEntry, LedgerSubmission
from tests.browser.conftest import login
from tests.factories import TEST_PASSWORD, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [(1366, 900, "laptop"), (1024, 768, "tablet"), (768, 1024, "tablet-portrait")]

# Per element: does its content fit its own box, and does the box fit inside its form / cell?
MEASURE = """() => {
  const out = [];
  const boxes = document.querySelectorAll(
    '.ledger-confirm input:not([type=hidden]), .ledger-confirm button, table.ledger-entries td button, '
    + '.ledger-row input:not([type=hidden]), .ledger-row select, .ledger-row textarea'
  );
  for (const el of boxes) {
    const r = el.getBoundingClientRect();
    const holder = el.closest('form.ledger-confirm, td, .ledger-row');
    const h = holder.getBoundingClientRect();
    const style = getComputedStyle(el);
    out.push({
      what: (el.getAttribute('aria-label') || el.name || el.textContent || el.tagName).trim(),
      tag: el.tagName, type: el.type || '',
      overflow: el.scrollWidth - el.clientWidth,
      outside: Math.max(0, r.right - h.right, h.left - r.left),
      height: r.height,
      lineHeight: parseFloat(style.lineHeight) + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
                  + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth),
      width: r.width,
    });
  }
  const doc = document.documentElement;
  const scroller = document.querySelector('.ledger-scroll');
  return {
    boxes: out,
    pageOverflow: doc.scrollWidth - doc.clientWidth,
    tableScrolls: scroller.scrollWidth > scroller.clientWidth,
    scrollerWidth: scroller.clientWidth,
  };
}"""


@pytest.fixture
def ledger(org):
    month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    sub = LedgerSubmission.objects.create(
        unit=org.unit, year=month.year, month=month.month, status="submitted", submitted_at=timezone.now()
    )
    long = "村务公开栏未按季度更新财务收支明细，部分支出凭证未经民主理财小组审核签字，群众反映较多"
    for seq in range(1, 6):
        LedgerEntry.objects.create(
            submission=sub, seq=seq, village=org.village if seq % 2 else org.cousin,
            category="sanzi", method="routine", checked_on=month.replace(day=10 + seq), checker="张三、李四",
            finding=long if seq != 3 else "", level="" if seq == 3 else "serious",
            proposed_deduction=Decimal("1.5") if seq != 3 else 0, requirement="限期十日内补公开并说明",
            owner="王五", deadline=month.replace(day=28) if seq != 3 else None, note="复查",
        )  # fmt: skip
    return sub


def _check(page, label):
    m = page.evaluate(MEASURE)
    assert m["pageOverflow"] <= 0, f"{label}: the page itself scrolls sideways by {m['pageOverflow']}px"
    assert m["boxes"], label
    for box in m["boxes"]:
        assert box["overflow"] <= 1, f"{label}: {box['what']} content overflows by {box['overflow']}px"
        assert box["outside"] <= 1, (
            f"{label}: {box['what']} sticks out of its form/cell by {box['outside']}px"
        )
    buttons = [b for b in m["boxes"] if b["tag"] == "BUTTON"]
    for b in buttons:
        # One line of text: the button is no taller than one line box (a 确/认 wrap doubles it).
        assert b["height"] <= b["lineHeight"] + 2, f"{label}: {b['what']} wraps ({b['height']}px tall)"
    return m


def test_reviewer_ledger_page_fits_at_laptop_and_tablet_widths(live_server, browser, shot, org, ledger):
    user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei")
    for width, height, name in VIEWPORTS:
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        page = context.new_page()
        login(page, live_server, "jiwei", TEST_PASSWORD)
        page.goto(f"{live_server.url}/ledgers/units/{org.unit.pk}/{ledger.year}/{ledger.month}/")
        assert page.locator("form.ledger-confirm").count() == 4
        m = _check(page, f"reviewer {name}")
        confirm = [b for b in m["boxes"] if b["what"] == "确认"]
        assert len(confirm) == 4 and all(b["width"] >= 40 for b in confirm)
        score = [b for b in m["boxes"] if b["what"].endswith("确认扣分")]
        assert all(b["width"] >= 80 for b in score), score  # room for "10.25" and the spinner
        if m["tableScrolls"]:
            # Scroll the records sideways: 序号 stays at the container's left edge.
            page.eval_on_selector(".ledger-scroll", "el => el.scrollLeft = el.scrollWidth")
            left = page.eval_on_selector(
                "table.ledger-entries tbody th.sticky-col",
                "el => el.getBoundingClientRect().left - el.closest('.ledger-scroll').getBoundingClientRect().left",
            )
            assert abs(left) <= 1
            page.eval_on_selector(".ledger-scroll", "el => el.scrollLeft = 0")
        page.locator("table.ledger-entries details summary").first.click()
        assert page.locator("table.ledger-entries details[open] dd", has_text="日常检查").is_visible()
        shot(page, f"ledger-reviewer-{width}x{height}")
        context.close()


def test_unit_web_form_fits_at_laptop_and_tablet_widths(live_server, browser, shot, org, ledger):
    user_with_role(Role.UNIT_STAFF, org.unit, username="jgz")
    for width, height, name in VIEWPORTS[:2]:
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        page = context.new_page()
        login(page, live_server, "jgz", TEST_PASSWORD)
        page.goto(f"{live_server.url}/ledgers/units/{org.unit.pk}/{ledger.year}/{ledger.month}/")
        before = page.locator("#ledger-rows fieldset.ledger-row").count()
        page.click("#ledger-add-row")
        assert page.locator("#ledger-rows fieldset.ledger-row").count() == before + 1
        assert page.locator("#ledger-rows fieldset.ledger-row").last.locator("legend").inner_text() == (
            f"第 {before + 1} 行（新增）"
        )
        _check(page, f"unit {name}")
        shot(page, f"ledger-unit-form-{width}x{height}")
        context.close()


def test_a_missing_month_opens_from_the_compliance_grid(live_server, page, shot, org):
    user_with_role(Role.UNIT_STAFF, org.unit, username="jgz")
    login(page, live_server, "jgz", TEST_PASSWORD)
    year = timezone.localdate().year - 1
    page.goto(f"{live_server.url}/ledgers/compliance/?township={org.town.pk}&year={year}")
    cell = page.locator("table.compliance-matrix tr", has_text="经管站").locator("td").nth(6)
    assert cell.inner_text() == "未报"
    shot(page, "ledger-compliance-links")
    cell.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/ledgers/units/{org.unit.pk}/{year}/7/")
    assert "本月台账尚未填报" in page.locator(".ledger-missing").inner_text()
    page.check("#id_zero_report")
    page.click("button:has-text('保存')")
    page.wait_for_load_state("networkidle")
    page.click("button.ledger-submit")
    page.wait_for_load_state("networkidle")
    assert "已报送" in page.locator(".ledger-status").inner_text()
    page.goto(f"{live_server.url}/ledgers/compliance/?township={org.town.pk}&year={year}")
    row = page.locator("table.compliance-matrix tr", has_text="经管站")
    assert row.locator("td").nth(6).inner_text() == "逾期"
