from django import template
from django.utils import timezone

from access.scope import scope_for

register = template.Library()


@register.filter
def can(scope, cap):
    """{% if scope|can:"org.manage" %}: the role table decides what a page offers."""
    return scope.can(cap)


@register.filter
def cn_date(value):
    """2024年6月25日, the way the documents write dates."""
    if not value:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


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
