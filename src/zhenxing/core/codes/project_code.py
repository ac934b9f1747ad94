"""全国投资项目在线审批监管平台 project code (固定资产投资项目代码).

Twenty-four characters in five segments, shown as ``YYYY-XXXXXX-XX-XX-XXXXXX``
(《固定资产投资项目代码管理规范》 发改投资〔2020〕1439号; GB/T 40058-2021):

=======  ======  ==================================================
segment  length  meaning
=======  ======  ==================================================
1        4       时间代码: the year the code was assigned
2        6       地区代码: GB/T 2260 code of the project's location
3        2       中央业务指导部门代码 (previously the industry)
4        2       项目类型代码
5        6       five random characters and a check character
=======  ======  ==================================================

What is checked: the format, a plausible year (2000 to next year) and that
segment 2 is a known GB/T 2260 code (abolished codes included: older projects
keep their codes).

What is NOT checked: the value lists of segments 3 and 4, and the check
character at the end of segment 5.  GB/T 40058-2021 defines that check
character, but we do not have the standard's text and will not guess the
algorithm; segment 5 is only required to be six digits or capital letters.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from zhenxing.core.codes import gb2260
from zhenxing.core.codes._text import clean_dashes
from zhenxing.core.codes.errors import CodeError

KIND = "project_code"

FIRST_YEAR = 2000
EXAMPLE = "2024-210804-04-01-123456"

# (length, Chinese name, English name, letters allowed)
SEGMENTS: tuple[tuple[int, str, str, bool], ...] = (
    (4, "赋码年份", "year", False),
    (6, "地区代码", "area code", False),
    (2, "中央业务指导部门代码", "central guiding department code", False),
    (2, "项目类型代码", "project type code", False),
    (6, "随机码和校验码", "random and check characters", True),
)
_LENGTH = sum(length for length, *_ in SEGMENTS)  # 20 without hyphens


@dataclass(frozen=True)
class ProjectCode:
    code: str
    year: int
    area: str
    department: str
    project_type: str
    serial: str


def normalize(value: str) -> str:
    """The code in its display form ``YYYY-XXXXXX-XX-XX-XXXXXX``.

    Accepts it without hyphens, with full-width hyphens or other dashes,
    full-width digits and letters, lower case, surrounding space.  Raises
    :class:`CodeError` naming the segment whose format is wrong; does not
    check the year or the area (see :func:`validate`).
    """
    text = clean_dashes(value)
    if not text:
        raise _error("项目代码不能为空", "the project code is empty", "empty")
    if "-" in text:
        parts = text.split("-")
        if len(parts) != len(SEGMENTS):
            raise _error(
                f"项目代码应分为 5 段（如 {EXAMPLE}），实际为 {len(parts)} 段",
                f"a project code has 5 segments (e.g. {EXAMPLE}), not {len(parts)}",
                "segments",
            )
    else:
        if len(text) != _LENGTH:
            raise _error(
                f"项目代码应为 24 位（含连字符，如 {EXAMPLE}）或 20 位（不含连字符），"
                f"实际为 {len(text)} 位",
                f"a project code has 24 characters with hyphens (e.g. {EXAMPLE}) "
                f"or 20 without, not {len(text)}",
                "length",
            )
        parts, start = [], 0
        for length, *_ in SEGMENTS:
            parts.append(text[start : start + length])
            start += length
    for number, (part, (length, name_zh, name_en, letters)) in enumerate(
        zip(parts, SEGMENTS, strict=True), start=1
    ):
        allowed = part.isascii() and (part.isalnum() if letters else part.isdigit())
        if len(part) != length or not allowed:
            what_zh = f"{length} 位数字或大写字母" if letters else f"{length} 位数字"
            what_en = f"{length} digits or capital letters" if letters else f"{length} digits"
            raise _error(
                f"第 {number} 段（{name_zh}）应为 {what_zh}，实际为“{part}”",
                f"segment {number} ({name_en}) must be {what_en}, not '{part}'",
                "format",
                segment=number,
            )
    return "-".join(parts)


def validate(value: str, *, today: datetime.date) -> str:
    """Return the normalised code, or raise :class:`CodeError` naming the wrong segment.

    The year must lie between 2000 and the year after ``today`` (the caller's
    ``core.clock.today()``: this module stays free of Django and of the machine's clock).
    """
    code = normalize(value)
    year_text, area = code.split("-")[:2]
    last_year = today.year + 1
    if not FIRST_YEAR <= int(year_text) <= last_year:
        raise _error(
            f"第 1 段（赋码年份）{year_text} 不在 {FIRST_YEAR}–{last_year} 之间",
            f"segment 1 (year) {year_text} is not between {FIRST_YEAR} and {last_year}",
            "year",
            segment=1,
        )
    try:
        gb2260.validate(area)
    except CodeError as exc:
        raise _error(
            f"第 2 段（地区代码）有误：{exc.message_zh}",
            f"segment 2 (area code) is wrong: {exc.message_en}",
            "area",
            segment=2,
        ) from exc
    return code


def parse(value: str, *, today: datetime.date) -> ProjectCode:
    """Validate and split into segments."""
    code = validate(value, today=today)
    year, area, department, project_type, serial = code.split("-")
    return ProjectCode(code, int(year), area, department, project_type, serial)


def _error(
    message_zh: str, message_en: str, reason: str, *, segment: int | None = None
) -> CodeError:
    return CodeError(message_zh, message_en, kind=KIND, reason=reason, segment=segment)
