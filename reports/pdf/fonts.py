"""The forms' typeface: Noto Serif CJK SC, through a smaller file when the document allows it.

The system's Noto Serif CJK SC is a 26 MB collection of 65,000 glyphs; WeasyPrint subsets the glyphs a
document uses from it at every PDF (HarfBuzz walks the whole font), and Pango loads it per process. A
copy holding only GB 2312 (6,763 hanzi, the characters of nearly every name), Latin, punctuation, the
forms' symbols and every character of the templates is made once per machine (fontTools, cached under
QL_FONT_CACHE_DIR) and registered under a family of its own ("QL Serif SC"). A document uses it only
if the subset holds every character of the document (checked against its cmap); otherwise the whole
document is set in the full font: a name with a rare character (𠮷, 鿏) is never printed as a
missing-glyph box. Without fontTools or the system font, every document uses the full font.
"""

import fcntl
import hashlib
import logging
import os
import subprocess
import threading
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

FULL_FAMILY = "Noto Serif CJK SC"
SUBSET_FAMILY = "QL Serif SC"
SUBSET_VERSION = "1"  # bump when the character set below changes
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "reports" / "pdf"
RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x17F),  # Latin-1 and Latin Extended-A
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x214F),  # letter-like symbols (℃, №)
    (0x2150, 0x218F),  # number forms (Ⅰ Ⅱ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≤ ≥ ×)
    (0x2460, 0x24FF),  # enclosed numbers (①)
    (0x2500, 0x25FF),  # box drawing, geometric shapes (□ ■ ○ ●)
    (0x2600, 0x27BF),  # symbols and dingbats (☑ ✓)
    (0x3000, 0x303F),  # CJK punctuation
    (0x3200, 0x32FF),  # enclosed CJK (㈠)
    (0xFF00, 0xFFEF),  # full-width forms
)


def _gb2312():
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def subset_codepoints():
    points = {ord(c) for c in _gb2312()}
    for lo, hi in RANGES:
        points.update(range(lo, hi + 1))
    for template in sorted(TEMPLATES.glob("*.html")):
        points.update(ord(c) for c in template.read_text(encoding="utf-8") if ord(c) > 0x7F)
    return points


def _system_font(style):
    """(file, index in the collection) of the system's Noto Serif CJK SC in this style, or None."""
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", f"{FULL_FAMILY}:style={style}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        path, index, family = [*out.split("\t"), "", "", ""][:3]
        if FULL_FAMILY in family.split(",") and Path(path).is_file():
            return Path(path), int(index or 0)
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    # no fc-match (a slim image): the Debian/Ubuntu package's file
    from fontTools.ttLib import TTCollection

    for path in sorted(Path("/usr/share/fonts").rglob(f"NotoSerifCJK-{style}.tt[cf]")):
        collection = TTCollection(path, lazy=True)
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == FULL_FAMILY:
                return path, index
    return None


def _cache_dir():
    return Path(getattr(settings, "QL_FONT_CACHE_DIR", None) or Path(settings.VAR_DIR) / "fonts")


def _make_subset(source, index, style, target):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, fontNumber=index, lazy=False)
    options = subset.Options()
    options.layout_features = ["*"]  # vertical forms, kerning, proportional punctuation stay available
    options.name_IDs = ["*"]
    options.hinting = False  # a PDF has no use for them
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset_codepoints())
    subsetter.subset(font)
    # a family of its own: documents that need the full font keep getting the full font
    names = {
        1: SUBSET_FAMILY,
        2: style,
        4: f"{SUBSET_FAMILY} {style}",
        6: f"QLSerifSC-{style}",
        16: SUBSET_FAMILY,
        17: style,
    }
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names:
            table.removeNames(nameID=record.nameID)
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(tmp)
    font.close()
    tmp.replace(target)  # several workers may make it at once; each file is whole (a local cache, not media)


class SubsetFonts:
    """The subset files and their characters, made (or found in the cache) on first use."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ready = False
        self.files = {}  # weight → path
        self.cmap = frozenset()

    def load(self):
        with self.lock:
            if self.ready:
                return self
            self.ready = True
            try:
                self._load()
            except Exception:  # the full font always works; a missing subset only costs time
                log.warning("subset font unavailable; PDFs use the full %s", FULL_FAMILY, exc_info=True)
                self.files, self.cmap = {}, frozenset()
            return self

    def _load(self):
        from fontTools.ttLib import TTFont

        files, cmaps = {}, []
        for weight, style in ((400, "Regular"), (700, "Bold")):
            found = _system_font(style)
            if found is None:
                return
            source, index = found
            stat = source.stat()
            key = hashlib.sha256(
                f"{source}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{SUBSET_VERSION}".encode()
            ).hexdigest()[:16]
            target = _cache_dir() / f"ql-serif-sc-{style.lower()}-{key}.otf"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                # one process makes it (a minute or two); the others on the machine wait for it
                with open(target.with_suffix(".lock"), "w") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    if not target.exists():
                        _make_subset(source, index, style, target)
            font = TTFont(target, lazy=True)
            cmaps.append(frozenset(font.getBestCmap()))
            font.close()
            files[weight] = target
        self.files = files
        self.cmap = frozenset.intersection(*cmaps)

    def covers(self, text):
        return bool(self.cmap) and all(ord(c) in self.cmap or c.isspace() for c in set(text))


subset_fonts = SubsetFonts()


def register(font_config):
    """Register the subset family in a WeasyPrint FontConfiguration; False if there is none."""
    from weasyprint.urls import URLFetcher

    fonts = subset_fonts.load()
    if not fonts.files:
        return False
    fetcher = URLFetcher(allowed_protocols={"file"}, allow_redirects=False)
    for weight, path in fonts.files.items():
        font_config.add_font_face(
            {
                "src": [("external", path.as_uri())],
                "font_family": SUBSET_FAMILY,
                "font_weight": weight,
                "font_style": "normal",
            },
            fetcher,
        )
    return True
