"""Every route with an object id × every role, generated from the access table (SECURITY.md AC-1..AC-3).

One world is built once for the module (see `World`): the user's OWN part of the tree (东村 of 甲镇 in
甲市, its 党总支, the unit 经管站), a SIBLING part inside the same township (西村, 民政科, 第二党总支), a
NEIGHBOUR township of the same city (乙镇: 北村) and a FOREIGN part (丙镇 of 乙市: 远村), each with one
object of every kind an id route takes. Each role of `access.table.CAPS` is held at its own node
(`access.roles.ROLE_NODE`) and asks every id route, GET and POST with an empty body (no CSRF checks):

* MISSING ids answer 404, or 405 where the method is not allowed at all, for every role;
* objects the role does not reach answer exactly like missing ids (never 200, a redirect, 403 or 500).
  Whether it reaches them follows the table's rule: a role reaches the node it is held at and everything
  below it (`LEVEL`), and the administrator everything; so the FOREIGN part is out of reach of every
  other role, the NEIGHBOUR part of every role held below the city, and the SIBLING's village-level rows
  of the village, the unit and the other branch;
* on routes with two ids, an own parent with another part's child (or the other way round) answers like
  the own parent with a missing child;
* objects the role reaches, on a view guarded by `require_cap(cap)`, answer like missing ids when the
  role's row of CAPS lacks `cap`; otherwise they only must not fail (the page tests check the answer).
* every 404 wrote exactly one `access.denied` audit row, and a 200, redirect or 405 none (issue 15);
* no GET writes anything but the audit log (an audited download, a refusal's row and their sealing).

`ROUTE_IDS` says how each route's ids are filled from the world; a route with an id that it does not
cover fails `test_every_route_with_an_id_is_in_the_matrix`, so no new route escapes the matrix.
"""

import datetime
import hashlib
import io
import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from access.roles import ANONYMOUS, ROLE_NODE, Role
from access.table import CAPS
from assessments.models import Assessment
from assessments.services.campaigns import campaign_create
from audit.models import AuditChainHead, AuditEvent
from feedback.models import Feedback
from indices.services import standard_import
from ledgers.models import (
    LedgerEntry,
    LedgerSubmission,
    PlanSubTask,
    PlanTask,
    Rectification,
    RectificationEvidence,
    TaskProgress,
    TaskProgressEvidence,
)
from reports.models import ExportJob
from tests.assessments.conftest import PDF_BYTES, SAMPLE
from tests.conftest import make_org
from tests.factories import BranchFactory, UnitFactory, user_with_role
from tests.reports.conftest import add_bonus
from villages.models import ResponsibleUnit

YEAR, MONTH = 2024, 4
ROLES = [r for r in CAPS if r != ANONYMOUS]

# Path parameters that are not object ids, with the value every request uses.
NOT_IDS = {"year": YEAR, "month": MONTH, "action": "submit", "kind": "grade_roster_xlsx", "doc": "score.xlsx"}

# route name -> {id parameter: the world object it takes}
ROUTE_IDS = {
    "accounts:user_detail": {"pk": "user"},
    "user_import:upload": {"pk": "township"},
    "user_import:template": {"pk": "township"},
    "accounts:user_edit": {"pk": "user"},
    "accounts:user_active": {"pk": "user"},
    "accounts:user_password_reset": {"pk": "user"},
    "accounts:user_grant": {"pk": "user"},
    "accounts:membership_revoke": {"pk": "membership"},
    "villages:township_detail": {"pk": "township"},
    "villages:township_import": {"pk": "township"},
    "villages:township_export": {"pk": "township"},
    "villages:township_template": {"pk": "township"},
    "villages:township_settings": {"pk": "township"},
    "villages:township_plan": {"pk": "township"},
    "villages:village_detail": {"pk": "village"},
    "villages:unit_detail": {"pk": "unit"},
    "indices:standard_detail": {"pk": "standard"},
    "indices:standard_edit": {"pk": "standard"},
    "indices:standard_copy": {"pk": "standard"},
    "indices:standard_export": {"pk": "standard"},
    "indices:standard_replace": {"pk": "standard"},
    "assessments:campaign_detail": {"pk": "campaign"},
    "assessments:campaign_edit": {"pk": "campaign"},
    "assessments:batch_results": {"township_pk": "township"},
    "assessments:branch_board": {"pk": "campaign", "branch_pk": "branch"},
    "assessments:branch_forward": {"pk": "campaign", "branch_pk": "branch"},
    "assessments:assessment_reopen": {"pk": "assessment"},
    "assessments:assessment_detail": {"pk": "assessment"},
    "assessments:self_edit": {"pk": "assessment"},
    "assessments:self_score_save": {"pk": "assessment", "score_pk": "score"},
    "assessments:self_bonus_save": {"pk": "assessment"},
    "assessments:self_veto_save": {"pk": "assessment", "check_pk": "check"},
    "assessments:self_form_save": {"pk": "assessment"},
    "assessments:self_signoff": {"pk": "assessment"},
    "assessments:evidence_upload": {"pk": "assessment"},
    "assessments:evidence_download": {"evidence_pk": "evidence"},
    "assessments:evidence_delete": {"evidence_pk": "evidence"},
    "assessments:transition": {"pk": "assessment"},
    "assessments:review_edit": {"pk": "assessment"},
    "assessments:review_score_save": {"pk": "assessment", "score_pk": "score"},
    "assessments:review_accept_remaining": {"pk": "assessment"},
    "assessments:review_computed_fill": {"pk": "assessment"},
    "assessments:review_computed_restore": {"pk": "assessment", "score_pk": "score"},
    "assessments:review_bonus_save": {"pk": "assessment", "claim_pk": "claim"},
    "assessments:review_veto_save": {"pk": "assessment", "check_pk": "check"},
    "assessments:review_veto_clear_all": {"pk": "assessment"},
    "assessments:grading_board": {"pk": "campaign"},
    "assessments:grade_override": {"pk": "assessment"},
    "assessments:confirm_grades": {"pk": "campaign"},
    "assessments:city_decide": {"pk": "assessment"},
    "assessments:veto_event_create": {"pk": "assessment"},
    "assessments:village_history": {"village_pk": "village"},
    "reports:village_record": {"village_pk": "village"},
    "reports:village_record_export": {"village_pk": "village"},
    "ledgers:ledger_edit": {"unit_pk": "unit"},
    "ledgers:ledger_template": {"unit_pk": "unit"},
    "ledgers:ledger_upload": {"unit_pk": "unit"},
    "ledgers:ledger_submit": {"unit_pk": "unit"},
    "ledgers:entry_confirm": {"pk": "entry"},
    "ledgers:entry_rectify": {"pk": "entry"},
    "ledgers:rectification_detail": {"pk": "rectification"},
    "ledgers:rectification_respond": {"pk": "rectification"},
    "ledgers:rectification_verify": {"pk": "rectification"},
    "ledgers:rectification_evidence_upload": {"pk": "rectification"},
    "ledgers:rectification_evidence_download": {"evidence_pk": "rectification_evidence"},
    "ledgers:task_detail": {"pk": "task"},
    "ledgers:task_progress": {"pk": "task"},
    "ledgers:task_edit": {"pk": "task"},
    "ledgers:task_close": {"pk": "task"},
    "ledgers:task_reopen": {"pk": "task"},
    "ledgers:subtask_progress": {"pk": "subtask"},
    "ledgers:task_evidence_download": {"evidence_pk": "task_evidence"},
    "reports:center": {"campaign_pk": "campaign"},
    "publication:manage": {"pk": "campaign"},
    "publication:publish": {"pk": "campaign"},
    "publication:withdraw": {"pk": "campaign"},
    "publication:township_posters": {"pk": "campaign"},
    # public pages: an unpublished world answers 404 to everybody (their keys are not ids, see tests/publication)
    "publication:public_township": {"township_key": "township"},
    "publication:public_village": {"village_key": "village"},
    "publication:public_village_poster": {"village_key": "village"},
    "feedback:public_submit": {"village_key": "village"},
    "reports:export_create": {"campaign_pk": "campaign"},
    "reports:job_status": {"pk": "job"},
    "reports:job_download": {"pk": "job"},
    "reports:job_retry": {"pk": "job"},
    "reports:demonstration_edit": {"pk": "assessment"},
    "reports:year_summary": {"township_pk": "township"},
    "reports:year_summary_export": {"township_pk": "township"},
    "reports:assessment_document": {"pk": "assessment"},
    "dashboards:township_go": {"pk": "township"},
    "dashboards:township": {"pk": "township"},
    "dashboards:township_list": {"pk": "township"},
    "dashboards:township_list_export": {"pk": "township"},
    "dashboards:city_go": {"pk": "region"},
    "dashboards:city": {"pk": "region"},
    "feedback:detail": {"pk": "feedback"},
    "feedback:answer": {"pk": "feedback"},
    "feedback:dismiss": {"pk": "feedback"},
    "feedback:rectify": {"pk": "feedback"},
}

MISSING_INT = 999_999
MISSING_UUID = uuid.UUID("00000000-0000-4000-8000-000000000000")
UUID_OBJECTS = {"evidence", "rectification_evidence", "task_evidence"}


# ---- the routes -------------------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace="", params=()):
    for p in patterns:
        found = (*params, *p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns, found)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name or prefix + str(p.pattern)
            yield prefix + str(p.pattern), name, p.callback, frozenset(found)


def _id_routes():
    """{name: (callback, id parameters, other parameters)} for every route outside the admin site with an
    id."""
    routes = {}
    for route, name, callback, params in _walk(get_resolver().url_patterns):
        if route.startswith("admin/") or name.startswith("admin:"):
            continue
        ids = params - set(NOT_IDS)
        if ids:
            routes[name] = (callback, ids, params - ids)
    return routes


ID_ROUTES = _id_routes()


def _cap_of(view):
    """The capability of `require_cap` on the view, through any decorators stacked on it."""
    while view is not None:
        cap = getattr(view, "ql_cap", None)
        if cap is not None:
            return cap
        view = getattr(view, "__wrapped__", None)
    return None


def test_every_route_with_an_id_is_in_the_matrix():
    assert {name: ids for name, (_, ids, _) in ID_ROUTES.items()} == {
        name: set(ids) for name, ids in ROUTE_IDS.items()
    }


def test_the_walk_finds_the_id_routes_and_their_capabilities():
    assert len(ID_ROUTES) > 60
    assert ID_ROUTES["assessments:review_bonus_save"][1] == {"pk", "claim_pk"}
    assert ID_ROUTES["ledgers:ledger_edit"][1] == {"unit_pk"}
    assert _cap_of(ID_ROUTES["ledgers:ledger_upload"][0]) == "ledger.submit"
    assert _cap_of(ID_ROUTES["indices:standard_replace"][0]) == "standards.manage"
    assert _cap_of(ID_ROUTES["assessments:review_edit"][0]) is None


# ---- the world --------------------------------------------------------------------------------------

# How far up the tree an object of each kind is reached from (access.table, CAPS): a village-level row
# from its village, its 党总支, a unit supervising the village, its township or its region; a unit-level
# row from the unit, its township or region; a township-level row (campaigns, tasks, standards, export
# jobs) from any node inside the township or from its region; a region from any node inside it.
LEVEL = {
    "region": "region",
    "township": "township",
    "standard": "township",
    "campaign": "township",
    "task": "township",
    "task_evidence": "township",
    "job": "township",
    "branch": "branch",
    "unit": "unit",
    "entry": "unit",
}  # every other kind: "village"


def _township_rows(nodes, villages, version):
    town = nodes["township"]
    sample = SAMPLE.read_bytes().replace(b'version: "2024-draft-1"', f'version: "{version}"'.encode())
    standard = standard_import(source=io.BytesIO(sample), fmt="yaml", actor=None, year=YEAR, township=town)
    today = datetime.date.today()
    campaign = campaign_create(
        actor=None,
        township=town,
        year=YEAR,
        standard=standard,
        villages=villages,
        self_deadline=today + datetime.timedelta(days=10),
        submission_deadline=today + datetime.timedelta(days=15),
        city_deadline=today + datetime.timedelta(days=25),
    )
    task = PlanTask.objects.create(township=town, year=YEAR, number=1, key_point="三务公开", task="按月公开")
    task.units.set([nodes["unit"]])
    progress = TaskProgress.objects.create(
        task=task,
        unit=nodes["unit"],
        year=YEAR,
        month=MONTH,
        text="已公开",
        status=PlanTask.Status.IN_PROGRESS,
    )
    task_evidence = TaskProgressEvidence.objects.create(
        progress=progress,
        file=ContentFile(PDF_BYTES, name="t.pdf"),
        original_name="公开栏照片.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
    )
    job = ExportJob.objects.create(
        kind=ExportJob.Kind.GRADE_ROSTER_XLSX,
        township=town,
        campaign=campaign,
        year=YEAR,
        status=ExportJob.Status.DONE,
        progress=100,
        file=ContentFile(b"PK\x03\x04 roster", name="roster.xlsx"),
        filename="定级名册.xlsx",
    )
    return {
        "standard": standard,
        "campaign": campaign,
        "task": task,
        "task_evidence": task_evidence,
        "job": job,
    }


def _village_rows(nodes, campaign):
    village, unit = nodes["village"], nodes["unit"]
    assessment = campaign.assessments.get(village=village)
    # a 示范村 candidate, so that its 示范村申请表 pages open too
    Assessment.objects.filter(pk=assessment.pk).update(city_candidate=True)
    assessment.refresh_from_db()
    claim, evidence = add_bonus(assessment)
    submission = LedgerSubmission.objects.create(unit=unit, year=YEAR, month=MONTH, filled_by_name="王五")
    entry = LedgerEntry.objects.create(
        submission=submission, seq=1, village=village, category=LedgerEntry.Category.SANZI,
        method=LedgerEntry.Method.ROUTINE, checked_on=datetime.date(YEAR, MONTH, 10), checker="检查组",
        finding="合同未经村民代表会议", level=LedgerEntry.Level.GENERAL, proposed_deduction=1,
        requirement="补办审议程序", owner="村会计", deadline=datetime.date(YEAR, MONTH + 1, 10),
    )  # fmt: skip
    rectification = Rectification.objects.create(
        township=nodes["township"],
        village=village,
        source=Rectification.Source.REVIEW,
        problem="三务公开栏未按月更新",
        requirement="补齐公开内容",
        deadline=datetime.date.today() + datetime.timedelta(days=30),
    )
    rectification_evidence = RectificationEvidence.objects.create(
        rectification=rectification,
        file=ContentFile(PDF_BYTES, name="r.pdf"),
        original_name="整改照片.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
    )
    user = user_with_role(Role.VILLAGE_COMMITTEE, village)
    subtask = PlanSubTask.objects.create(
        task=PlanTask.objects.get(township=nodes["township"], year=YEAR, number=1), village=village
    )
    feedback = Feedback.objects.create(
        village=village,
        township=nodes["township"],
        category="problem",
        text="公开栏没有更新",
        client_hash="x",
    )
    return {
        "feedback": feedback,
        "user": user,
        "membership": user.memberships.get(),
        "assessment": assessment,
        "score": assessment.scores.order_by("pk").first(),
        "check": assessment.veto_checks.order_by("pk").first(),
        "claim": claim,
        "evidence": evidence,
        "entry": entry,
        "rectification": rectification,
        "rectification_evidence": rectification_evidence,
        "subtask": subtask,
    }


def _reached_from(nodes):
    """{level: the nodes a role may be held at to reach a row of that level of the part}."""
    town, region = nodes["township"], nodes["region"]
    above = {town, region}
    inside_town = {*town.villages.all(), *town.branches.all(), *town.units.all(), town}
    inside_region = {node for t in region.townships.all() for node in (*t.villages.all(), *t.branches.all())}
    inside_region |= {*ResponsibleUnit.objects.filter(township__region=region), *region.townships.all()}
    village = nodes["village"]
    return {
        "village": {village, village.branch, *village.units.all(), *above},
        "branch": {nodes["branch"], *above},
        "unit": {nodes["unit"], *above},
        "township": inside_town | above,
        "region": inside_region | {region},
    }


class World:
    """Four parts, each with one object of every kind an id route takes:

    * OWN: 东村 of 甲镇 (甲市), its 第一党总支, the unit 经管站 supervising it; every role is held here;
    * SIBLING: 西村, also of 第一党总支 in 甲镇 but supervised by 民政科, and 甲镇's 第二党总支 (its
      township-level rows are the own ones: one campaign, one task list per township and year);
    * NEIGHBOUR: 北村 of 乙镇, another township of 甲市;
    * FOREIGN: 远村 of 丙镇 in 乙市.
    """

    def __init__(self):
        org = make_org()
        for town, village in ((org.other_town, org.foreign), (org.far_town, org.far)):
            # 乙镇 and 丙镇 get a branch and a responsible unit like 甲镇's
            village.branch = BranchFactory(township=town, name=f"{town.name}党总支")
            village.save(update_fields=["branch"])
            UnitFactory(township=town, name=f"{town.name}农办").villages.set([village])
        nodes = {
            "own": (org.village, org.unit),
            "sibling": (org.sibling, org.other_unit),
            "neighbour": (org.foreign, org.foreign.units.get()),
            "foreign": (org.far, org.far.units.get()),
        }
        nodes = {
            part: {
                "village": village,
                "branch": village.branch,
                "unit": unit,
                "township": village.township,
                "region": village.township.region,
            }
            for part, (village, unit) in nodes.items()
        }
        # the sibling's party-branch object is the other branch of 甲镇 (西村 itself is in the own one)
        nodes["sibling"]["branch"] = org.other_branch
        self.users = {
            role: user_with_role(role, nodes["own"].get(ROLE_NODE[role]), is_staff=role == Role.ADMIN)
            for role in ROLES
        }
        own_rows = _township_rows(nodes["own"], [org.village, org.sibling], "2024-own")
        self.parts = {
            "own": nodes["own"] | own_rows | _village_rows(nodes["own"], own_rows["campaign"]),
            "sibling": nodes["sibling"] | own_rows | _village_rows(nodes["sibling"], own_rows["campaign"]),
        }
        for part in ("neighbour", "foreign"):
            rows = _township_rows(nodes[part], [nodes[part]["village"]], f"2024-{part}")
            self.parts[part] = nodes[part] | rows | _village_rows(nodes[part], rows["campaign"])
        self.reached_from = {part: _reached_from(nodes[part]) for part in self.parts}

    def reaches(self, role, part, kinds):
        """Whether the role, held at its own node, reaches the part's objects of these kinds."""
        kind = ROLE_NODE[role]
        if kind is None:
            return True
        held = self.parts["own"][kind]
        return all(held in self.reached_from[part][LEVEL.get(k, "village")] for k in kinds)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end; each test runs in a
    savepoint of it (the `db` fixture), so what one request writes never reaches the next test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield World()
        transaction.set_rollback(True)


# ---- the matrix -------------------------------------------------------------------------------------

# Pages that list the rows behind one figure need the figure, or they answer 404 whoever asks.
QUERIES = {
    "dashboards:township_list": "?figure=progress",
    "dashboards:township_list_export": "?figure=progress",
}

# Sanity of the world: pages each role opens on its own objects (and the administrator on the foreign
# ones), so that a world broken into 404s everywhere cannot pass the matrix unnoticed.
OPENS = {
    Role.VILLAGE_COMMITTEE: {
        "assessments:assessment_detail",
        "assessments:self_edit",
        "assessments:evidence_download",
        "assessments:village_history",
        "reports:village_record",
        "ledgers:rectification_detail",
        "ledgers:rectification_evidence_download",
        "ledgers:subtask_progress",
        "indices:standard_detail",
        "reports:assessment_document",
        "villages:village_detail",
    },
    Role.BRANCH_SECRETARY: {"assessments:branch_board"},
    Role.UNIT_STAFF: {
        "ledgers:ledger_edit",
        "ledgers:ledger_template",
        "ledgers:task_detail",
        "ledgers:task_evidence_download",
    },
    Role.TOWNSHIP_REVIEWER: {
        "accounts:user_detail",
        "assessments:batch_results",
        "accounts:user_edit",
        "accounts:user_grant",
        "assessments:campaign_edit",
        "assessments:grading_board",
        "assessments:review_edit",
        "dashboards:township",
        "dashboards:township_list",
        "indices:standard_edit",
        "reports:center",
        "reports:demonstration_edit",
        "reports:job_download",
        "reports:job_status",
        "reports:year_summary",
        "villages:township_import",
        "villages:township_plan",
        "villages:township_settings",
        "villages:unit_detail",
        "ledgers:task_edit",
    },
    Role.CITY_OFFICE: {"dashboards:city", "accounts:user_grant"},
    Role.ADMIN: {
        "accounts:user_detail",
        "accounts:user_grant",
        "assessments:assessment_detail",
        "assessments:campaign_detail",
        "assessments:evidence_download",
        "ledgers:ledger_edit",
        "ledgers:rectification_evidence_download",
        "ledgers:task_detail",
        "reports:job_download",
        "villages:township_detail",
    },
}


def _id(part, kind):
    if part is None:
        return MISSING_UUID if kind in UUID_OBJECTS else MISSING_INT
    return part[kind].pk


class Variant:
    def __init__(self, url, part, kinds, mixed_with=None):
        self.url, self.part, self.kinds, self.mixed_with = url, part, kinds, mixed_with


def _variants(world, name):
    """{label: Variant}: the ids of the route all taken from one part, or all missing; on routes with
    several ids, also each id in turn taken from another part or missing while the others stay own."""
    wanted = ROUTE_IDS[name]
    other = {p: NOT_IDS[p] for p in ID_ROUTES[name][2]}
    query = QUERIES.get(name, "")
    own = world.parts["own"]

    def url(pick):
        return reverse(name, kwargs=other | {p: _id(pick(p), kind) for p, kind in wanted.items()}) + query

    variants = {"missing": Variant(url(lambda p: None), None, ())}
    for label, part in world.parts.items():
        if label == "own" or any(part[k] != own[k] for k in wanted.values()):
            variants[label] = Variant(url(lambda p, part=part: part), label, tuple(wanted.values()))
    whole = {v.url for v in variants.values()}
    if len(wanted) > 1:
        for odd, kind in wanted.items():
            variants[f"own, {odd} missing"] = Variant(
                url(lambda p, odd=odd: None if p == odd else own), None, ()
            )
            for label, part in world.parts.items():
                pick = lambda p, odd=odd, part=part: part if p == odd else own  # noqa: E731
                # (unless the pair is one that belongs together: the sibling's branch in the own campaign)
                if part[kind] != own[kind] and url(pick) not in whole:
                    variants[f"own, {odd} {label}"] = Variant(url(pick), None, (), f"own, {odd} missing")
    return variants


# The only rows a GET may write: the audit log's (an audited download, the access.denied row of a
# refusal, and the sealer chaining them).
GET_MAY_WRITE = {AuditEvent._meta.db_table, AuditChainHead._meta.db_table}
WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?', re.I
)


class Answer:
    def __init__(self, status, problem, denied, writes):
        self.status, self.problem, self.denied, self.writes = status, problem, denied, writes


def _last_audit_id():
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _ask(client, method, url):
    last = _last_audit_id()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url) if method == "GET" else client.post(url, {})
    problem = ""
    if response.exc_info:
        problem = f" ({response.exc_info[1]!r})"
    elif response.status_code in (301, 302):
        problem = f" (to {response['Location']})"
    denied = AuditEvent.objects.filter(id__gt=last, action="access.denied").count()
    tables = {m.group(1) for q in queries.captured_queries if (m := WRITE.match(q["sql"]))}
    return Answer(response.status_code, problem, denied, sorted(tables - GET_MAY_WRITE))


NOT_ALLOWED = "404 (405 where the method is not allowed at all)"


@pytest.mark.parametrize("name", sorted(ROUTE_IDS))
@pytest.mark.parametrize("role", ROLES)
def test_out_of_scope_answers_like_missing_and_the_table_gates_the_rest(world, db, role, name):
    client = Client(raise_request_exception=False)
    client.force_login(world.users[role])
    # the first request of a session stamps it (accounts.middleware.SessionLifetimeMiddleware renews it
    # at most once a minute); after it, any write of a GET below is the view's own
    client.get("/healthz")
    cap = _cap_of(ID_ROUTES[name][0])
    lacks_cap = cap is not None and cap not in CAPS[role]
    variants = _variants(world, name)

    def reached(label):
        v = variants[label]
        return v.part is not None and world.reaches(role, v.part, v.kinds)

    # What the role does not reach goes first: it must change nothing, while the rest may.
    order = sorted(variants, key=reached)
    failures = []
    for method in ("GET", "POST"):
        got = {label: _ask(client, method, variants[label].url) for label in order}

        def check(label, ok, expected, got=got, method=method):
            if not ok:
                status, problem = got[label].status, got[label].problem
                failures.append(
                    f"{method} {label} ({variants[label].url}): {status}{problem}, expected {expected}"
                )

        for label, v in variants.items():
            status = got[label].status
            # every refusal leaves exactly one access.denied row; an answer that is no refusal, none
            if status == 404:
                check(label, got[label].denied == 1, f"one access.denied row, not {got[label].denied}")
            elif status in (200, 302, 405):
                check(label, got[label].denied == 0, f"no access.denied row, not {got[label].denied}")
            if method == "GET":
                check(label, not got[label].writes, f"a GET that writes nothing, not to {got[label].writes}")
            if v.part is None and v.mixed_with is None:
                check(label, status in (404, 405), NOT_ALLOWED)
            elif v.mixed_with is not None:
                twin = got[v.mixed_with].status
                check(label, status == twin, f"{twin}, as for a missing id")
            elif not reached(label):
                missing = got["missing"].status
                check(label, status == missing, f"{missing}, as for a missing id")
            elif lacks_cap:
                missing = got["missing"].status
                check(label, status == missing, f"{missing}, as for a missing id: the role lacks {cap}")
            else:
                check(label, status < 500, "no server error")
        if method == "GET" and name in OPENS.get(role, ()):
            opened = "foreign" if role == Role.ADMIN else "own"
            check(opened, got[opened].status == 200, "200 (is the world broken?)")
    if failures:
        pytest.fail(f"{role} on {name}:\n" + "\n".join(failures), pytrace=False)
