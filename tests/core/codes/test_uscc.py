from __future__ import annotations

import pytest

from zhenxing.core.codes import uscc
from zhenxing.core.codes.errors import CodeError


def _error(code: str) -> CodeError:
    with pytest.raises(CodeError) as info:
        uscc.validate(code)
    return info.value


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # published example (python-stdnum doctest)
        "91350100M000100Y43",  # published example, letters in the organisation code
        "91210804123456788F",  # worked example of the criteria, 鲅鱼圈区
    ],
)
def test_published_and_worked_examples_are_valid(code: str) -> None:
    assert uscc.validate(code) == code


def test_worked_example_check_character_is_f() -> None:
    assert uscc.check_character("91210804123456788") == "F"


def test_organisation_code_check_of_12345678_is_8() -> None:
    assert uscc.organisation_check_character("12345678") == "8"


def test_organisation_check_value_ten_is_written_x_and_eleven_zero() -> None:
    # "00000006": Σ = 6 × 2 = 12 ≡ 1 (mod 11) → 11 − 1 = 10 → "X"
    assert uscc.organisation_check_character("00000006") == "X"
    # "00000000": Σ = 0 → 11 − 0 = 11 → "0"
    assert uscc.organisation_check_character("00000000") == "0"


def test_uscc_with_wrong_check_character_names_the_expected_one() -> None:
    error = _error("91210804123456788G")
    assert str(error) == "校验位应为 F，实际为 G"
    assert error.message_en == "the check character should be F, not G"
    assert error.reason == "check_character"
    assert error.position == 18
    assert error.kind == "uscc"


def test_letter_o_is_named_with_its_position() -> None:
    error = _error("9121O804123456788F")
    assert "第 5 位不能是字母 O" in error.message_zh
    assert "是不是数字 0" in error.message_zh
    assert "character 5 cannot be the letter O" in error.message_en
    assert error.position == 5


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_each_excluded_letter_is_refused(letter: str) -> None:
    code = "91210804123456788F"
    error = _error(code[:10] + letter + code[11:])
    assert error.reason == "forbidden_letter"
    assert f"第 11 位不能是字母 {letter}" in error.message_zh


def test_other_characters_are_named() -> None:
    error = _error("91210804-23456788F")
    assert error.reason == "character"
    assert error.position == 9
    assert "第 9 位不能是“-”" in error.message_zh


def test_inner_space_is_named_as_a_space() -> None:
    error = _error("912108 4123456788F")
    assert "第 7 位不能是空格" in error.message_zh
    assert "a space" in error.message_en


@pytest.mark.parametrize("length", [0, 17, 19])
def test_wrong_length_says_how_long_it_is(length: int) -> None:
    code = ("91210804123456788F" * 2)[:length]
    error = _error(code)
    if length == 0:
        assert error.reason == "empty"
    else:
        assert error.reason == "length"
        assert f"应为 18 位，实际为 {length} 位" in error.message_zh


def test_fifteen_digits_are_recognised_as_an_old_registration_number() -> None:
    error = _error("210800000012345")
    assert "工商注册号" in error.message_zh


def test_positions_3_to_8_must_be_digits() -> None:
    body = "9121A804123456788"
    code = body + uscc.check_character(body)
    error = _error(code)
    assert error.reason == "area_digits"
    assert error.position == 5
    assert "第 3–8 位" in error.message_zh and "第 5 位是“A”" in error.message_zh


def test_wrong_organisation_check_character_is_named() -> None:
    body = "91210804123456789"  # organisation code 123456789: its check should be 8
    code = body + uscc.check_character(body)
    error = _error(code)
    assert error.reason == "organisation_check_character"
    assert str(error) == "第 17 位（组织机构代码校验位）应为 8，实际为 9"
    assert uscc.validate(code, check_organisation_code=False) == code


@pytest.mark.parametrize("authority", ["Y", "A", "N", "1", "5"])
def test_codes_of_every_authority_are_accepted(authority: str) -> None:
    body = authority + "1210804123456788"
    code = body + uscc.check_character(body)
    assert uscc.validate(code) == code


def test_lower_case_full_width_and_surrounding_space_are_normalised() -> None:
    assert uscc.validate("  ９１２１０８０４１２３４５６７８８ｆ\u3000") == "91210804123456788F"
    assert uscc.validate("91350100m000100y43") == "91350100M000100Y43"


def test_check_character_refuses_bodies_of_the_wrong_length_or_characters() -> None:
    with pytest.raises(CodeError, match="17"):
        uscc.check_character("9121080412345678")
    with pytest.raises(CodeError, match="字母 O"):
        uscc.check_character("9121O804123456788")


def test_with_check_character_completes_a_body() -> None:
    assert uscc.with_check_character("91210804123456788") == "91210804123456788F"


def test_parse_splits_the_code_and_names_its_parts() -> None:
    parts = uscc.parse("91210804123456788F")
    assert (parts.authority, parts.entity_type, parts.area) == ("9", "1", "210804")
    assert parts.organisation_code == "123456788"
    assert parts.check == "F"
    assert parts.authority_name == "市场监督管理（原工商）"
    assert parts.entity_type_name == "企业"
    assert parts.area_name == "辽宁省营口市鲅鱼圈区"


def test_soft_check_is_quiet_for_a_known_area() -> None:
    assert uscc.soft_check("91210804123456788F") == []
    assert uscc.soft_check("91110000600037341L") == []


def test_soft_check_flags_an_unknown_area_but_the_code_stays_valid() -> None:
    body = "91219999123456788"
    code = body + uscc.check_character(body)
    assert uscc.validate(code) == code
    notices = uscc.soft_check(code)
    assert [n.reason for n in notices] == ["unknown_area"]
    assert "仍然有效" in notices[0].message_zh


def test_soft_check_flags_an_abolished_area() -> None:
    body = "91110103123456788"  # 崇文区, abolished 2010
    code = body + uscc.check_character(body)
    assert [n.reason for n in uscc.soft_check(code)] == ["abolished_area"]


def test_soft_check_accepts_the_national_area_code() -> None:
    body = "91100000123456788"
    code = body + uscc.check_character(body)
    assert uscc.soft_check(code) == []
    assert uscc.parse(code).area_name == "全国"


def test_soft_check_flags_an_unknown_authority() -> None:
    body = "B1210804123456788"
    code = body + uscc.check_character(body)
    assert [n.reason for n in uscc.soft_check(code)] == ["unknown_authority"]


def test_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_has_valid_check_character_looks_at_the_mod_31_check_only() -> None:
    assert uscc.has_valid_check_character("91210804123456788F")
    assert not uscc.has_valid_check_character("91210804123456788G")
    assert not uscc.has_valid_check_character("91210804123456788")
    assert not uscc.is_valid("91210804123456788G")
    assert uscc.is_valid("91210804123456788F")
