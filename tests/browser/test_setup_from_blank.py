"""Issue 11 "done when": 三管镇 set up from a blank database through the pages alone, in Chromium.

One system administrator is created by `create_admin` (its one-time password read from the command's
output); everything else is clicked and uploaded as users do it, never through /admin/ or the ORM (the
ORM only checks the result at the end). The township is the one of seed 003 (三管镇开展清廉村居创建行动的
实施方案): 10 villages without 党总支, the responsible units and the 专班 of 附件1, and the 2022–2024 task
breakdown of 附件3 (3/5/2 villages a year).

1. the administrator logs in with the one-time password and is made to change it;
2. creates the 市（县、区） and the township 三管镇 with its administrator (one-time password shown once);
3. the township administrator logs in, changes the password, imports the organisation workbook (the
   page's blank template, filled) and enters the creation-batch plan with a 标杆村 each year;
4. imports a 村两委成员 for every village and a 责任单位工作人员 for every unit from one sheet (the page's
   template, filled); the answer is the credentials slip PDF, read back with pdftotext;
5. imports the sample village-level standard and creates the year's campaign with deadlines;
6. a village member logs in with the password from the slip, changes it and scores an indicator on its
   village's self-assessment sheet; the value is still there after a reload.
"""

import datetime
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from accounts.models import Membership, Role, User
from assessments.models import Campaign, IndicatorScore
from villages.models import CreationBatch, Region, ResponsibleUnit, Township, Village, WorkingGroupMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STANDARD_YAML = (
    Path(__file__).resolve().parents[2] / "fixtures" / "standards" / "village_index_standard.sample.yaml"
)

# 附件3 三管镇清廉村居创建2022-2024任务分解表: the villages of each year's batch (the first is its 标杆村).
PLAN = {
    2022: ["东姚庄村", "李卓村", "新庄村"],
    2023: ["三管村", "师家庄村", "梁家庄村", "陆喜营村", "王家庄村"],
    2024: ["西姚村", "黄家庄村"],
}
VILLAGES = [name for names in PLAN.values() for name in names]
# The responsible units named in the plan's tasks (责任单位), with the villages they oversee.
UNITS = [
    "组织办",
    "民政办",
    "农业农村办",
    "经管站",
    "纪委监委",
    "政法委",
    "司法所",
    "财政所",
    "信访办",
    "人事办",
]
# 附件1 三管镇清廉村居创建工作专班 (name, position, 专班职务, unit).
GROUP = [
    ("姚治广", "副镇长", "组长", ""),
    ("樊菊霞", "党委副书记", "副组长", "组织办"),
    ("孙晓雅", "纪委书记", "副组长", "纪委监委"),
    ("古莉", "组织委员", "副组长", "组织办"),
    ("尉高君", "武装部长", "副组长", ""),
    ("姚小丹", "副镇长", "副组长", ""),
    ("段晓沛", "民政负责人、经管负责人", "成员", "民政办"),
    ("黄占英", "农业农村负责人", "成员", "农业农村办"),
    ("王晓敏", "司法所长", "成员", "司法所"),
    ("褚自勇", "综治专干、信访办主任", "成员", "信访办"),
    ("王宁", "监察员", "成员", "纪委监委"),
    ("张晓辉", "宣传干事", "成员", "组织办"),
    ("刘瑞东", "财政负责人", "成员", "财政所"),
    ("黄玉磊", "人事干事", "成员", "人事办"),
    ("姚乐", "组织干事", "成员", "组织办"),
]
NEW_PASSWORDS = {"admin": "Xt7#kLp2-Wq9", "town": "Mv4!rBn8-Zs3", "village": "Qe6$hJc5-Ty1"}


def _new_page(browser):
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def _submit(page, selector="main button[type=submit]"):
    page.locator(selector).last.click()
    page.wait_for_load_state("networkidle")


def _first_login(page, live_server, username, one_time, new_password):
    """Log in with a one-time password: every page leads to the password change until it is changed."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", one_time)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/accounts/password/"), page.url
    page.goto(f"{live_server.url}/villages/")
    assert page.url.endswith("/accounts/password/"), (
        "an account with a one-time password must change it first"
    )
    page.fill("#id_old_password", one_time)
    page.fill("#id_new_password1", new_password)
    page.fill("#id_new_password2", new_password)
    _submit(page, "form button[type=submit]")
    assert "密码已修改" in page.content()
    assert not page.url.endswith("/accounts/password/")


def _download(page, link_text):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_text).first.click()
    return Path(info.value.path()).read_bytes()


def _fill(sheet, rows):
    """Rows of {header: value} under the template's header row (matched by header text)."""
    columns = {cell.value: cell.column for cell in sheet[1] if cell.value}
    for r, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=r, column=columns[header], value=value)


def _org_workbook(template):
    wb = load_workbook(io.BytesIO(template))
    _fill(
        wb["村（社区）"],
        [
            {"村（社区）名称": name, "类型": "村", "排序": i, "参与建设": "是"}
            for i, name in enumerate(VILLAGES, start=1)
        ],
    )
    _fill(
        wb["责任单位"],
        [
            {
                "单位名称": name,
                "责任人": f"{name}负责人",
                "联系电话": f"0359-40{i:05d}",
                "监管村（社区）": "全部",
            }
            for i, name in enumerate(UNITS, start=1)
        ],
    )
    _fill(
        wb["工作专班"],
        [{"姓名": n, "职务": p, "专班职务": g, "所在单位": u} for n, p, g, u in GROUP],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _user_rows():
    rows = []
    for i, village in enumerate(VILLAGES, start=1):
        rows.append(("村", f"{village[:-1]}两委{i}", f"1390359{i:04d}", "村两委成员", village))
    for i, unit in enumerate(UNITS, start=1):
        rows.append(("单位", f"{unit}干事{i}", f"1380359{i:04d}", "责任单位工作人员", unit))
    return rows


def _user_workbook(template):
    wb = load_workbook(io.BytesIO(template))
    sheet = wb.worksheets[0]
    _fill(
        sheet,
        [
            {"姓名": name, "手机号": phone, "角色": role, "所属村（社区）/党总支/责任单位": node}
            for _, name, phone, role, node in _user_rows()
        ],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _slip_of(pdf, full_name):
    """(login, one-time password) of `full_name` read from the slip sheet PDF as a person reads it."""
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    text = text.decode()
    assert "账号通知单" in text
    start = text.index(full_name)
    login = re.search(r"登录名\s*(\S+)", text[start:]).group(1)
    password = re.search(r"一次性密码\s*(\S+)", text[start:]).group(1)
    return login, password


def _upload(page, data, name, mime):
    page.locator("main input[type=file]").set_input_files({"name": name, "mimeType": mime, "buffer": data})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_santuan_township_is_set_up_from_a_blank_database(live_server, browser, shot):
    url = live_server.url
    out = io.StringIO()
    call_command("create_admin", "sysadmin", stdout=out)
    admin_once = re.search(r"一次性密码：(\S+)", out.getvalue()).group(1)

    # 1. The system administrator logs in with the printed one-time password and must change it.
    page = _new_page(browser)
    _first_login(page, live_server, "sysadmin", admin_once, NEW_PASSWORDS["admin"])

    # 2. The 市（县、区） (from the township page's link), then 三管镇 with its administrator.
    page.goto(f"{url}/accounts/users/")
    page.get_by_role("link", name="新建镇街").first.click()
    page.wait_for_load_state("networkidle")
    page.locator("#region-create-link").click()
    page.wait_for_load_state("networkidle")
    page.fill("#id_name", "临猗县")
    page.select_option("#id_kind", label="县")
    _submit(page)
    assert "已新建市（县、区）临猗县" in page.content()
    assert page.url.endswith("/accounts/townships/new/")
    if page.locator("select#id_region").count():
        page.select_option("#id_region", label="临猗县")
    page.fill("#id_name", "三管镇")
    page.fill("#id_admin_full_name", "孙晓雅")
    page.fill("#id_admin_phone", "13903590000")
    page.fill("#id_admin_username", "sg_jiwei")
    _submit(page)
    assert "已新建镇街 三管镇" in page.content()
    town_once = page.locator("#one-time-password").inner_text().strip()
    shot(page, "setup-2-township-admin-password")
    page.context.close()

    # 3. The township administrator: organisation workbook, then the creation-batch plan.
    page = _new_page(browser)
    _first_login(page, live_server, "sg_jiwei", town_once, NEW_PASSWORDS["town"])
    page.goto(f"{url}/org/")
    page.get_by_role("link", name="三管镇").first.click()
    page.wait_for_load_state("networkidle")
    township_url = page.url
    page.get_by_role("link", name="导入").first.click()
    page.wait_for_load_state("networkidle")
    assert "导入组织机构：三管镇" in page.content()
    org = _org_workbook(_download(page, "下载空白模板"))
    _upload(page, org, "三管镇组织机构.xlsx", XLSX)
    _submit(page)
    assert "导入完成" in page.content(), page.locator("main").inner_text()
    shot(page, "setup-3-org-imported")
    for name in VILLAGES:
        assert name in page.content()

    page.goto(f"{township_url.rstrip('/')}/plan/?from=2022&to=2024")
    for year, names in PLAN.items():
        for name in names:
            row = page.locator("tbody tr", has=page.locator("th", has_text=name))
            row.locator(f"input[name^=year_][value='{year}']").check()
        benchmark = page.locator("tbody tr", has=page.locator("th", has_text=names[0]))
        benchmark.locator(f"input[name=benchmark_{year}]").check()
    _submit(page, "main form button[type=submit]")
    assert "创建批次计划已保存" in page.content(), page.locator("main").inner_text()
    footer = page.locator("tfoot").inner_text()
    assert "缺标杆村" not in footer
    shot(page, "setup-3-plan")

    # 4. Users from one sheet; the answer is the credentials slip PDF.
    page.goto(f"{url}/accounts/users/import/")
    assert "批量导入用户：三管镇" in page.content()
    users = _user_workbook(_download(page, "下载三管镇的导入模板"))
    _upload(page, users, "三管镇用户.xlsx", XLSX)
    with page.expect_download() as info:
        page.locator("main form button[type=submit]").click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    _, member_name, _, _, member_village = _user_rows()[0]
    member_login, member_once = _slip_of(pdf, member_name)

    # 5. The sample village-level standard, then the year's campaign with its deadlines.
    page.goto(f"{url}/standards/import/")
    _upload(page, STANDARD_YAML.read_bytes(), STANDARD_YAML.name, "application/x-yaml")
    target = next(t for t in page.locator("#id_target option").all_inner_texts() if "三管镇" in t)
    page.select_option("#id_target", label=target)
    _submit(page)
    assert "已导入《村级“清廉村居”建设指数标准（样例）》" in page.content(), page.locator("main").inner_text()

    page.goto(f"{url}/assessments/")
    page.get_by_role("link", name="新建测评").click()
    page.wait_for_load_state("networkidle")
    today = datetime.date.today()
    page.fill("#id_year", "2024")
    for field, days in (("self_deadline", 30), ("submission_deadline", 40), ("city_deadline", 50)):
        page.fill(f"#id_{field}", (today + datetime.timedelta(days=days)).isoformat())
    _submit(page, "main form button.btn-danger")
    assert "共 10 个测评对象" in page.content(), page.locator("main").inner_text()
    shot(page, "setup-5-campaign")
    page.context.close()

    # 6. The village member from the slip scores an indicator on its village's sheet.
    page = _new_page(browser)
    _first_login(page, live_server, member_login, member_once, NEW_PASSWORDS["village"])
    page.goto(f"{url}/assessments/")
    page.locator("main a[href*='/assessments/']", has_text="2024").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name=member_village).first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="填报自评").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/self/")
    assert member_village in page.content()
    block = page.locator("[id^=ind-]", has=page.locator("input[name^=count_][type=number]")).first
    count = block.locator("input[name^=count_][type=number]").first
    block.locator(".js-open[data-panel=deduct]").click()  # the block opens collapsed: 有扣分情形
    count.fill("1")
    count.blur()
    block.locator(".js-status", has_text="已保存").wait_for()
    stored = block.locator(".js-stored").inner_text()
    block_id = block.get_attribute("id")
    count_name = count.get_attribute("name")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#{block_id} input[name={count_name}]").input_value() == "1"
    assert page.locator(f"#{block_id} .js-stored").inner_text() == stored
    shot(page, "setup-6-self-assessment")
    page.context.close()

    # The result, checked in the database.
    region = Region.objects.get(name="临猗县")
    township = Township.objects.get(region=region, name="三管镇")
    assert Village.objects.filter(township=township).count() == 10
    assert not township.branches.exists()
    assert ResponsibleUnit.objects.filter(township=township).count() == len(UNITS)
    assert WorkingGroupMember.objects.filter(township=township).count() == len(GROUP)
    for year, names in PLAN.items():
        batch = CreationBatch.objects.filter(village__township=township, year=year)
        assert sorted(b.village.name for b in batch) == sorted(names)
        assert [b.village.name for b in batch.filter(is_benchmark=True)] == [names[0]]
    town_admin = User.objects.get(username="sg_jiwei")
    assert Membership.objects.filter(user=town_admin, role=Role.TOWNSHIP_REVIEWER, township=township).exists()
    for kind, name, _, _, node in _user_rows():
        user = User.objects.get(full_name=name)
        if kind == "村":
            assert Membership.objects.filter(
                user=user, role=Role.VILLAGE_COMMITTEE, village__name=node
            ).exists()
        else:
            assert Membership.objects.filter(user=user, role=Role.UNIT_STAFF, unit__name=node).exists()
    member = User.objects.get(username=member_login)
    assert not member.must_change_password
    campaign = Campaign.objects.get(township=township, year=2024)
    assert campaign.assessments.count() == 10
    assert campaign.self_deadline == today + datetime.timedelta(days=30)
    score = IndicatorScore.objects.get(
        assessment__campaign=campaign,
        assessment__village__name=member_village,
        pk=int(block_id.split("-")[1]),
    )
    assert score.self_score is not None and score.version > 1
