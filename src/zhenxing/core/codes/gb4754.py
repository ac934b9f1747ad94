"""GB/T 4754-2017 国民经济行业分类 (industrial classification for national economic activities).

Four levels: 门类 section (a letter A–T), 大类 division (2 digits, 01–97),
中类 group (3 digits), 小类 class (4 digits).  The code of a lower level starts
with the code of the level above (divisions excepted: their section is looked
up).  Where a division or group is not subdivided, the standard gives the
single class a code ending in 0 (group 022 → class 0220) and the group the same
name; the table (``data/gb4754_2017.csv``) holds both rows.

Codes written with their section letter in front (``C3874``), as many systems
do, are accepted and normalised to the digits when the letter is right.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from zhenxing.core.codes._text import clean
from zhenxing.core.codes.errors import CodeError

Level = Literal["section", "division", "group", "class"]

LEVEL_ZH: dict[str, str] = {"section": "门类", "division": "大类", "group": "中类", "class": "小类"}

KIND = "gb4754"

_LEVELS: dict[str, Level] = {
    "section": "section",
    "division": "division",
    "group": "group",
    "class": "class",
}
_LETTER_AND_DIGITS = re.compile(r"^([A-Z])(\d{2,4})$")


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    level: Level
    parent: str | None


@cache
def _table() -> dict[str, Industry]:
    text = (
        resources.files("zhenxing.core.codes.data").joinpath("gb4754_2017.csv").read_text("utf-8")
    )
    table: dict[str, Industry] = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        level = _LEVELS.get(row["level"])
        if level is None:
            raise ValueError(f"gb4754_2017.csv: bad level {row['level']!r} for {row['code']}")
        table[row["code"]] = Industry(
            code=row["code"], name=row["name"], level=level, parent=row["parent"] or None
        )
    return table


def industries(level: Level | None = None) -> list[Industry]:
    """All rows (optionally of one level) in table order: a section, its divisions, groups, …"""
    return [i for i in _table().values() if level is None or i.level == level]


def lookup(code: str) -> Industry | None:
    """The row for ``code`` (``"C"``, ``"38"``, ``"387"``, ``"3874"``, ``"C3874"``) or ``None``."""
    try:
        return _table()[validate(code)]
    except CodeError:
        return None


def is_known(code: str) -> bool:
    return lookup(code) is not None


def children(code: str) -> list[Industry]:
    """The rows directly under ``code``, in table order."""
    parent = validate(code)
    return [i for i in _table().values() if i.parent == parent]


def path(code: str) -> list[Industry]:
    """Section → division → group → class down to ``code``.

    Raises :class:`CodeError` when the code is unknown.
    """
    table = _table()
    chain = [table[validate(code)]]
    while chain[-1].parent is not None:
        chain.append(table[chain[-1].parent])
    return list(reversed(chain))


def section_of(code: str) -> str:
    """The section letter of any known code (``"3874"`` → ``"C"``)."""
    return path(code)[0].code


def validate(code: str) -> str:
    """Return the normalised code, or raise :class:`CodeError` saying what is wrong."""
    value = clean(code)
    table = _table()
    if not value:
        raise _error("国民经济行业代码不能为空", "the industry code is empty", "empty")
    if value in table:
        return value
    if len(value) == 1 and value.isalpha():
        raise _error(
            f"门类代码是 A–T 中的一个字母，“{value}”不是",
            f"a section is one letter from A to T; '{value}' is not",
            "unknown",
        )
    match = _LETTER_AND_DIGITS.match(value)
    if match:
        letter, digits = match.groups()
        if letter not in table:
            raise _error(
                f"“{value}”的门类字母不对：门类为 A–T",
                f"'{value}' starts with an unknown section letter (sections are A–T)",
                "section_letter",
            )
        digits = validate(digits)
        section = section_of(digits)
        if section != letter:
            raise _error(
                f"“{value}”的门类字母不对：{digits}（{table[digits].name}）属于门类 {section}"
                f"（{table[section].name}），不是 {letter}",
                f"'{value}' has the wrong section letter: {digits} ({table[digits].name}) "
                f"is in section {section}, not {letter}",
                "section_letter",
            )
        return digits
    if not (value.isascii() and value.isdigit() and 2 <= len(value) <= 4):
        raise _error(
            f"国民经济行业代码应为门类字母（A–T）或 2–4 位数字，实际为“{value}”",
            f"an industry code is a section letter (A–T) or 2–4 digits, not '{value}'",
            "format",
        )
    division = table.get(value[:2])
    if division is None:
        raise _error(
            f"大类 {value[:2]} 不存在（大类为 01–97）",
            f"there is no division {value[:2]} (divisions are 01–97)",
            "unknown",
        )
    if len(value) == 3:
        raise _error(
            f"中类 {value} 不存在：大类 {division.code}（{division.name}）下的中类有 "
            f"{_list_children(division.code)}",
            f"there is no group {value}; division {division.code} has groups "
            f"{_list_children(division.code, ', ')}",
            "unknown",
        )
    group = table.get(value[:3])
    if group is None:
        raise _error(
            f"小类 {value} 不存在：大类 {division.code}（{division.name}）下没有中类 {value[:3]}",
            f"there is no class {value}: division {division.code} has no group {value[:3]}",
            "unknown",
        )
    raise _error(
        f"小类 {value} 不存在：中类 {group.code}（{group.name}）下的小类有 "
        f"{_list_children(group.code)}",
        f"there is no class {value}; group {group.code} has classes "
        f"{_list_children(group.code, ', ')}",
        "unknown",
    )


def _list_children(code: str, sep: str = "、") -> str:
    return sep.join(i.code for i in _table().values() if i.parent == code)


def _error(message_zh: str, message_en: str, reason: str) -> CodeError:
    return CodeError(message_zh, message_en, kind=KIND, reason=reason)
