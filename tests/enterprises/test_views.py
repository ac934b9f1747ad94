"""The enterprise pages as a person uses them, and the number of queries each list needs
(it must not grow with the number of rows)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

D = datetime.date


def _enterprises(n: int, area: Any, start: int = 0) -> list[Any]:
    from zhenxing.enterprises.models import Enterprise

    return [
        Enterprise.objects.create(
            uscc=f"912108{start + i:011d}"[:17] + "X",
            name=f"查询测试{start + i}号有限公司",
            area=area,
        )
        for i in range(n)
    ]


def _fill(world: Any, record: Any, n: int, start: int) -> None:
    from zhenxing.enterprises import services

    for e in _enterprises(n, world.own_area, start):
        record.tier(e, "tech_sme", D(2023, 8, 1))
        services.pool_enter(
            user=world.users["admin"],
            enterprise=e,
            target="high_tech",
            year=2024,
            responsible=world.users["area"],
        )


PAGES = [
    "/enterprises/",
    "/enterprises/tiers/",
    "/enterprises/tiers/expiring/",
    "/enterprises/pool/?year=2024",
    "/enterprises/pool/funnel/?year=2024",
]


@pytest.mark.parametrize("path", PAGES)
def test_list_pages_need_the_same_queries_for_3_or_30_rows(
    world: Any, record: Any, client: Any, path: str
) -> None:
    client.force_login(world.users["area"])
    _fill(world, record, 3, 0)
    client.get(path)  # warm: sessions, content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    _fill(world, record, 27, 100)
    with CaptureQueriesContext(connection) as many:
        response = client.get(path)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert len(few) <= 14


@pytest.mark.parametrize("tab", ["basic", "facts", "tiers", "portrait", "pool", "history"])
def test_every_tab_of_an_enterprise_opens(world: Any, record: Any, client: Any, tab: str) -> None:
    e = world.own_enterprise
    record.facts(e, 2023, revenue="1000000", employees=20)
    record.facts(e, 2023, "statistics", revenue="1100000")
    record.tier(e, "tech_sme", D(2023, 8, 1))
    client.force_login(world.users["dept"])
    response = client.get(f"/enterprises/{e.pk}/?tab={tab}")
    assert response.status_code == 200
    page = response.content.decode()
    if tab == "facts":
        assert "不一致" in page and "采用" in page
    if tab == "tiers":
        assert "即将到期" in page  # expires 2024-07-31, within 90 days of 2024-06-30
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/enterprises/{e.pk}/?tab={tab}")
    assert len(queries) <= 30


def test_granting_losing_and_following_up_through_the_forms(
    world: Any, defs: Any, today: datetime.date, client: Any
) -> None:
    from zhenxing.enterprises.models import FollowUp, PoolEntry, Tier

    e = world.own_enterprise
    client.force_login(world.users["dept"])
    bad = client.post(
        f"/enterprises/{e.pk}/tiers/new/",
        {
            "code": "high_tech",
            "level": "national",
            "issued_on": "2024-05-01",
            "expires_on": "2020-01-01",
        },
    )
    assert bad.status_code == 200 and "有效期至不能早于发证日期" in bad.content.decode()
    assert "2020-01-01" in bad.content.decode()  # what the user typed is kept
    ok = client.post(
        f"/enterprises/{e.pk}/tiers/new/",
        {
            "code": "high_tech",
            "level": "national",
            "issued_on": "2024-05-01",
            "certificate_no": "GR1",
        },
    )
    assert ok.status_code == 302
    tier = Tier.objects.get(enterprise=e)
    assert tier.expires_on == D(2027, 4, 30)
    lost = client.post(
        f"/enterprises/tiers/{tier.pk}/lose/", {"date": "2024-06-01", "reason": "主动放弃"}
    )
    assert lost.status_code == 302
    tier.refresh_from_db()
    assert tier.ended_on == D(2024, 6, 1)
    client.post(
        f"/enterprises/{e.pk}/pool/new/",
        {"target": "gazelle", "year": 2024, "entered_on": "2024-03-01"},
    )
    entry = PoolEntry.objects.get(enterprise=e)
    client.post(
        f"/enterprises/pool/{entry.pk}/stage/", {"stage": "cultivating", "date": "2024-04-01"}
    )
    refused = client.post(f"/enterprises/pool/{entry.pk}/stage/", {"stage": "exited"})
    assert "退出培育库须写明原因" in refused.content.decode()
    entry.refresh_from_db()
    assert entry.stage == "cultivating"
    assert FollowUp.objects.filter(entry=entry, stage_to="cultivating").exists()


def test_a_name_change_keeps_the_former_name(
    world: Any, defs: Any, today: datetime.date, client: Any
) -> None:
    from zhenxing.enterprises import services

    e = world.own_enterprise
    old = e.name
    services.enterprise_update(
        user=world.users["admin"], enterprise=e, name="营口测试新名称有限公司"
    )
    client.force_login(world.users["dept"])
    page = client.get(f"/enterprises/{e.pk}/").content.decode()
    assert old in page
    assert client.get(f"/api/v1/enterprises/{e.pk}").json()["former_names"] == [old]


def test_the_audit_trail_of_a_tier_links_to_its_enterprise(
    world: Any, record: Any, client: Any
) -> None:
    tier = record.tier(world.own_enterprise, "gazelle", D(2023, 10, 25))
    client.force_login(world.users["dept"])
    response = client.get(f"/enterprises/tiers/{tier.pk}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/enterprises/{world.own_enterprise.pk}/?tab=tiers")
    history = client.get(f"/enterprises/{world.own_enterprise.pk}/?tab=history").content.decode()
    assert "资质称号" in history or "瞪羚" in history


def test_the_registry_filters_by_a_tier_held_today(world: Any, record: Any, client: Any) -> None:
    record.tier(world.own_enterprise, "high_tech", D(2023, 11, 30))
    record.tier(world.other_enterprise, "high_tech", D(2020, 11, 30))  # expired 2023-11-29
    client.force_login(world.users["dept"])
    page = client.get("/enterprises/?tier=high_tech").content.decode()
    assert world.own_enterprise.name in page and world.other_enterprise.name not in page
    assert "国家级高新技术企业" in page  # the column of tiers held today


def test_the_admin_edits_a_source_priority_and_the_value_read_follows(
    world: Any, record: Any, client: Any, defs: Any
) -> None:
    from zhenxing.enterprises.queries import facts_frame

    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    record.facts(world.own_enterprise, 2023, revenue="100")
    record.facts(world.own_enterprise, 2023, "statistics", revenue="90")
    client.force_login(admin)
    definition = defs["revenue"]
    url = f"/django-admin/enterprises/factdefinition/{definition.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"source_priority": "statistics,tax"})
    assert response.status_code == 302
    definition.refresh_from_db()
    assert definition.source_priority == "statistics,tax"
    frame = facts_frame(
        period_year=2023, fact_ids=["revenue"], enterprise_ids=[world.own_enterprise.pk]
    )
    assert str(frame["revenue"].to_list()[-1]) == "90.00"
    for path in ("tier", "tierevent", "poolentry", "enterprise"):
        assert client.get(f"/django-admin/enterprises/{path}/").status_code == 200
