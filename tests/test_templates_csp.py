"""The strict Content-Security-Policy (config/settings/base.py: style-src and script-src 'self' only) makes
a browser drop inline styles, inline scripts and event-handler attributes silently: the page still
loads, it just looks or works wrong (issue 12: the ledger's 确认扣分 inputs lost their widths and the
确认 button wrapped into 确/认). So no template may carry them; styling lives in static/css/app.css and
behaviour in static/js/.

Templates that never reach a browser (WeasyPrint PDFs, the reminder e-mail) may keep a <style> element
in their head: no CSP applies to them. They still carry no style="…" attributes.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_TOP = {".venv", "node_modules", "staticfiles", "test-artifacts", "tests", "static"}

STYLE_ATTRIBUTE = re.compile(r"""<[a-zA-Z][^<>]*?\sstyle\s*=""", re.S)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"""<[a-zA-Z][^<>]*?\son[a-z]+\s*=""", re.S)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)
# A style set from Python (a widget's attrs, format_html) ends up in the page just the same.
PY_STYLE = re.compile(r"""["']style["']\s*:|<[a-zA-Z][^<>]*\sstyle=""")

# Rendered to PDF or sent as e-mail, never served to a browser (checked below that they still exist).
NOT_SERVED = {
    "accounts/templates/accounts/import/slips.html",  # the one-time password slips (PDF)
    "reminders/templates/reminders/digest.html",  # the daily reminder e-mail
}
NOT_SERVED_DIRS = ("reports/templates/reports/pdf/", "publication/templates/publication/pdf/")


def _templates():
    for path in sorted(ROOT.rglob("*.html")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.split("/", 1)[0] in SKIP_TOP or "/templates/" not in f"/{rel}":
            continue
        yield rel, path.read_text(encoding="utf-8")


def _served(rel):
    return rel not in NOT_SERVED and not rel.startswith(NOT_SERVED_DIRS)


def _line(text, pos):
    return text.count("\n", 0, pos) + 1


def offences(rel, text):
    """Every inline style, inline script or handler in one template, as 'path:line: what'."""
    found = [(m.start(), "style attribute") for m in STYLE_ATTRIBUTE.finditer(text)]
    if _served(rel):
        found += [(m.start(), "<style> element") for m in STYLE_ELEMENT.finditer(text)]
        found += [(m.start(), "inline <script>") for m in INLINE_SCRIPT.finditer(text)]
        found += [(m.start(), "event handler attribute") for m in EVENT_HANDLER.finditer(text)]
        found += [(m.start(), "javascript: URL") for m in JS_URL.finditer(text)]
    return [f"{rel}:{_line(text, pos)}: {what}" for pos, what in sorted(found)]


def test_the_walk_finds_the_templates_of_every_app_and_the_project():
    found = {rel for rel, _ in _templates()}
    assert "templates/base.html" in found
    assert "ledgers/templates/ledgers/ledger_edit.html" in found
    assert "reports/templates/reports/pdf/_base.html" in found
    assert len(found) > 80


def test_no_template_has_an_inline_style_script_or_event_handler():
    problems = [p for rel, text in _templates() for p in offences(rel, text)]
    assert problems == []


def test_no_python_module_writes_a_style_attribute_into_a_page():
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.split("/", 1)[0] in SKIP_TOP | {"bench", "scripts"} or "/migrations/" in rel:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PY_STYLE.search(line):
                problems.append(f"{rel}:{n}: {line.strip()}")
    assert problems == []


def test_the_exempt_templates_exist_and_are_not_rendered_by_a_view():
    for rel in NOT_SERVED:
        assert (ROOT / rel).is_file(), rel
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if "/views" not in rel or rel.split("/", 1)[0] in SKIP_TOP:
            continue
        text = path.read_text(encoding="utf-8")
        for exempt in [*NOT_SERVED, *NOT_SERVED_DIRS]:
            name = exempt.split("/templates/", 1)[1]
            assert f'render(request, "{name}' not in text, (rel, name)


@pytest.mark.parametrize(
    ("snippet", "what"),
    [
        ('<input class="form-control" style="width:5rem">', "style attribute"),
        ("<td\n  style='width:8em'>", "style attribute"),
        ("<style>.x { color: red }</style>", "<style> element"),
        ("<script>alert(1)</script>", "inline <script>"),
        ('<button type="button" onclick="go()">', "event handler attribute"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
    ],
)
def test_the_scan_finds_each_kind_of_inline_code(snippet, what):
    assert offences("x/templates/x/page.html", snippet) == [f"x/templates/x/page.html:1: {what}"]


def test_the_scan_leaves_external_scripts_data_attributes_and_pdf_styles_alone():
    ok = '<script src="/static/js/ledger.js"></script><div data-style="x" class="on-top">'
    assert offences("x/templates/x/page.html", ok) == []
    assert offences("reports/templates/reports/pdf/x.html", "<style>@page { size: A4 }</style>") == []
    assert offences("reports/templates/reports/pdf/x.html", '<col style="width:5%">') == [
        "reports/templates/reports/pdf/x.html:1: style attribute"
    ]
    assert PY_STYLE.search('widget=forms.TextInput(attrs={"style": "width:5rem"})')
    assert PY_STYLE.search("""format_html('<span style="color:red">{}</span>', x)""")
    assert not PY_STYLE.search('Transition(style="outline-secondary")')
