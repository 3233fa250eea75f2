"""IR ⇄ database. The writer runs only on a validated IR, inside the caller's transaction."""

from django.db.models import Prefetch

from indices.models import (
    BonusItem,
    Dimension,
    Grade,
    IndexStandard,
    Indicator,
    ScoringRule,
    SupervisionDeductionItem,
    VetoItem,
)

from .ir import BonusIR, DimensionIR, GradeIR, IndicatorIR, RuleIR, StandardIR, SupervisionIR, VetoIR
from .validator import parse_veto_effect

PART_MODELS = (ScoringRule, Indicator, Dimension, BonusItem, SupervisionDeductionItem, VetoItem, Grade)


def _header_fields(ir):
    effect, label, _ = parse_veto_effect(ir.veto_effect_text, ir.grades)
    return {
        "name": ir.name,
        "level": ir.level,
        "total_base_score": ir.total_base_score,
        "score_precision": ir.score_precision,
        "scored_by": ir.scored_by,
        "veto_lookback": ir.veto_lookback,
        "veto_effect": effect,
        "veto_effect_label": label,
        "bonus_total_cap": ir.bonus_total_cap,
        "supervision_deduction_cap": ir.supervision_deduction_cap,
        "notes": ir.notes,
    }


def write_standard(ir, *, region=None, township=None, actor=None, sha256="", derived_from=None, status=None):
    """Create the standard and its whole tree from a validated IR."""
    standard = IndexStandard.objects.create(
        code=ir.code,
        year=ir.year,
        version=ir.version,
        status=status or ir.status,
        region=region,
        township=township,
        source_sha256=sha256,
        derived_from=derived_from,
        created_by=actor,
        **_header_fields(ir),
    )
    _write_parts(standard, ir)
    return standard


def replace_content(standard, ir, *, sha256=""):
    """Replace the header and tree of an unused draft in place (the caller holds the row lock)."""
    for model in PART_MODELS:
        # Queryset deletes skip the per-row guard; the caller has checked the standard is not in use.
        model.objects.filter(standard=standard).delete()
    for field, value in _header_fields(ir).items():
        setattr(standard, field, value)
    standard.source_sha256 = sha256
    standard.save()
    _write_parts(standard, ir)
    return standard


def _write_parts(standard, ir):
    dims = Dimension.objects.bulk_create(
        Dimension(
            standard=standard,
            code=d.code,
            name=d.name,
            max_score=d.max_score,
            description=d.description,
            sort_order=i,
        )
        for i, d in enumerate(ir.dimensions)
    )
    order = iter(range(1, 32767))
    tops, children = [], []
    for dim, d in zip(dims, ir.dimensions, strict=True):
        for ind in d.indicators:
            tops.append((_indicator(standard, dim, None, ind, next(order)), ind))
            for child in ind.children:
                children.append((dim, tops[-1][0], child, next(order)))
    Indicator.objects.bulk_create(obj for obj, _ in tops)
    subs = [(_indicator(standard, dim, parent, child, n), child) for dim, parent, child, n in children]
    Indicator.objects.bulk_create(obj for obj, _ in subs)
    ScoringRule.objects.bulk_create(
        ScoringRule(
            standard=standard,
            indicator=obj,
            kind=r.kind,
            text=r.text,
            points=r.points,
            per=r.per,
            sort_order=i,
        )
        for obj, ind in tops + subs
        for i, r in enumerate(ind.rules)
    )
    BonusItem.objects.bulk_create(
        BonusItem(
            standard=standard,
            code=b.code,
            name=b.name,
            rule=b.rule,
            per_item_cap=b.per_item_cap,
            evidence=b.evidence,
            note=b.note,
            sort_order=i,
        )
        for i, b in enumerate(ir.bonus_items)
    )
    SupervisionDeductionItem.objects.bulk_create(
        SupervisionDeductionItem(
            standard=standard,
            code=s.code,
            condition=s.condition,
            points=s.points,
            per=s.per,
            multiplier=s.multiplier,
            note=s.note,
            sort_order=i,
        )
        for i, s in enumerate(ir.supervision_items)
    )
    VetoItem.objects.bulk_create(
        VetoItem(standard=standard, code=v.code, description=v.description, source=v.source, sort_order=i)
        for i, v in enumerate(ir.vetoes)
    )
    Grade.objects.bulk_create(
        Grade(
            standard=standard,
            code=g.code,
            name=g.name,
            rank=rank,
            min_score=g.min_score,
            counts_as_qinglian=g.counts_as_qinglian,
            requires_no_veto=bool(g.requires_no_veto),
            min_dimension_ratio=g.min_dimension_ratio,
            extra_conditions=g.extra_conditions,
            final_decision_by=g.final_decision_by,
        )
        for rank, g in enumerate(ir.grades, 1)
    )


def _indicator(standard, dim, parent, ind, sort_order):
    return Indicator(
        standard=standard,
        dimension=dim,
        parent=parent,
        code=ind.code,
        name=ind.name,
        max_score=ind.max_score,
        scoring_method=ind.scoring_method or "",
        scored_by=ind.scored_by,
        guidance=ind.guidance,
        evidence=ind.evidence,
        assessment_methods=ind.assessment_methods,
        computed=ind.computed,
        linked_to=ind.linked_to,
        formula=ind.formula,
        source=ind.source,
        sort_order=sort_order,
    )


def tree_prefetches():
    """The prefetches that load a whole standard in a constant number of queries."""
    return (
        Prefetch("dimensions", queryset=Dimension.objects.order_by("sort_order")),
        Prefetch(
            "indicators",
            queryset=Indicator.objects.order_by("sort_order").prefetch_related(
                Prefetch("rules", queryset=ScoringRule.objects.order_by("sort_order"))
            ),
        ),
        Prefetch("bonus_items", queryset=BonusItem.objects.order_by("sort_order")),
        Prefetch("supervision_items", queryset=SupervisionDeductionItem.objects.order_by("sort_order")),
        Prefetch("veto_items", queryset=VetoItem.objects.order_by("sort_order")),
        Prefetch("grades", queryset=Grade.objects.order_by("rank")),
    )


def ir_from_standard(standard):
    """A stored standard → IR (export, copy, round-trip comparison). Uses prefetched data if present."""
    ir = StandardIR(
        code=standard.code,
        name=standard.name,
        level=standard.level,
        year=standard.year,
        version=standard.version,
        status=standard.status,
        total_base_score=standard.total_base_score,
        score_precision=standard.score_precision,
        scored_by=standard.scored_by,
        notes=standard.notes,
        veto_lookback=standard.veto_lookback,
        veto_effect_text=standard.veto_effect_label,
        bonus_total_cap=standard.bonus_total_cap,
        supervision_deduction_cap=standard.supervision_deduction_cap,
    )
    by_dim, by_parent = {}, {}
    for ind in sorted(standard.indicators.all(), key=lambda i: i.sort_order):
        node = IndicatorIR(
            code=ind.code,
            name=ind.name,
            max_score=ind.max_score,
            scoring_method=ind.scoring_method,
            scored_by=ind.scored_by,
            guidance=ind.guidance,
            evidence=list(ind.evidence),
            assessment_methods=list(ind.assessment_methods),
            computed=ind.computed,
            linked_to=ind.linked_to,
            formula=dict(ind.formula or {}),
            source=ind.source,
            rules=[
                RuleIR(kind=r.kind, text=r.text, points=r.points, per=r.per)
                for r in sorted(ind.rules.all(), key=lambda r: r.sort_order)
            ],
        )
        by_parent[ind.pk] = node
        if ind.parent_id is None:
            by_dim.setdefault(ind.dimension_id, []).append(node)
        else:
            by_parent[ind.parent_id].children.append(node)
    for dim in sorted(standard.dimensions.all(), key=lambda d: d.sort_order):
        ir.dimensions.append(
            DimensionIR(
                code=dim.code,
                name=dim.name,
                max_score=dim.max_score,
                description=dim.description,
                indicators=by_dim.get(dim.pk, []),
            )
        )
    ir.bonus_items = [
        BonusIR(
            code=b.code,
            name=b.name,
            rule=b.rule,
            per_item_cap=b.per_item_cap,
            evidence=list(b.evidence),
            note=b.note,
        )
        for b in sorted(standard.bonus_items.all(), key=lambda b: b.sort_order)
    ]
    ir.supervision_items = [
        SupervisionIR(
            code=s.code,
            condition=s.condition,
            points=s.points,
            per=s.per,
            multiplier=s.multiplier,
            note=s.note,
        )
        for s in sorted(standard.supervision_items.all(), key=lambda s: s.sort_order)
    ]
    ir.vetoes = [
        VetoIR(code=v.code, description=v.description, source=v.source)
        for v in sorted(standard.veto_items.all(), key=lambda v: v.sort_order)
    ]
    ir.grades = [
        GradeIR(
            code=g.code,
            name=g.name,
            min_score=g.min_score,
            counts_as_qinglian=g.counts_as_qinglian,
            requires_no_veto=g.requires_no_veto,
            min_dimension_ratio=g.min_dimension_ratio,
            extra_conditions=list(g.extra_conditions),
            final_decision_by=g.final_decision_by,
        )
        for g in sorted(standard.grades.all(), key=lambda g: g.rank)
    ]
    return ir
