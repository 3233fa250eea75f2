"""Evidence photographed on a phone (issue 12): HEIC/HEIF is converted to JPEG, large photos are
downscaled and turned upright, EXIF (GPS, device) is dropped, and decompression bombs are refused from
the header before any pixel is decoded."""

import hashlib
import io
import os
import struct
import time
import zlib
from pathlib import Path

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assessments.models import AssessmentEvent, Evidence
from common.uploads import MAX_IMAGE_PIXELS, UploadError, prepare_upload

ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825


def photo(width=4032, height=3024):
    """A photo-like landscape frame: a gradient with a red band along the top edge (to see rotation)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image.paste((200, 0, 0), (0, 0, width, height // 10))
    return image


def phone_exif(orientation=6):
    """What a phone writes: held upright, so the sensor's landscape frame carries orientation 6."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "Apple"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (34.0, 48.0, 0.0), 3: "E", 4: (117.0, 9.0, 0.0)})
    return exif


def heic_bytes(image=None, orientation=6):
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    (image or photo()).save(buf, "HEIF", quality=60, exif=phone_exif(orientation).tobytes())
    return buf.getvalue()


def jpeg_bytes(image=None, orientation=6):
    buf = io.BytesIO()
    (image or photo()).save(buf, "JPEG", quality=90, exif=phone_exif(orientation).tobytes())
    return buf.getvalue()


def png_header_only(width, height):
    """A PNG whose header declares width × height pixels, with a few bytes of real data after it."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def east(cycle, client):
    client.force_login(cycle.committee)
    return cycle.a["东村"]


def upload(client, a, files, kind="indicator"):
    target = {"indicator": a.scores.get(indicator__code="V1.1").indicator_id} if kind == "indicator" else {}
    return client.post(f"/assessments/a/{a.pk}/evidence/", {"kind": kind, "files": files, **target})


def messages_of(client, response):
    return [str(m) for m in client.get(response["Location"]).context["messages"]]


def test_a_phone_heic_photo_is_stored_as_an_upright_downscaled_jpeg(client, cycle, east, media):
    original = heic_bytes()
    assert original[4:12] == b"ftypheic"
    response = upload(client, east, [SimpleUploadedFile("IMG_0412.HEIC", original, "image/heic")])
    assert messages_of(client, response) == ["已上传 1 个文件。"]
    ev = Evidence.objects.get()
    stored = (media / ev.file.name).read_bytes()
    assert ev.file.name.endswith(f"{ev.pk}.jpg")
    assert (ev.original_name, ev.content_type, ev.size) == ("IMG_0412.jpg", "image/jpeg", len(stored))
    assert ev.sha256 == hashlib.sha256(stored).hexdigest()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        # 4032×3024 landscape sensor frame, held upright (orientation 6): portrait, longest side 2560
        assert image.size == (1920, 2560)
        assert not image.getexif()  # no GPS, no device, no orientation left to apply twice
        # the red band of the top edge now runs down the right-hand side
        red, green, _ = image.getpixel((1900, 1280))
        assert red > 150 and green < 60
        red, green, _ = image.getpixel((20, 1280))  # the left edge is the gradient's grey, not red
        assert abs(red - green) < 40
    event = AssessmentEvent.objects.get(assessment=east, action="evidence_upload")
    assert event.to_value == "IMG_0412.jpg"


def test_a_large_jpeg_is_turned_upright_downscaled_and_stripped_of_gps(cycle, east, media):
    original = jpeg_bytes()
    prepared = prepare_upload(SimpleUploadedFile("活动照片.jpg", original))
    data = prepared.content.read()
    assert prepared.checked.size == len(data) < len(original)
    assert prepared.checked.sha256 == hashlib.sha256(data).hexdigest()
    assert prepared.checked.original_name == "活动照片.jpg"
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1920, 2560)
        exif = image.getexif()
        assert not exif.get_ifd(GPS_IFD) and MAKE not in exif and ORIENTATION not in exif


def test_a_small_jpeg_is_reencoded_too_and_loses_what_follows_the_image():
    """issue 15: every stored image is decoded and encoded again (it used to be kept byte for byte when
    small and without EXIF), so bytes appended after the image data do not reach storage."""
    buf = io.BytesIO()
    photo(640, 480).save(buf, "JPEG", quality=80)
    original = buf.getvalue() + b"<html><script>alert(1)</script></html>"
    prepared = prepare_upload(SimpleUploadedFile("照片.jpg", original))
    data = prepared.content.read()
    assert b"<script>" not in data and data.endswith(b"\xff\xd9")
    assert prepared.checked.sha256 == hashlib.sha256(data).hexdigest() != hashlib.sha256(original).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (640, 480))


def test_a_decompression_bomb_png_is_refused_before_decoding(client, east, media):
    bomb = png_header_only(50_000, 50_000)
    assert len(bomb) < 200
    started = time.monotonic()
    with pytest.raises(UploadError):
        prepare_upload(SimpleUploadedFile("炸弹.png", bomb))
    assert time.monotonic() - started < 0.5  # refused from the header: 2.5 billion pixels never decoded
    response = upload(client, east, [SimpleUploadedFile("炸弹.png", bomb)])
    assert messages_of(client, response) == [
        "“炸弹.png”：图片像素过多，超过 6,400 万像素上限，疑似解压炸弹，不予接受。"
    ]
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_an_image_just_over_our_own_pixel_limit_is_refused_with_its_size():
    side = int(MAX_IMAGE_PIXELS**0.5) + 1
    with pytest.raises(UploadError) as refused:
        prepare_upload(SimpleUploadedFile("扫描.png", png_header_only(side, side)))
    assert str(refused.value) == (
        f"图片像素过多（{side}×{side}），超过 6,400 万像素上限，疑似解压炸弹，不予接受。"
    )


def test_a_heic_with_garbage_after_the_header_is_refused_cleanly(client, east, media):
    garbage = heic_bytes(photo(64, 48))[:40] + os.urandom(4000)
    response = upload(client, east, [SimpleUploadedFile("IMG_0001.heic", garbage)])
    assert messages_of(client, response) == [
        "“IMG_0001.heic”：HEIC 照片已损坏或无法识别，请重新拍摄或另存后上传。"
    ]
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_a_file_named_heic_that_is_not_one_is_refused(client, east, media):
    response = upload(client, east, [SimpleUploadedFile("IMG_0002.heic", b"%PDF-1.4 not a photo")])
    assert messages_of(client, response) == [
        "“IMG_0002.heic”：文件内容与扩展名不符（扩展名为 .heic，内容不是 HEIC 照片）。"
    ]
    assert stored_files(media) == []


def test_a_heif_stamped_form_counts_for_the_submit_guard(client, cycle, east, media):
    response = upload(
        client,
        east,
        [SimpleUploadedFile("申请表.heif", heic_bytes(photo(1200, 900)))],
        kind="application_form",
    )
    assert messages_of(client, response) == ["已上传 1 个文件。"]
    ev = Evidence.objects.get(kind="application_form")
    assert (ev.original_name, ev.content_type) == ("申请表.jpg", "image/jpeg")
    page = client.get(f"/assessments/a/{east.pk}/self/")
    assert "请上传加盖村“两委”公章的《“清廉村居”建设申请表》扫描件。" not in page.context["submit_problems"]


def test_an_upload_from_the_sheet_answers_with_the_new_file_list_and_check(client, cycle, east, media):
    response = client.post(
        f"/assessments/a/{east.pk}/evidence/",
        {
            "kind": "application_form",
            "files": [SimpleUploadedFile("IMG_0413.heic", heic_bytes(photo(800, 600)))],
        },
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True and body["errors"] == []
    assert [u["name"] for u in body["uploaded"]] == ["IMG_0413.jpg"]
    assert ">IMG_0413.jpg</a>" in body["files_html"]
    assert "请上传加盖村“两委”公章" not in body["check"]["check_html"]
    assert "本轮提交尚须村“两委”成员签署确认。" in body["check"]["check_html"]
