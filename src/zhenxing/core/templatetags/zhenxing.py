"""Display filters: money in 万元 / 亿元 with separators, cells of list tables."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext

from zhenxing.core import money

register = template.Library()


@register.filter
def wan(value: Any) -> str:
    """Yuan shown as 万元 with two decimals (the unit goes in the column header)."""
    if value is None or value == "":
        return "-"
    return money.format_wan(value)


@register.filter
def yi(value: Any) -> str:
    """Yuan shown as 亿元 with two decimals."""
    if value is None or value == "":
        return "-"
    return money.format_yi(value)


@register.filter
def yuan(value: Any) -> str:
    """Yuan shown as 元 with separators and two decimals: 1,234,567.80."""
    if value is None or value == "":
        return "-"
    return money.format_number(value)


@register.filter
def figure(value: Any) -> str:
    """A headline figure already in its unit: 1,234 / 12.34 / 2024-06-12."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return money.format_count(value)
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return money.format_number(value)


@register.filter
def signed_pct(value: Any) -> str:
    if value is None or value == "":
        return "-"
    number = decimal.Decimal(value)
    return ("+" if number > 0 else "") + money.format_number(number, 1) + "%"


@register.filter
def cell(value: Any) -> str:
    """A list cell: dates as 2024-05-31, booleans as 是/否, nothing as a dash."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, decimal.Decimal) and not isinstance(value, money.Wan | money.Yuan):
        return f"{value:,}"  # an amount in the unit its header names, with separators
    return str(value)


@register.filter
def month_label(period: Any) -> str:
    """A core.periods.Period in the reader's language: 2024年6月 / June 2024."""
    from django.utils.translation import get_language

    return period.label_for(get_language()) if hasattr(period, "label_for") else str(period)


@register.filter
def ytd_label(period: Any) -> str:
    """1–N月 of a Period in the reader's language: 2024年1—6月 / Jan–Jun 2024."""
    from django.utils.translation import get_language

    return period.ytd_label_for(get_language()) if hasattr(period, "ytd_label_for") else ""
