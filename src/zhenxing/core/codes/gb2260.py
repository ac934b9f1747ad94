"""GB/T 2260 administrative-division codes (省 / 地 / 县).

The table (``data/gb2260.csv``: code, name, level, parent, abolished) covers
every province, prefecture and county-level division; see ``data/README.md``
for its sources.  Abolished codes stay in the table, flagged: identifiers
issued under them (统一社会信用代码, project codes) remain valid.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from zhenxing.core.codes._text import clean
from zhenxing.core.codes.errors import CodeError

Level = Literal["province", "prefecture", "county"]

LEVEL_ZH: dict[str, str] = {"province": "省级", "prefecture": "地级", "county": "县级"}

KIND = "gb2260"

_LEVELS: dict[str, Level] = {"province": "province", "prefecture": "prefecture", "county": "county"}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: Level
    parent: str | None
    abolished: bool


@cache
def _table() -> dict[str, Division]:
    text = resources.files("zhenxing.core.codes.data").joinpath("gb2260.csv").read_text("utf-8")
    table: dict[str, Division] = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        level = _LEVELS.get(row["level"])
        if level is None:
            raise ValueError(f"gb2260.csv: bad level {row['level']!r} for {row['code']}")
        table[row["code"]] = Division(
            code=row["code"],
            name=row["name"],
            level=level,
            parent=row["parent"] or None,
            abolished=row["abolished"] == "1",
        )
    return table


def divisions() -> list[Division]:
    """Every division in the table, in code order (abolished ones included)."""
    return sorted(_table().values(), key=lambda d: d.code)


def lookup(code: str) -> Division | None:
    """The division with this code, or ``None``.

    Surrounding space and full-width digits are fine.
    """
    return _table().get(clean(code))


def is_known(code: str, *, include_abolished: bool = True) -> bool:
    division = lookup(code)
    return division is not None and (include_abolished or not division.abolished)


def children(code: str) -> list[Division]:
    """The divisions directly under ``code`` (current ones only), in code order."""
    code = clean(code)
    return [d for d in divisions() if d.parent == code and not d.abolished]


def path(code: str) -> list[Division]:
    """Province → prefecture → county down to ``code``; empty when the code is unknown."""
    chain: list[Division] = []
    division = lookup(code)
    while division is not None:
        chain.append(division)
        division = _table().get(division.parent) if division.parent else None
    return list(reversed(chain))


def full_name(code: str) -> str:
    """E.g. ``210804`` → ``辽宁省营口市鲅鱼圈区``.

    Placeholder levels (市辖区, 县, 省直辖县级行政区划) are left out.
    """
    placeholders = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
    return "".join(d.name for d in path(code) if d.name not in placeholders)


def validate(code: str, *, allow_abolished: bool = True) -> str:
    """Return the cleaned 6-digit code, or raise :class:`CodeError` saying what is wrong."""
    value = clean(code)
    if not value:
        raise CodeError("行政区划代码不能为空", "the area code is empty", kind=KIND, reason="empty")
    if len(value) != 6 or not (value.isascii() and value.isdigit()):
        raise CodeError(
            f"行政区划代码应为 6 位数字，实际为“{value}”（{len(value)} 位）",
            f"an area code is 6 digits; got '{value}' ({len(value)} characters)",
            kind=KIND,
            reason="format",
        )
    division = _table().get(value)
    if division is None:
        raise _unknown(value)
    if division.abolished and not allow_abolished:
        raise CodeError(
            f"行政区划代码 {value}（{division.name}）已撤销",
            f"area code {value} ({division.name}) has been abolished",
            kind=KIND,
            reason="abolished",
        )
    return value


def _unknown(value: str) -> CodeError:
    table = _table()
    province = table.get(value[:2] + "0000")
    prefecture = table.get(value[:4] + "00")
    if province is None:
        where_zh = f"前两位 {value[:2]} 不是省级代码"
        where_en = f"{value[:2]} is not a province code"
    elif prefecture is None:
        where_zh = f"{province.name}下没有地级代码 {value[:4]}00"
        where_en = f"{province.name} has no prefecture {value[:4]}00"
    else:
        name = full_name(prefecture.code) or prefecture.name
        where_zh = f"{name}（{prefecture.code}）下没有这个代码"
        where_en = f"there is no such code under {name} ({prefecture.code})"
    return CodeError(
        f"“{value}”不是已知的行政区划代码（{where_zh}）",
        f"'{value}' is not a known area code ({where_en})",
        kind=KIND,
        reason="unknown",
    )
