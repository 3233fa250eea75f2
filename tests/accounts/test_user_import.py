"""Bulk user import of a township (issue 11): the template, checking every row, all-or-nothing writes,
re-import without change, privilege per row, and the credentials slip sheet."""

import io
import subprocess
import tempfile
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from access.roles import Role
from accounts.credentials import credentials_pdf
from accounts.importing import HEADERS, SHEET, user_import_excel, user_template_bytes
from accounts.models import Membership, User
from audit.models import AuditEvent
from tests.factories import user_with_role

HEADER = list(HEADERS.values())
ROWS = [
    ["张三", "13800000001", "", "村两委成员", "东村"],
    ["张三", "13800000001", "", "党总支书记", "第一党总支"],
    ["李四", "13800000002", "lisi", "村务监督委员会成员", "西村"],
    ["王五", "13800000003", "", "责任单位工作人员", "经管站"],
    ["赵六", "13800000004", "zhaoliu", "镇领导（只读）", ""],
    ["钱七", "13800000005", "", "镇纪委审核人员", "甲镇"],
]


def sheet(rows, header=HEADER, name="users.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


@pytest.fixture
def admin(org):
    return user_with_role(Role.TOWNSHIP_REVIEWER, org.town, username="jiwei")


def counts():
    return User.objects.count(), Membership.objects.count()


def messages(result):
    return [(p.row, p.column, p.message) for p in result.problems]


def test_happy_path_creates_accounts_roles_and_one_audit_row(org, admin):
    result = user_import_excel(township=org.town, file=sheet(ROWS), actor=admin)
    assert result.ok, messages(result)
    assert (result.created, result.granted, result.unchanged) == (5, 6, 0)
    zhang = User.objects.get(username="13800000001")
    assert zhang.full_name == "张三" and zhang.phone == "13800000001" and zhang.must_change_password
    assert set(zhang.memberships.values_list("role", "village__name", "branch__name")) == {
        (Role.VILLAGE_COMMITTEE, "东村", None),
        (Role.BRANCH_SECRETARY, None, "第一党总支"),
    }
    assert Membership.objects.get(user__username="zhaoliu").township == org.town
    assert Membership.objects.get(user__username="13800000003").unit.name == "经管站"
    passwords = {a.username: a.password for a in result.accounts}
    assert set(passwords) == {"13800000001", "lisi", "13800000003", "zhaoliu", "13800000005"}
    for user in User.objects.filter(username__in=passwords):
        assert user.check_password(passwords[user.username])
        assert passwords[user.username] not in user.password
    stored = "".join(str(v) for row in User.objects.values_list() for v in row)
    stored += "".join(str(e.detail) + e.message for e in AuditEvent.objects.all())
    assert not any(p in stored for p in passwords.values())
    event = AuditEvent.objects.get(action="user.import")
    assert event.actor_id == admin.pk
    assert event.detail["counts"] == {"新建": 5, "新增授权": 6, "无变化": 0}
    assert AuditEvent.objects.filter(action="user.create").count() == 5
    assert AuditEvent.objects.filter(action="membership.grant").count() == 6


def test_reimporting_the_same_sheet_changes_nothing(org, admin):
    user_import_excel(township=org.town, file=sheet(ROWS), actor=admin)
    before = counts(), list(User.objects.values_list("password", flat=True).order_by("pk"))
    result = user_import_excel(township=org.town, file=sheet(ROWS), actor=admin)
    assert result.ok
    assert (result.created, result.granted, result.unchanged) == (0, 0, 6)
    assert result.accounts == []
    assert (counts(), list(User.objects.values_list("password", flat=True).order_by("pk"))) == before


def test_existing_user_of_the_township_gets_only_the_missing_role(org, admin):
    user_import_excel(township=org.town, file=sheet(ROWS[:1]), actor=admin)
    result = user_import_excel(township=org.town, file=sheet(ROWS[:2]), actor=admin)
    assert (result.created, result.granted, result.unchanged) == (0, 1, 1)
    assert User.objects.filter(phone="13800000001").count() == 1


def refused(org, admin, rows, **kwargs):
    before = counts()
    result = user_import_excel(township=org.town, file=sheet(rows, **kwargs), actor=admin)
    assert not result.ok
    assert counts() == before
    assert not AuditEvent.objects.filter(action="user.create").exists()
    assert AuditEvent.objects.get(action="user.import").result == "failure"
    return messages(result)


def test_wrong_headers_are_refused(org, admin):
    header = ["姓名", "电话", "登录名（可选）", "角色", "所属村（社区）/党总支/责任单位"]
    assert refused(org, admin, ROWS, header=header) == [(1, "手机号", "缺少表头“手机号”（应在第 1 行）。")]


def test_row_problems_are_all_reported_and_nothing_is_written(org, admin):
    rows = [
        *ROWS,
        ["孙八", "13900000001", "lisi", "村两委成员", "东村"],  # login of 李四 (row 4)
        ["周九", "1390000000", "", "村两委成员", "不存在村"],
        ["吴十", "13900000003", "", "党总支书记", "东村"],  # a village, not a branch
        ["郑一", "13900000004", "", "村两委成员", "北村"],  # 乙镇's village
        ["", "13900000005", "", "镇领导（只读）", ""],
        ["王二", "13900000006", "", "市清廉村居办", ""],
    ]
    assert refused(org, admin, rows) == [
        (8, "登录名（可选）", "登录名“lisi”与第 4 行重复。"),
        (9, "手机号", "手机号“1390000000”格式不正确：须为 11 位数字，以 1 开头。"),
        (9, "所属村（社区）/党总支/责任单位", "甲镇没有名为“不存在村”的村（社区）。"),
        (10, "所属村（社区）/党总支/责任单位", "“东村”是村（社区），“党总支书记”须填写所属党总支。"),
        (11, "所属村（社区）/党总支/责任单位", "甲镇没有名为“北村”的村（社区）。"),
        (12, "姓名", "不能为空。"),
        (13, "角色", "“市清廉村居办”只能由系统管理员授予。"),
    ]


def test_a_phone_of_another_townships_user_is_refused(org, admin):
    user_with_role(Role.VILLAGE_COMMITTEE, org.foreign, username="beicun", phone="13800000002")
    assert refused(org, admin, ROWS) == [
        (4, "手机号", "手机号“13800000002”已被其他镇街（或未分配角色）的账号使用。")
    ]


def test_more_than_5000_rows_are_refused(org, admin):
    rows = [[f"人{i}", f"13{i:09d}", "", "村两委成员", "东村"] for i in range(5001)]
    assert refused(org, admin, rows) == [(None, "", "数据行超过 5000 行，请拆分后导入。")]


def test_corrupt_and_macro_files_are_refused(org, admin):
    result = user_import_excel(
        township=org.town, file=SimpleUploadedFile("users.xlsx", b"PK\x03\x04 not a zip"), actor=admin
    )
    assert "文件已损坏或不是 xlsx 格式" in result.problems[0].message
    data = sheet(ROWS).read()
    result = user_import_excel(township=org.town, file=SimpleUploadedFile("users.xlsm", data), actor=admin)
    assert "不接受启用宏的工作簿" in result.problems[0].message
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"macro")
    renamed = SimpleUploadedFile("users.xlsx", buffer.getvalue())
    result = user_import_excel(township=org.town, file=renamed, actor=admin)
    assert "不接受启用宏的工作簿" in result.problems[0].message
    assert counts() == (1, 1)


def test_a_township_admin_cannot_open_another_townships_import(client, org, admin):
    client.force_login(admin)
    assert client.get(f"/accounts/users/import/{org.other_town.pk}/").status_code == 404
    response = client.post(f"/accounts/users/import/{org.other_town.pk}/", {"file": sheet(ROWS)})
    assert response.status_code == 404
    assert client.get(f"/accounts/users/import/{org.other_town.pk}/template/").status_code == 404
    assert counts() == (1, 1)
    assert client.get("/accounts/users/import/").url == f"/accounts/users/import/{org.town.pk}/"


def test_a_village_member_cannot_import(client, org):
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, org.village))
    assert client.get("/accounts/users/import/").status_code == 404
    assert client.get(f"/accounts/users/import/{org.town.pk}/").status_code == 404


def pdf_text(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, check=True
        ).stdout.decode()


def test_upload_page_answers_with_the_slip_sheet_whose_password_logs_in(client, org, admin):
    client.force_login(admin)
    response = client.post(f"/accounts/users/import/{org.town.pk}/", {"file": sheet(ROWS[2:3])})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = pdf_text(response.content)
    assert "李四" in text and "lisi" in text and "用登录名或手机号登录，首次登录须修改密码" in text
    password = next(
        line.split("一次性密码")[1].strip()
        for line in text.splitlines()
        if "一次性密码" in line and "-" in line
    )
    client.logout()
    login = client.post("/accounts/login/", {"username": "lisi", "password": password})
    assert login.status_code == 302
    assert client.session.get("_auth_user_id") == str(User.objects.get(username="lisi").pk)


def test_upload_page_lists_every_problem(client, org, admin):
    client.force_login(admin)
    rows = [["张三", "13800000001", "", "村两委成员", "北村"]]
    page = client.post(f"/accounts/users/import/{org.town.pk}/", {"file": sheet(rows)}).content.decode()
    assert "甲镇没有名为“北村”的村（社区）。" in page and "未导入任何数据" in page
    assert counts() == (1, 1)


def test_slip_sheet_holds_several_slips(org):
    from accounts.importing import NewAccount

    accounts = [
        NewAccount(f"用户{i}", f"u{i}", f"Abcd-efgh-{i:04d}", ["东村（村两委成员）"]) for i in range(9)
    ]
    text = pdf_text(credentials_pdf(township=org.town, accounts=accounts))
    assert all(f"u{i}" in text and f"Abcd-efgh-{i:04d}" in text for i in range(9))
    assert "一次性密码只显示这一次" in text


def test_template_has_headers_drop_downs_and_help(client, org, admin):
    client.force_login(admin)
    response = client.get(f"/accounts/users/import/{org.town.pk}/template/")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb[SHEET]
    assert [c.value for c in ws[1]] == HEADER
    assert ws.freeze_panes == "A2"
    formulas = sorted(dv.formula1 for dv in ws.data_validations.dataValidation)
    assert formulas == ["=选项!$A$2:$A$7", "=选项!$B$2:$B$9"]
    lists = wb["选项"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(i, 1).value for i in range(2, 8)] == [
        "村两委成员", "村务监督委员会成员", "党总支书记", "责任单位工作人员", "镇纪委审核人员", "镇领导（只读）"
    ]  # fmt: skip
    assert [lists.cell(i, 2).value for i in range(2, 10)] == [
        "甲镇", "东村", "南村", "西村", "第一党总支", "第二党总支", "民政科", "经管站"
    ]  # fmt: skip
    assert "说明" in wb.sheetnames
    assert user_template_bytes(org.town)[:2] == b"PK"


def test_the_city_office_imports_into_a_township_of_its_region(org):
    city = user_with_role(Role.CITY_OFFICE, org.city)
    result = user_import_excel(
        township=org.other_town, file=sheet([["孙八", "13900000001", "", "村两委成员", "北村"]]), actor=city
    )
    assert result.ok and result.created == 1
    assert Membership.objects.get(user__username="13900000001").village == org.foreign


def test_an_administrator_cannot_change_their_own_roles_or_name_a_township_role_elsewhere(org, admin):
    admin.phone = "13800000009"
    admin.save()
    rows = [
        ["管理员", "13800000009", "jiwei", "镇领导（只读）", ""],
        ["赵六", "13800000004", "", "镇领导（只读）", "乙镇"],
    ]
    assert refused(org, admin, rows) == [
        (2, "角色", "不能修改自己的角色授权。"),
        (
            3,
            "所属村（社区）/党总支/责任单位",
            "“镇领导（只读）”属于镇街，此列可不填或填“甲镇”，而不是“乙镇”。",
        ),
    ]


def test_a_conflict_while_writing_rolls_everything_back(org, admin, monkeypatch):
    from django.core.exceptions import ValidationError

    from accounts import importing

    real = importing.user_create

    def flaky(**kwargs):
        if kwargs["username"] == "lisi":
            raise ValidationError("具有 用户名 的 用户 已存在。")
        return real(**kwargs)

    monkeypatch.setattr(importing, "user_create", flaky)
    result = user_import_excel(township=org.town, file=sheet(ROWS), actor=admin)
    assert messages(result) == [
        (None, "", "写入时与其他修改冲突，未导入任何数据，请重新导入。（具有 用户名 的 用户 已存在。）")
    ]
    assert result.accounts == [] and result.created == 0
    assert counts() == (1, 1)
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_an_imported_account_also_logs_in_with_its_phone_number(client, org, admin):
    result = user_import_excel(township=org.town, file=sheet(ROWS[2:3]), actor=admin)
    password = result.accounts[0].password
    response = client.post("/accounts/login/", {"username": "13800000002", "password": password})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(User.objects.get(username="lisi").pk)


def test_a_phone_number_cannot_be_shared_by_two_active_accounts_so_phone_login_is_unambiguous(
    client, org, admin
):
    from django.db import IntegrityError, transaction

    from tests.factories import TEST_PASSWORD, UserFactory

    UserFactory(username="a1", phone="13700000000")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="a2", phone="13700000000")
    # A disabled account may keep the number; the phone then opens the one active account only.
    UserFactory(username="a3", phone="13700000000", is_active=False)
    response = client.post("/accounts/login/", {"username": "13700000000", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="a1").pk)


def test_checking_a_sheet_takes_the_same_queries_for_20_or_400_rows(org, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rows(n):
        return [[f"人{i}", f"137{i:08d}", "", "村两委成员", "东村" if i % 2 else "无此村"] for i in range(n)]

    done = []
    user_import_excel(township=org.town, file=sheet(rows(2)), actor=admin)  # warm caches (content types…)
    for n in (20, 400):
        with CaptureQueriesContext(connection) as queries:
            result = user_import_excel(township=org.town, file=sheet(rows(n)), actor=admin)
        assert len(result.problems) == n // 2
        done.append(len(queries))
    assert done[0] == done[1] <= 20


def test_encrypted_and_oversized_files_are_refused(org, admin, settings):
    encrypted = SimpleUploadedFile("users.xlsx", b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    result = user_import_excel(township=org.town, file=encrypted, actor=admin)
    assert messages(result) == [
        (None, "", "文件已加密或不是 xlsx 格式，请取消密码保护并另存为“Excel 工作簿（*.xlsx）”后再导入。")
    ]
    settings.QL_IMPORT_MAX_BYTES = 1000
    result = user_import_excel(township=org.town, file=sheet(ROWS), actor=admin)
    assert messages(result) == [(None, "", "文件大小超过上限（1000 字节）。")]
    assert counts() == (1, 1)


def test_the_city_office_chooses_among_the_townships_of_its_region(client, org):
    client.force_login(user_with_role(Role.CITY_OFFICE, org.city))
    page = client.get("/accounts/users/import/").content.decode()
    assert f"/accounts/users/import/{org.town.pk}/" in page
    assert f"/accounts/users/import/{org.other_town.pk}/" in page
    assert f"/accounts/users/import/{org.far_town.pk}/" not in page
    upload = client.get(f"/accounts/users/import/{org.town.pk}/").content.decode()
    assert "一次性密码只显示一次" in upload
    assert client.get(f"/accounts/users/import/{org.far_town.pk}/").status_code == 404


def test_a_failing_slip_sheet_names_the_accounts_to_reset(client, org, admin, monkeypatch):
    def broken(**kwargs):
        raise OSError("no fonts")

    monkeypatch.setattr("accounts.views_import.credentials_pdf", broken)
    client.force_login(admin)
    response = client.post(f"/accounts/users/import/{org.town.pk}/", {"file": sheet(ROWS[2:3])}, follow=True)
    page = response.content.decode()
    assert "账号通知单生成失败" in page and "请为以下新账号重设密码：lisi。" in page
    assert User.objects.filter(username="lisi").exists()
