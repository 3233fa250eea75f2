"""The one intermediate representation every reader produces and the validator, writer and exporter use.

Plain dataclasses, no database. Each node carries a `Loc` so a problem can be reported where the user
put it: a YAML path ("维度 V2 / 指标 V2.3") or a worksheet row and column.
"""

from dataclasses import dataclass, field, fields
from decimal import Decimal


@dataclass
class Loc:
    """Where a node came from. `at(name)` gives the place of one of its fields.

    YAML: "维度 V2 / 指标 V2.3 的 max_score"; Excel: "工作表“维度指标”第 12 行“分值”列" (from `columns`,
    field name → header); `field_places` overrides both (the key/value sheet 基本信息).
    """

    label: str
    columns: dict | None = None
    field_places: dict = field(default_factory=dict)

    def at(self, name=None):
        if name is None:
            return self.label
        if name in self.field_places:
            return self.field_places[name]
        if self.columns is not None:
            header = self.columns.get(name)
            return f"{self.label}“{header}”列" if header else self.label
        return f"{self.label} 的 {name}"


def _nowhere():
    return Loc("")


@dataclass(frozen=True)
class Problem:
    place: str
    message: str

    def __str__(self):
        return f"{self.place}：{self.message}" if self.place else self.message


@dataclass
class RuleIR:
    kind: str  # ScoringRule.Kind value
    text: str = ""
    points: Decimal | None = None
    per: str = ""
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)


@dataclass
class IndicatorIR:
    code: str = ""
    name: str = ""
    max_score: Decimal | None = None
    scoring_method: str = ""
    scored_by: str = ""
    guidance: str = ""
    evidence: list = field(default_factory=list)
    assessment_methods: list = field(default_factory=list)
    computed: bool = False
    linked_to: str = ""
    formula: dict = field(default_factory=dict)
    source: str = ""
    rules: list = field(default_factory=list)
    children: list = field(default_factory=list)
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)


@dataclass
class DimensionIR:
    code: str = ""
    name: str = ""
    max_score: Decimal | None = None
    description: str = ""
    indicators: list | None = field(default_factory=list)  # None: not a list (already reported)
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)


@dataclass
class BonusIR:
    code: str = ""
    name: str = ""
    rule: str = ""
    per_item_cap: Decimal | None = None
    evidence: list = field(default_factory=list)
    note: str = ""
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)


@dataclass
class SupervisionIR:
    code: str = ""
    condition: str = ""
    points: Decimal | None = None
    per: str = ""
    multiplier: Decimal | None = None
    note: str = ""
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)


@dataclass
class VetoIR:
    code: str = ""
    description: str = ""
    source: str = ""
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)


@dataclass
class GradeIR:
    code: str = ""
    name: str = ""
    min_score: Decimal | None = None
    counts_as_qinglian: bool = True
    requires_no_veto: bool | None = None  # None: derived from the veto effect (see validator)
    min_dimension_ratio: Decimal | None = None
    extra_conditions: list = field(default_factory=list)
    final_decision_by: str = ""
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)


@dataclass
class StandardIR:
    code: str = ""
    name: str = ""
    level: str = ""
    year: int | None = None
    version: str = ""
    status: str = "draft"
    total_base_score: Decimal | None = None
    score_precision: Decimal | None = Decimal("0.5")
    scored_by: str = ""
    notes: str = ""
    veto_lookback: str = ""
    veto_effect_text: str = ""
    bonus_total_cap: Decimal | None = Decimal("0")
    supervision_deduction_cap: Decimal | None = Decimal("0")
    dimensions: list = field(default_factory=list)
    bonus_items: list = field(default_factory=list)
    supervision_items: list = field(default_factory=list)
    vetoes: list = field(default_factory=list)
    grades: list = field(default_factory=list)
    loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)
    bonus_loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)
    supervision_loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)
    vetoes_loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)
    grades_loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)
    dimensions_loc: Loc = field(default_factory=_nowhere, compare=False, repr=False)

    def all_indicators(self):
        for dim in self.dimensions:
            for ind in dim.indicators or []:
                yield dim, ind
                for child in ind.children:
                    yield dim, child


def as_dict(node):
    """The content of a node without locations: equal content ⇔ equal dicts (round-trip tests)."""
    if isinstance(node, list):
        return [as_dict(n) for n in node]
    if hasattr(node, "__dataclass_fields__"):
        return {f.name: as_dict(getattr(node, f.name)) for f in fields(node) if f.compare}
    return node
