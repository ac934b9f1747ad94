"""Template helpers of the enterprise pages: the part's sub-navigation, fact values."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django import template

from zhenxing.core.templatetags.zhenxing import wan

register = template.Library()


@register.inclusion_tag("enterprises/_subnav.html", takes_context=True)
def enterprise_subnav(context: template.Context, current: str) -> dict[str, Any]:
    from zhenxing.enterprises.views import _subnav

    request = context.get("request")
    return {"subnav": _subnav(current, getattr(request, "user", None))}


@register.filter
def fact_value(value: Any, unit: str = "") -> str:
    """A fact as a table shows it: money in 万元, ratios in %, 是/否, dates, counts."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, decimal.Decimal):
        if unit == "yuan":
            return wan(value)
        if unit == "ratio":
            return f"{(value * 100).quantize(decimal.Decimal('0.01')):f}%"
        if value == value.to_integral_value():
            return f"{int(value):,}"
        return f"{value.normalize():f}"
    return str(value)
