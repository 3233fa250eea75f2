"""Cleaning a typed or imported text value at the door (issue 15: look-alike names, unbounded cells).

One function decides what a text value may hold, for the forms people type into and for every Excel
import: NFKC-normalised (full-width digits and letters become ASCII, so "１号" and "1号" are one name),
refused when it holds format characters (Unicode Cf: zero-width space/joiner, BOM, bidi controls) or
control characters (Cc; TAB and line breaks only in multi-line fields, CRLF stored as LF), stripped,
and held to a maximum length. Names (single line) also collapse inner runs of spaces, and their
parentheses are the full-width 「（）」 whichever way they were typed, so "小孙官村(东)" and
"小孙官村（东）" are the same name.

Chinese full-width punctuation (，：；！？（）…) is kept as typed: plain NFKC would turn it into ASCII
and change every sentence people write; only digits, letters and spaces of the full-width block are
folded.
"""

import re
import unicodedata

from .errors import InvalidInputError

# Limits for text the model leaves unbounded (TextField): a note or a reason, a long description.
NOTE_LIMIT = 2000
LONG_LIMIT = 5000
LINE_LIMIT = 200

# The full-width ASCII block (U+FF01–U+FF5E) minus digits and letters: Chinese punctuation kept as typed.
_KEPT_PUNCTUATION = re.compile(
    "([" + "".join(chr(c) for c in range(0xFF01, 0xFF5F) if not chr(c).isalnum()) + "])"
)
_SPACES = re.compile(r"[ \t]+")
_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x85")
_NAME_PARENTHESES = str.maketrans({"(": "（", ")": "）"})

# Names users know for the invisible characters met most often in pasted text.
_KNOWN = {
    "\u200b": "零宽空格",
    "\u200c": "零宽不连字",
    "\u200d": "零宽连字",
    "\u2060": "零宽不换行",
    "\ufeff": "BOM 字节顺序标记",
    "\u00ad": "软连字符",
    "\u202a": "文字方向控制符",
    "\u202b": "文字方向控制符",
    "\u202c": "文字方向控制符",
    "\u202d": "文字方向控制符",
    "\u202e": "文字方向控制符",
    "\u2066": "文字方向控制符",
    "\u2067": "文字方向控制符",
    "\u2068": "文字方向控制符",
    "\u2069": "文字方向控制符",
    "\u200e": "文字方向控制符",
    "\u200f": "文字方向控制符",
}


class TextRefused(InvalidInputError):
    """A text value that cannot be stored; `reason` is the sentence without the field's name."""

    def __init__(self, message, *, reason=""):
        super().__init__(message)
        self.reason = reason or message


def _nfkc(text):
    """NFKC, except Chinese full-width punctuation, which is kept as typed."""
    pieces = _KEPT_PUNCTUATION.split(text)
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(pieces))


def _invisible(text, *, multiline):
    """A Chinese description of the first character the value may not hold, or None."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf":
            what = _KNOWN.get(ch, "格式字符")
            return f"含有不可见的{what}（U+{ord(ch):04X}），请删除后重新输入。"
        if category in ("Cc", "Cs") and not (multiline and ch in "\t\n"):
            if ch in "\n\t":
                return "含有换行符或制表符，此项只能填写一行。"
            return f"含有不可见的控制字符（U+{ord(ch):04X}），请删除后重新输入。"
    return None


def check_text(value, *, max_length, multiline=False, name=False, strip=True):
    """(cleaned text, reason or None). `reason` is a Chinese sentence that does not name the field,
    for callers that locate the problem themselves (an import's sheet/row/column). `strip=False` keeps
    surrounding whitespace where it carries meaning (a pasted table's leading and trailing tabs)."""
    if value is None:
        return "", None
    text = value if isinstance(value, str) else str(value)
    if multiline:
        text = _LINE_BREAKS.sub("\n", text)
    elif name:
        # a name pasted with a trailing line break is still one line; inner breaks are refused below
        text = text.strip("\r\n")
    reason = _invisible(text, multiline=multiline)
    if reason:
        return text, reason
    text = _nfkc(text)
    # NFKC may compose something new; check the result too (it never introduces Cf today)
    reason = _invisible(text, multiline=multiline)
    if reason:
        return text, reason
    if strip:
        text = text.strip()
    if name:
        text = _SPACES.sub(" ", text).translate(_NAME_PARENTHESES)
    if max_length is not None and len(text) > max_length:
        return text, f"长度不能超过 {max_length} 个字（现有 {len(text)} 个）。"
    return text, None


def clean_text(value, *, label, max_length, multiline=False, name=False):
    """The cleaned text, or raise TextRefused whose message names the field (`label`)."""
    text, reason = check_text(value, max_length=max_length, multiline=multiline, name=name)
    if reason:
        raise TextRefused(f"“{label}”{reason}", reason=reason)
    return text


def name_key(value):
    """The form two names are compared in (duplicates, look-alikes): the cleaned name, or the raw text
    when it would be refused anyway."""
    text, _reason = check_text(value, max_length=None, name=True)
    return text
