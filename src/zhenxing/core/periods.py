"""Months as periods, with one definition of 1–N月累计 (ytd), 同比 (yoy) and 环比 (pop).

Pure Python: no Django import.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _english(language: str | None) -> bool:
    return bool(language) and str(language).lower().startswith("en")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise PeriodError(f"月份应为 1–12，实际为 {self.month}")
        if not 1900 <= self.year <= 2999:
            raise PeriodError(f"年份 {self.year} 不在有效范围内")

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2024-05' → Period(2024, 5); a clear message for anything else."""
        match = _PATTERN.match(str(text).strip())
        if not match:
            raise PeriodError(f"期间“{text}”格式不对，应为 YYYY-MM，如 2024-05")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: datetime.date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def ytd_label(self) -> str:
        return f"{self.year}年1—{self.month}月" if self.month > 1 else f"{self.year}年1月"

    def label_for(self, language: str | None) -> str:
        """The month as its reader writes it: 2024年6月, or June 2024 in English."""
        if _english(language):
            return f"{_MONTHS_EN[self.month - 1]} {self.year}"
        return self.label

    def ytd_label_for(self, language: str | None) -> str:
        """1–N月 as its reader writes it: 2024年1—6月, or Jan–Jun 2024 in English."""
        if not _english(language):
            return self.ytd_label
        if self.month == 1:
            return f"Jan {self.year}"
        return f"Jan–{_MONTHS_EN[self.month - 1][:3]} {self.year}"

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last_day(self) -> datetime.date:
        return self.next().first_day - datetime.timedelta(days=1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def previous(self) -> Period:
        """环比: the month before."""
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def same_period_last_year(self) -> Period:
        """同比: the same month a year earlier."""
        return Period(self.year - 1, self.month)

    def ytd_months(self) -> list[Period]:
        """1–N月: every month of the year up to and including this one."""
        return [Period(self.year, m) for m in range(1, self.month + 1)]

    @property
    def index(self) -> int:
        """A month number that orders periods: year * 12 + month - 1."""
        return self.year * 12 + self.month - 1


def growth_pct(current: Decimal, base: Decimal) -> Decimal | None:
    """Growth in percent, rounded half-up to two decimals; None when the base is zero."""
    if base == 0:
        return None
    return ((current - base) / base * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def share_pct(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole == 0:
        return None
    return (part / whole * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
