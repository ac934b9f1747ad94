"""Yearly facts from Excel, one sheet per source as the bureaus publish them: validated,
all rows or none."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from zhenxing.core import excel


def _sheet(rows: list[list[Any]]) -> bytes:
    headers = [
        "统一社会信用代码",
        "年度",
        "数据日期",
        "营业收入（销售收入）（万元）",
        "职工总数",
        "纳税总额（万元）",
    ]
    return excel.build_xlsx(headers, rows)


def test_a_tax_sheet_is_imported(world: Any, defs: Any, today: datetime.date) -> None:
    from zhenxing.enterprises.models import FactSubmission, FactValue

    spec = excel.REGISTRY["enterprise-facts-tax"]
    data = _sheet(
        [
            [world.own_enterprise.uscc, 2023, "2024-05-31", "1,234.56789", 88, 34.5678],
            [world.own_enterprise.uscc, 2022, None, 1100, None, None],
            [world.other_enterprise.uscc, 2023, None, "５００", 12, None],
        ]
    )
    result = excel.run_import(spec, data, user=world.users["dept"])
    assert result.ok, result.errors
    assert result.rows_written == 3
    value = FactValue.objects.get(
        enterprise=world.own_enterprise, year=2023, fact__code="revenue", source="tax"
    )
    assert Decimal(value.value) == Decimal("12345678.90")  # typed in 万元, kept in yuan
    tax = FactValue.objects.get(enterprise=world.own_enterprise, year=2023, fact__code="tax_paid")
    assert Decimal(tax.value) == Decimal("345678.00")
    assert Decimal(
        FactValue.objects.get(
            enterprise=world.other_enterprise, year=2023, fact__code="revenue"
        ).value
    ) == Decimal("5000000.00")
    assert value.as_of == datetime.date(2024, 5, 31) and value.effective
    assert (
        FactValue.objects.get(
            enterprise=world.own_enterprise, year=2022, fact__code="revenue"
        ).as_of
        == today
    )  # no date given: the import day
    assert FactSubmission.objects.filter(source="tax").count() == 3


def test_one_bad_row_and_nothing_is_written(world: Any, defs: Any, today: datetime.date) -> None:
    from zhenxing.enterprises.models import FactValue

    spec = excel.REGISTRY["enterprise-facts-statistics"]
    data = _sheet(
        [
            [world.own_enterprise.uscc, 2023, None, 1000, 10, None],
            [world.own_enterprise.uscc, 2023, None, 1200, 11, None],  # the same enterprise-year
            ["91210804000000000X", 2023, None, 1000, 10, None],  # a bad code
            [world.other_enterprise.uscc, 2031, None, 1000, 10, None],  # a future year
            [world.other_enterprise.uscc, 2022, None, "12.3456789", "ten", None],
        ]
    )
    result = excel.run_import(spec, data, user=world.users["dept"])
    assert not result.ok
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "与第 2 行重复" in reasons[(3, "统一社会信用代码与年度")]
    assert (4, "统一社会信用代码") in reasons
    assert (5, "年度") in reasons
    assert "最多保留六位小数" in reasons[(6, "营业收入（销售收入）（万元）")]
    assert (6, "职工总数") in reasons
    assert not FactValue.objects.exists()


def test_area_staff_import_only_their_areas_enterprises(
    world: Any, defs: Any, today: datetime.date
) -> None:
    spec = excel.REGISTRY["enterprise-facts-tax"]
    data = _sheet([[world.other_enterprise.uscc, 2023, None, 1000, None, None]])
    result = excel.run_import(spec, data, user=world.users["area"])
    assert not result.ok
    assert "无权" in result.errors[0].reason


def test_every_source_has_an_upload_page_and_a_template(world: Any, defs: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    for kind in ("tax", "statistics", "market-regulator", "self-reported"):
        assert client.get(f"/imports/enterprise-facts-{kind}/").status_code == 200
        template = client.get(f"/imports/enterprise-facts-{kind}/template/")
        headers = [str(h) for h in excel.read_rows(template.content)[0]]
        assert headers[:3] == ["统一社会信用代码*", "年度*", "数据日期"]
        assert "营业收入（销售收入）（万元）" in headers
        assert "研发费用（研究开发费用）（万元）" in headers
        assert "当期新认定为高新技术企业" not in headers  # derived from the tiers


def test_a_money_column_without_its_unit_is_refused_not_misread(
    world: Any, defs: Any, today: datetime.date
) -> None:
    """Sheets made before the unit was in the header held yuan; reading them as 万元
    would make every figure 10,000 times too large."""
    from zhenxing.enterprises.models import FactValue

    spec = excel.REGISTRY["enterprise-facts-tax"]
    data = excel.build_xlsx(
        ["统一社会信用代码", "年度", "营业收入（销售收入）"],
        [[world.own_enterprise.uscc, 2023, 12345678.9]],
    )
    result = excel.run_import(spec, data, user=world.users["dept"])
    assert not result.ok
    assert result.errors[0].row == 1
    assert "营业收入（销售收入）（万元）" in result.errors[0].reason
    assert not FactValue.objects.exists()


def test_the_facts_template_names_the_unit_of_money(world: Any, defs: Any) -> None:
    from zhenxing.enterprises.domain import Source
    from zhenxing.enterprises.imports import fact_import_spec

    template = excel.template_bytes(fact_import_spec(Source.TAX))
    headers = [str(h) for h in excel.read_rows(template)[0]]
    assert "营业收入（销售收入）（万元）" in headers and "纳税总额（万元）" in headers
    assert "职工总数" in headers  # a count has no money unit
    assert not any(h.startswith("营业收入（销售收入）") and "万元" not in h for h in headers)
