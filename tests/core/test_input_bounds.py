"""Every number, date and text that comes in is bounded in core (`core.money`,
`core.validation`, `core.form_fields`, the cell parsers of `core.excel`): a clean refusal
or an in-range value, whatever is thrown at them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from zhenxing.core import excel, money, validation
from zhenxing.core.form_fields import NumberField, WanField, WholeNumberField, YuanField
from zhenxing.core.money import Money, NonNegativeMoney

D = Decimal


class Amount(BaseModel):
    amount: Money


class Payment(BaseModel):
    amount: NonNegativeMoney


def _in_range(value: Decimal) -> None:
    assert value.is_finite()
    assert abs(value) < money.MAX_YUAN
    assert value == value.quantize(money.CENT)
    # what a DecimalField(18, 2) column holds, and what SQLite keeps exactly (15 digits)
    assert len(value.as_tuple().digits) <= 15


# --- the quoted cases ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("12345678901234567.89", "money_range"),
        ("9999999999999999.99", "money_range"),  # fits DecimalField(18, 2), not SQLite
        ("1.005", "money_places"),
        (D("1.005"), "money_places"),
        ("1e30", "money_parsing"),
        (1e30, "money_range"),
        (1e300, "money_range"),
        (float("nan"), "money_parsing"),
        (float("inf"), "money_parsing"),
        (D("NaN"), "money_parsing"),
        (D("-Infinity"), "money_parsing"),
        (10**40, "money_range"),
        ("9" * 10_000, "money_parsing"),
    ],
)
def test_the_api_amount_refuses_what_no_column_holds(sent: Any, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Amount(amount=sent)
    assert refused.value.errors()[0]["type"] == code


def test_totals_on_their_way_out_may_exceed_one_column() -> None:
    """A sum of many amounts (the public payout total) is shown, not refused."""
    assert Amount(amount=D("10000001000000.00")).model_dump(mode="json") == {
        "amount": "10000001000000.00"
    }


def test_the_largest_amount_is_accepted_and_reads_back_exactly() -> None:
    top = D("9999999999999.99")
    assert Amount(amount=str(top)).amount == top
    assert money.parse_yuan("-9,999,999,999,999.99") == -top
    assert money.parse_wan("999999999.999999") == D("9999999999999.99")
    with pytest.raises(money.NumberError, match="超出范围"):
        money.parse_wan("1000000000")


# --- property-style: whatever comes in --------------------------------------------------

NUMBER_TEXT = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.builds(
        lambda mantissa, exponent: f"{mantissa}e{exponent}",
        st.integers(-999, 999),
        st.integers(-400, 400),
    ),
    st.from_regex(r"-?[0-9]{0,25}(\.[0-9]{0,8})?", fullmatch=True),
    st.text(max_size=30),
)
ANY_VALUE = st.one_of(
    NUMBER_TEXT,
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.none(),
    st.booleans(),
)


@pytest.mark.parametrize("parse", [money.parse_yuan, money.parse_wan], ids=["yuan", "wan"])
@settings(max_examples=400, deadline=None)
@given(ANY_VALUE)
def test_money_parsers_refuse_cleanly_or_return_an_amount_in_range(parse: Any, value: Any) -> None:
    try:
        parsed = parse(value)
    except money.NumberError as exc:
        assert exc.message
        return
    if parsed is not None:
        _in_range(parsed)


@settings(max_examples=400, deadline=None)
@given(ANY_VALUE)
def test_parse_number_refuses_cleanly_or_returns_a_finite_number(value: Any) -> None:
    try:
        parsed = money.parse_number(value)
    except money.NumberError as exc:
        assert exc.message
        return
    assert parsed is None or parsed.is_finite()


@settings(max_examples=400, deadline=None)
@given(ANY_VALUE)
def test_the_money_api_types_refuse_cleanly_or_hold_an_amount_in_range(value: Any) -> None:
    for schema in (Amount, Payment):
        try:
            parsed = schema(amount=value).amount
        except ValidationError as exc:
            assert exc.errors()[0]["type"].startswith("money_")
            continue
        if isinstance(value, Decimal):  # only our own totals, on their way out
            assert parsed.is_finite() and parsed == parsed.quantize(money.CENT)
        else:
            _in_range(parsed)
        assert schema is Amount or parsed >= 0


@settings(max_examples=200, deadline=None)
@given(ANY_VALUE)
def test_the_excel_number_parsers_refuse_with_a_cell_error(value: Any) -> None:
    for parse in (excel.money, excel.wan, excel.number, excel.integer):
        try:
            parsed = parse(value)
        except excel.CellError:
            continue
        if parse is excel.integer:
            assert parsed is None or abs(parsed) < 2**31
        elif parse in (excel.money, excel.wan):
            assert parsed is None or abs(parsed) < money.MAX_YUAN


# --- form fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        (YuanField(), "12345678901234567.89"),
        (YuanField(), "9999999999999999.99"),
        (YuanField(), "1.005"),
        (YuanField(), "1e30"),
        (WanField(), "99999999999999"),
        (WanField(), "1.0000001"),
        (NumberField(), "1" * 40),
        (WholeNumberField(), "99999999999"),
    ],
)
def test_form_fields_refuse_out_of_range_input(field: Any, typed: str) -> None:
    from django import forms

    with pytest.raises(forms.ValidationError):
        field.clean(typed)


def test_form_fields_keep_what_is_in_range() -> None:
    assert YuanField().clean("9,999,999,999,999.99") == D("9999999999999.99")
    assert WanField().clean("1.5") == D("1.5")
    assert WholeNumberField().clean("2,024") == 2024


# --- dates and text ------------------------------------------------------------------------


@pytest.mark.parametrize("day", [datetime.date(1800, 1, 1), datetime.date(2099, 1, 1)])
def test_dates_out_of_the_sane_range_are_refused(day: datetime.date, settings: Any) -> None:
    settings.TODAY_OVERRIDE = "2024-06-30"
    with pytest.raises(validation.Refused, match="日期应在 1900-01-01 至 2074-06-30"):
        validation.check_date(day)
    with pytest.raises(excel.CellError, match="日期应在"):
        excel.date(day.isoformat())
    assert validation.check_date(datetime.date(2030, 1, 1)) == datetime.date(2030, 1, 1)
    with pytest.raises(validation.Refused, match="不能晚于今天"):
        validation.check_past_date(datetime.date(2024, 7, 1))


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[31m", "x\x7f", "a\x0cb"])
def test_control_characters_are_refused_in_text(text: str) -> None:
    with pytest.raises(validation.Refused):
        validation.check_text(text)
    with pytest.raises(excel.CellError, match="控制字符"):
        excel.text(text)
    assert validation.check_text("两行\n文字\t制表\r") == "两行\n文字\t制表\r"


def test_control_characters_are_found_anywhere_in_a_json_body() -> None:
    body = {"name": "ok", "items": [{"note": "a\x00"}, "b"], "k\x01": 1, "n": 5}
    assert sorted(validation.control_characters_in(body)) == ["items.0.note", "k\x01"]
