"""The house's layers (STYLE.md): nothing imports upward, also not inside a function.

    portal / reports / dashboards / reminders      top: pages that span the domain
    ledgers → assessments → indices → accounts → villages → access / audit / common

Every .py file of an app is parsed and every `import`/`from … import` anywhere in it is checked, as
are `import_module("…")` and `__import__("…")` calls with a literal name.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["audit", "villages", "accounts", "indices", "assessments", "ledgers"]
TOP = {"portal", "reports", "dashboards", "reminders"}
ABOVE = {app: TOP | set(ORDER[i + 1 :]) for i, app in enumerate(ORDER)}

# Upward imports still left, as (file, imported app). villages and audit read the role tables and the
# scope from accounts until the central access module takes them over; assessments' totals read the
# confirmed ledger problems; ledgers' two Excel downloads use the workbook builders of reports.
KNOWN = {
    ("audit/selectors.py", "accounts"),
    ("audit/selectors.py", "villages"),
    ("audit/views.py", "accounts"),
    ("villages/permissions.py", "accounts"),
    ("villages/selectors.py", "accounts"),
    ("villages/views.py", "accounts"),
    ("assessments/services/totals.py", "ledgers"),
    ("ledgers/views/ledger.py", "reports"),
    ("ledgers/views/rectification.py", "reports"),
}


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
def test_no_app_imports_upward_beyond_the_known_leftovers(app):
    assert [f for f in upward_imports(app) if (f[0], f[2].split(".")[0]) not in KNOWN] == []
