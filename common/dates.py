"""Dates written the way the documents write them: 2024年6月25日."""

from django.utils import timezone


def cn_date(value, *, with_time=False):
    """2024年6月25日. With `with_time`, a datetime also shows its clock time in the local time zone
    (2024年6月25日 09:30); without it, only the date fields of `value` are used, unconverted."""
    if with_time and hasattr(value, "hour"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"
