"""core/money.py, the one money convention: parse as people type, refuse what is finer
than the fen, 万元 / 亿元 with separators on pages, "1234.50" in the API, number
formats in every Excel export, and one number field for every form."""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from zhenxing.core import excel, money
from zhenxing.core.money import Money, NonNegativeMoney

D = Decimal


# --- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1,234.5", D("1234.5")),
        ("1234.5", D("1234.5")),
        (" 1,234,567 ", D("1234567")),
        ("１，２３４．５", D("1234.5")),  # full-width, as a Chinese input method types it
        ("-12", D("-12")),
        (".5", D("0.5")),
        (1234.5, D("1234.5")),  # a float from a spreadsheet, by its shortest repr
        (0.1, D("0.1")),
        (7, D("7")),
        (D("3.10"), D("3.10")),
    ],
)
def test_numbers_are_read_with_or_without_thousands_separators(typed: Any, number: D) -> None:
    assert money.parse_number(typed) == number


@pytest.mark.parametrize("typed", ["abc", "12,34", "1,2345", "1.2.3", "+", "NaN", "inf", True])
def test_what_is_not_a_number_is_refused(typed: Any) -> None:
    with pytest.raises(money.NumberError) as refused:
        money.parse_number(typed)
    assert "不是数字" in refused.value.message


def test_blank_is_none() -> None:
    assert money.parse_number("  ") is None and money.parse_yuan(None) is None


def test_yuan_is_kept_to_the_fen_and_finer_is_refused_not_rounded() -> None:
    assert money.parse_yuan("1,234.5") == D("1234.50")
    assert str(money.parse_yuan(12)) == "12.00"
    with pytest.raises(money.NumberError, match="最多保留两位小数"):
        money.parse_yuan("1234.567")
    with pytest.raises(money.NumberError, match="超出范围"):
        money.parse_yuan("1" + "0" * 16)


def test_wan_is_turned_into_yuan_exactly() -> None:
    assert money.parse_wan("1,234.56789") == D("12345678.90")
    assert money.parse_wan("0.000001") == D("0.01")
    with pytest.raises(money.NumberError, match="六位小数"):
        money.parse_wan("0.0000001")  # a tenth of a fen
    assert money.yuan_to_wan(D("12345678.90")) == D("1234.56789")
    assert money.wan_to_yuan(money.yuan_to_wan(D("0.01")) or D(0)) == D("0.01")


# --- display -----------------------------------------------------------------------------


def test_wan_and_yi_round_half_up_to_two_places() -> None:
    assert money.in_wan(D("12345")) == D("1.23")
    assert money.in_wan(D("12350")) == D("1.24")  # half up, not to even
    assert money.in_yi(D("123456789")) == D("1.23")
    assert money.in_yi(D("125000000")) == D("1.25")


def test_amounts_are_written_with_thousands_separators() -> None:
    assert money.format_yuan(D("1234567.8")) == "1,234,567.80 元"
    assert money.format_wan(D("123456789")) == "12,345.68"
    assert money.format_yi(D("123456789012")) == "1,234.57"
    assert money.format_count(1234567) == "1,234,567"
    assert str(money.Wan(D("12345.678"))) == "12,345.68"
    assert float(money.Wan(D("1.5"))) == 1.5  # a number in an export


def test_the_template_filters_go_through_money() -> None:
    from zhenxing.core.templatetags import zhenxing as tags

    assert tags.wan(D("123456789")) == "12,345.68"
    assert tags.yi(D("123456789012")) == "1,234.57"
    assert tags.yuan(D("1234567.8")) == "1,234,567.80"
    assert tags.figure(12345) == "12,345"
    assert tags.cell(D("1234567.80")) == "1,234,567.80"
    assert tags.cell(2024) == "2024"  # a year in a list stays a year


def test_panels_use_the_same_rounding() -> None:
    from zhenxing.core import panels

    assert panels.in_yi(D("125000000")) == money.in_yi(D("125000000")) == D("1.25")
    assert panels.in_wan(D("12350")) == D("1.24")


def test_money_is_defined_once() -> None:
    """WAN, YI and money-to-string live in core/money.py only (issue 8, item 9)."""
    from pathlib import Path

    import zhenxing

    root = Path(zhenxing.__file__).parent
    copies = []
    pattern = re.compile(r"^\s*(WAN|YI|WAN_YUAN|CENT)\s*=|:\.2f\}|^class (Wan|Yuan)\(")
    for path in root.rglob("*.py"):
        # the rules engine is a package of its own (no Django, no core); the demo data
        # counts in whole 万元 as it generates figures
        skipped = {"migrations", "demo", "rules"}
        if path.name == "money.py" or skipped & set(path.parts):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and "secs" not in line:
                copies.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert copies == []


# --- the API type --------------------------------------------------------------------------


class _Payload(BaseModel):
    amount: NonNegativeMoney
    shown: Money | None = None


@pytest.mark.parametrize("sent", [1234.5, "1234.5", "1,234.50", D("1234.5"), "１２３４.５"])
def test_the_api_takes_a_number_or_a_decimal_string(sent: Any) -> None:
    payload = _Payload(amount=sent)
    assert payload.amount == D("1234.50")
    assert payload.model_dump()["amount"] == "1234.50"
    assert json.loads(payload.model_dump_json())["amount"] == "1234.50"


@pytest.mark.parametrize(
    ("sent", "code", "words"),
    [
        ("12.345", "money_places", "两位小数"),
        ("abc", "money_parsing", "应为金额"),
        (True, "money_parsing", "应为金额"),
        ([1], "money_parsing", "应为金额"),
        (-1, "money_negative", "不能为负"),
    ],
)
def test_the_api_refuses_what_is_not_an_amount(sent: Any, code: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _Payload(amount=sent)
    error = refused.value.errors()[0]
    assert error["type"] == code and error["loc"] == ("amount",) and words in error["msg"]


def test_a_bad_amount_is_a_problem_naming_the_field(client: Any, world: Any) -> None:
    client.force_login(world.users["area"])
    response = client.post(
        "/api/v1/projects",
        data=json.dumps(
            {"name": "x", "area_code": world.own_area.code, "total_investment": "1000.005"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["field"] == "total_investment"
    assert "total_investment" in error["message"] and "两位小数" in error["message"]
    assert "Input should" not in response.content.decode()


def test_api_amounts_are_documented_as_decimal_strings() -> None:
    from zhenxing.api import api

    schema = api.get_openapi_schema()["components"]["schemas"]
    out = schema["ProjectOut"]["properties"]["total_investment"]
    assert out["type"] == "string" and out["pattern"] == r"^-?\d+\.\d{2}$"
    sent = schema["ReportIn"]["properties"]["investment"]
    assert {"type": "number", "minimum": 0} in sent["anyOf"]


# --- forms -----------------------------------------------------------------------------------


def test_number_fields_accept_separators() -> None:
    from django import forms

    from zhenxing.core.form_fields import NumberField, WanField, WholeNumberField, YuanField

    class F(forms.Form):
        wan = WanField(label="总投资（万元）")
        yuan = YuanField(label="金额（元）")
        pct = NumberField(label="比例", decimal_places=2)
        count = WholeNumberField(label="人数")

    form = F({"wan": "1,234.5", "yuan": "１,２３４.５", "pct": "12.5", "count": "1,200"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "wan": D("1234.5"),
        "yuan": D("1234.5"),
        "pct": D("12.5"),
        "count": 1200,
    }
    assert 'inputmode="decimal"' in str(form["wan"]) and 'type="text"' in str(form["wan"])
    bad = F({"wan": "0.0000001", "yuan": "1.234", "pct": "abc", "count": "1.5"})
    assert not bad.is_valid()
    assert "六位小数" in bad.errors["wan"][0]
    assert "两位小数" in bad.errors["yuan"][0]
    assert set(bad.errors) == {"wan", "yuan", "pct", "count"}


def test_every_number_field_of_every_part_is_the_core_one() -> None:
    """Projects, enterprises, policies, stewards: no Django number field of their own."""
    from django import forms

    from zhenxing.core.form_fields import LenientNumberMixin
    from zhenxing.enterprises import forms as enterprise_forms
    from zhenxing.policies import forms as policy_forms
    from zhenxing.projects import forms as project_forms
    from zhenxing.projects.stewards import forms as steward_forms

    found = []
    for module in (project_forms, enterprise_forms, policy_forms, steward_forms):
        for form_class in vars(module).values():
            if not (isinstance(form_class, type) and issubclass(form_class, forms.BaseForm)):
                continue
            for name, field in form_class.base_fields.items():
                number = isinstance(field, forms.DecimalField | forms.IntegerField)
                if number and not isinstance(field.widget, forms.HiddenInput):
                    found.append((form_class.__name__, name, isinstance(field, LenientNumberMixin)))
    assert found and all(lenient for _form, _name, lenient in found), found


# --- Excel -----------------------------------------------------------------------------------


def test_excel_cells_accept_separators() -> None:
    assert excel.money("1,234.5") == D("1234.50")
    assert excel.money(1234.5) == D("1234.50")
    assert excel.wan("1,234.5") == D("12345000.00")
    assert excel.integer("1,234") == 1234
    assert excel.integer(1234.0) == 1234
    assert excel.number("1,234.5678") == D("1234.5678")
    for parse, bad in ((excel.money, "1.234"), (excel.integer, "1.5"), (excel.number, "x")):
        with pytest.raises(excel.CellError):
            parse(bad)


def _formats(data: bytes) -> dict[str, str]:
    """Cell reference → number format of the first sheet of an .xlsx."""
    book = zipfile.ZipFile(io.BytesIO(data))
    styles = book.read("xl/styles.xml").decode()
    builtin = {"0": "General", "3": "#,##0", "4": "#,##0.00"}
    custom = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
    xfs_block = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert xfs_block is not None
    xfs = re.findall(r'<xf numFmtId="(\d+)"', xfs_block.group(1))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    out = {}
    for ref, style in re.findall(r'<c r="([A-Z]+\d+)"(?: s="(\d+)")?', sheet):
        fmt_id = xfs[int(style)] if style else "0"
        out[ref] = custom.get(fmt_id, builtin.get(fmt_id, fmt_id)).replace("&quot;", '"')
    return out


def test_exports_show_thousands_separators() -> None:
    data = excel.build_xlsx(
        ["年度", "金额（万元）", "户数"],
        [[2024, D("12345.67"), 1200]],
        plain_columns={0},
    )
    formats = _formats(data)
    assert formats["B2"] == excel.MONEY_FORMAT == "#,##0.00"
    assert formats["C2"] == excel.COUNT_FORMAT == "#,##0"
    assert formats["A2"] == "General"  # a year is not a count


def test_a_list_export_formats_amounts_and_counts(client: Any, world: Any) -> None:
    client.force_login(world.users["admin"])
    response = client.get("/enterprises/pool/?format=xlsx")
    assert response.status_code == 200
    header = excel.read_rows(response.content)[0]
    assert "培育年度" in header  # years stay plain (no separator) in a list export


def test_a_money_column_in_another_unit_is_refused() -> None:
    spec = excel.ImportSpec(
        kind="t",
        title="t",
        columns=[excel.ImportColumn("总投资（万元）", "total", excel.wan, required=True)],
        write_row=lambda row, user: None,
    )
    for header in ("总投资（元）", "总投资"):
        rows, errors = excel.parse_sheet(spec, excel.build_xlsx([header], [[100]]))
        assert rows == [] and errors[0].row == 1
        assert "总投资（万元）" in errors[0].reason
    rows, errors = excel.parse_sheet(spec, excel.build_xlsx(["总投资（万元）"], [["1,234.5"]]))
    assert errors == [] and rows[0][1]["total"] == D("12345000.00")
