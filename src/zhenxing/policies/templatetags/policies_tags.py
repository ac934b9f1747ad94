"""Display filters of the policy pages."""

from __future__ import annotations

import decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    """An amount in yuan with separators and two decimals: 1,234,567.80."""
    if value is None or value == "":
        return "-"
    return f"{decimal.Decimal(value).quantize(decimal.Decimal('0.01')):,.2f}"


@register.filter
def pct(value: Any) -> str:
    """60.00 → 60; 33.33 → 33.33."""
    if value is None or value == "":
        return "-"
    number = decimal.Decimal(value).normalize()
    return f"{number:f}"
