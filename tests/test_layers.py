"""The house's layers (STYLE.md): nothing imports upward, also not inside a function.

    config                                         top: settings and the URL map
    portal / reports / dashboards / reminders      pages that span the domain
    ledgers → assessments → indices → accounts → villages → access → audit → common

Every .py file of an app is parsed and every `import`/`from … import` anywhere in it is checked, as
are `import_module("…")` and `__import__("…")` calls with a literal name. There are no exceptions: where
a lower app needs something of a higher one, the higher one registers it from below (the home page's
cards in each app's portal.py, the supervision deduction's sources in assessments/deductions.py). The
same contract is enforced by import-linter (`[tool.importlinter]` in pyproject.toml).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["common", "audit", "access", "villages", "accounts", "indices", "assessments", "ledgers"]
TOP = {"portal", "reports", "dashboards", "reminders", "config"}
ABOVE = {app: TOP | set(ORDER[i + 1 :]) for i, app in enumerate(ORDER)}


def _imported(tree):
    """(line, module name) of every absolute import in the tree, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def upward_imports(app):
    """(file, line, module) of every import of an app above `app`."""
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imported(tree):
            if module.split(".")[0] in ABOVE[app]:
                found.append((path.relative_to(ROOT).as_posix(), line, module))
    return found


def test_the_check_sees_imports_inside_functions():
    tree = ast.parse(
        "def f():\n    from assessments.models import Campaign\n    import_module('ledgers.demo')\n"
    )
    assert list(_imported(tree)) == [(2, "assessments.models"), (3, "ledgers.demo")]


def test_accounts_imports_no_higher_app():
    """No exception: the home page and the demo that used to need them live in portal now."""
    assert upward_imports("accounts") == []


@pytest.mark.parametrize("app", ORDER)
def test_no_app_imports_upward(app):
    assert upward_imports(app) == []
