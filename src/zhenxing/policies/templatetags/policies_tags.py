"""Display filters of the policy pages."""

from __future__ import annotations

import decimal
import re
from typing import Any

from django import template

register = template.Library()

_ENGLISH_TAIL = re.compile(r"\s*[A-Za-z][A-Za-z0-9 ,.;:'\"()/\-]*$")


@register.filter
def pct(value: Any) -> str:
    """60.00 → 60; 33.33 → 33.33."""
    if value is None or value == "":
        return "-"
    number = decimal.Decimal(value).normalize()
    return f"{number:f}"


@register.filter
def zh(text: Any) -> str:
    """Rule texts end with an English sentence for English readers; the Chinese UI
    shows the Chinese part."""
    value = str(text or "")
    if re.search(r"[\u4e00-\u9fff]", value):
        return _ENGLISH_TAIL.sub("", value)
    return value
