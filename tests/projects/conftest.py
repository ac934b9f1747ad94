"""Fixtures for the project tests: projects in the world's two areas, a frozen "today"."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

TODAY = "2024-06-30"


@pytest.fixture
def today(settings: Any) -> datetime.date:
    """Freeze the platform's "today" at the demo's 2024-06-30 (core.clock reads it)."""
    settings.TODAY_OVERRIDE = TODAY
    return datetime.date.fromisoformat(TODAY)


class Maker:
    """Projects made through the services, as the admin, in any area."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.count = 0

    def project(
        self,
        area: Any,
        *,
        name: str | None = None,
        status: str = "continuing",
        since: datetime.date = datetime.date(2023, 3, 1),
        total: str = "50000000",
        code: str | None = None,
        library: str | None = "construction",
    ) -> Any:
        from zhenxing.projects import services

        self.count += 1
        project = services.project_create(
            user=self.admin,
            name=name or f"{area.name}测试项目{self.count}",
            code=code if code is not None else f"2023-{area.code[:6]}-04-01-{self.count:06d}",
            area=area,
            total_investment=Decimal(total),
            status=status,
            status_since=since,
        )
        if library:
            services.project_enter_library(
                user=self.admin, project=project, library=library, date=since
            )
        return project


@pytest.fixture
def make(world: Any, today: datetime.date) -> Maker:
    return Maker(world.users["admin"])


@pytest.fixture
def own_project(make: Maker, world: Any) -> Any:
    return make.project(world.own_area, name="鲅鱼圈测试冶金项目")


@pytest.fixture
def other_project(make: Maker, world: Any) -> Any:
    return make.project(world.other_area, name="盖州测试镁材项目")
