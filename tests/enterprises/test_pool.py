"""The cultivation pool: entering, stages, the follow-up log, the funnel per tier and year."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from zhenxing.core.services import DomainError

D = datetime.date


@pytest.fixture
def pool(world: Any, defs: Any, today: datetime.date) -> Any:
    """Six 2024 entries for high-tech at different stages, one tech-SME entry, one of 2023."""
    from zhenxing.core.models import Area
    from zhenxing.enterprises import services
    from zhenxing.enterprises.models import Enterprise

    admin = world.users["admin"]
    area = Area.objects.get(code="210804")
    made = []
    for i in range(6):
        e = Enterprise.objects.create(
            uscc=f"9121080400000{i:04d}X"[:18], name=f"培育测试{i}号有限公司", area=area
        )
        made.append(
            services.pool_enter(
                user=admin, enterprise=e, target="high_tech", year=2024, entered_on=D(2024, 1, 5)
            )
        )
    # 0: entered; 1: cultivating; 2: applying; 3: recognised; 4: applying → exited;
    # 5: applying → back to cultivating (a failed application)
    moves = {
        1: ["cultivating"],
        2: ["cultivating", "applying"],
        3: ["cultivating", "applying", "recognised"],
        4: ["cultivating", "applying", "exited"],
        5: ["cultivating", "applying", "cultivating"],
    }
    for index, stages in moves.items():
        for stage in stages:
            services.pool_change_stage(
                user=admin,
                entry=made[index],
                stage=stage,
                date=D(2024, 3, 1),
                exit_reason="企业迁出本市" if stage == "exited" else "",
            )
    services.pool_enter(user=admin, enterprise=made[0].enterprise, target="tech_sme", year=2024)
    services.pool_enter(user=admin, enterprise=made[1].enterprise, target="high_tech", year=2023)
    return made


def test_the_funnel_counts_current_and_reached_stages(pool: Any, world: Any) -> None:
    from zhenxing.enterprises import queries
    from zhenxing.enterprises.models import PoolEntry

    tables = {t.target: t for t in queries.pool_funnel(PoolEntry.objects.all(), year=2024)}
    assert set(tables) == {"tech_sme", "high_tech"}
    high_tech = tables["high_tech"]
    assert high_tech.total == 6
    rows = {r.stage.value: (r.reached, r.current) for r in high_tech.rows}
    assert rows == {
        "entered": (6, 1),
        "cultivating": (5, 2),
        "applying": (4, 1),
        "recognised": (1, 1),
        "exited": (0, 1),
    }
    assert tables["tech_sme"].total == 1


def test_the_funnel_api_and_page(pool: Any, world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    body = client.get("/api/v1/enterprises/pool/funnel?year=2024").json()
    high_tech = next(t for t in body if t["target"] == "high_tech")
    assert [(r["stage"], r["reached"]) for r in high_tech["rows"]][:4] == [
        ("entered", 6),
        ("cultivating", 5),
        ("applying", 4),
        ("recognised", 1),
    ]
    page = client.get("/enterprises/pool/funnel/?year=2024")
    assert page.status_code == 200
    assert "高新技术企业" in page.content.decode()
    client.force_login(world.users["area"])  # 盖州 has no pool entries: the area sees its own
    other = client.get("/api/v1/enterprises/pool/funnel?year=2023").json()
    assert other[0]["total"] == 1


def test_stage_changes_follow_the_rules(pool: Any, world: Any) -> None:
    from zhenxing.enterprises import services

    admin = world.users["admin"]
    with pytest.raises(DomainError):  # two steps back
        services.pool_change_stage(user=admin, entry=pool[2], stage="entered")
    with pytest.raises(DomainError):  # an exit needs a reason
        services.pool_change_stage(user=admin, entry=pool[0], stage="exited")
    with pytest.raises(DomainError):  # recognised entries stay recognised
        services.pool_change_stage(user=admin, entry=pool[3], stage="applying")
    with pytest.raises(DomainError):  # one entry per enterprise, target and year
        services.pool_enter(
            user=admin, enterprise=pool[0].enterprise, target="high_tech", year=2024
        )


def test_the_follow_up_log_is_for_staff_only(pool: Any, world: Any, client: Any) -> None:
    from zhenxing.core.models import RoleAssignment
    from zhenxing.enterprises import services

    entry = pool[0]
    services.pool_follow_up(
        user=world.users["dept"],
        entry=entry,
        kind="visit",
        note="走访了解研发投入归集情况",
        next_step="协助准备高企申报材料",
    )
    client.force_login(world.users["area"])
    log = client.get(f"/api/v1/enterprises/pool/{entry.pk}/follow-ups").json()
    assert log[0]["note"] == "走访了解研发投入归集情况"
    RoleAssignment.objects.filter(user=world.users["enterprise"]).update(
        enterprise=entry.enterprise
    )
    from zhenxing.core import scoping

    scoping.forget_grants(world.users["enterprise"])
    client.force_login(world.users["enterprise"])
    assert client.get(f"/api/v1/enterprises/pool/{entry.pk}/follow-ups").status_code == 404
    own = client.get(f"/api/v1/enterprises/{entry.enterprise_id}/pool").json()
    assert {e["target"] for e in own} == {"high_tech", "tech_sme"}
    page = client.get(f"/enterprises/{entry.enterprise_id}/?tab=pool").content.decode()
    assert "高新技术企业" in page and "走访了解研发投入归集情况" not in page


def test_the_responsible_is_staff_of_the_enterprise(pool: Any, world: Any, client: Any) -> None:
    from zhenxing.enterprises import services

    entry = pool[0]
    with pytest.raises(DomainError):
        services.pool_assign(
            user=world.users["admin"], entry=entry, responsible=world.users["leader"]
        )
    services.pool_assign(user=world.users["admin"], entry=entry, responsible=world.users["area"])
    client.force_login(world.users["dept"])
    response = client.post(
        f"/api/v1/enterprises/{world.other_enterprise.pk}/pool",
        data=json.dumps(
            {"target": "gazelle", "year": 2024, "responsible_id": world.users["area"].pk}
        ),
        content_type="application/json",
    )
    assert response.status_code == 400  # 鲅鱼圈 staff cannot be responsible for a 盖州 enterprise
    assert response.json()["errors"][0]["field"] == "responsible"


def test_the_pool_and_its_funnel_are_the_citys_pages(pool: Any, world: Any, client: Any) -> None:
    """An enterprise user sees its own entries on its page, but the pool list, its export
    and the funnel are the city's work lists: refused by address, not only hidden."""
    client.force_login(world.users["enterprise"])
    pages = ("/enterprises/pool/", "/enterprises/pool/?format=xlsx", "/enterprises/pool/funnel/")
    for url in pages:
        assert client.get(url).status_code == 403, url
    client.force_login(world.users["area"])
    assert client.get("/enterprises/pool/?year=2024").status_code == 200
    assert client.get("/enterprises/pool/funnel/").status_code == 200
