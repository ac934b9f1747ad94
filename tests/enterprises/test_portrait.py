"""The portrait: tiers held, criteria met (with what is left to verify), nearly met with the
gap for each failed condition — in the page and in the API."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

D = datetime.date

# A small technology enterprise in 2023 (with 2021–2022 for the three-year figures).
PROFILE = {
    "revenue": "40000000",
    "total_income": "40000000",
    "high_tech_product_revenue": "30000000",
    "rd_expense": "2400000",
    "rd_expense_domestic_3y_total": "6000000",
    "total_cost_expense": "30000000",
    "total_assets": "50000000",
    "total_liabilities": "20000000",
    "employees": 100,
    "tech_staff": 25,
    "ip_class1": 2,
    "ip_class2": 5,
}


@pytest.fixture
def tech_enterprise(world: Any, record: Any) -> Any:
    from zhenxing.enterprises import services

    e = world.own_enterprise
    services.enterprise_update(
        user=world.users["admin"], enterprise=e, registration_date=D(2012, 5, 1)
    )
    for year in (2021, 2022):
        record.facts(e, year, revenue="35000000", rd_expense="2000000")
    record.facts(e, 2023, **PROFILE)
    return e


def _by_tier(portrait: Any) -> dict[str, Any]:
    return {a.rule_id: a for a in portrait.assessments}


def test_a_met_tier_and_a_nearly_met_one_with_its_gap(tech_enterprise: Any, record: Any) -> None:
    from zhenxing.enterprises import queries

    # High-tech products 55 % of total income (statistics, read first for this fact):
    # the high-tech criterion wants 60 % — one condition short.
    record.facts(tech_enterprise, 2023, "statistics", high_tech_product_revenue="22000000")
    p = queries.portrait(tech_enterprise)
    assert p.fiscal_year == 2023
    found = _by_tier(p)
    tech_sme = found["tech_sme"]
    assert tech_sme.status == "met"
    assert tech_sme.score is not None and tech_sme.score >= 60
    # the items only the application can settle are listed as to be verified
    assert any("禁止" in label for label in tech_sme.pending)
    high_tech = found["high_tech_enterprise"]
    assert high_tech.status == "nearly"
    assert [s.condition for s in high_tech.shortfalls] == ["high_tech_revenue_share"]
    gaps = {g.fact: g for g in high_tech.shortfalls[0].gaps}
    gap = gaps["high_tech_product_revenue"]
    assert gap.change == Decimal("2000000.00") and gap.target == Decimal("24000000.00")
    assert gap.message == "近一年高新技术产品（服务）收入还差 200.0 万元即可达到 60%"
    assert tech_sme in p.met and high_tech in p.nearly


def test_enough_tech_staff_meets_the_high_tech_criteria(tech_enterprise: Any) -> None:
    from zhenxing.enterprises import queries

    high_tech = _by_tier(queries.portrait(tech_enterprise))["high_tech_enterprise"]
    assert high_tech.status == "met"
    assert high_tech.verified
    assert any("专家" in label or "领域" in label for label in high_tech.pending)


def test_missing_data_is_reported_not_guessed(world: Any, record: Any) -> None:
    from zhenxing.enterprises import queries

    record.facts(world.other_enterprise, 2023, employees=50)
    found = _by_tier(queries.portrait(world.other_enterprise))
    assert found["tech_sme"].status == "incomplete"
    assert "营业收入（销售收入）" in found["tech_sme"].missing


def test_the_portrait_tab_and_api(tech_enterprise: Any, record: Any, client: Any) -> None:
    record.facts(tech_enterprise, 2023, "statistics", high_tech_product_revenue="22000000")
    record.tier(tech_enterprise, "tech_sme", D(2024, 4, 1))
    client.force_login(world_user(client, tech_enterprise))
    page = client.get(f"/enterprises/{tech_enterprise.pk}/?tab=portrait").content.decode()
    assert "符合认定条件" in page and "接近认定条件" in page
    assert "近一年高新技术产品（服务）收入还差 200.0 万元即可达到 60%" in page
    api = client.get(f"/api/v1/enterprises/{tech_enterprise.pk}/portrait").json()
    assert api["held"] == ["tech_sme"]
    assert "tech_sme" in api["met"] and "high_tech" in api["nearly"]
    nearly = next(a for a in api["assessments"] if a["rule_id"] == "high_tech_enterprise")
    assert nearly["shortfalls"][0]["gaps"][0]["change"] == "2000000.00"


def world_user(client: Any, enterprise: Any) -> Any:
    """The enterprise's own user sees its portrait too."""
    from zhenxing.core.models import RoleAssignment

    return RoleAssignment.objects.get(role="enterprise", enterprise=enterprise).user
