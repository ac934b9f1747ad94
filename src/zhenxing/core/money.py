"""Money, the one convention of the platform.

- Stored and computed in yuan (元) as `Decimal` with two places (to the fen); the
  database fields are `DecimalField(max_digits=18, decimal_places=2)`. Every amount that
  comes in (API, form, import) is refused beyond `MAX_YUAN` (`check_yuan`), so that what
  is stored reads back exactly on every database and sums of it stay in range.
- Typed by people as `1,234.5` or `1234.5` (full-width digits and commas too); an
  amount finer than the fen is refused on entry, never silently rounded
  (`parse_yuan`, `parse_wan`).
- Shown in 万元 in tables and in 亿元 in headlines, rounded half up to two places, with
  thousands separators (`in_wan`, `in_yi`, `format_wan`, `format_yi`, `format_yuan`).
- In the API as a decimal string with two places, "1234.50" (`Money`); an amount sent
  to the API may be a number or such a string.

Pure Python (no Django): domain modules use it too.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

CENT = Decimal("0.01")
WAN = Decimal(10_000)  # yuan in one 万元
YI = Decimal(100_000_000)  # yuan in one 亿元
WAN_PLACES = 6  # a 万元 figure with six decimals is a whole number of fen
# What an amount column holds exactly on every database: SQLite keeps a decimal as a
# double, exact to 15 significant digits, so 13 before the point and 2 after (under
# 10 万亿元, far above any amount of a city). DecimalField(18, 2) on PostgreSQL holds more,
# but a value SQLite would round (9999999999999999.99 reads back as 1E+16 and no longer
# fits its column) must not be accepted anywhere.
MAX_YUAN = Decimal(10) ** 13
# The longest number text worth reading (digits, separators, sign and point): refuses a
# megabyte of digits before Decimal spends time on it.
MAX_NUMBER_TEXT = 64

# Full-width digits, separators and signs as a Chinese input method types them.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－＋　", "0123456789,.-+ ")
# 1234.5, 1,234.5, .5, -12 — commas only between groups of three digits.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?")


class NumberError(ValueError):
    """Input that is not an acceptable number; the message (Chinese) says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_number(value: Any) -> Decimal | None:
    """A number as people type it (`1,234.5`, `1234.5`, `１２３４．５`) or as a
    spreadsheet gives it (a float, read through its shortest repr). Blank is None."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise NumberError(f"“{value}”不是数字")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = str(value).translate(_FULL_WIDTH).strip().replace(" ", "")
        if len(text) > MAX_NUMBER_TEXT:
            raise NumberError("数字太长")
        if not text or _NUMBER.fullmatch(text) is None or text in {"+", "-", "."}:
            raise NumberError(f"“{str(value).strip()}”不是数字")
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise NumberError(f"“{str(value).strip()}”不是数字") from None
    if not number.is_finite():
        raise NumberError(f"“{value}”不是数字")
    return number


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -int(exponent))


RANGE_MESSAGE = "金额超出范围（绝对值应小于 10 万亿元）"
PLACES_MESSAGE = "金额最多保留两位小数（单位：元，到分）"


def check_yuan(number: Decimal) -> Decimal:
    """An amount in yuan as a column stores it: finite, at most two decimals, under
    `MAX_YUAN`; refused (NumberError) otherwise, never rounded. The one bound every
    amount that comes in passes (parsers, form fields, the API's `Money`, services
    handed a Decimal)."""
    if not number.is_finite():
        raise NumberError(f"“{number}”不是数字")
    if abs(number) >= MAX_YUAN:  # before _places: 1E+300 has no places to count
        raise NumberError(RANGE_MESSAGE)
    if _places(number) > 2:
        raise NumberError(PLACES_MESSAGE)
    return number.quantize(CENT)


def check_number(number: Decimal, *, max_digits: int, decimal_places: int) -> Decimal:
    """A number as a `DecimalField(max_digits, decimal_places)` stores it (a percentage,
    a ratio): refused beyond its digits or places, never rounded."""
    if not number.is_finite():
        raise NumberError(f"“{number}”不是数字")
    if abs(number) >= Decimal(10) ** (max_digits - decimal_places):
        raise NumberError(f"数字超出范围（整数部分最多 {max_digits - decimal_places} 位）")
    if _places(number) > decimal_places:
        raise NumberError(f"最多保留 {decimal_places} 位小数")
    return number


def parse_yuan(value: Any) -> Decimal | None:
    """An amount typed in 元: at most two decimals (to the fen), under `MAX_YUAN`, else
    refused."""
    number = parse_number(value)
    if number is None:
        return None
    return check_yuan(number)


def parse_wan(value: Any) -> Decimal | None:
    """An amount typed in 万元, returned in yuan, exactly: at most six decimals
    (a whole number of fen), else refused."""
    number = parse_number(value)
    if number is None:
        return None
    return wan_to_yuan(number)


def wan_to_yuan(wan: Decimal) -> Decimal:
    """万元 → 元, exactly; a 万元 figure finer than the fen or beyond `MAX_YUAN` is
    refused."""
    if not wan.is_finite():
        raise NumberError(f"“{wan}”不是数字")
    if abs(wan) * WAN >= MAX_YUAN:
        raise NumberError(RANGE_MESSAGE)
    if _places(wan) > WAN_PLACES:
        raise NumberError("万元金额最多保留六位小数（即到分）")
    return check_yuan(wan * WAN)


def yuan_to_wan(yuan: Decimal | None) -> Decimal | None:
    """元 → 万元 exactly (for a form's initial value): 12345.6 → 1.23456."""
    if yuan is None:
        return None
    exact = (Decimal(yuan) / WAN).quantize(Decimal(1).scaleb(-WAN_PLACES)).normalize()
    return Decimal(format(exact, "f"))


def to_cent(value: Any) -> Decimal:
    """Any amount in yuan rounded half up to the fen (for display and API output)."""
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def in_wan(yuan: Any) -> Decimal:
    """Yuan as 万元, two places, rounded half up (tables, an enterprise's own amounts)."""
    return (Decimal(yuan) / WAN).quantize(CENT, rounding=ROUND_HALF_UP)


def in_yi(yuan: Any) -> Decimal:
    """Yuan as 亿元, two places, rounded half up (headlines)."""
    return (Decimal(yuan) / YI).quantize(CENT, rounding=ROUND_HALF_UP)


def format_number(value: Any, places: int = 2) -> str:
    """1234567.891 → "1,234,567.89" (rounded half up to `places`)."""
    quantum = Decimal(1).scaleb(-places)
    return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):,}"


def format_count(value: int) -> str:
    """12345 → "12,345"."""
    return f"{int(value):,}"


def format_yuan(amount: Decimal) -> str:
    """1234567.8 → "1,234,567.80 元"."""
    return f"{format_number(amount)} 元"


def format_wan(yuan: Any) -> str:
    """Yuan as 万元 with separators, without the unit (it goes in the column header):
    123456789 → "12,345.68"."""
    return format_number(Decimal(yuan) / WAN)


def format_yi(yuan: Any) -> str:
    """Yuan as 亿元 with separators, without the unit: 123456789 → "1.23"."""
    return format_number(Decimal(yuan) / YI)


def format_amount(value: Any) -> str:
    """Any amount already in its unit with separators and two places (a cell of a
    list whose header names the unit)."""
    return format_number(value)


class Wan(Decimal):
    """An amount already in 万元: a number in an Excel export, "5,000.00" on a page."""

    def __str__(self) -> str:
        return format_number(self)

    def __float__(self) -> float:
        return float(Decimal(self))


class Yuan(Decimal):
    """An amount in 元: a number in an Excel export, "1,234,567.80" on a page."""

    def __str__(self) -> str:
        return format_number(self)

    def __float__(self) -> float:
        return float(Decimal(self))


def wan(yuan: Decimal | None) -> Wan | None:
    """Yuan as a `Wan` cell of a list (None stays None)."""
    return None if yuan is None else Wan(Decimal(yuan) / WAN)


# --- the API's amount type --------------------------------------------------------------

_API_PATTERN = r"^-?\d+\.\d{2}$"
OUT_LIMIT = Decimal(10) ** 24  # the largest total the API shows (sums of many amounts)


def _api_amount(value: Any) -> Decimal:
    """What a client sends as an amount: a number or a decimal string, yuan, at most two
    decimals. Refusals name the rule; the API's error handler adds the field."""
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and abs(value) < OUT_LIMIT
        and _places(value) <= 2
    ):
        # Our own figures on their way out: a sum may exceed what one column holds. A
        # client's JSON never arrives as a Decimal (numbers come as int, float or text).
        return value.quantize(CENT)
    if (
        value is None
        or isinstance(value, bool)
        or not isinstance(value, Decimal | str | int | float)
    ):
        raise PydanticCustomError("money_parsing", "应为金额（元）：数字或 “1234.50” 这样的字符串")
    try:
        number = parse_number(value)
    except NumberError:
        raise PydanticCustomError(
            "money_parsing", "应为金额（元）：数字或 “1234.50” 这样的字符串"
        ) from None
    if number is None:
        raise PydanticCustomError("money_parsing", "应为金额（元）：数字或 “1234.50” 这样的字符串")
    if abs(number) >= MAX_YUAN:
        raise PydanticCustomError("money_range", RANGE_MESSAGE)
    if _places(number) > 2:
        raise PydanticCustomError("money_places", PLACES_MESSAGE)
    return number.quantize(CENT)


def _api_text(value: Decimal) -> str:
    return f"{to_cent(value):f}"


Money = Annotated[
    Decimal,
    BeforeValidator(_api_amount),
    PlainSerializer(_api_text, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _API_PATTERN,
            "format": "decimal",
            "description": "金额（元），两位小数的十进制字符串，如 “1234.50”",
            "examples": ["1234.50"],
        },
        mode="serialization",
    ),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "decimal"}, {"type": "number"}],
            "description": "金额（元）：数字或十进制字符串，最多两位小数，如 1234.5 或 “1,234.50”",
            "examples": ["1234.50"],
        },
        mode="validation",
    ),
]
"""An amount in yuan in the API: out as "1234.50", in as 1234.5, "1234.5" or "1,234.50"."""


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError("money_negative", "金额不能为负数")
    return value


NonNegativeMoney = Annotated[
    Money,
    AfterValidator(_not_negative),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "decimal"}, {"type": "number", "minimum": 0}],
            "description": "金额（元），不能为负：数字或十进制字符串，最多两位小数",
            "examples": ["1234.50"],
        },
        mode="validation",
    ),
]
"""`Money` that may not be below zero (investment, budgets, payments)."""


Percent = Annotated[
    Decimal,
    PlainSerializer(_api_text, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": _API_PATTERN, "format": "decimal", "examples": ["12.50"]},
        mode="serialization",
    ),
]
"""A percentage in API output, as a decimal string with two places ("12.50")."""
