"""Fixtures for the enterprise tests: a frozen "today", fact definitions, helpers that
record facts and tiers through the services as the admin."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

TODAY = "2024-06-30"


@pytest.fixture
def today(settings: Any) -> datetime.date:
    """The platform's "today" is the demo's 2024-06-30 (core.clock reads it)."""
    settings.TODAY_OVERRIDE = TODAY
    return datetime.date.fromisoformat(TODAY)


@pytest.fixture
def defs(db: Any) -> dict[str, Any]:
    """The fact definitions (synced from the catalogue's facts.yaml after migrate)."""
    from zhenxing.enterprises.models import FactDefinition
    from zhenxing.enterprises.services import sync_fact_definitions

    sync_fact_definitions()
    return {d.code: d for d in FactDefinition.objects.all()}


class Recorder:
    def __init__(self, admin: Any) -> None:
        self.admin = admin

    def facts(self, enterprise: Any, year: int, source: str = "tax", **values: Any) -> Any:
        from zhenxing.enterprises import services

        return services.facts_record(
            user=self.admin,
            enterprise=enterprise,
            year=year,
            source=source,
            values=values,
            as_of=datetime.date(year + 1, 3, 31),
        )

    def tier(
        self,
        enterprise: Any,
        code: str,
        issued_on: datetime.date,
        expires_on: datetime.date | None = None,
        level: str | None = None,
    ) -> Any:
        from zhenxing.enterprises import services

        return services.tier_grant(
            user=self.admin,
            enterprise=enterprise,
            code=code,
            level=level,
            issued_on=issued_on,
            expires_on=expires_on,
            certificate_no=f"{code.upper()}-{issued_on:%Y%m%d}",
        )


@pytest.fixture
def record(world: Any, defs: Any, today: datetime.date) -> Recorder:
    return Recorder(world.users["admin"])


def money(value: str) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
