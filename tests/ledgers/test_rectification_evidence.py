"""整改佐证 files and turning a ledger problem into a rectification item from the ledger page."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Role
from ledgers.models import LedgerEntry, LedgerSubmission, Rectification, RectificationEvidence
from tests.assessments.conftest import PDF_BYTES
from tests.factories import user_with_role
from tests.ledgers.test_rectification import make, people  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _upload(client, item, name, content):
    f = io.BytesIO(content)
    f.name = name
    return client.post(f"/ledgers/rectifications/{item.pk}/evidence/", {"files": [f]})


def _stored_files():
    root = Path(settings.MEDIA_ROOT) / "rectifications"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_village_attaches_evidence_that_reviewers_can_download(client, org, people):  # noqa: F811
    item = make(org, people)
    client.force_login(people.committee)
    _upload(client, item, "整改前后照片.pdf", PDF_BYTES)
    evidence = RectificationEvidence.objects.get(rectification=item)
    assert evidence.original_name == "整改前后照片.pdf"
    assert evidence.file.name.endswith(f"{evidence.pk}.pdf")
    assert item.events.filter(action="evidence", note="整改前后照片.pdf").count() == 1
    client.force_login(people.reviewer)
    response = client.get(f"/ledgers/rectification-files/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_a_misleading_file_is_refused_and_nothing_is_stored(client, org, people):  # noqa: F811
    item = make(org, people)
    before = _stored_files()
    client.force_login(people.committee)
    response = _upload(client, item, "照片.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    assert response.status_code == 302
    assert not RectificationEvidence.objects.exists()
    assert _stored_files() == before


def test_other_villages_and_closed_items_cannot_take_or_show_files(client, org, people):  # noqa: F811
    item = make(org, people)
    client.force_login(people.committee)
    _upload(client, item, "a.pdf", PDF_BYTES)
    evidence = RectificationEvidence.objects.get()
    client.force_login(people.sibling_committee)
    assert _upload(client, item, "b.pdf", PDF_BYTES).status_code == 404
    assert client.get(f"/ledgers/rectification-files/{evidence.pk}/").status_code == 404
    Rectification.objects.filter(pk=item.pk).update(status=Rectification.Status.CLOSED)
    client.force_login(people.committee)
    _upload(client, item, "c.pdf", PDF_BYTES)
    assert RectificationEvidence.objects.count() == 1


def test_the_reviewer_turns_a_ledger_problem_into_one_item(client, org, people):  # noqa: F811
    sub = LedgerSubmission.objects.create(unit=org.unit, year=2024, month=5)
    entry = LedgerEntry.objects.create(
        submission=sub, seq=1, village=org.village, category=LedgerEntry.Category.SANZI,
        method=LedgerEntry.Method.ROUTINE, checked_on=datetime.date(2024, 5, 10), checker="检查组",
        finding="合同未经村民代表会议", level=LedgerEntry.Level.GENERAL, proposed_deduction=Decimal("2"),
        requirement="补办审议程序", owner="村会计", deadline=datetime.date(2024, 6, 10),
    )  # fmt: skip
    client.force_login(user_with_role(Role.UNIT_STAFF, org.unit))
    assert client.post(f"/ledgers/entries/{entry.pk}/rectify/").status_code in (403, 404)
    assert not Rectification.objects.exists()
    client.force_login(people.reviewer)
    page = client.get(f"/ledgers/units/{org.unit.pk}/2024/5/").content.decode()
    assert f"/ledgers/entries/{entry.pk}/rectify/" in page
    response = client.post(f"/ledgers/entries/{entry.pk}/rectify/")
    item = Rectification.objects.get(ledger_entry=entry)
    assert response["Location"] == f"/ledgers/rectifications/{item.pk}/"
    assert (item.source, item.problem, item.deadline) == (
        "ledger",
        "合同未经村民代表会议",
        datetime.date(2024, 6, 10),
    )
    client.post(f"/ledgers/entries/{entry.pk}/rectify/")
    assert Rectification.objects.count() == 1
