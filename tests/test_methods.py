"""Method discipline (issue 15): every view declares the HTTP methods it answers; the rest get 405.

Every URL pattern of the project outside the admin site is walked. A function view must be wrapped by
`require_GET` / `require_POST` / `require_http_methods` (found on the view, through any decorators
stacked on it); a class-based view must narrow `http_method_names`. Then each route is asked, by a user
who holds the view's capability, with the methods it does not declare (PUT, DELETE, PATCH, and POST to
read views): all of them must answer 405, before any object is looked up or anything is written.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import View

from access.roles import Role
from tests.factories import user_with_role

# What a declaration may hold: reading, and writing through a form. (HEAD and OPTIONS are not declared
# by the house: `require_GET` answers them 405.)
ALLOWED = {"GET", "POST"}
UNDECLARED = ("PUT", "DELETE", "PATCH")
CONVERTERS = {
    "uuid": "00000000-0000-4000-8000-000000000000",
    "int": "1",
    "str": "x",
    "slug": "submit",
    "path": "x",
}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def _concrete(route):
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTERS[m.group(1) or "str"], route)


def declared_methods(view):
    """The methods the view declares, upper case; None when it declares none."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        names = view_class.http_method_names
        if names == View.http_method_names:  # Django's default: every method
            return None
        return {n.upper() for n in names} - {"OPTIONS"}
    while view is not None:
        code = getattr(view, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]
            return {m.upper() for m in cell.cell_contents}
        view = getattr(view, "__wrapped__", None)
    return None


ROUTES = sorted(
    (route, callback)
    for route, callback in _walk(get_resolver().url_patterns)
    if not route.startswith("admin/")
)
PATHS = {_concrete(route): callback for route, callback in ROUTES}


def test_the_walk_covers_the_project():
    assert len(PATHS) > 100
    assert "/accounts/users/" in PATHS
    assert "/ledgers/rectification-files/00000000-0000-4000-8000-000000000000/" in PATHS


def test_every_view_declares_its_methods():
    undeclared = [route for route, callback in ROUTES if declared_methods(callback) is None]
    assert undeclared == []
    too_many = {route: declared_methods(cb) for route, cb in ROUTES if not declared_methods(cb) <= ALLOWED}
    assert too_many == {}


def test_the_declaration_is_found_through_decorators():
    from django.views.decorators.http import require_POST

    from access.checks import require_cap
    from access.roles import Cap

    def bare(request):
        return None

    assert declared_methods(bare) is None
    assert declared_methods(require_cap(Cap.ORG_VIEW)(bare)) is None
    assert declared_methods(require_cap(Cap.ORG_VIEW)(require_POST(bare))) == {"POST"}


def test_the_read_views_of_the_report_are_read_only():
    # /accounts/users/ and a rectification file's download accepted POST before issue 15
    assert declared_methods(PATHS["/accounts/users/"]) == {"GET"}
    assert declared_methods(PATHS["/ledgers/rectification-files/00000000-0000-4000-8000-000000000000/"]) == {
        "GET"
    }


@pytest.fixture
def admin_client():
    client = Client(raise_request_exception=False)
    client.force_login(user_with_role(Role.ADMIN, None, is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(PATHS))
def test_undeclared_methods_answer_405(admin_client, client, path):
    declared = declared_methods(PATHS[path])
    # the login page sends a logged-in user home whatever the method: it is asked without a login
    asker = client if path == "/accounts/login/" else admin_client
    methods = [*UNDECLARED, *(m for m in ("GET", "POST") if m not in declared)]
    answers = {m: asker.generic(m, path).status_code for m in methods}
    assert answers == dict.fromkeys(methods, 405), path


@pytest.mark.django_db
def test_read_views_refuse_post_for_a_user_who_sees_them(world_evidence):
    client, user_list, download = world_evidence
    assert client.get(user_list).status_code == 200
    assert client.get(download).status_code == 200
    assert client.post(user_list).status_code == 405
    assert client.post(download).status_code == 405


@pytest.fixture
def world_evidence(org):
    import hashlib

    from django.core.files.base import ContentFile
    from django.urls import reverse

    from ledgers.models import Rectification, RectificationEvidence
    from tests.assessments.conftest import PDF_BYTES

    item = Rectification.objects.create(
        township=org.town, village=org.village, source=Rectification.Source.REVIEW, problem="公开栏未更新",
        requirement="补齐", deadline="2099-01-01",
    )  # fmt: skip
    evidence = RectificationEvidence.objects.create(
        rectification=item, file=ContentFile(PDF_BYTES, name="r.pdf"), original_name="整改.pdf",
        content_type="application/pdf", size=len(PDF_BYTES), sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
    )  # fmt: skip
    client = Client()
    client.force_login(user_with_role(Role.TOWNSHIP_REVIEWER, org.town))
    return (
        client,
        reverse("accounts:user_list"),
        reverse("ledgers:rectification_evidence_download", args=[evidence.pk]),
    )


# The only rows a GET may write: the audit log's (an audited download, the access.denied row of a refusal,
# and the sealer chaining them). The route matrix checks the same on every id route for every role.
GET_MAY_WRITE = {"audit_auditevent", "audit_auditchainhead"}
WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?', re.I
)


def test_the_audit_tables_are_the_ones_named():
    from audit.models import AuditChainHead, AuditEvent

    assert {AuditEvent._meta.db_table, AuditChainHead._meta.db_table} == GET_MAY_WRITE
    assert WRITE.match('UPDATE "django_session" SET x = 1').group(1) == "django_session"
    assert WRITE.match('INSERT INTO "reports_exportjob" ("kind") VALUES (1)').group(1) == "reports_exportjob"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", sorted(p for p, cb in PATHS.items() if "GET" in (declared_methods(cb) or ()))
)
def test_a_get_writes_nothing_but_the_audit_log(admin_client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin_client.get("/healthz")  # the session's first stamp (accounts.middleware) is not the page's
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(path)
    tables = {m.group(1) for q in queries.captured_queries if (m := WRITE.match(q["sql"]))}
    assert tables - GET_MAY_WRITE == set(), path
