"""Number fields of page forms: every number a person types goes through these.

`1,234.5` and `1234.5` (and full-width digits) are accepted alike — `core.money`
parses them; the widget is a text box, because `<input type="number">` refuses the
separator in the browser. Money fields say their unit in their label: `YuanField`
for （元）, `WanField` for （万元）.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenxing.core import money


class NumberInput(forms.TextInput):
    """A text box for numbers, with the numeric keyboard on phones."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class LenientNumberMixin:
    """Reads 1,234.5 as well as 1234.5 (and full-width digits) in a number field."""

    widget = NumberInput
    error_messages: dict[str, Any]

    def to_python(self, value: Any) -> Any:
        try:
            number = money.parse_number(value)
        except money.NumberError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        return super().to_python(number)  # type: ignore[misc]


class NumberField(LenientNumberMixin, forms.DecimalField):
    """A decimal number (a percentage, a ratio, a rule parameter). Without its own
    `max_digits` / `decimal_places` it is bounded like a fact's value (26 digits, 6 of
    them decimals), so that no number field takes an unbounded value."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 26)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(**kwargs)


class WholeNumberField(LenientNumberMixin, forms.IntegerField):
    """A whole number (a count, a year)."""

    def __init__(self, **kwargs: Any) -> None:
        # what an integer column holds on every database, unless the field says less
        kwargs.setdefault("min_value", -(2**31))
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(**kwargs)
        self.widget.attrs["inputmode"] = "numeric"


class YuanField(NumberField):
    """An amount typed in 元, to the fen; its label says （元）."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.error_messages["max_decimal_places"] = _("金额最多保留两位小数（单位：元，到分）")

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            money.check_yuan(value)  # the range every amount column holds
        except money.NumberError as exc:
            raise forms.ValidationError(exc.message, code="range") from exc


class WanField(NumberField):
    """An amount typed in 万元 (its label says （万元））, at most six decimals, i.e. a
    whole number of fen; `money.wan_to_yuan` turns the cleaned value into yuan."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", money.WAN_PLACES)
        kwargs.setdefault("min_value", Decimal(0))
        super().__init__(**kwargs)
        self.error_messages["max_decimal_places"] = _("万元金额最多保留六位小数（即到分）")

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            money.wan_to_yuan(value)  # in yuan, the range every amount column holds
        except money.NumberError as exc:
            raise forms.ValidationError(exc.message, code="range") from exc
