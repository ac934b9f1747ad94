"""One entry point for every identifier: ``validate(kind, value)`` → normalised value.

Used by the API endpoint ``/api/v1/codes/validate?kind=&value=``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from zhenxing.core.codes import gb2260, gb4754, project_code, uscc
from zhenxing.core.codes.errors import CodeError, Notice

_VALIDATORS: dict[str, Callable[[str, datetime.date], str]] = {
    "uscc": lambda value, _today: uscc.validate(value),
    "gb2260": lambda value, _today: gb2260.validate(value),
    "gb4754": lambda value, _today: gb4754.validate(value),
    # a project code's year may not lie beyond next year: it needs the platform's today
    "project_code": lambda value, today: project_code.validate(value, today=today),
}

KINDS: tuple[str, ...] = tuple(_VALIDATORS)

LABELS: dict[str, tuple[str, str]] = {
    "uscc": ("统一社会信用代码", "unified social credit code"),
    "gb2260": ("行政区划代码", "administrative division code (GB/T 2260)"),
    "gb4754": ("国民经济行业代码", "industry code (GB/T 4754-2017)"),
    "project_code": ("投资项目代码", "investment project code"),
}


def validate(kind: str, value: str, *, today: datetime.date) -> str:
    """The normalised value, or :class:`CodeError` saying what is wrong.

    ``today`` is the platform's date (``core.clock.today()``), passed in because this
    package stays free of Django.

    An unknown ``kind`` is a :class:`CodeError` too (reason ``"unknown_kind"``).
    """
    validator = _VALIDATORS.get(kind)
    if validator is None:
        raise CodeError(
            f"未知的代码类型“{kind}”，可选：{'、'.join(KINDS)}",
            f"unknown kind of code '{kind}'; choose one of {', '.join(KINDS)}",
            kind="registry",
            reason="unknown_kind",
        )
    return validator(value, today)


def notices(kind: str, value: str, *, today: datetime.date) -> list[Notice]:
    """Soft checks on a value that :func:`validate` accepts (only USCC has any so far)."""
    validate(kind, value, today=today)
    if kind == "uscc":
        return uscc.soft_check(value)
    return []
