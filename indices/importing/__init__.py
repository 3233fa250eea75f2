"""Import of index standards: two readers (YAML, Excel) → one IR → one validator → one writer.

data = read_source(source)                  # bytes, with the size limit
ir = parse_and_validate(data, fmt, ...)     # raises StandardImportError with every problem
standard = write_standard(ir, ...)          # inside the caller's transaction.atomic()
"""

import hashlib
from pathlib import Path

from django.conf import settings

from common.errors import InvalidInputError

from .excel_reader import read_xlsx
from .ir import Problem, StandardIR, as_dict
from .validator import validate
from .writer import ir_from_standard, replace_content, tree_prefetches, write_standard
from .yaml_reader import read_yaml

FORMATS = {"yaml": "YAML", "xlsx": "Excel"}
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}


class StandardImportError(InvalidInputError):
    """The file cannot be imported; `problems` lists every reason with its place."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_for_name(name):
    """'yaml' / 'xlsx' from a file name's extension, or None."""
    return EXTENSIONS.get(Path(str(name or "")).suffix.lower())


def read_source(source):
    """Bytes of a source given as bytes, a path or an open (binary) file, within the import size limit."""
    limit = getattr(settings, "QL_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise StandardImportError([Problem("文件", f"找不到文件“{path}”")])
        if path.stat().st_size > limit:
            raise StandardImportError([Problem("文件", f"文件过大（超过 {limit // (1024 * 1024)} MB）")])
        data = path.read_bytes()
    else:
        data = source.read(limit + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    if len(data) > limit:
        raise StandardImportError([Problem("文件", f"文件过大（超过 {limit // (1024 * 1024)} MB）")])
    if not data:
        raise StandardImportError([Problem("文件", "文件为空")])
    return data


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def parse(data, fmt):
    """Bytes → (StandardIR or None, reader problems)."""
    if fmt == "yaml":
        return read_yaml(data)
    if fmt == "xlsx":
        return read_xlsx(data)
    return None, [Problem("文件", f"不支持的文件格式“{fmt}”，请使用 YAML（.yaml/.yml）或 Excel（.xlsx）")]


def parse_and_validate(data, fmt, *, year=None, version_exists=lambda code, year, version: False):
    """Bytes → a valid IR, or StandardImportError with every problem the readers and validator found."""
    ir, problems = parse(data, fmt)
    if ir is None:
        raise StandardImportError(problems)
    problems += validate(ir, year=year, version_exists=version_exists)
    if problems:
        raise StandardImportError(problems)
    return ir


__all__ = [
    "FORMATS",
    "Problem",
    "StandardIR",
    "StandardImportError",
    "as_dict",
    "format_for_name",
    "ir_from_standard",
    "parse",
    "parse_and_validate",
    "read_source",
    "replace_content",
    "sha256_of",
    "tree_prefetches",
    "validate",
    "write_standard",
]
