"""Evidence uploads (SECURITY.md FILE-1..FILE-4, AC-6): the type comes from the content, refusals leave
0 bytes in storage, files are stored under <uuid>.<ext>, and downloads go through the scoped view."""

import hashlib
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image

from accounts.models import Role
from assessments.models import AssessmentEvent, Evidence
from assessments.services import self_assessment as svc
from audit.models import AuditEvent
from common.uploads import UploadError, clean_original_name, size_label, validate_upload
from tests.assessments.conftest import PDF_BYTES, make_pdf
from tests.factories import user_with_role

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def image_bytes(fmt):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (166, 27, 27)).save(buf, fmt)
    return buf.getvalue()


def xlsx_bytes(main=XLSX_MAIN):
    buf = io.BytesIO()
    wb = Workbook()
    wb.active["A1"] = "清廉村居"
    wb.save(buf)
    if main == XLSX_MAIN:
        return buf.getvalue()
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(XLSX_MAIN.encode(), main.encode())
            zf.writestr(info, data)
    return out.getvalue()


def docx_bytes(extra=None):
    """A minimal Word package: [Content_Types].xml naming word/document.xml as the main part."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/></Types>'
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>申请表</w:t></w:r></w:p></w:body></w:document>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("word/document.xml", document)
        if extra:
            extra(zf)
    return buf.getvalue()


def zip_bomb_docx():
    """101 MB of zeros inside a ~100 KB docx."""

    def big(zf):
        with zf.open("word/media/image1.bin", "w") as fh:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(101):
                fh.write(chunk)

    return docx_bytes(big)


def many_entries_docx():
    return docx_bytes(lambda zf: [zf.writestr(f"word/media/{i}.xml", "<a/>") for i in range(1000)])


GOOD = [
    ("会议记录.pdf", PDF_BYTES, "application/pdf", "pdf"),
    ("公开栏.png", image_bytes("PNG"), "image/png", "png"),
    ("活动照片.jpeg", image_bytes("JPEG"), "image/jpeg", "jpg"),
    (
        "述责述廉报告.docx",
        docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "三资台账.xlsx",
        xlsx_bytes(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
]
MISMATCH = "文件内容与扩展名不符"
BAD = [
    ("png_named_pdf", "照片.pdf", image_bytes("PNG"), f"{MISMATCH}（扩展名为 .pdf，内容不是 PDF 文件）。"),
    (
        "exe_named_pdf",
        "报告.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 200,
        f"{MISMATCH}（扩展名为 .pdf，内容不是 PDF 文件）。",
    ),
    (
        "elf_named_pdf",
        "报告.pdf",
        b"\x7fELF\x02\x01\x01" + b"\0" * 200,
        f"{MISMATCH}（扩展名为 .pdf，内容不是 PDF 文件）。",
    ),
    (
        "html_named_jpg",
        "照片.jpg",
        b"<html><script>alert(1)</script></html>",
        f"{MISMATCH}（扩展名为 .jpg，内容不是 JPG 文件）。",
    ),
    ("pdf_named_docx", "材料.docx", PDF_BYTES, f"{MISMATCH}（扩展名为 .docx，内容不是 DOCX 文件）。"),
    ("xlsx_named_docx", "材料.docx", xlsx_bytes(), f"{MISMATCH}（扩展名为 .docx，内容不是 DOCX 文件）。"),
    ("empty", "空.pdf", b"", "文件为空（0 字节）。"),
    (
        "exe",
        "setup.exe",
        b"MZ\x90\x00",
        "不支持的文件类型（“.exe”），仅可上传 PDF、JPG、PNG、HEIC、DOCX、XLSX 文件。",
    ),
    (
        "svg",
        "图.svg",
        b"<svg onload='alert(1)'/>",
        "不支持的文件类型（“.svg”），仅可上传 PDF、JPG、PNG、HEIC、DOCX、XLSX 文件。",
    ),
    (
        "xlsm_name",
        "台账.xlsm",
        xlsx_bytes(XLSM_MAIN),
        "不接受含宏的 Office 文件（.xlsm/.docm 等），请另存为 .xlsx/.docx 后上传。",
    ),
    (
        "macro_content_type",
        "台账.xlsx",
        xlsx_bytes(XLSM_MAIN),
        "不接受含宏的 Office 文件，请另存为 .docx / .xlsx 后上传。",
    ),
    (
        "vba_project",
        "报告.docx",
        docx_bytes(lambda zf: zf.writestr("word/vbaProject.bin", b"x")),
        "不接受含宏的 Office 文件，请另存为 .docx / .xlsx 后上传。",
    ),
    ("zip_bomb", "炸弹.docx", zip_bomb_docx(), "文档解压后超过 100 MB，疑似压缩炸弹，不予接受。"),
    (
        "too_many_entries",
        "报告.docx",
        many_entries_docx(),
        "文档内部文件超过 1000 个，疑似压缩炸弹，不予接受。",
    ),
    (
        "zip_slip",
        "报告.docx",
        docx_bytes(lambda zf: zf.writestr("../../evil.xml", "<a/>")),
        "文档内部含有非法路径，不予接受。",
    ),
    ("broken_zip", "报告.docx", b"PK\x03\x04" + b"\0" * 100, "文件已损坏，或不是有效的 Word/Excel 文档。"),
    (
        "pdf_with_js",
        "表.pdf",
        PDF_BYTES.replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction <</S /JavaScript /JS (app.alert(1))>>"
        ),
        "PDF 含有脚本、启动命令或嵌入文件，不予接受；请重新扫描或另存为普通 PDF。",
    ),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def stored_bytes(media):
    return sum(p.stat().st_size for p in media.rglob("*") if p.is_file()) if media.exists() else 0


@pytest.fixture
def east(cycle, client):
    client.force_login(cycle.committee)
    return cycle.a["东村"]


def upload(client, a, files, kind="indicator", **target):
    if kind == "indicator" and not target:
        target = {"indicator": a.scores.get(indicator__code="V1.1").indicator_id}
    return client.post(f"/assessments/a/{a.pk}/evidence/", {"kind": kind, "files": files, **target})


def messages_of(client, response):
    return [str(m) for m in client.get(response["Location"]).context["messages"]]


@pytest.mark.parametrize(("name", "content", "content_type", "ext"), GOOD, ids=[g[3] for g in GOOD])
def test_real_files_of_each_allowed_type_are_accepted(
    client, cycle, east, media, name, content, content_type, ext
):
    response = upload(client, east, [SimpleUploadedFile(name, content, content_type="text/plain")])
    assert messages_of(client, response) == ["已上传 1 个文件。"]
    ev = Evidence.objects.get()
    stored = (media / ev.file.name).read_bytes()
    # issue 15: images are decoded and re-encoded, so size and hash are those of the stored copy;
    # documents are stored byte for byte
    if ext in ("jpg", "png"):
        assert Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(content)).size
    else:
        assert stored == content
    assert (ev.original_name, ev.content_type, ev.size, ev.kind) == (
        name,
        content_type,
        len(stored),
        "indicator",
    )
    assert ev.sha256 == hashlib.sha256(stored).hexdigest()
    assert re.fullmatch(rf"evidence/\d{{4}}/\d{{2}}/{ev.pk}\.{ext}", ev.file.name)
    assert (ev.uploaded_by, ev.round, ev.indicator.code) == (cycle.committee, 1, "V1.1")
    event = AssessmentEvent.objects.get(assessment=east, action="evidence_upload")
    assert (event.subject, event.to_value) == ("指标佐证 V1.1", name)


@pytest.mark.parametrize(("name", "content", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_files_are_refused_and_leave_nothing_stored(client, east, media, name, content, message):
    response = upload(client, east, [SimpleUploadedFile(name, content)])
    assert messages_of(client, response) == [f"“{name}”：{message}"]
    assert not Evidence.objects.exists()
    assert stored_bytes(media) == 0


def test_a_file_over_the_limit_is_refused(client, settings, east, media):
    settings.QL_UPLOAD_MAX_BYTES = 1024
    response = upload(client, east, [SimpleUploadedFile("大文件.png", image_bytes("PNG") + b"\0" * 2000)])
    assert messages_of(client, response) == ["“大文件.png”：文件超过 1 KB 上限。"]
    assert stored_bytes(media) == 0


def test_files_larger_than_the_memory_threshold_go_through_a_temporary_file(client, east, media):
    """Over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) Django spools to disk: sniffing, the zip check and the
    hash work on that file too, and the stored copy is complete."""
    import os

    noise = os.urandom(3 * 1024 * 1024)
    big_docx = docx_bytes(lambda zf: zf.writestr(zipfile.ZipInfo("word/media/photo.bin"), noise))
    big_pdf = make_pdf(title=noise.hex()[: 3 * 1024 * 1024])  # bytes after %%EOF are refused now
    response = upload(
        client, east, [SimpleUploadedFile("大.docx", big_docx), SimpleUploadedFile("大.pdf", big_pdf)]
    )
    assert messages_of(client, response) == ["已上传 2 个文件。"]
    for ev, content in zip(Evidence.objects.order_by("original_name"), (big_docx, big_pdf), strict=True):
        assert ev.sha256 == hashlib.sha256(content).hexdigest()
        assert (media / ev.file.name).read_bytes() == content


def test_the_default_limit_reads_20_mb():
    assert size_label(20 * 1024 * 1024) == "20 MB"


def test_a_zip_bomb_is_refused_quickly():
    bomb = SimpleUploadedFile("炸弹.docx", zip_bomb_docx())
    started = time.monotonic()
    with pytest.raises(UploadError):
        validate_upload(bomb)
    assert time.monotonic() - started < 1


def test_several_files_at_once_each_get_their_own_answer(client, east, media):
    files = [SimpleUploadedFile("一.pdf", PDF_BYTES), SimpleUploadedFile("二.pdf", image_bytes("PNG"))]
    response = upload(client, east, files)
    assert messages_of(client, response) == [
        "已上传 1 个文件。",
        "“二.pdf”：文件内容与扩展名不符（扩展名为 .pdf，内容不是 PDF 文件）。",
    ]
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["一.pdf"]


def test_a_path_in_the_file_name_is_stripped_and_never_used_for_storage(cycle, east, media):
    ev = svc.evidence_upload(
        assessment=east,
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=ContentFile(PDF_BYTES, name="../../etc/passwd.pdf"),
    )
    assert ev.original_name == "passwd.pdf"
    assert re.fullmatch(rf"evidence/\d{{4}}/\d{{2}}/{ev.pk}\.pdf", ev.file.name)
    assert [p.name for p in media.rglob("*") if p.is_file()] == [f"{ev.pk}.pdf"]


def test_a_path_in_a_multipart_file_name_is_stripped(client, east, media):
    boundary = "QLBOUNDARY"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\napplication_form\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="../../etc/passwd.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF_BYTES
        + f"\r\n--{boundary}--\r\n".encode()
    )
    client.generic(
        "POST",
        f"/assessments/a/{east.pk}/evidence/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    ev = Evidence.objects.get()
    assert ev.original_name == "passwd.pdf"
    assert "etc" not in ev.file.name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("..\\..\\windows\\system32\\a.pdf", "a.pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ("合同\u202efdp.exe", "合同fdp.exe"),
        (".hidden.pdf", "hidden.pdf"),
        ("", "未命名文件"),
        ("CON.pdf", "CON.pdf"),
    ],
)
def test_original_names_are_sanitised(raw, clean):
    assert clean_original_name(raw) == clean


def test_a_300_character_name_is_cut_to_255_keeping_the_extension():
    name = clean_original_name("清" * 300 + ".pdf")
    assert len(name) == 255
    assert name.endswith("清.pdf")


def test_a_failed_database_write_removes_the_stored_file(cycle, east, media, monkeypatch):
    from assessments.services.self_assessment import evidence as module

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(module, "record_event", broken)
    with pytest.raises(RuntimeError):
        svc.evidence_upload(
            assessment=east,
            actor=cycle.committee,
            kind="application_form",
            uploaded_file=SimpleUploadedFile("表.pdf", PDF_BYTES),
        )
    assert not Evidence.objects.exists()
    assert stored_bytes(media) == 0


def test_a_leader_cannot_upload(client, cycle, east, media):
    client.force_login(cycle.leader)
    assert upload(client, east, [SimpleUploadedFile("a.pdf", PDF_BYTES)]).status_code == 403
    assert stored_bytes(media) == 0


def test_uploading_to_a_target_of_another_assessment_is_404(client, cycle, east, media):
    west_claim = cycle.a["西村"].bonus_claims.create(
        bonus_item=cycle.standard.bonus_items.get(code="B01"), claimed_points=1, explanation="x"
    )
    response = upload(
        client, east, [SimpleUploadedFile("a.pdf", PDF_BYTES)], kind="bonus", bonus_claim=west_claim.pk
    )
    assert response.status_code == 404
    response = upload(client, east, [SimpleUploadedFile("a.pdf", PDF_BYTES)], indicator=999999)
    assert response.status_code == 404
    assert stored_bytes(media) == 0


def test_no_evidence_for_a_township_only_indicator(client, east, media):
    v55 = east.scores.get(indicator__code="V5.5")
    response = upload(client, east, [SimpleUploadedFile("a.pdf", PDF_BYTES)], indicator=v55.indicator_id)
    assert messages_of(client, response) == ["“a.pdf”：V5.5 由镇街评分，无需上传自评佐证。"]
    assert stored_bytes(media) == 0


# --- download and delete ------------------------------------------------------------------------


@pytest.fixture
def stamped(cycle, east):
    return svc.evidence_upload(
        assessment=east,
        actor=cycle.committee,
        kind="application_form",
        uploaded_file=SimpleUploadedFile("申请表（盖章）.pdf", PDF_BYTES),
    )


def test_the_leader_downloads_as_an_attachment(client, cycle, stamped):
    client.force_login(cycle.leader)
    response = client.get(f"/assessments/evidence/{stamped.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%94%B3%E8%AF%B7%E8%A1%A8%EF%BC%88%E7%9B%96%E7%AB%A0%EF%BC%89.pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    audit = AuditEvent.objects.get(action="evidence.download")
    assert (audit.actor, audit.object_id) == (cycle.leader, str(stamped.pk))


def test_a_member_of_another_village_cannot_download(client, cycle, stamped):
    client.force_login(user_with_role(Role.VILLAGE_COMMITTEE, cycle.org.sibling))
    assert client.get(f"/assessments/evidence/{stamped.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.download").exists()


def test_the_storage_path_is_not_served(client, cycle, stamped):
    client.force_login(cycle.committee)
    assert client.get(f"/media/{stamped.file.name}").status_code == 404
    assert client.get(f"/media-not-served/{stamped.file.name}").status_code == 404


def test_deleting_evidence_removes_the_row_and_the_file(
    client, cycle, east, stamped, media, django_capture_on_commit_callbacks
):
    client.force_login(cycle.committee)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/assessments/evidence/{stamped.pk}/delete/")
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert stored_bytes(media) == 0
    event = AssessmentEvent.objects.get(action="evidence_delete")
    assert (event.subject, event.from_value) == ("盖章申请表", "申请表（盖章）.pdf")


@pytest.mark.parametrize("who", ["leader", "secretary"])
def test_only_the_village_deletes_its_evidence(client, cycle, stamped, who):
    client.force_login(getattr(cycle, who))
    assert client.post(f"/assessments/evidence/{stamped.pk}/delete/").status_code == 403
    assert Evidence.objects.count() == 1


def test_evidence_cannot_be_deleted_after_submitting(client, cycle, east, stamped):
    east.status = "submitted"
    east.save()
    client.force_login(cycle.committee)
    response = client.post(f"/assessments/evidence/{stamped.pk}/delete/")
    assert messages_of(client, response) == ["当前状态为“村已提交”，自评内容不能修改。"]
    assert Evidence.objects.count() == 1
