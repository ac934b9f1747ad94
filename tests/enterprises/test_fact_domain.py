"""A fact's domain (non-negative amounts and counts, ranges, enum members) is data on its
definition and the service that writes facts holds every path to it: page, API, the
Excel facts import, the CLI import and a department's list (名单)."""

from __future__ import annotations

import argparse
import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhenxing.core import excel
from zhenxing.core.services import DomainError


def test_the_definitions_carry_their_domain(defs: dict[str, Any]) -> None:
    assert defs["employees"].minimum == 0 and defs["employees"].maximum is None
    assert defs["revenue"].minimum == 0
    assert defs["net_profit"].minimum is None  # a loss is a negative profit
    assert (defs["digital_level"].minimum, defs["digital_level"].maximum) == (1, 4)


@pytest.mark.parametrize(
    ("code", "raw", "words"),
    [
        ("employees", -5, "职工总数：不能为负数"),
        ("revenue", "-100", "营业收入：不能为负数"),
        ("digital_level", 5, "不能大于 4"),
    ],
)
def test_the_service_refuses_values_outside_the_domain_naming_the_fact(
    world: Any, defs: Any, today: datetime.date, code: str, raw: Any, words: str
) -> None:
    from zhenxing.enterprises import services
    from zhenxing.enterprises.models import FactValue

    with pytest.raises(DomainError) as refused:
        services.facts_record(
            user=world.users["dept"],
            enterprise=world.own_enterprise,
            year=2023,
            source="tax",
            values={code: raw},
        )
    assert words in refused.value.errors[code]
    assert not FactValue.objects.exists()


def test_a_loss_and_values_inside_the_domain_are_kept(
    world: Any, defs: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises import services
    from zhenxing.enterprises.models import FactValue

    services.facts_record(
        user=world.users["dept"],
        enterprise=world.own_enterprise,
        year=2023,
        source="tax",
        values={"net_profit": "-100", "employees": 0, "digital_level": 4},
    )
    stored = dict(FactValue.objects.values_list("fact__code", "value"))
    assert stored == {"net_profit": "-100.00", "employees": "0", "digital_level": "4"}


def test_a_domain_changed_by_an_administrator_holds_at_once(
    world: Any, defs: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises import services

    definition = defs["employees"]
    definition.maximum = Decimal(100000)
    definition.save()
    with pytest.raises(DomainError) as refused:
        services.facts_record(
            user=world.users["dept"],
            enterprise=world.own_enterprise,
            year=2023,
            source="tax",
            values={"employees": 100001},
        )
    assert "应在 0–100000 之间" in refused.value.errors["employees"]


def test_the_api_answers_400_naming_the_fact(
    world: Any, defs: Any, today: datetime.date, client: Any
) -> None:
    client.force_login(world.users["dept"])
    response = client.post(
        f"/api/v1/enterprises/{world.own_enterprise.pk}/facts",
        data=json.dumps({"year": 2023, "source": "tax", "values": {"employees": -5}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "职工总数：不能为负数" in errors["employees"]


def test_the_page_shows_the_refusal_next_to_the_value(
    world: Any, defs: Any, today: datetime.date, client: Any
) -> None:
    from zhenxing.enterprises.models import FactValue

    client.force_login(world.users["dept"])
    response = client.post(
        f"/enterprises/{world.own_enterprise.pk}/facts/new/",
        {"year": 2023, "fact": defs["revenue"].pk, "source": "tax", "value": "-100"},
    )
    assert response.status_code == 200
    assert "营业收入：不能为负数" in response.content.decode()
    assert not FactValue.objects.exists()


def _sheet(employees: Any, revenue: Any) -> bytes:
    return excel.build_xlsx(
        ["统一社会信用代码", "年度", "营业收入（销售收入）（万元）", "职工总数"],
        [["91210804123456788F", 2023, 1000, 10], ["91210804123456788F", 2022, revenue, employees]],
    )


def test_the_excel_import_names_the_row_and_the_column(
    world: Any, defs: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises.models import FactValue

    result = excel.run_import(
        excel.REGISTRY["enterprise-facts-tax"], _sheet(-5, 100), user=world.users["dept"]
    )
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "职工总数")]
    assert "不能为负数" in result.errors[0].reason
    assert not FactValue.objects.exists()  # the good row is not written either


def test_the_cli_import_refuses_the_same_rows(
    world: Any, defs: Any, today: datetime.date, tmp_path: Path, capsys: Any
) -> None:
    from zhenxing import cli
    from zhenxing.enterprises.models import FactValue

    sheet = tmp_path / "tax.xlsx"
    sheet.write_bytes(_sheet(10, -100))
    args = argparse.Namespace(
        kind="enterprise-facts-tax", file=str(sheet), user="dept", errors=None
    )
    assert cli.cmd_import(args) == 1
    assert "第 3 行 [营业收入（销售收入）（万元）]" in capsys.readouterr().err
    assert not FactValue.objects.exists()


def test_a_department_list_uses_the_definitions_domain(
    world: Any, defs: Any, today: datetime.date
) -> None:
    from zhenxing.core.models import Department
    from zhenxing.policies import services as policy_services

    definition = defs["employees"]
    definition.maximum = Decimal(50)
    definition.save()
    with pytest.raises(policy_services.ListEntriesError) as refused:
        policy_services.fact_list_save(
            user=world.users["dept"],
            department=Department.objects.get(code="gxj"),
            fact_id="employees",
            period="2023",
            values={world.own_enterprise.pk: 51, world.other_enterprise.pk: -1},
        )
    errors = refused.value.entry_errors
    assert "应在 0–50 之间" in errors[world.own_enterprise.pk][1]
    assert "不能小于 0" in errors[world.other_enterprise.pk][1]
