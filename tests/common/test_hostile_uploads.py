"""issue 15, Done when: a generated hostile corpus goes through every upload path over HTTP (the village's
evidence, the stamped 申请表, 整改佐证, and each Excel import: ledgers, the task list, the org structure,
accounts, index standards, re-importing a draft standard). Every file is refused with a Chinese message, no row is added, MEDIA_ROOT stays
empty and no temporary upload file is left (every upload is spooled to disk here). Good files are stored,
and stored images carry no EXIF."""

import hashlib
import io
import os
import re
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from assessments.models import Evidence
from common.storage import orphan_report
from ledgers.models import RectificationEvidence
from tests.assessments.conftest import cycle, standard  # noqa: F401  (fixtures)
from tests.common.hostile import good_files, hostile_corpus, png_bytes
from tests.factories import user_with_role
from tests.ledgers.test_rectification import make, people  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

# Refusals of an import for a file not named .xlsx (or, for the standard import, not .yaml/.xlsx): the
# name is refused before the content is looked at.
IMPORT_NAME_REFUSALS = ("只接受 .xlsx", "仅支持", "xlsx 格式", "不是有效的 Excel")
CJK = re.compile(r"[\u4e00-\u9fff]")
NOT_COUNTED = {"audit", "sessions", "axes", "contenttypes", "admin"}


@pytest.fixture(scope="module")
def corpus():
    return hostile_corpus()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    spool = tmp_path / "upload-tmp"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes through a temporary file on disk
    return Path(settings.MEDIA_ROOT)


def media_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def temp_files(settings):
    return sorted(os.listdir(settings.FILE_UPLOAD_TEMP_DIR))


def row_counts():
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in NOT_COUNTED and not m._meta.proxy
    }


def shown_text(client, response):
    """What the user reads after the post: the page, or the messages of the page redirected to."""
    if response.status_code in (301, 302, 303):
        page = client.get(response["Location"])
        messages = [str(m) for m in page.context["messages"]] if page.context else []
        return "\n".join(messages)
    assert response.status_code in (200, 400), response.status_code
    return response.content.decode()


class Path_:
    """One upload path: who posts what where."""

    def __init__(self, name, user, url, data=None, field="files", xlsx_only=False):
        self.name, self.user, self.url = name, user, url
        self.data, self.field, self.xlsx_only = data or {}, field, xlsx_only

    def post(self, client, filename, content):
        upload = SimpleUploadedFile(filename, content, content_type="application/octet-stream")
        value = [upload] if self.field == "files" else upload
        client.force_login(self.user)
        return client.post(self.url, {**self.data, self.field: value})


@pytest.fixture
def paths(cycle, people):  # noqa: F811
    org = cycle.org
    east = cycle.a["东村"]
    indicator = east.scores.get(indicator__code="V1.1").indicator_id
    item = make(org, people)
    staff = user_with_role(Role.UNIT_STAFF, org.unit, username="staff_hostile")
    evidence_url = f"/assessments/a/{east.pk}/evidence/"
    draft = _draft_standard(org, cycle.reviewer)
    return {
        "standard_replace": Path_(
            "standard_replace",
            cycle.reviewer,
            reverse("indices:standard_replace", args=[draft.pk]),
            field="file",
            xlsx_only=True,
        ),
        "evidence": Path_(
            "evidence", cycle.committee, evidence_url, {"kind": "indicator", "indicator": indicator}
        ),
        "application_form": Path_(
            "application_form", cycle.committee, evidence_url, {"kind": "application_form"}
        ),
        "rectification": Path_(
            "rectification", people.committee, f"/ledgers/rectifications/{item.pk}/evidence/"
        ),
        "ledger_import": Path_(
            "ledger_import",
            staff,
            reverse("ledgers:ledger_upload", args=[org.unit.pk, 2024, 4]),
            {"version": 1},
            field="file",
            xlsx_only=True,
        ),
        "task_import": Path_(
            "task_import", cycle.reviewer, reverse("ledgers:task_import"), {"year": 2022}, "file", True
        ),
        "org_import": Path_(
            "org_import",
            cycle.reviewer,
            reverse("villages:township_import", args=[org.town.pk]),
            None,
            "file",
            True,
        ),
        "user_import": Path_(
            "user_import", cycle.reviewer, f"/accounts/users/import/{org.town.pk}/", None, "file", True
        ),
        "standard_import": Path_(
            "standard_import",
            cycle.reviewer,
            reverse("indices:standard_import"),
            {"target": f"t:{org.town.pk}"},
            "file",
            True,
        ),
    }


def _draft_standard(org, actor):
    from indices.models import IndexStandard
    from indices.services import standard_import
    from tests.assessments.conftest import SAMPLE

    # a second, unused draft next to the campaign's (which is in use, hence locked)
    data = SAMPLE.read_bytes().replace(b'"2024-draft-1"', b'"2024-draft-9"')
    std = standard_import(source=io.BytesIO(data), fmt="yaml", actor=actor, township=org.town)
    assert std.status == IndexStandard.Status.DRAFT
    return std


PATH_NAMES = [
    "standard_replace",
    "evidence",
    "application_form",
    "rectification",
    "ledger_import",
    "task_import",
    "org_import",
    "user_import",
    "standard_import",
]


REQUIRED_CLASSES = {
    "png_pixel_bomb",
    "jpeg_header_html",
    "pdf_is_html",
    "pdf_cut_200",
    "png_cut_half",
    "pdf_javascript",
    "pdf_embedded_file",
    "pdf_trailing_html",
    "xlsx_billion_laughs",
    "docx_xxe",
    "docx_macro",
    "docx_external_attachedTemplate",
    "docx_zip_slip",
    "xlsx_zip_slip",
    "docx_symlink",
    "xlsx_symlink",
    "docx_bomb_declared_small",
    "docx_bomb_declared_large",
    "xlsx_bomb_declared_small",
    "xlsx_bomb_declared_large",
    "wrong_extension_png_as_pdf",
    "polyglot_pdf_zip_as_pdf",
}


@pytest.mark.parametrize("path_name", PATH_NAMES)
def test_every_hostile_file_is_refused_on_every_upload_path(
    client, settings, media, corpus, paths, path_name
):
    path = paths[path_name]
    before = row_counts()
    assert media_files(media) == [] and temp_files(settings) == []
    problems = []
    client.force_login(path.user)
    page = client.get(path.url)
    baseline = page.content.decode() if page.status_code == 200 else ""
    for item_id, filename, content, fragments in corpus:
        response = path.post(client, filename, content)
        text = shown_text(client, response)
        accepted = fragments
        if path.xlsx_only and not filename.endswith(".xlsx"):
            accepted = (*fragments, *IMPORT_NAME_REFUSALS)
        # a fragment counts only if the page does not show it anyway (help texts)
        accepted = [f for f in accepted if f not in baseline]
        if not any(f in text for f in accepted) or not CJK.search(text):
            problems.append(f"{item_id}: not refused with its message; shown: {text[:300]!r}")
        after = row_counts()
        if after != before:
            changed = {k: (before[k], v) for k, v in after.items() if before.get(k) != v}
            problems.append(f"{item_id}: rows changed {changed}")
            before = after
        left = media_files(media)
        if left:
            problems.append(f"{item_id}: {sum(p.stat().st_size for p in left)} bytes left in MEDIA_ROOT")
            for p in left:
                p.unlink()
        if temp_files(settings):
            problems.append(f"{item_id}: temporary files left {temp_files(settings)}")
    assert problems == []
    ids = {c[0] for c in corpus}
    assert REQUIRED_CLASSES <= ids  # every class the issue names (the office ones on .docx and .xlsx)


FILE_PATHS = ["evidence", "application_form", "rectification"]


@pytest.mark.parametrize("path_name", FILE_PATHS)
def test_good_files_are_stored_and_stored_images_have_no_exif(client, settings, media, paths, path_name):
    path = paths[path_name]
    model = RectificationEvidence if path_name == "rectification" else Evidence
    for item_id, filename, content, ext in good_files():
        existing = list(model.objects.values_list("pk", flat=True))
        response = path.post(client, filename, content)
        assert response.status_code in (200, 302), item_id
        new = list(model.objects.exclude(pk__in=existing))
        assert len(new) == 1, (item_id, shown_text(client, response))
        row = new[0]
        stored = (media / row.file.name).read_bytes()
        assert row.file.name.endswith(f".{ext}"), item_id
        assert (row.size, row.sha256) == (len(stored), hashlib.sha256(stored).hexdigest()), item_id
        if ext in ("jpg", "png"):
            with Image.open(io.BytesIO(stored)) as image:
                image.load()
                assert not image.getexif(), item_id  # GPS, camera make: gone
                assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}, (
                    item_id
                )
            assert b"31.234567" not in stored, item_id  # no comment, text chunk or XMP
        else:
            assert stored == content, item_id  # documents are stored byte for byte
    assert temp_files(settings) == []


def test_the_gps_photo_really_carried_gps_before_the_upload():
    """Guards the test above: the EXIF it checks for is there in the uploaded file."""
    files = {g[0]: g[2] for g in good_files()}
    with Image.open(io.BytesIO(files["jpeg_gps"])) as image:
        exif = image.getexif()
        assert exif.get_ifd(0x8825) and exif[0x010F] == "VillagePhone"
        assert {"exif", "xmp", "comment"} <= set(image.info)
    with Image.open(io.BytesIO(files["png"])) as image:
        assert {"exif", "xmp", "Comment"} <= set(image.info)
    assert all(b"31.234567" in files[k] for k in ("jpeg_gps", "png"))


# --- no orphans -----------------------------------------------------------------------------------------


def _old(path, days=2):
    stamp = time.time() - days * 86400
    os.utime(path, (stamp, stamp))


def test_cleanup_orphan_files_reports_and_with_delete_removes_orphans_and_stale_temp_files(
    settings,
    media,
    cycle,  # noqa: F811
):
    from django.core.files.base import ContentFile

    from tests.assessments.conftest import PDF_BYTES

    east = cycle.a["东村"]
    kept = Evidence(assessment=east, kind="application_form", original_name="a.pdf", size=1, sha256="0" * 64)
    kept.file.save("kept.pdf", ContentFile(PDF_BYTES), save=False)
    kept.save()
    _old(media / kept.file.name)
    orphan = media / "evidence" / "2024" / "01" / "orphan.pdf"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(PDF_BYTES)
    _old(orphan)
    young = media / "evidence" / "2024" / "01" / "in-flight.pdf"  # a request that has not committed yet
    young.write_bytes(b"x")
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    part = spool / "ql-export-1-1-ab12.part"  # a worker killed while it built an export
    part.write_bytes(b"half a package")
    _old(part)
    fresh_part = spool / "ql-export-2-1-cd34.part"  # one being built now
    fresh_part.write_bytes(b"building")
    stale_tmp = spool / "tmpab12cd.upload.pdf"
    stale_tmp.write_bytes(b"killed mid-request")
    _old(stale_tmp)
    fresh_tmp = spool / "tmpzz99yy.upload.jpg"
    fresh_tmp.write_bytes(b"uploading now")

    report = orphan_report()
    assert report.orphans == ["evidence/2024/01/orphan.pdf"]
    assert report.orphan_bytes == len(PDF_BYTES)
    assert sorted(report.temp_files) == sorted([str(part), str(stale_tmp)])

    out = io.StringIO()
    call_command("cleanup_orphan_files", stdout=out)
    text = out.getvalue()
    assert "发现无主文件 evidence/2024/01/orphan.pdf" in text
    assert f"发现无主文件 1 个（{len(PDF_BYTES)} 字节），过期临时文件 2 个" in text
    assert orphan.exists() and stale_tmp.exists() and part.exists()  # a report only

    out = io.StringIO()
    call_command("cleanup_orphan_files", "--delete", stdout=out)
    assert "已删除无主文件 1 个" in out.getvalue()
    assert not orphan.exists() and not stale_tmp.exists() and not part.exists()
    assert (media / kept.file.name).exists() and young.exists() and fresh_tmp.exists() and fresh_part.exists()
    assert orphan_report().orphans == []


def test_the_orphan_sweep_runs_daily_on_beat(settings, media):
    from reports.tasks import cleanup_orphan_files

    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "reports.cleanup_orphan_files"
    )
    schedule = entry["schedule"]
    assert len(schedule.day_of_week) == 7 and len(schedule.hour) == 1 and len(schedule.minute) == 1  # daily
    orphan = media / "rectifications" / "x.pdf"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF-")
    _old(orphan)
    assert cleanup_orphan_files() == {"orphans": 1, "orphan_bytes": 5, "temp_files": 0, "temp_bytes": 0}
    assert not orphan.exists()


def test_a_failure_after_the_file_is_written_removes_it(client, media, cycle, people, monkeypatch):  # noqa: F811
    """The file is written inside the row's transaction; if recording fails, neither row nor file stays."""
    from ledgers.services import rectification as rect

    item = make(cycle.org, people)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rect, "_event", broken)
    with pytest.raises(RuntimeError):
        rect.rectification_evidence_upload(
            item=item, actor=people.committee, uploaded_file=SimpleUploadedFile("a.png", png_bytes())
        )
    assert not RectificationEvidence.objects.exists()
    assert media_files(media) == []


def test_external_hyperlinks_are_the_one_external_relationship_allowed():
    """Links in a document are legitimately external; only other external relationships are refused."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from openpyxl import Workbook

    from common.uploads import check_ooxml

    document = docx.Document()
    document.part.relate_to("https://www.example.org/公开", RT.HYPERLINK, is_external=True)
    buf = io.BytesIO()
    document.save(buf)
    assert b'TargetMode="External"' in zipfile_part(buf.getvalue(), "word/_rels/document.xml.rels")
    assert check_ooxml(buf.getvalue()) == "docx"

    wb = Workbook()
    wb.active["A1"] = "公开栏"
    wb.active["A1"].hyperlink = "https://www.example.org/"
    out = io.BytesIO()
    wb.save(out)
    assert b'TargetMode="External"' in zipfile_part(out.getvalue(), "xl/worksheets/_rels/sheet1.xml.rels")
    assert check_ooxml(out.getvalue()) == "xlsx"


def zipfile_part(data, name):
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def test_a_failed_evidence_record_leaves_no_file(client, media, cycle, monkeypatch):  # noqa: F811
    from assessments.services import self_assessment as svc
    from assessments.services.self_assessment import evidence as evidence_module

    def broken(**kwargs):
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(evidence_module, "record_event", broken)
    east = cycle.a["东村"]
    with pytest.raises(RuntimeError):
        svc.evidence_upload(
            assessment=east,
            actor=cycle.committee,
            kind="application_form",
            uploaded_file=SimpleUploadedFile("申请表.png", png_bytes()),
        )
    assert not Evidence.objects.exists()
    assert media_files(media) == []
