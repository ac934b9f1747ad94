"""Fixtures of the policies tests: a published enterprise policy of 工信局 (the 2019
first-set equipment award: 15 % of the contract price, at most 1,000,000 yuan), a project
policy, and a facts frame source so that runs do not depend on the registry's facts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
import pytest


def frame(
    rows: dict[Any, Any], fact: str = "first_set_contract_price", period: str = "2023"
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "entity_id": [int(getattr(k, "pk", k)) for k in rows],
            "period": [period] * len(rows),
            fact: [None if v is None else str(v) for v in rows.values()],
        }
    )


def source(data: pl.DataFrame) -> Any:
    from zhenxing.policies import facts

    return facts.frame_source(data)


@pytest.fixture
def gxj(ref: None) -> Any:
    from zhenxing.core.models import Department

    return Department.objects.get(code="gxj")


@pytest.fixture
def policy(world: Any, gxj: Any) -> Any:
    """工信局's first-set equipment award, published; budget 5,000,000 yuan a year."""
    from zhenxing.policies import services

    admin = world.users["admin"]
    created = services.policy_create(
        user=admin,
        code="first-set",
        name="首台（套）重大技术装备奖励",
        catalogue="yingkou",
        rule_file="subsidies-2019/first_set_equipment.yaml",
        rule_id="first_set_equipment",
        department=gxj,
        beneficiary="enterprise",
        annual_budget=Decimal("5000000"),
        city_share_pct=Decimal("60"),
        time_limit="每年第二季度测算兑付",
        contact="工信局装备工业科",
    )
    return services.policy_publish(user=admin, policy=created)


@pytest.fixture
def facts_two(world: Any) -> pl.DataFrame:
    """Own enterprise: 1,000,000 contract → 150,000; other: 8,000,000 → capped 1,000,000."""
    return frame({world.own_enterprise: 1_000_000, world.other_enterprise: 8_000_000})


@pytest.fixture
def computed_run(world: Any, policy: Any, facts_two: pl.DataFrame) -> Any:
    """A run of 2023 prepared by 工信局 staff (`dept`), waiting for approval."""
    from zhenxing.policies import services

    return services.run_start(
        user=world.users["dept"], policy=policy, period="2023", source=source(facts_two)
    )
