"""reports.tasks wraps the services; the services never import it (not even inside a function)."""

import ast
from pathlib import Path

import reports.services
from reports import tasks
from reports.services import jobs


def _imported_modules(path, package):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module) if p)
            yield module
            yield from (f"{module}.{a.name}" for a in node.names)


def test_the_services_do_not_import_the_task_module():
    folder = Path(reports.services.__file__).parent
    for path in folder.glob("*.py"):
        imported = set(_imported_modules(path, "reports.services"))
        assert not {m for m in imported if m == "reports.tasks" or m.startswith("reports.tasks.")}, path.name


def test_the_app_hands_its_build_task_to_the_services():
    assert jobs._build_task is tasks.export_build
