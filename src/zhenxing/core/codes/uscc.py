"""统一社会信用代码 (unified social credit code), GB 32100-2015.

Eighteen characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z):

====== =====================================================
1      登记管理部门代码 (registering authority: 9 = market regulation, …)
2      机构类别代码 (entity type within that authority)
3–8    登记管理机关行政区划码 (a GB/T 2260 code; digits)
9–17   主体标识码 = the GB 11714 organisation code; 17 is its check character
18     校验码 (check character)
====== =====================================================

The check character: with values 0–30 (position in the character set) and
weights 3^(i-1) mod 31 for i = 1…17, C18 = 31 − (Σ value·weight mod 31), where
31 becomes 0.  Every single-character substitution and every transposition of
two adjacent different characters changes the sum mod 31 (31 is prime and the
weights, and the differences of neighbouring weights, are non-zero mod 31), so
both are always detected; the tests check this.

Positions 1 and 2 are only checked against the character set: authorities such
as ``Y``, ``A`` and ``N`` issue valid codes (python-stdnum wrongly rejects
them).  Whether positions 3–8 are a known GB/T 2260 code is a *soft* check
(:func:`soft_check`), because codes issued by abolished divisions stay valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhenxing.core.codes import gb2260
from zhenxing.core.codes._text import clean, show_en, show_zh
from zhenxing.core.codes.errors import CodeError, Notice

KIND = "uscc"

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FORBIDDEN_LETTERS = "IOSVZ"
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
"""1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28."""

ORGANISATION_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11714 weights for the eight body characters of an organisation code."""

_VALUE = {char: index for index, char in enumerate(CHARSET)}
_ORG_VALUE = {char: int(char, 36) for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_LOOKALIKE = {"O": "0", "I": "1", "S": "5", "Z": "2"}

# Registering authorities (position 1) and entity types (positions 1–2).  The
# common ones are corroborated by several sources; the later allocations are
# best knowledge only, so an unknown code is a notice, never an error.
AUTHORITIES: dict[str, str] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "市场监督管理（原工商）",
    "A": "中央军委改革和编制办公室",
    "N": "农业农村",
    "Y": "其他",
}
ENTITY_TYPES: dict[str, str] = {
    "11": "机关",
    "12": "事业单位",
    "13": "中央编办直接管理机构编制的群众团体",
    "19": "其他",
    "51": "社会团体",
    "52": "民办非企业单位",
    "53": "基金会",
    "59": "其他",
    "91": "企业",
    "92": "个体工商户",
    "93": "农民专业合作社",
}

# Central-level registrations carry 100000 (the whole country) in positions 3–8.
NATIONAL_AREA = "100000"


@dataclass(frozen=True)
class USCC:
    """A valid code split into its parts."""

    code: str
    authority: str
    entity_type: str
    area: str
    organisation_code: str
    check: str

    @property
    def authority_name(self) -> str | None:
        return AUTHORITIES.get(self.authority)

    @property
    def entity_type_name(self) -> str | None:
        return ENTITY_TYPES.get(self.authority + self.entity_type)

    @property
    def area_name(self) -> str | None:
        if self.area == NATIONAL_AREA:
            return "全国"
        return gb2260.full_name(self.area) or None


def normalize(value: str) -> str:
    """Strip, upper-case, full-width → half-width.  Does not validate."""
    return clean(value)


def check_character(body: str) -> str:
    """The 18th character for the first 17 (any case, full-width accepted).

    Raises :class:`CodeError` when ``body`` is not 17 characters of the set.
    Positions 3–8 and the organisation code are *not* checked here, so any
    17 characters of the set get a check character.
    """
    body = clean(body)
    if len(body) != 17:
        raise CodeError(
            f"计算校验位需要前 17 位，实际为 {len(body)} 位",
            f"the check character is computed from 17 characters, not {len(body)}",
            kind=KIND,
            reason="length",
        )
    _check_charset(body)
    return _check_character(body)


def with_check_character(body: str) -> str:
    """The first 17 characters followed by their check character."""
    return clean(body) + check_character(body)


def organisation_check_character(body: str) -> str:
    """GB 11714: the 9th character of an organisation code, from its first 8.

    C9 = 11 − (Σ value·weight mod 11) with weights 3, 7, 9, 10, 5, 8, 4, 2 and
    letters worth 10 (A) … 35 (Z); 10 is written ``X`` and 11 ``0``.
    """
    body = clean(body)
    if len(body) != 8 or any(char not in _ORG_VALUE for char in body):
        raise CodeError(
            f"组织机构代码本体应为 8 位数字或大写字母，实际为“{body}”",
            f"an organisation code body is 8 digits or capital letters, not '{body}'",
            kind=KIND,
            reason="organisation_code",
        )
    return _organisation_check_character(body)


def has_valid_check_character(code: str) -> bool:
    """Only the mod-31 check of GB 32100: 18 characters of the set whose 18th fits."""
    code = clean(code)
    return (
        len(code) == 18
        and all(char in _VALUE for char in code)
        and _check_character(code[:17]) == code[17]
    )


def validate(code: str, *, check_organisation_code: bool = True) -> str:
    """Return the normalised code, or raise :class:`CodeError` saying precisely what is wrong.

    ``check_organisation_code`` also checks the GB 11714 check character
    embedded at position 17 (on by default).
    """
    value = clean(code)
    if not value:
        raise CodeError(
            "统一社会信用代码不能为空",
            "the unified social credit code is empty",
            kind=KIND,
            reason="empty",
        )
    if len(value) != 18:
        hint_zh = hint_en = ""
        if len(value) == 15 and value.isdigit():
            hint_zh = "；15 位数字像是旧的工商注册号，不是统一社会信用代码"
            hint_en = "; 15 digits look like an old business registration number"
        raise CodeError(
            f"统一社会信用代码应为 18 位，实际为 {len(value)} 位{hint_zh}",
            f"a unified social credit code has 18 characters, not {len(value)}{hint_en}",
            kind=KIND,
            reason="length",
        )
    _check_charset(value)
    for position in range(3, 9):
        char = value[position - 1]
        if not char.isdigit():
            raise CodeError(
                f"第 3–8 位（登记管理机关行政区划码）应为数字，第 {position} 位是“{char}”",
                f"characters 3–8 (the registering authority's area code) must be digits; "
                f"character {position} is '{char}'",
                kind=KIND,
                reason="area_digits",
                position=position,
            )
    if check_organisation_code:
        expected = _organisation_check_character(value[8:16])
        if value[16] != expected:
            raise CodeError(
                f"第 17 位（组织机构代码校验位）应为 {expected}，实际为 {value[16]}",
                f"character 17 (the check character of the embedded organisation code) "
                f"should be {expected}, not {value[16]}",
                kind=KIND,
                reason="organisation_check_character",
                position=17,
            )
    expected = _check_character(value[:17])
    if value[17] != expected:
        raise CodeError(
            f"校验位应为 {expected}，实际为 {value[17]}",
            f"the check character should be {expected}, not {value[17]}",
            kind=KIND,
            reason="check_character",
            position=18,
        )
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except CodeError:
        return False
    return True


def parse(code: str) -> USCC:
    """Validate and split into parts."""
    value = validate(code)
    return USCC(
        code=value,
        authority=value[0],
        entity_type=value[1],
        area=value[2:8],
        organisation_code=value[8:17],
        check=value[17],
    )


def soft_check(code: str) -> list[Notice]:
    """Notices about a *valid* code: unknown authority or entity type, unknown or abolished area.

    Raises :class:`CodeError` if the code is not valid in the first place.
    """
    parts = parse(code)
    notices: list[Notice] = []
    if parts.authority not in AUTHORITIES:
        notices.append(
            Notice(
                f"第 1 位登记管理部门代码“{parts.authority}”不在已知列表中",
                f"registering authority '{parts.authority}' (character 1) is not one we know",
                "unknown_authority",
            )
        )
    elif parts.authority in "159" and parts.entity_type_name is None:
        notices.append(
            Notice(
                f"第 2 位机构类别代码“{parts.entity_type}”不在已知列表中",
                f"entity type '{parts.entity_type}' (character 2) is not one we know",
                "unknown_entity_type",
            )
        )
    if parts.area != NATIONAL_AREA:
        division = gb2260.lookup(parts.area)
        if division is None:
            notices.append(
                Notice(
                    f"第 3–8 位“{parts.area}”不是已知的行政区划代码（代码本身仍然有效）",
                    f"characters 3–8, '{parts.area}', are not a known area code "
                    f"(the code itself is still valid)",
                    "unknown_area",
                )
            )
        elif division.abolished:
            notices.append(
                Notice(
                    f"第 3–8 位 {parts.area}（{division.name}）是已撤销的行政区划"
                    f"（代码本身仍然有效）",
                    f"characters 3–8, {parts.area} ({division.name}), are an abolished area "
                    f"(the code itself is still valid)",
                    "abolished_area",
                )
            )
    return notices


def _check_character(body: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def _organisation_check_character(body: str) -> str:
    total = sum(
        _ORG_VALUE[char] * weight for char, weight in zip(body, ORGANISATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _check_charset(value: str) -> None:
    for position, char in enumerate(value, start=1):
        if char in _VALUE:
            continue
        if char in FORBIDDEN_LETTERS:
            lookalike = _LOOKALIKE.get(char)
            hint_zh = f"；是不是数字 {lookalike}？" if lookalike else ""
            hint_en = f"; did you mean the digit {lookalike}?" if lookalike else ""
            raise CodeError(
                f"第 {position} 位不能是字母 {char}（统一社会信用代码不用 I、O、S、V、Z）{hint_zh}",
                f"character {position} cannot be the letter {char} "
                f"(the code never uses I, O, S, V or Z){hint_en}",
                kind=KIND,
                reason="forbidden_letter",
                position=position,
            )
        raise CodeError(
            f"第 {position} 位不能是{show_zh(char)}（只能是数字或 I、O、S、V、Z 以外的大写字母）",
            f"character {position} cannot be {show_en(char)} "
            f"(only digits and capital letters other than I, O, S, V, Z)",
            kind=KIND,
            reason="character",
            position=position,
        )
