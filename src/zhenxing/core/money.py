"""Money: yuan as `Decimal` with two places, shown with thousands separators and its unit."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext

CENT = Decimal("0.01")


def format_yuan(amount: Decimal) -> str:
    """`Decimal("1234567.5")` → "1,234,567.50 元" (the unit in the reader's language)."""
    return f"{amount.quantize(CENT):,} {gettext('元')}"
