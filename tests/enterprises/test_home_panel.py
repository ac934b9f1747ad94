"""The enterprises part's 首页 panels: tier counts as at today and the year's pool in the
user's scope, certificates expiring within 90 days, and an enterprise user's own tiers.

"Today" is 2024-06-30.
"""

from __future__ import annotations

import datetime
from typing import Any

from zhenxing.core import scoping

D = datetime.date


def panels_of(client: Any, user: Any) -> dict[str, Any]:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return {p.key: p for p in response.context["panels"]}


def values(panel: Any) -> dict[str, Any]:
    return {f.label: f.value for f in panel.figures}


def test_tier_counts_and_the_pool_are_those_of_the_user_scope(
    record: Any, world: Any, client: Any
) -> None:
    from zhenxing.enterprises import queries, services
    from zhenxing.enterprises.models import Tier

    own, other, admin = world.own_enterprise, world.other_enterprise, world.users["admin"]
    record.tier(own, "high_tech", D(2022, 11, 1))
    record.tier(other, "high_tech", D(2020, 12, 1))  # expired on 2023-11-30, then renewed
    record.tier(other, "high_tech", D(2023, 12, 1))
    record.tier(own, "tech_sme", D(2023, 8, 1))  # runs to 2024-07-31: expiring
    record.tier(other, "little_giant", D(2022, 7, 1))
    services.pool_enter(user=admin, enterprise=own, target="high_tech", year=2024)
    gone = services.pool_enter(user=admin, enterprise=other, target="tech_sme", year=2024)
    services.pool_change_stage(user=admin, entry=gone, stage="exited", exit_reason="迁出")
    services.pool_enter(user=admin, enterprise=other, target="gazelle", year=2023)

    area = panels_of(client, world.users["area"])["enterprises"]
    assert values(area) == {
        "高新技术企业": 1,
        "科技型中小企业": 1,
        "专精特新企业": 0,
        "培育库": 1,
    }
    counts = queries.tier_counts(
        on=D(2024, 6, 30), tiers=scoping.visible(world.users["area"], Tier.objects.all())
    )
    assert values(area)["高新技术企业"] == counts["high_tech"]
    expiring = area.todos[0]
    assert (expiring.count, expiring.severity) == (1, "warn")

    leader = panels_of(client, world.users["leader"])["enterprises"]
    assert values(leader) == {
        "高新技术企业": 2,
        "科技型中小企业": 1,
        "专精特新企业": 1,
        "培育库": 1,  # the exited entry and last year's pool are not counted
    }

    # each figure's link lists what it counts
    client.force_login(world.users["area"])
    by_label = {f.label: f for f in area.figures}
    assert client.get(by_label["高新技术企业"].url).context["count"] == 1
    assert client.get(by_label["培育库"].url).context["count"] == 1
    assert client.get(expiring.url).context["count"] == 1
    client.force_login(world.users["leader"])
    by_label = {f.label: f for f in leader.figures}
    assert client.get(by_label["高新技术企业"].url).context["count"] == 2
    assert client.get(by_label["培育库"].url).context["count"] == 1


def test_the_pool_list_filters_entries_still_in_the_pool(
    record: Any, world: Any, client: Any
) -> None:
    from zhenxing.enterprises import services

    admin = world.users["admin"]
    services.pool_enter(user=admin, enterprise=world.own_enterprise, target="gazelle", year=2024)
    gone = services.pool_enter(
        user=admin, enterprise=world.other_enterprise, target="gazelle", year=2024
    )
    services.pool_change_stage(user=admin, entry=gone, stage="exited", exit_reason="不再符合")
    client.force_login(admin)
    names = {
        flag: [
            r["obj"].enterprise.name
            for r in client.get(f"/enterprises/pool/?year=2024&in_pool={flag}").context["rows"]
        ]
        for flag in ("1", "0")
    }
    assert names == {"1": [world.own_enterprise.name], "0": [world.other_enterprise.name]}


def test_the_enterprise_user_sees_its_own_tiers_only(record: Any, world: Any, client: Any) -> None:
    own, other = world.own_enterprise, world.other_enterprise
    record.tier(own, "high_tech", D(2021, 9, 1))  # runs to 2024-08-31: expiring
    record.tier(own, "innovative_sme", D(2023, 3, 1))
    record.tier(other, "gazelle", D(2023, 3, 1))
    record.tier(other, "tech_sme", D(2023, 8, 1))

    panels = panels_of(client, world.users["enterprise"])
    assert set(panels) == {"my_enterprise", "my_policies"}
    mine = panels["my_enterprise"]
    held = mine.figures[0]
    assert held.value == 2
    assert "高新技术企业" in held.caption and "创新型中小企业" in held.caption
    assert "瞪羚" not in held.caption
    assert mine.scope == own.name
    assert (mine.todos[0].count, mine.todos[0].severity) == (1, "warn")
    assert mine.todos[0].url == f"/enterprises/{own.pk}/?tab=tiers"
    assert client.get(mine.todos[0].url).status_code == 200
