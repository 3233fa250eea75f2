"""Issue 12 done-when: a village member fills and submits a whole sheet of the sample standard on a phone
(390×844, touch), and the test counts the taps and the full page loads it takes.

Budget: one tap per indicator with nothing to deduct, plus the uploads and the sign-offs, plus a small
constant for moving between steps (and the explicit extra taps of the one indicator that has a deduction).
Nothing is counted as scored without an explicit tap: a step that has been looked at but not answered
stays 未评 in the database.
"""

import io
from decimal import Decimal as D

import pillow_heif
import pytest
from PIL import Image

from assessments.models import Assessment, Evidence, IndicatorScore, Signoff, VetoCheck
from tests.browser.conftest import ARTIFACTS, login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NAVIGATION_TAPS = 12  # the step tabs / 下一步 between 8 steps, opening the check list, the confirm
UNEXPECTED = ("Content Security Policy", "Refused to", "Uncaught")


def heic_photo():
    """A phone photo of the stamped form: HEIC, 4032×3024 sensor frame held upright (EXIF orientation 6)."""
    pillow_heif.register_heif_opener()
    image = Image.linear_gradient("L").resize((4032, 3024)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    image.save(buf, "HEIF", quality=50, exif=exif.tobytes())
    return buf.getvalue()


class Phone:
    """One user's phone: counts taps (and file picks) and full page loads of the main frame."""

    def __init__(self, browser, live_server, username, viewport=PHONE, touch=True):
        self.context = browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport=viewport,
            is_mobile=touch,
            has_touch=touch,
            device_scale_factor=2 if touch else 1,
        )
        # Count the clicks the page receives, so a tap is only over once its click has been handled.
        self.context.add_init_script(
            "window.__clicks = 0; document.addEventListener('click', () => { window.__clicks += 1; }, true);"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.problems = []
        self.page.on(
            "console",
            lambda msg: (
                self.problems.append(msg.text)
                if msg.type == "error" and any(u in msg.text for u in UNEXPECTED)
                else None
            ),
        )
        self.page.on("pageerror", lambda err: self.problems.append(str(err)))
        self.touch = touch
        self.live_server = live_server
        login(self.page, live_server, username, TEST_PASSWORD)
        self.taps = 0
        self.loads = 0
        self.page.on("load", lambda: setattr(self, "loads", self.loads + 1))

    def open(self, path):
        self.page.goto(f"{self.live_server.url}{path}")
        self.settle_scroll()

    def settle_scroll(self):
        """After a load the browser scrolls to the #fragment a little later: wait until it rests."""
        last = None
        for _ in range(40):
            now = self.page.evaluate("[scrollX, scrollY]")
            if now == last:
                break
            last = now
            self.page.wait_for_timeout(150)

    def tap(self, locator, navigates=False):
        """One tap, counted; over once the page has handled its click (or loaded the next page)."""
        if navigates:
            with self.page.expect_navigation(wait_until="load"):
                self._tap(locator, wait=False)
            self.settle_scroll()
            return
        self._tap(locator)

    def _tap(self, locator, wait=True):
        self.taps += 1
        before = self.page.evaluate("window.__clicks")
        # Playwright scrolls the element into view if needed and checks nothing covers it (sticky bars).
        locator.tap() if self.touch else locator.click()
        if not wait:
            return
        # (polled from here: wait_for_function would evaluate a string, which the page's CSP refuses)
        for _ in range(250):
            try:
                if self.page.evaluate("window.__clicks") > before:
                    break
            except Exception:
                break
            self.page.wait_for_timeout(20)
        self.settle()

    def settle(self):
        """Let the tap's handlers and the next layout run before looking again (as a person would)."""
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def pick_file(self, locator, files):
        """Choosing a photo or file counts as one tap (the picker itself is the phone's)."""
        self.taps += 1
        locator.set_input_files(files)

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self):
        self.context.close()


def _current_step(page):
    return page.locator(".sheet-step.is-current")


def _fill_indicators(phone, a, deducted_code):
    """Every step of 五清: one tap of 无扣分情形 per indicator, the deduction path for one of them."""
    page = phone.page
    full_taps = 0
    dims = list(a.campaign.standard.dimensions.order_by("sort_order"))
    for i, dim in enumerate(dims):
        step = _current_step(page)
        assert step.get_attribute("id") == f"dim-{dim.pk}"
        rows = list(
            a.scores.filter(indicator__dimension=dim, indicator__scored_by="village_and_township")
            .select_related("indicator")
            .order_by("indicator__sort_order")
        )
        # Looked at, not answered: nothing in this step is scored yet.
        assert not IndicatorScore.objects.filter(
            pk__in=[r.pk for r in rows], self_score__isnull=False
        ).exists()
        for row in rows:
            block = page.locator(f"#ind-{row.pk}")
            assert block.locator(".js-state").inner_text() == "未评"
            if row.indicator.code == deducted_code:
                rule = row.indicator.rules.get(per="月")
                phone.tap(block.locator(".js-open[data-panel=deduct]"))
                phone.tap(block.locator(f"#c-{rule.pk}"))
                page.keyboard.type("1")
                phone.tap(block.locator(".fw-semibold").first)  # done typing: the input loses focus
                block.locator(".js-state", has_text="扣0.5分").wait_for()
                continue
            phone.tap(block.locator(".js-full"))
            full_taps += 1
            block.locator(".js-state", has_text="满分").wait_for()
        if i == 0:
            phone.shot("phone-sheet-2-first-step-answered")
        if i < len(dims) - 1:
            phone.tap(step.locator(".js-next"))
    return full_taps


def test_a_village_member_fills_and_submits_the_whole_sheet_on_a_phone(live_server, browser, cycle):
    east = cycle.a["东村"]
    scored = east.scores.filter(indicator__scored_by="village_and_township")
    n_indicators = scored.count()
    n_vetoes = VetoCheck.objects.filter(assessment=east).count()
    assert (n_indicators, n_vetoes) == (25, 7)

    # --- the 两委 member ---------------------------------------------------------------------------------
    phone = Phone(browser, live_server, cycle.committee.username)
    page = phone.page
    phone.loads = 0
    phone.open(f"/assessments/a/{east.pk}/self/")
    # One dimension at a time, every indicator collapsed and 未评, submit disabled with its reasons.
    assert page.locator(".sheet-step.is-current").count() == 1
    assert page.locator(".indicator-block.is-collapsible .ind-deduct:visible").count() == 0
    submit = page.locator("#sheet-bar button.js-submit")
    assert submit.is_disabled()
    assert page.locator("#sheet-done").inner_text() == "0"
    assert page.locator("#sheet-todo").inner_text() == str(n_indicators + n_vetoes)
    bar = page.locator("#sheet-bar").bounding_box()
    assert bar["y"] + bar["height"] <= PHONE["height"] + 1  # the bar is on screen before any scrolling
    phone.shot("phone-sheet-1-collapsed-step")
    # The check list: each missing item is a link that opens its step.
    phone.tap(page.locator("#submit-check summary"))
    links = page.locator("#submit-check .submit-check a")
    assert links.count() == n_indicators + n_vetoes + 3  # 25 indicators, 7 vetoes, the form, 2 sign-offs
    phone.shot("phone-sheet-3-check-list-and-disabled-submit")
    v21 = east.scores.get(indicator__code="V2.1")
    phone.tap(page.locator(f"#submit-check a[href='#ind-{v21.pk}']"))
    assert _current_step(page).get_attribute("id") == f"dim-{v21.indicator.dimension_id}"
    assert page.locator(f"#ind-{v21.pk}").is_visible()
    phone.tap(
        page.locator(f".sheet-step-link[data-step-link='dim-{east.campaign.standard.dimensions.first().pk}']")
    )

    full_taps = _fill_indicators(phone, east, deducted_code="V1.1")
    assert full_taps == n_indicators - 1
    assert not scored.filter(self_score__isnull=True).exists()
    assert page.locator("#sheet-done").inner_text() == str(n_indicators)
    village_max = sum(r.indicator.max_score for r in scored.select_related("indicator"))
    expected = f"{village_max - D('0.5'):f}".rstrip("0").rstrip(".")
    assert page.locator("[data-total=self_total]").inner_text() == expected  # all full marks but V1.1 − 0.5

    phone.tap(_current_step(page).locator(".js-next"))  # 加分项: optional
    phone.tap(_current_step(page).locator(".js-next"))  # 负面清单
    phone.tap(page.locator("#vetoes-none"))
    page.locator("[data-step-count=vetoes].is-complete").wait_for()
    assert VetoCheck.objects.filter(assessment=east, self_answer=False).count() == n_vetoes
    phone.tap(_current_step(page).locator(".js-next"))  # 申请表与签署

    # The stamped form, photographed: HEIC from the camera input, with a progress bar, no page load.
    loads_before = phone.loads
    phone.pick_file(
        page.locator("#stamped input.js-camera"),
        {"name": "申请表（盖章）.HEIC", "mimeType": "image/heic", "buffer": heic_photo()},
    )
    page.locator("#stamped .evidence-list a", has_text="申请表（盖章）.jpg").wait_for()
    assert phone.loads == loads_before
    stamped = Evidence.objects.get(assessment=east, kind="application_form")
    assert (stamped.content_type, stamped.original_name) == ("image/jpeg", "申请表（盖章）.jpg")
    phone.tap(page.locator("#signoff button[type=submit]"), navigates=True)  # confirm accepted; reloads
    page.locator("#signoff", has_text="已由").wait_for()
    assert _current_step(page).get_attribute("id") == "paperwork"  # back at the step it left
    assert submit.is_disabled()
    phone.tap(page.locator("#submit-check summary"))
    assert page.locator("#submit-check .submit-check a").all_inner_texts() == [
        "本轮提交尚须村务监督委员会成员签署确认。"
    ]
    phone.shot("phone-sheet-4-waiting-for-the-supervisor")
    committee = (phone.taps, phone.loads)
    assert phone.problems == []
    phone.close()

    # --- the 监委会 member signs and submits ----------------------------------------------------------------
    phone = Phone(browser, live_server, cycle.supervisor.username)
    page = phone.page
    phone.loads = 0
    phone.open(f"/assessments/a/{east.pk}/self/#signoff")
    assert _current_step(page).get_attribute("id") == "paperwork"
    phone.tap(page.locator("#signoff button[type=submit]"), navigates=True)
    page.locator("#sheet-bar button.js-submit:enabled").wait_for()
    phone.shot("phone-sheet-5-ready-to-submit")
    phone.tap(page.locator("#sheet-bar button.js-submit"), navigates=True)  # 提交后本村不能再修改… accepted
    page.locator(".alert-success", has_text="已提交自评").wait_for()
    supervisor = (phone.taps, phone.loads)
    assert phone.problems == []
    phone.close()

    east.refresh_from_db()
    assert (east.status, east.round) == (Assessment.Status.SUBMITTED, 1)
    assert Signoff.objects.filter(assessment=east, round=1).count() == 2

    uploads, signoffs, deduction_taps = 1, 2, 3
    taps = committee[0] + supervisor[0]
    budget = (n_indicators - 1) + uploads + signoffs + deduction_taps + NAVIGATION_TAPS + 1  # +1: submit
    print(
        f"\nPHONE SHEET 390×844: {taps} taps ({committee[0]} 两委 member, {supervisor[0]} 监委会 member) for "
        f"{n_indicators} indicators ({n_indicators - 1} without deduction, 1 tap each), {n_vetoes} negative-list "
        f"items (1 tap), 1 photo upload, 2 sign-offs and the submit; full page loads: {committee[1]} + "
        f"{supervisor[1]} (opening the sheet, each sign-off, the submit); budget {budget} taps"
    )
    assert taps <= budget


def test_the_same_sheet_at_a_desktop_viewport_updates_the_bar_live(live_server, browser, cycle):
    east = cycle.a["东村"]
    desk = Phone(
        browser, live_server, cycle.committee.username, viewport={"width": 1366, "height": 900}, touch=False
    )
    page = desk.page
    desk.open(f"/assessments/a/{east.pk}/self/")
    nav = page.locator("#sheet-nav").bounding_box()
    assert nav["x"] < 400 and nav["height"] > 300  # the steps run down the left-hand side
    first = east.campaign.standard.dimensions.order_by("sort_order").first()
    rows = list(
        east.scores.filter(indicator__dimension=first)
        .select_related("indicator")
        .order_by("indicator__sort_order")
    )
    for row in rows[:3]:
        desk.tap(page.locator(f"#ind-{row.pk} .js-full"))
        page.locator(f"#ind-{row.pk} .js-state", has_text="满分").wait_for()
    page.locator("#sheet-done", has_text="3").wait_for()
    expected = sum(r.indicator.max_score for r in rows[:3])
    assert page.locator("[data-total=self_total]").inner_text() == f"{expected:f}".rstrip("0").rstrip(".")
    assert page.locator(f"[data-step-count='dim-{first.pk}']").inner_text() == f"3/{len(rows)}"
    # The check list follows: the three are no longer listed, the first missing one is a link to it.
    desk.tap(page.locator("#submit-check summary"))
    listed = page.locator("#submit-check .submit-check-targets a").all_inner_texts()
    assert listed[0].startswith(rows[3].indicator.code) and len(listed) == 25 - 3 + 7
    assert (
        page.locator("#submit-check .submit-check > li").first.inner_text().startswith("还有 22 项指标未自评")
    )
    desk.shot("desktop-sheet-check-list")
    v31 = east.scores.get(indicator__code="V3.1")
    desk.tap(page.locator(f"#submit-check a[href='#ind-{v31.pk}']"))
    assert page.locator(".sheet-step.is-current").get_attribute("id") == f"dim-{v31.indicator.dimension_id}"
    assert page.locator(f"#ind-{v31.pk}").is_visible()
    assert page.locator("#sheet-bar button.js-submit").is_disabled()
    desk.shot("desktop-sheet-step-3")
    assert desk.problems == []
    desk.close()
    assert east.scores.filter(self_score__isnull=False).count() == 3


def test_without_javascript_every_step_shows_and_full_marks_still_saves(live_server, browser, cycle):
    east = cycle.a["东村"]
    context = browser.new_context(locale="zh-CN", java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    login(page, live_server, cycle.committee.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/assessments/a/{east.pk}/self/")
    for section in ("#vetoes", "#stamped", "#signoff", "#bonus"):
        assert page.locator(section).is_visible()
    v12 = east.scores.get(indicator__code="V1.2")
    assert page.locator(f"#ind-{v12.pk} .ind-deduct").is_visible()  # nothing collapsed without the script
    assert page.locator("#sheet-bar button.js-submit").is_disabled()
    page.locator(f"#ind-{v12.pk} .js-full").click()
    page.wait_for_load_state()
    v12.refresh_from_db()
    assert v12.self_score == v12.indicator.max_score
    assert page.locator(f"#ind-{v12.pk} .js-state").inner_text() == "满分"
    # nor the buttons that only work with the script
    assert not page.locator(".sheet-step-foot").first.is_visible()
    assert not page.locator("#vetoes-none").is_visible()
    assert not page.locator(f"#ind-{v12.pk} .js-open").first.is_visible()
    context.close()
