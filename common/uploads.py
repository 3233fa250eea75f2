"""Checking an uploaded file before anything is stored (SECURITY.md FILE-1..FILE-3; issue 15).

The type is decided from the content, never from the name or the browser's Content-Type: magic bytes
(the `filetype` package) for PDF/JPEG/PNG, the package's own [Content_Types].xml for DOCX/XLSX. The
extension must name the same type. Then the file is *parsed*, not keyword-scanned:

- images are decoded in full (JPEG/PNG decoders only) under an explicit pixel limit, truncated images are
  refused, and every stored image is re-encoded (`prepare_upload`), which drops EXIF (GPS positions of
  villagers' homes) and anything appended after the image data;
- PDFs are parsed with pypdf: what does not parse, is encrypted, has more than MAX_PDF_PAGES pages,
  carries JavaScript, launch/additional actions, embedded files, XFA forms, or bytes after its last
  %%EOF is refused;
- DOCX/XLSX packages are read entry by entry under declared *and* actual size limits (zip bombs),
  with zip-slip names, symlinks, encrypted entries and macros refused; every XML part is parsed with
  defusedxml (no DTD, no entities, no external references) and only hyperlinks may point outside.

`check_ooxml` is the same package check for the Excel imports (common.xlsx.open_workbook and the
standard import run it before openpyxl opens anything). Every refusal is an UploadError with a Chinese
message. The original name is only kept, sanitised, as metadata; the stored name is the caller's.
"""

import hashlib
import io
import os
import re
import threading
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

import filetype
import pillow_heif
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageFile, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from .errors import InvalidInputError

# extension → canonical extension and the content type we serve it with
ALLOWED = {
    "pdf": ("pdf", "application/pdf"),
    "jpg": ("jpg", "image/jpeg"),
    "jpeg": ("jpg", "image/jpeg"),
    "png": ("png", "image/png"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
MACRO_EXTENSIONS = {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm"}
ALLOWED_LABEL = "PDF、JPG、PNG、DOCX、XLSX"
# Phone photos: accepted by prepare_upload only, and never stored as such (converted to JPEG).
HEIF_EXTENSIONS = {"heic", "heif"}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
PHOTO_LABEL = "PDF、JPG、PNG、HEIC、DOCX、XLSX"
PHOTO_MAX_SIDE = 2560
PHOTO_QUALITY = 85
# 64 million pixels: a 50-megapixel phone photo passes; decoding it takes ~200 MB. Set on Pillow itself,
# deliberately, so every Image.open in the process refuses larger images (the warning band between 1× and
# 2× this limit is turned into a refusal here as well).
MAX_IMAGE_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# A truncated image is an error, never grey pixels. ImageFile.LOAD_TRUNCATED_IMAGES is process-wide and
# WeasyPrint sets it to True when imported (weasyprint/images.py), so _decode_image turns it off around
# its own decoding instead of trusting the global.
_TRUNCATED_FLAG = threading.Lock()
IMAGE_FORMATS = {"jpg": "JPEG", "png": "PNG"}

pillow_heif.register_heif_opener()  # once, at import: Image.open then reads HEIC/HEIF too

OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
# Office parts compress well (shared strings ~10-20×); a part that inflates more than this is a bomb.
MAX_ZIP_RATIO = 200
ZIP_RATIO_FLOOR = 1024 * 1024  # small parts may compress as they like
HEAD_BYTES = 8192
READ_CHUNK = 64 * 1024
XML_SUFFIXES = (".xml", ".rels")
# Legacy VML drawings (comments in .xlsx) are often not well-formed XML; they are not parsed, but may carry
# no DTD or entity declaration either.
VML_SUFFIX = ".vml"
HYPERLINK_REL = "/relationships/hyperlink"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

MAX_PDF_PAGES = 500
MAX_PDF_OBJECTS = 200_000
PDF_TRAILING_SLACK = 32  # whitespace (and NULs some scanners pad with) allowed after the last %%EOF
# Dictionary keys a scanned or exported PDF has no business carrying: scripts, actions run on open or on
# events, launch actions, embedded/attached files, XFA forms, rich media.
PDF_FORBIDDEN_KEYS = {
    "/JS": "脚本",
    "/JavaScript": "脚本",
    "/AA": "自动执行的动作",
    "/Launch": "启动外部程序的命令",
    "/EmbeddedFiles": "嵌入的文件",
    "/EmbeddedFile": "嵌入的文件",
    "/EF": "嵌入的文件",
    "/XFA": "XFA 表单",
    "/RichMedia": "多媒体内容",
}
PDF_FORBIDDEN_VALUES = {
    "/JavaScript": "脚本",
    "/Launch": "启动外部程序的命令",
    "/FileAttachment": "附件",
    "/ImportData": "导入数据的动作",
    "/SubmitForm": "提交表单的动作",
    "/RichMedia": "多媒体内容",
}
# Raw markers, a second net for what the parser might not reach (e.g. a broken object it skipped).
PDF_ACTIVE = (b"/JavaScript", b"/Launch", b"/EmbeddedFile")

OFFICE_BROKEN = "文件已损坏，或不是有效的 Word/Excel 文档。"
OFFICE_MACRO = "不接受含宏的 Office 文件，请另存为 .docx / .xlsx 后上传。"
OFFICE_STRUCTURE = "文档结构异常（含有 DTD、实体声明或无法解析的部分），不予接受；请用 Office 另存后再上传。"


class UploadError(InvalidInputError, ValueError):
    """A refused upload; the message is shown to the user."""


@dataclass(frozen=True)
class CheckedUpload:
    ext: str  # canonical: pdf, jpg, png, docx, xlsx
    content_type: str
    size: int
    sha256: str
    original_name: str


@dataclass(frozen=True)
class PreparedUpload:
    """What to store: `content` (the checked upload, or the re-encoded image) described by `checked`."""

    checked: CheckedUpload
    content: object


def clean_original_name(name, limit=255):
    """The user's file name as harmless metadata: no path, no control or bidi characters, ≤ 255 chars."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Category C: control (incl. NUL, CR/LF), format (bidi overrides such as U+202E), surrogates, private use.
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name:
        name = "未命名文件"
    if len(name) > limit:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[: limit - len(ext)] + ext
    return name


def size_label(limit):
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    if limit >= 1024:
        return f"{limit / 1024:g} KB"
    return f"{limit} 字节"


def _extension(name):
    return os.path.splitext(name)[1].lstrip(".").lower()


def _read_all(uploaded_file, limit):
    """The upload's bytes, counting what is actually received (not the declared size)."""
    buf = io.BytesIO()
    size = 0
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        size += len(chunk)
        if size > limit:
            raise UploadError(f"文件超过 {size_label(limit)} 上限。")
        buf.write(chunk)
    return buf.getvalue()


def _check_size(uploaded_file):
    limit = settings.QL_UPLOAD_MAX_BYTES
    declared = getattr(uploaded_file, "size", None)
    if declared == 0:
        raise UploadError("文件为空（0 字节）。")
    if declared is not None and declared > limit:
        raise UploadError(f"文件超过 {size_label(limit)} 上限。")
    data = _read_all(uploaded_file, limit)
    if not data:
        raise UploadError("文件为空（0 字节）。")
    return data


# --- Office packages --------------------------------------------------------------------------------


def _zip_name_problem(info):
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/") or "\0" in name:
        return "文档内部含有非法路径，不予接受。"
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return "文档内部含有符号链接，不予接受。"
    if info.flag_bits & 0x1:
        return "文档内部含有加密的部分，不予接受；请取消密码保护后另存再上传。"
    if name.lower().endswith("vbaproject.bin"):
        return OFFICE_MACRO
    return None


def _read_entry(zf, info, budget):
    """An entry's bytes, read in chunks and never more than declared (+1 to notice) or the budget."""
    cap = min(info.file_size, budget)
    out = io.BytesIO()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(READ_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                if out.tell() > cap:
                    raise UploadError(
                        f"文档解压后超过 {size_label(MAX_ZIP_UNCOMPRESSED)} 或超过其声明的大小，"
                        "疑似压缩炸弹，不予接受。"
                    )
    except zipfile.BadZipFile:
        # zipfile stops at the declared size; a part holding more than it declares fails its CRC here
        raise UploadError(
            "文档内部内容与其声明的大小或校验值不符，疑似压缩炸弹或已损坏，不予接受。"
        ) from None
    data = out.getvalue()
    if len(data) != info.file_size:
        raise UploadError("文档内部大小与声明不符，疑似压缩炸弹或已损坏，不予接受。")
    return data


def _parse_xml(data):
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SafeET.ParseError, ValueError):
        raise UploadError(OFFICE_STRUCTURE) from None


def _check_relationships(root):
    for rel in root.iter(f"{REL_NS}Relationship"):
        if (rel.get("TargetMode") or "").lower() != "external":
            continue
        kind = rel.get("Type") or ""
        if not kind.endswith(HYPERLINK_REL):
            shown = kind.rsplit("/", 1)[-1] or "未知"
            raise UploadError(
                f"文档引用了外部文件或模板（{shown}），打开时会自动连接外部地址，不予接受；"
                "请删除外部引用后另存再上传。"
            )


def check_ooxml(fileobj):
    """'docx' or 'xlsx' from the package's own declaration, after every check of the module docstring.

    `fileobj` is a seekable binary file or bytes. Raises UploadError with a Chinese message.
    """
    if isinstance(fileobj, (bytes, bytearray)):
        fileobj = io.BytesIO(fileobj)
    try:
        with zipfile.ZipFile(fileobj) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise UploadError(f"文档内部文件超过 {MAX_ZIP_ENTRIES} 个，疑似压缩炸弹，不予接受。")
            if sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
                raise UploadError(
                    f"文档解压后超过 {size_label(MAX_ZIP_UNCOMPRESSED)}，疑似压缩炸弹，不予接受。"
                )
            names = set()
            for info in infos:
                problem = _zip_name_problem(info)
                if problem:
                    raise UploadError(problem)
                if info.file_size > ZIP_RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(
                    info.compress_size, 1
                ):
                    raise UploadError("文档内部压缩比异常，疑似压缩炸弹，不予接受。")
                if info.filename in names:
                    raise UploadError("文档内部含有重名的部分，不予接受。")
                names.add(info.filename)
            if "[Content_Types].xml" not in names:
                raise UploadError("文件内容与扩展名不符（不是有效的 Word/Excel 文档）。")
            budget = MAX_ZIP_UNCOMPRESSED
            content_types = None
            for info in infos:
                if info.is_dir():
                    continue
                data = _read_entry(zf, info, budget)  # every entry: actual size and CRC are checked
                budget -= len(data)
                if info.filename.lower().endswith(VML_SUFFIX) and re.search(
                    rb"<!(DOCTYPE|ENTITY)", data, re.I
                ):
                    raise UploadError(OFFICE_STRUCTURE)
                if not info.filename.lower().endswith(XML_SUFFIXES):
                    continue
                root = _parse_xml(data)
                if info.filename == "[Content_Types].xml":
                    content_types = root
                elif info.filename.lower().endswith(".rels"):
                    _check_relationships(root)
    except zipfile.BadZipFile:
        raise UploadError(OFFICE_BROKEN) from None
    except UploadError:
        raise
    except Exception:  # zlib errors, unsupported compression, truncated members
        raise UploadError(OFFICE_BROKEN) from None
    declared = [
        el.get("ContentType", "")
        for el in content_types.iter()
        if el.tag in (f"{CT_NS}Override", f"{CT_NS}Default")
    ]
    if any("macroenabled" in ct.lower() or "vbaproject" in ct.lower() for ct in declared):
        raise UploadError(OFFICE_MACRO)
    for el in content_types.iter(f"{CT_NS}Override"):
        kind = OOXML_MAIN.get(el.get("ContentType", ""))
        if kind and el.get("PartName", "").lstrip("/") in names:
            return kind
    raise UploadError("文件内容与扩展名不符（不是有效的 Word/Excel 文档）。")


# --- PDF ----------------------------------------------------------------------------------------------


def _pdf_walk(obj):
    """The reason for the first forbidden key or value in a (direct) PDF object, else None."""
    stack = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 64:
            continue
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in PDF_FORBIDDEN_KEYS:
                    return PDF_FORBIDDEN_KEYS[key]
                if (
                    isinstance(value, NameObject)
                    and key in ("/S", "/Subtype")
                    and value in PDF_FORBIDDEN_VALUES
                ):
                    return PDF_FORBIDDEN_VALUES[value]
                stack.append((value, depth + 1))
        elif isinstance(item, ArrayObject):
            stack.extend((v, depth + 1) for v in item)
    return None


def check_pdf(data):
    """Parse a PDF with pypdf and refuse what a reviewer should not open (module docstring)."""
    broken = "PDF 文件已损坏或不完整（无法解析），请重新导出或扫描后上传。"
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise UploadError(broken)
    rest = data[end + 5 :]
    if len(rest) > PDF_TRAILING_SLACK or rest.strip(b" \t\r\n\f\0"):
        raise UploadError("PDF 文件结束标记之后还附带其他内容，不予接受；请重新导出为普通 PDF 后上传。")
    if any(marker in data for marker in PDF_ACTIVE):
        raise UploadError("PDF 含有脚本、启动命令或嵌入文件，不予接受；请重新扫描或另存为普通 PDF。")
    try:
        reason = _pdf_scan(PdfReader(io.BytesIO(data), strict=False))
    except UploadError:
        raise
    except Exception:  # pypdf raises many kinds on broken input (PdfReadError, ValueError, KeyError…)
        raise UploadError(broken) from None
    if reason:
        raise UploadError(f"PDF 含有{reason}，不予接受；请重新扫描或另存为普通 PDF 后上传。")


def _pdf_scan(reader):
    """Encryption and page count, then every indirect object (plain and in object streams), walked."""
    if reader.is_encrypted:
        raise UploadError("PDF 已加密（设有密码或权限限制），审核人员无法打开；请取消加密后另存再上传。")
    pages = len(reader.pages)
    if pages == 0:
        raise UploadError("PDF 没有任何页面，请重新导出或扫描后上传。")
    if pages > MAX_PDF_PAGES:
        raise UploadError(f"PDF 超过 {MAX_PDF_PAGES} 页，请拆分后上传。")
    refs = [(idnum, gen) for gen, objects in reader.xref.items() for idnum in objects]
    refs += [(idnum, 0) for idnum in reader.xref_objStm]
    if len(refs) > MAX_PDF_OBJECTS:
        raise UploadError("PDF 结构过于复杂，不予接受；请重新导出后上传。")
    reason = _pdf_walk(reader.trailer)
    for idnum, gen in refs:
        if reason:
            break
        reason = _pdf_walk(reader.get_object(IndirectObject(idnum, gen, reader)))
    return reason


# --- images -------------------------------------------------------------------------------------------


def _too_many_pixels(width=None, height=None):
    size = f"（{width}×{height}）" if width else ""
    return f"图片像素过多{size}，超过 {MAX_IMAGE_PIXELS // 10_000:,} 万像素上限，疑似解压炸弹，不予接受。"


def _decode_image(data, label, formats):
    """Open (only with the named decoders) and decode every pixel, under the pixel limit."""
    broken = f"{label}已损坏或无法识别，请重新拍摄或另存后上传。"
    try:
        with warnings.catch_warnings():
            # Pillow warns between 1× and 2× MAX_IMAGE_PIXELS (and raises above): the size check right
            # below turns the warning band into a refusal that names the size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
            raise UploadError(_too_many_pixels(width, height))
        if image.format == "PNG":  # every chunk to IEND with its CRC, whatever the global flag says
            Image.open(io.BytesIO(data), formats=formats).verify()
        with warnings.catch_warnings(), _TRUNCATED_FLAG:
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            saved = ImageFile.LOAD_TRUNCATED_IMAGES
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                image.load()  # every pixel of the first frame; re-encoding keeps only it
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = saved
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(_too_many_pixels()) from None
    except UploadError:
        raise
    except Exception:  # OSError "image file is truncated", broken data streams, unknown formats
        raise UploadError(broken) from None
    return image


def _reencode(image, fmt, label):
    """Upright by EXIF orientation, downscaled to PHOTO_MAX_SIDE, encoded again without EXIF/metadata."""
    try:
        image = ImageOps.exif_transpose(image)
        # Pillow carries some of the source's metadata over from `info` (a JPEG comment, for one): keep
        # only what drawing needs (a palette's transparent colour).
        image.info = {k: v for k, v in image.info.items() if k == "transparency"}
        out = io.BytesIO()
        if fmt == "JPEG":
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
            image.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)  # no exif= : GPS and device gone
        else:
            if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
                image = image.convert("RGBA")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
            image.save(out, "PNG", optimize=True)  # no pnginfo= : text chunks and eXIf dropped
    except Exception:
        raise UploadError(f"{label}已损坏或无法识别，请重新拍摄或另存后上传。") from None
    return out.getvalue()


def _is_heif(head):
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def _sha(data):
    return hashlib.sha256(data).hexdigest()


# --- entry points -------------------------------------------------------------------------------------


def _validate(uploaded_file, label):
    original = clean_original_name(getattr(uploaded_file, "name", ""))
    ext = _extension(original)
    if ext in MACRO_EXTENSIONS:
        raise UploadError("不接受含宏的 Office 文件（.xlsm/.docm 等），请另存为 .xlsx/.docx 后上传。")
    if ext not in ALLOWED:
        shown = f"“.{ext}”" if ext else "无扩展名"
        raise UploadError(f"不支持的文件类型（{shown}），仅可上传 {label} 文件。")
    data = _check_size(uploaded_file)
    canonical, content_type = ALLOWED[ext]
    head = data[:HEAD_BYTES]
    if head.startswith(b"PK\x03\x04"):
        sniffed = check_ooxml(data) if canonical in ("docx", "xlsx") else "zip"
    else:
        kind = filetype.guess(head)
        sniffed = kind.extension if kind is not None else None
    if sniffed != canonical:
        raise UploadError(f"文件内容与扩展名不符（扩展名为 .{ext}，内容不是 {canonical.upper()} 文件）。")
    image = None
    if canonical == "pdf":
        check_pdf(data)
    elif canonical in IMAGE_FORMATS:
        image = _decode_image(data, "图片", [IMAGE_FORMATS[canonical]])
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    return CheckedUpload(canonical, content_type, len(data), _sha(data), original), data, image


def validate_upload(uploaded_file, *, label=ALLOWED_LABEL):
    """Check one uploaded file by parsing it; returns a CheckedUpload (of the bytes as uploaded) or raises
    UploadError with a Chinese message. To *store* a file use prepare_upload (images are re-encoded)."""
    return _validate(uploaded_file, label)[0]


def prepare_upload(uploaded_file, *, label=PHOTO_LABEL):
    """Check one file (every check of validate_upload) and return what to store.

    HEIC/HEIF → JPEG; every JPEG → JPEG (quality 85) and every PNG → PNG, decoded and encoded again:
    upright, at most PHOTO_MAX_SIDE, without EXIF or anything appended after the image data. PDF, DOCX and
    XLSX are stored as uploaded. The returned checked size/hash/type describe the bytes to store.
    """
    original = clean_original_name(getattr(uploaded_file, "name", ""))
    if _extension(original) in HEIF_EXTENSIONS:
        return _prepare_heif(uploaded_file, original)
    checked, data, image = _validate(uploaded_file, label)
    if image is None:
        return PreparedUpload(checked, ContentFile(data, name=original))
    fmt = IMAGE_FORMATS[checked.ext]
    stored = _reencode(image, fmt, "图片")
    checked = CheckedUpload(checked.ext, checked.content_type, len(stored), _sha(stored), original)
    return PreparedUpload(checked, ContentFile(stored, name=original))


def _prepare_heif(uploaded_file, original):
    data = _check_size(uploaded_file)
    if not _is_heif(data[:HEAD_BYTES]):
        ext = _extension(original)
        raise UploadError(f"文件内容与扩展名不符（扩展名为 .{ext}，内容不是 HEIC 照片）。")
    image = _decode_image(data, "HEIC 照片", ["HEIF"])
    stored = _reencode(image, "JPEG", "HEIC 照片")
    name = clean_original_name(f"{os.path.splitext(original)[0] or '照片'}.jpg")
    checked = CheckedUpload("jpg", "image/jpeg", len(stored), _sha(stored), name)
    return PreparedUpload(checked, ContentFile(stored, name=name))
