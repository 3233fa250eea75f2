"""Writes to index standards. Each one is atomic and leaves one audit row."""

from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from audit.services import audit_log
from common.errors import InvalidInputError

from .importing import (
    FORMATS,
    Problem,
    StandardImportError,
    ir_from_standard,
    parse_and_validate,
    read_source,
    replace_content,
    sha256_of,
    tree_prefetches,
    write_standard,
)
from .importing.validator import YEAR_RANGE
from .models import IndexStandard, StandardLockedError

__all__ = [
    "StandardCopyError",
    "StandardImportError",
    "StandardLockedError",
    "standard_copy",
    "standard_import",
    "standard_replace_from_file",
    "standard_update_meta",
]


class StandardCopyError(InvalidInputError):
    """A new version cannot be made (version taken, bad year); the message is for the user."""


def _version_exists(code, year, version):
    return IndexStandard.objects.filter(code=code, year=year, version=version).exists()


def _township_id(standard=None, township=None):
    if township is not None:
        return township.pk
    return standard.township_id if standard is not None else None


def _audit_failure(action, *, actor, request, standard=None, township=None, message, detail):
    audit_log(
        action=action,
        actor=actor,
        request=request,
        obj=standard,
        object_type="" if standard is not None else "indices.indexstandard",
        township_id=_township_id(standard, township),
        result=AuditEvent.Result.FAILURE,
        message=message,
        detail=detail,
    )


def _check_format(fmt):
    if fmt not in FORMATS:
        raise StandardImportError(
            [Problem("文件", f"不支持的文件格式“{fmt}”，请使用 YAML（.yaml/.yml）或 Excel（.xlsx）")]
        )


def _version_taken_message(code, year, version):
    return f"标准 {code} {year}年 版本“{version}”已存在，请使用新的版本号"


def _write_new(ir, **kwargs):
    """write_standard, turning a concurrent import of the same version into the usual problem."""
    try:
        with transaction.atomic():
            return write_standard(ir, **kwargs)
    except IntegrityError:
        if not _version_exists(ir.code, ir.year, ir.version):
            raise
        raise StandardImportError(
            [Problem(ir.loc.at("version"), _version_taken_message(ir.code, ir.year, ir.version))]
        ) from None


def standard_import(*, source, fmt, actor, year=None, region=None, township=None, request=None):
    """Import a new standard version from YAML or Excel: validate everything, then write it in one go.

    `region`/`township` say whose standard it is (a township's standard is a local version; its region
    is the township's). Raises StandardImportError listing every problem; nothing is written then.
    """
    if township is not None:
        region = township.region
    digest = ""
    try:
        _check_format(fmt)
        data = read_source(source)
        digest = sha256_of(data)
        with transaction.atomic():
            ir = parse_and_validate(data, fmt, year=year, version_exists=_version_exists)
            standard = _write_new(ir, region=region, township=township, actor=actor, sha256=digest)
            audit_log(
                action="standard.import",
                actor=actor,
                request=request,
                obj=standard,
                township_id=_township_id(township=township),
                message=f"导入指数标准《{standard.name}》{standard.year}年 {standard.version}",
                detail={"format": fmt, "sha256": digest, "code": standard.code, "version": standard.version},
            )
    except StandardImportError as exc:
        _audit_failure(
            "standard.import",
            actor=actor,
            request=request,
            township=township,
            message=f"导入指数标准失败：{len(exc.problems)} 个问题",
            detail={"format": fmt, "sha256": digest, "problems": [str(p) for p in exc.problems[:50]]},
        )
        raise
    return standard


def standard_replace_from_file(*, standard, source, fmt, actor, request=None):
    """Re-import the content of an unused draft in place. Code and level must match; year and version stay."""
    digest = ""
    try:
        _check_format(fmt)
        data = read_source(source)
        digest = sha256_of(data)
        with transaction.atomic():
            locked = IndexStandard.objects.select_for_update().get(pk=standard.pk)
            locked.guard_editable()
            if locked.status != IndexStandard.Status.DRAFT:
                raise StandardImportError(
                    [
                        Problem(
                            "标准",
                            f"只有草稿状态的标准可以重新导入，当前状态为“{locked.get_status_display()}”",
                        )
                    ]
                )
            # The draft keeps its year and version; a file naming another year is refused.
            ir = parse_and_validate(
                data, fmt, year=locked.year, version_exists=lambda code, year, version: False
            )
            mismatch = []
            if ir.code != locked.code:
                mismatch.append(
                    Problem(ir.loc.at("code"), f"文件中的标准编码“{ir.code}”与当前标准“{locked.code}”不一致")
                )
            if ir.level != locked.level:
                mismatch.append(Problem(ir.loc.at("level"), "文件中的层级与当前标准不一致"))
            if mismatch:
                raise StandardImportError(mismatch)
            ir.year, ir.version = locked.year, locked.version
            replace_content(locked, ir, sha256=digest)
            audit_log(
                action="standard.replace",
                actor=actor,
                request=request,
                obj=locked,
                township_id=locked.township_id,
                message=f"重新导入指数标准《{locked.name}》{locked.year}年 {locked.version}",
                detail={"format": fmt, "sha256": digest},
            )
    except StandardImportError as exc:
        _audit_failure(
            "standard.replace",
            actor=actor,
            request=request,
            standard=standard,
            message=f"重新导入指数标准失败：{len(exc.problems)} 个问题",
            detail={"format": fmt, "sha256": digest, "problems": [str(p) for p in exc.problems[:50]]},
        )
        raise
    except StandardLockedError as exc:
        _audit_failure(
            "standard.replace", actor=actor, request=request, standard=standard, message=str(exc), detail={}
        )
        raise
    return locked


_KEEP = object()


def standard_copy(
    *, standard, new_version, year, actor, label="", request=None, region=_KEEP, township=_KEEP
):
    """新建版本: deep-copy the whole tree into a new draft derived from `standard` (allowed when in use).

    The copy keeps the source's owner unless `region`/`township` say otherwise (a township's copy of the
    city standard is its local version; region=None, township=None makes a global one).
    """
    new_version = (new_version or "").strip()
    if not new_version:
        raise StandardCopyError("请填写新版本号")
    if len(new_version) > 40:
        raise StandardCopyError("版本号不能超过 40 个字")
    if not isinstance(year, int) or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise StandardCopyError(f"年度应在 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 之间")
    label = (label or "").strip()
    if len(label) > 40:
        raise StandardCopyError("版本名称不能超过 40 个字")
    with transaction.atomic():
        if IndexStandard.objects.filter(code=standard.code, year=year, version=new_version).exists():
            raise StandardCopyError(_version_taken_message(standard.code, year, new_version))
        source = IndexStandard.objects.prefetch_related(*tree_prefetches()).get(pk=standard.pk)
        ir = ir_from_standard(source)
        ir.year, ir.version = year, new_version
        if region is _KEEP and township is _KEEP:
            region, owner = source.region, source.township
        else:
            owner = None if township is _KEEP else township
            region = owner.region if owner is not None else (None if region is _KEEP else region)
        try:
            copy = _write_new(
                ir,
                region=region,
                township=owner,
                actor=actor,
                sha256=source.source_sha256,
                derived_from=source,
                status=IndexStandard.Status.DRAFT,
            )
        except StandardImportError as exc:
            raise StandardCopyError(exc.problems[0].message) from None
        if label and label != copy.label:
            copy.label = label
            copy.save(update_fields=["label"])
        audit_log(
            action="standard.copy",
            actor=actor,
            request=request,
            obj=copy,
            township_id=copy.township_id,
            message=f"以《{source.name}》{source.year}年 {source.version} 为基础新建版本 "
            f"{year}年 {new_version}",
            detail={"from": source.pk, "version": new_version, "year": year, "label": copy.label},
        )
    return copy


def standard_update_meta(*, standard, actor, name, status, notes, label=None, request=None):
    """Change name, version label, status and notes of a standard no assessment uses yet (label None:
    kept; blank: back to the default “{year}年版”)."""
    name = (name or "").strip()
    if status not in IndexStandard.Status.values:
        raise ValueError(f"未知状态 {status}")
    try:
        with transaction.atomic():
            locked = IndexStandard.objects.select_for_update().get(pk=standard.pk)
            locked.guard_editable()
            return _update_meta(
                locked, actor=actor, request=request, name=name, status=status, notes=notes, label=label
            )
    except StandardLockedError as exc:
        # Outside the rolled-back transaction, so the refusal stays on record.
        _audit_failure(
            "standard.update", actor=actor, request=request, standard=standard, message=str(exc), detail={}
        )
        raise


def _update_meta(locked, *, actor, request, name, status, notes, label=None):
    before = {"name": locked.name, "status": locked.status, "notes": locked.notes, "label": locked.label}
    locked.name, locked.status, locked.notes = name, status, notes or ""
    if label is not None:
        locked.label = label.strip()[:40]  # blank: save() puts back the default
    locked.save(update_fields=["name", "status", "notes", "label"])
    audit_log(
        action="standard.update",
        actor=actor,
        request=request,
        obj=locked,
        township_id=locked.township_id,
        message=f"修改指数标准《{locked.name}》基本信息",
        detail={
            "before": before,
            "after": {"name": name, "status": status, "notes": locked.notes, "label": locked.label},
        },
    )
    return locked
