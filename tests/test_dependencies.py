"""`make run` installs only the main dependencies (`pip install -e .`): every package the app imports must be
one of them or come with one of them, not only with the dev extras the test suite installs."""

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_DIRS = [
    "access", "accounts", "assessments", "audit", "common", "config", "dashboards", "feedback", "indices",
    "ledgers", "portal", "publication", "reminders", "reports", "villages",
]  # fmt: skip
DEV_ONLY_SETTINGS = {"config/settings/test.py"}


def _name(requirement):
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(names):
    """The distributions these requirements install, with everything they require (extras included)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        # extras count only where pyproject asks for them: django-storages[s3], celery[redis]
        todo.extend(_name(r) for r in requires if "extra ==" not in r or "s3" in r or "redis" in r)
    return seen


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_every_third_party_import_of_the_app_is_a_main_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = _closure({_name(r) for r in project["dependencies"]})
    providers = metadata.packages_distributions()
    local = set(APP_DIRS) | {p.name for p in ROOT.iterdir() if p.is_dir()}
    missing = set()
    for app in APP_DIRS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel or rel in DEV_ONLY_SETTINGS:
                continue
            for module in _imports(path):
                if module in sys.stdlib_module_names or module in local or module == "__future__":
                    continue
                dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
                if not dists & installed:
                    missing.add(f"{rel}: {module} ({', '.join(sorted(dists)) or 'not installed'})")
    assert sorted(missing) == []
