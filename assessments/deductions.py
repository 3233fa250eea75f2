"""Where the supervision deduction (日常监管扣分) of an assessment comes from.

assessments owns the arithmetic (each amount rounded to the cent here, their sum capped by the standard
in services/totals.py) but not the problems behind the amounts: those are the village's confirmed ledger
problems, kept by `ledgers`, an app above this one that assessments may not import. So an app that holds
such problems registers a *source* here from its `AppConfig.ready()` (ledgers: `LedgersConfig.ready()`,
see ledgers/deductions.py). With no source registered (ledgers not installed) no assessment has a
supervision deduction.

A source is two functions of an assessment, each reading what it needs in one query:

    amounts(assessment) -> the deduction amounts (Decimal), in the order of `entries`
    entries(assessment) -> the records behind them, for the 初审 page's 日常监管扣分来源 table: each has
                           `amount`, `checked_on`, `finding`, `self_reported`, `village.name` and
                           `submission.unit.name` / `.year` / `.month`
"""

from collections.abc import Callable
from dataclasses import dataclass

from .scoring import q2


@dataclass(frozen=True)
class SupervisionSource:
    amounts: Callable
    entries: Callable


_sources: list[SupervisionSource] = []


def register_supervision_source(*, amounts, entries):
    """Register a source of supervision deductions; registering the same functions again changes nothing."""
    source = SupervisionSource(amounts=amounts, entries=entries)
    if source not in _sources:
        _sources.append(source)
    return source


def registered_sources():
    """The registered sources, in registration order."""
    return list(_sources)


def supervision_deductions(assessment):
    """Every deduction of the assessment, rounded to the cent; the caller caps their sum."""
    return [q2(amount) for source in _sources for amount in source.amounts(assessment)]


def supervision_deduction_sources(assessment):
    """The records behind the deductions, for the reviewer: unit, month, village, finding, amount."""
    return [entry for source in _sources for entry in source.entries(assessment)]
