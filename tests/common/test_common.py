"""The shared bottom package: the error hierarchy, cn_date, and that common imports no app."""

import ast
import datetime as dt
import pickle
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import override_settings

import common
from assessments.scoring import ScoreError
from assessments.services.common import WorkflowError
from common.dates import cn_date
from common.errors import ApplicationError, ConflictError, InvalidInputError, LockedError
from common.uploads import UploadError
from common.xlsx import TooManyRows, WorkbookRefused, file_problem
from dashboards.figures import BadFigure
from indices.importing import StandardImportError
from indices.models import StandardLockedError
from indices.services import StandardCopyError
from ledgers.services.ledger import LedgerError
from ledgers.services.tasks import TaskImportError
from reports.services.demonstration import DemonstrationConflict
from reports.services.errors import ExportError

APPS = {
    "accounts",
    "villages",
    "indices",
    "assessments",
    "ledgers",
    "reports",
    "reminders",
    "dashboards",
    "audit",
}


def test_common_imports_no_app():
    for path in Path(common.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & (APPS | {"config"}), path.name


def test_the_message_is_the_text():
    err = ApplicationError("不能保存。")
    assert (err.message, str(err)) == ("不能保存。", "不能保存。")


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (WorkflowError(["甲", "乙"]), ApplicationError),
        (LedgerError("台账"), ApplicationError),
        (ExportError("导出"), ApplicationError),
        (DemonstrationConflict(current=None), ConflictError),
        (StandardLockedError(type("S", (), {"name": "标准", "version": "v1"})()), LockedError),
        (TaskImportError([file_problem("缺少列")]), InvalidInputError),
        (WorkbookRefused([file_problem("不是 xlsx")]), InvalidInputError),
        (TooManyRows(), InvalidInputError),
        (StandardCopyError("版本号已存在"), InvalidInputError),
        (StandardImportError([]), InvalidInputError),
        (UploadError("文件为空。"), InvalidInputError),
        (ScoreError("请输入数字。"), InvalidInputError),
        (BadFigure("nope"), InvalidInputError),
    ],
)
def test_domain_errors_derive_from_the_common_base(error, base):
    assert isinstance(error, base)
    assert str(error) == error.message


def test_errors_that_were_value_errors_still_are():
    for error in (UploadError("x"), ScoreError("x"), BadFigure("x")):
        assert isinstance(error, ValueError)


def test_one_conflict_error_with_or_without_the_current_row():
    stale = ConflictError(current={"points": 3})
    assert stale.current == {"points": 3}
    assert str(stale) == "该内容已被他人修改，您的修改未保存。请核对最新内容后重新保存。"
    assert ConflictError("该整改事项已被他人修改，请刷新页面后重试。").current is None
    assert DemonstrationConflict(current=7).current == 7
    assert str(pickle.loads(pickle.dumps(ConflictError("已修改")))) == "已修改"


def test_workflow_error_keeps_its_problems():
    err = WorkflowError(["缺少签署", "缺少佐证"])
    assert err.problems == ["缺少签署", "缺少佐证"]
    assert err.message == "缺少签署；缺少佐证"


@override_settings(USE_TZ=True, TIME_ZONE="Asia/Shanghai")
def test_cn_date_for_documents_and_for_pages():
    aware = dt.datetime(2024, 6, 24, 17, 30, tzinfo=dt.UTC)
    assert cn_date(dt.date(2024, 6, 5)) == "2024年6月5日"
    assert cn_date(aware) == "2024年6月24日"  # documents: the date fields as given
    assert cn_date(aware, with_time=True) == "2024年6月25日 01:30"  # pages: local time
    assert cn_date(dt.datetime(2024, 6, 5, 9, 3), with_time=True) == "2024年6月5日 09:03"
    page = Template("{% load ql %}[{{ a|cn_date }}][{{ d|cn_date }}][{{ n|cn_date }}]")
    rendered = page.render(Context({"a": aware, "d": dt.date(2024, 6, 5), "n": None}))
    assert rendered == "[2024年6月25日 01:30][2024年6月5日][]"
