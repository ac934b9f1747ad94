"""Bad input to the registry is refused with the field named, never a 500: a required
field sent as null, dates out of a sane range, control characters in text, self-reported
figures beyond the range every source is held to, and a 1e300 cell in a facts sheet."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from zhenxing.core import excel


def _patch(client: Any, enterprise: Any, body: dict[str, Any]) -> Any:
    return client.patch(
        f"/api/v1/enterprises/{enterprise.pk}",
        data=json.dumps(body),
        content_type="application/json",
    )


def _fields(response: Any) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize("field", ["uscc", "name", "area_code", "ownership", "size_class"])
def test_a_required_field_patched_to_null_is_a_422_naming_it(
    world: Any, client: Any, field: str
) -> None:
    client.force_login(world.users["admin"])
    response = _patch(client, world.own_enterprise, {field: None})
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert _fields(response) == {field}
    world.own_enterprise.refresh_from_db()
    assert world.own_enterprise.uscc  # nothing changed


def test_fields_that_may_be_empty_can_still_be_cleared(world: Any, client: Any) -> None:
    client.force_login(world.users["admin"])
    response = _patch(client, world.own_enterprise, {"registration_date": None})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("date", ["2099-01-01", "1800-06-30"])
def test_a_registration_date_out_of_range_is_refused_by_the_api(
    world: Any, client: Any, date: str
) -> None:
    client.force_login(world.users["admin"])
    response = _patch(client, world.own_enterprise, {"registration_date": date})
    assert response.status_code == 422
    assert _fields(response) == {"registration_date"}
    assert "日期应在 1900-01-01 至" in response.json()["errors"][0]["message"]


def test_control_characters_in_any_text_of_a_body_are_refused(world: Any, client: Any) -> None:
    client.force_login(world.users["admin"])
    response = _patch(client, world.own_enterprise, {"name": "某某\x00公司", "address": "a\x1bb"})
    assert response.status_code == 422
    assert _fields(response) == {"name", "address"}
    assert response.json()["errors"][0]["code"] == "control_characters"
    fine = _patch(client, world.own_enterprise, {"address": "一行\n两行\t制表"})
    assert fine.status_code == 200, fine.content


def test_a_body_over_the_limit_is_a_413_problem(world: Any, client: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(world.users["admin"])
    response = _patch(client, world.own_enterprise, {"address": "x" * 2000})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_a_registration_date_out_of_range_is_refused_by_the_form(world: Any, client: Any) -> None:
    enterprise = world.own_enterprise
    client.force_login(world.users["admin"])
    data = {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "area": enterprise.area_id,
        "ownership": enterprise.ownership,
        "size_class": enterprise.size_class,
    }
    for date in ("2099-01-01", "1800-06-30"):
        response = client.post(
            f"/enterprises/{enterprise.pk}/edit/", {**data, "registration_date": date}
        )
        assert response.status_code == 200
        assert "日期应在 1900-01-01 至" in str(response.context["form"].errors["registration_date"])
    enterprise.refresh_from_db()
    assert enterprise.registration_date != datetime.date(2099, 1, 1)
    named = client.post(f"/enterprises/{enterprise.pk}/edit/", {**data, "name": "某\x00公司"})
    assert "name" in named.context["form"].errors  # Django's own NUL check, still named


def _facts_sheet(revenue_wan: Any, employees: Any) -> bytes:
    return excel.build_xlsx(
        ["统一社会信用代码", "年度", "营业收入（销售收入）（万元）", "职工总数"],
        [["91210804123456788F", 2023, revenue_wan, employees]],
    )


@pytest.mark.parametrize(("revenue", "employees"), [(1e300, 10), (100, 1e300), (-1e300, 10)])
def test_a_1e300_cell_in_a_facts_import_is_a_row_error(
    world: Any, defs: Any, today: datetime.date, revenue: Any, employees: Any
) -> None:
    from zhenxing.enterprises.models import FactValue

    result = excel.run_import(
        excel.REGISTRY["enterprise-facts-tax"],
        _facts_sheet(revenue, employees),
        user=world.users["dept"],
    )
    assert not result.ok
    assert [(e.row, "超出范围" in e.reason) for e in result.errors] == [(2, True)]
    assert not FactValue.objects.exists()


def test_self_reported_figures_are_bounded_as_the_bureaus_are(
    world: Any, defs: Any, today: datetime.date, client: Any
) -> None:
    """An enterprise reporting its own revenue is held to the same range as the tax
    bureau: beyond what an amount column holds (10 万亿元) it is refused, naming it."""
    from zhenxing.enterprises.models import FactValue

    for user, source in (
        (world.users["enterprise"], "self_reported"),
        (world.users["dept"], "tax"),
    ):
        client.force_login(user)
        for value in ("12345678901234567.89", 1e300, "1e30"):
            response = client.post(
                f"/api/v1/enterprises/{world.own_enterprise.pk}/facts",
                data=json.dumps({"year": 2023, "source": source, "values": {"revenue": value}}),
                content_type="application/json",
            )
            assert response.status_code in (400, 422), (source, value, response.content)
            assert "revenue" in _fields(response), response.content
    assert not FactValue.objects.exists()
