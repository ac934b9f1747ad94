from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhenxing.core.codes import gb2260, project_code
from zhenxing.core.codes.errors import CodeError

TODAY = datetime.date(2024, 6, 30)
CODE = "2024-210804-04-01-12345X"


def _error(value: str) -> CodeError:
    with pytest.raises(CodeError) as info:
        project_code.validate(value, today=TODAY)
    return info.value


def test_a_well_formed_code_with_a_known_area_is_valid() -> None:
    assert project_code.validate(CODE, today=TODAY) == CODE


@pytest.mark.parametrize(
    "value",
    [
        "2024210804040112345X",  # no hyphens
        "2024－210804－04－01－12345X",  # full-width hyphens
        "2024—210804—04—01—12345x",  # em dashes, lower case
        " ２０２４-２１０８０４-０４-０１-１２３４５Ｘ ",  # full-width digits and letters
    ],
)
def test_other_spellings_are_normalised(value: str) -> None:
    assert project_code.validate(value, today=TODAY) == CODE


def test_parse_splits_the_segments() -> None:
    parts = project_code.parse(CODE, today=TODAY)
    assert (parts.year, parts.area, parts.department, parts.project_type, parts.serial) == (
        2024, "210804", "04", "01", "12345X",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "segment", "fragment"),
    [
        ("2024-21080-04-01-12345X", 2, "第 2 段（地区代码）应为 6 位数字，实际为“21080”"),
        ("2024-210804-4-01-12345X", 3, "第 3 段（中央业务指导部门代码）应为 2 位数字"),
        ("2024-210804-04-0A-12345X", 4, "第 4 段（项目类型代码）应为 2 位数字"),
        ("2024-210804-04-01-1234#X", 5, "第 5 段（随机码和校验码）应为 6 位数字或大写字母"),
        ("24-210804-04-01-12345X", 1, "第 1 段（赋码年份）应为 4 位数字"),
        ("1999-210804-04-01-12345X", 1, "第 1 段（赋码年份）1999 不在 2000–2025 之间"),
        ("2026-210804-04-01-12345X", 1, "不在 2000–2025 之间"),
        ("2024-210899-04-01-12345X", 2, "第 2 段（地区代码）有误：“210899”不是已知的行政区划代码"),
    ],
)
def test_messages_name_the_wrong_segment(value: str, segment: int, fragment: str) -> None:
    error = _error(value)
    assert error.segment == segment
    assert fragment in error.message_zh
    assert f"segment {segment}" in error.message_en


def test_next_year_is_still_plausible() -> None:
    assert project_code.validate("2025-210804-04-01-12345X", today=TODAY)


def test_wrong_number_of_segments_or_length() -> None:
    assert "应分为 5 段" in _error("2024-210804-0401-12345X").message_zh
    assert "实际为 10 位" in _error("2024210804").message_zh
    assert _error("").reason == "empty"


def test_abolished_area_codes_are_accepted() -> None:
    assert project_code.validate("2009-110103-04-01-000001", today=TODAY)


def test_today_is_required_so_the_machine_date_is_never_read() -> None:
    """The caller passes the platform's today (core.clock): a code of next year is
    valid in the demo's 2024 only if the platform's year says so."""
    with pytest.raises(TypeError):
        project_code.validate(CODE)  # type: ignore[call-arg]
    later = "2026-210804-04-01-12345X"
    assert project_code.validate(later, today=datetime.date(2030, 1, 1)) == later
    with pytest.raises(CodeError):
        project_code.validate(later, today=datetime.date(2024, 6, 30))


# --- normalisation round trip (hypothesis) -------------------------------------------

areas = st.sampled_from([d.code for d in gb2260.divisions()])
digits = st.sampled_from("0123456789")
serial_chars = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
dashes = st.sampled_from(["-", "－", "—", "–", "‐", "−"])


@st.composite
def codes(draw: st.DrawFn) -> str:
    year = draw(st.integers(min_value=2000, max_value=2025))
    area = draw(areas)
    department = draw(st.text(digits, min_size=2, max_size=2))
    kind = draw(st.text(digits, min_size=2, max_size=2))
    serial = draw(st.text(serial_chars, min_size=6, max_size=6))
    return f"{year}-{area}-{department}-{kind}-{serial}"


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(codes())
def test_a_valid_code_is_its_own_normal_form(code: str) -> None:
    assert project_code.normalize(code) == code
    assert project_code.validate(code, today=TODAY) == code


@given(codes())
def test_dropping_the_hyphens_round_trips(code: str) -> None:
    assert project_code.normalize(code.replace("-", "")) == code


@given(codes(), st.lists(dashes, min_size=4, max_size=4), st.booleans(), st.booleans())
def test_any_dashes_width_and_case_round_trip(
    code: str, separators: list[str], wide: bool, lower: bool
) -> None:
    parts = code.split("-")
    text = parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=True))
    if wide:
        text = _full_width(text)
    if lower:
        text = text.lower()
    assert project_code.normalize(f"  {text} ") == code


@given(st.text(max_size=30))
def test_normalize_either_gives_a_fixed_point_or_a_code_error(text: str) -> None:
    try:
        normal = project_code.normalize(text)
    except CodeError as error:
        assert error.message_zh and error.message_en
    else:
        assert len(normal) == 24
        assert project_code.normalize(normal) == normal
