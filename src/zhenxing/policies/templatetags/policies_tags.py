"""Display filters of the policy pages."""

from __future__ import annotations

import decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(value: Any) -> str:
    """60.00 → 60; 33.33 → 33.33."""
    if value is None or value == "":
        return "-"
    number = decimal.Decimal(value).normalize()
    return f"{number:f}"
