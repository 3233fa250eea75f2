import functools
import html
import re

from django import template
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from access.scope import scope_for
from common.dates import cn_date

register = template.Library()


@register.filter
def can(scope, cap):
    """{% if scope|can:"org.manage" %}: the role table decides what a page offers."""
    return scope.can(cap)


@register.filter(name="cn_date")
def cn_date_filter(value):
    """2024年6月25日 (datetimes: 2024年6月25日 09:30 in local time); empty values give ""."""
    if not value:
        return ""
    return cn_date(value, with_time=True)


@register.filter
def score(value):
    """Scores without trailing zeros: 4, 0.5, 97.5."""
    if value is None or value == "":
        return "—"
    text = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@register.simple_tag(takes_context=True)
def querystring_with(context, **kwargs):
    """The current query string with some keys replaced (sorting and pagination links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode() if query else "?"


@register.filter
def user_scope(user):
    return scope_for(user)


@register.inclusion_tag("includes/sort_th.html", takes_context=True)
def sort_th(context, key, label):
    """A sortable column header: click once for ascending, again for descending."""
    current = context["request"].GET.get("sort", "")
    query = context["request"].GET.copy()
    query.pop("page", None)
    query["sort"] = f"-{key}" if current == key else key
    arrow = "▲" if current == key else "▼" if current == f"-{key}" else ""
    return {"href": "?" + query.urlencode(), "label": label, "arrow": arrow}


class _Holds:
    """Stands in for a scope in the menu template: the capabilities it holds, nothing else."""

    def __init__(self, caps):
        self.caps = caps

    def can(self, cap):
        return cap in self.caps


@functools.cache
def _menu_caps():
    """Every capability the menu template asks about, read from the template itself."""
    source = get_template("includes/main_menu.html").template.source
    return tuple(sorted(set(re.findall(r'can:"([a-z_.]+)"', source))))


@functools.lru_cache(maxsize=256)
def _menu_html(held):
    return get_template("includes/main_menu.html").render({"scope": _Holds(held)})


@register.simple_tag
def main_menu(scope):
    """The main menu of every page. It depends only on which of its capabilities the user holds, so
    each combination is rendered once per process (its 20 links cost a page more than its data)."""
    return _menu_html(frozenset(cap for cap in _menu_caps() if scope.can(cap)))


@register.simple_tag
def select_options(choices, selected):
    """The <option>s of (value, label) pairs, the one equal to `selected` (compared as text) marked.

    Built in Python rather than a template loop: a province's picker of 667 townships cost the city's
    lists a few milliseconds per request as template nodes (issue 16)."""
    chosen = "" if selected is None else str(selected)
    # the standard library's escape (what Django's wraps, without its lazy-string check per call)
    return mark_safe(
        "".join(
            f'<option value="{html.escape(str(value))}"{" selected" if chosen and str(value) == chosen else ""}>'
            f"{html.escape(str(label))}</option>"
            for value, label in choices
        )
    )
