"""Bounds on what comes in besides money (money is `core.money`): dates within a sane
range and text without control characters.

One place for both, used by every way in: the API (`SaneDate` in request schemas, and
`control_characters_in` over every JSON body, in `core.middleware`), page forms
(`core.forms.submit` checks every cleaned date and text), and Excel imports (the cell
parsers of `core.excel`). Messages are Chinese and name the rule; the caller names the
field.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from zhenxing.core import clock

# No date the platform keeps lies before this (registrations, certificates, reports).
EARLIEST_DATE = datetime.date(1900, 1, 1)
# Plans and expiry dates look ahead, but not by a lifetime.
YEARS_AHEAD = 50

# C0 controls and DEL, except tab, line feed and carriage return (text areas keep lines).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "不能含有控制字符（如 NUL）"


class Refused(ValueError):
    """A value outside its bounds; the message (Chinese) says which bound."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def latest_date(today: datetime.date | None = None) -> datetime.date:
    today = today or clock.today()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def date_range_message(today: datetime.date | None = None) -> str:
    return f"日期应在 {EARLIEST_DATE:%Y-%m-%d} 至 {latest_date(today):%Y-%m-%d} 之间"


def check_date(value: datetime.date, *, today: datetime.date | None = None) -> datetime.date:
    """`value` if it lies between `EARLIEST_DATE` and `YEARS_AHEAD` years from today."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not EARLIEST_DATE <= value <= latest_date(today):
        raise Refused(date_range_message(today))
    return value


def check_past_date(value: datetime.date, *, today: datetime.date | None = None) -> datetime.date:
    """A date that has happened (a registration, an issue date): sane and not after today."""
    today = today or clock.today()
    check_date(value, today=today)
    if value > today:
        raise Refused("日期不能晚于今天")
    return value


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def without_control_characters(text: str) -> str:
    """`text` with its control characters dropped (for quoting refused input back)."""
    return _CONTROL.sub("", text)


def check_text(text: str) -> str:
    """`text` if it holds no control character (NUL, escape, …)."""
    if has_control_characters(text):
        raise Refused(CONTROL_MESSAGE)
    return text


def control_characters_in(data: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    """The dotted paths (`items.0.name`) of the strings in a parsed JSON document that
    hold a control character, keys included."""
    if isinstance(data, str):
        if has_control_characters(data):
            yield ".".join(path) or "request"
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and has_control_characters(key):
                yield ".".join((*path, key)) or "request"
            yield from control_characters_in(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from control_characters_in(value, (*path, str(index)))


# --- the API's date type -----------------------------------------------------------------


def _api_date(value: datetime.date) -> datetime.date:
    try:
        return check_date(value)
    except Refused as exc:
        raise PydanticCustomError(
            "date_out_of_range",
            "日期应在 {earliest} 至 {latest} 之间",
            {"earliest": EARLIEST_DATE.isoformat(), "latest": latest_date().isoformat()},
        ) from exc


SaneDate = Annotated[datetime.date, AfterValidator(_api_date)]
"""A date sent to the API: refused before 1900 or more than 50 years ahead."""
