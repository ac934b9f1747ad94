"""Properties of the GB 32100 check character (hypothesis).

Why they hold: the sum is Σ value·3^(i-1) over i = 1…17 and the check
character makes the total ≡ 0 (mod 31).  31 is prime, so

- a substitution at position i changes the total by (b − a)·w_i, and neither
  factor is 0 mod 31 (values differ by 1…30; w_i = 3^(i-1) is a unit);
- swapping positions i and i+1 (i ≤ 16) changes it by (a − b)·(w_i − w_{i+1})
  = (a − b)·(−2·w_i), again non-zero;
- swapping positions 17 and 18 (the check character itself) changes it by
  (b − a)·(w_17 − 1) = (b − a)·27, non-zero.

So every single substitution and every adjacent transposition of different
characters is detected by the mod-31 check alone, at every position.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zhenxing.core.codes import uscc

charset = st.sampled_from(uscc.CHARSET)
digit = st.sampled_from("0123456789")


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    """Valid codes: any authority/type, digits at 3–8, a checked organisation code."""
    head = draw(st.text(charset, min_size=2, max_size=2))
    area = draw(st.text(digit, min_size=6, max_size=6))
    org_body = draw(st.text(charset, min_size=8, max_size=8))
    body = head + area + org_body + uscc.organisation_check_character(org_body)
    return body + uscc.check_character(body)


@given(valid_codes())
def test_any_body_with_its_computed_check_character_validates(code: str) -> None:
    assert uscc.validate(code) == code
    assert uscc.has_valid_check_character(code)


@given(st.text(charset, min_size=17, max_size=17))
def test_the_check_character_fits_any_17_characters_of_the_set(body: str) -> None:
    assert uscc.has_valid_check_character(body + uscc.check_character(body))


@given(valid_codes(), st.integers(min_value=0, max_value=17), charset)
def test_any_single_substitution_is_rejected(code: str, index: int, char: str) -> None:
    if code[index] == char:
        char = uscc.CHARSET[(uscc.CHARSET.index(char) + 1) % len(uscc.CHARSET)]
    changed = code[:index] + char + code[index + 1 :]
    assert not uscc.has_valid_check_character(changed)  # the mod-31 check alone
    assert not uscc.is_valid(changed)


@given(valid_codes(), st.integers(min_value=0, max_value=16))
def test_any_adjacent_transposition_of_different_characters_is_rejected(
    code: str, index: int
) -> None:
    a, b = code[index], code[index + 1]
    if a == b:
        return
    swapped = code[:index] + b + a + code[index + 2 :]
    assert not uscc.has_valid_check_character(swapped)  # the mod-31 check alone
    assert not uscc.is_valid(swapped)


@settings(max_examples=50)
@given(valid_codes())
def test_every_position_and_every_substitute_is_caught_exhaustively(code: str) -> None:
    for index in range(18):
        for char in uscc.CHARSET:
            if char != code[index]:
                changed = code[:index] + char + code[index + 1 :]
                assert not uscc.has_valid_check_character(changed)


@given(valid_codes())
def test_lower_case_and_full_width_forms_validate_to_the_same_code(code: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert uscc.validate(code.lower()) == code
    assert uscc.validate(full_width) == code
