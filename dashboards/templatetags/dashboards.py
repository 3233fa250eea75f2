"""Small template helpers of the dashboards."""

from django import template
from django.utils.html import format_html_join, json_script

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def chart_data(charts):
    """One <script type="application/json" id="chart-KEY"> per chart, read by static/js/dashboard.js."""
    return format_html_join(
        "\n", "{}", ((json_script(data, f"chart-{key}"),) for key, data in charts.items())
    )
