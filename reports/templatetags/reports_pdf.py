"""Filters of the printed forms (reports/templates/reports/pdf/)."""

from django import template

from reports.data import fmt

register = template.Library()


@register.filter
def score(value):
    """A score as the forms print it (98.5, not 98.50); blank for None."""
    return fmt(value)


@register.filter
def lookup(mapping, key):
    """mapping[key], or None when absent (dimension scores by code)."""
    return mapping.get(key) if mapping else None


@register.filter
def blank(value):
    """The value, or nothing at all: an empty cell never prints "None"."""
    return "" if value is None else value


CN_ORDINALS = "一二三四五六七八九十"


@register.filter
def cn_ordinal(number):
    """1 → 一, 2 → 二 … (section numbers of the forms); beyond ten, the digits."""
    return CN_ORDINALS[number - 1] if 1 <= number <= len(CN_ORDINALS) else str(number)
