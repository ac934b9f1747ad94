"""Tiers: held or not on a date, grants vs renewals, losses, reminders, the counts API."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from zhenxing.core.services import DomainError

D = datetime.date
TIER_CODES = {
    "tech_sme",
    "high_tech",
    "eaglet",
    "gazelle",
    "unicorn",
    "innovative_sme",
    "specialised_new_sme",
    "little_giant",
    "single_champion",
    "above_size",
}


def _counts(client: Any, day: str) -> dict[str, int]:
    response = client.get(f"/api/v1/enterprises/tier-counts?date={day}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["date"] == day
    return body["counts"]  # type: ignore[no-any-return]


def test_a_tier_held_counts_and_an_expired_one_does_not(
    world: Any, record: Any, client: Any
) -> None:
    own, other = world.own_enterprise, world.other_enterprise
    record.tier(own, "high_tech", D(2021, 11, 20))  # expires 2024-11-19
    record.tier(other, "high_tech", D(2020, 11, 20))  # expires 2023-11-19
    client.force_login(world.users["dept"])
    assert _counts(client, "2023-11-19")["high_tech"] == 2  # the expiry day still counts
    assert _counts(client, "2023-11-20")["high_tech"] == 1
    assert _counts(client, "2021-11-19")["high_tech"] == 1  # own's not issued yet
    assert _counts(client, "2021-11-20")["high_tech"] == 2


def test_a_lost_tier_stops_counting_on_the_day_it_is_lost(
    world: Any, record: Any, client: Any
) -> None:
    from zhenxing.enterprises import services

    tier = record.tier(world.own_enterprise, "tech_sme", D(2024, 3, 1))
    services.tier_lose(
        user=world.users["admin"], tier=tier, date=D(2024, 5, 10), reason="虚报研发费用，撤销入库"
    )
    client.force_login(world.users["dept"])
    assert _counts(client, "2024-05-09")["tech_sme"] == 1
    assert _counts(client, "2024-05-10")["tech_sme"] == 0


def test_the_counts_endpoint_has_every_code_and_the_combined_counts(
    world: Any, record: Any, client: Any
) -> None:
    own, other = world.own_enterprise, world.other_enterprise
    record.tier(own, "eaglet", D(2023, 9, 1))
    record.tier(own, "gazelle", D(2023, 9, 1))  # holds both: counted once in the union
    record.tier(other, "gazelle", D(2023, 9, 1))
    record.tier(own, "little_giant", D(2022, 8, 1))
    record.tier(own, "specialised_new_sme", D(2022, 1, 10))  # both: once in the union
    record.tier(other, "specialised_new_sme", D(2022, 1, 10))
    record.tier(other, "specialised_new_sme", D(2022, 5, 1), level="city")  # not provincial
    client.force_login(world.users["leader"])
    response = client.get("/api/v1/enterprises/tier-counts?date=2023-12-31")
    body = response.json()
    assert set(body) == {"date", "counts"}
    counts = body["counts"]
    assert set(counts) == TIER_CODES | {"eaglet_or_gazelle", "specialised_new_all"}
    assert counts["eaglet"] == 1 and counts["gazelle"] == 2
    assert counts["eaglet_or_gazelle"] == 2
    assert counts["little_giant"] == 1 and counts["specialised_new_sme"] == 2
    assert counts["specialised_new_all"] == 2
    assert counts["unicorn"] == 0


def test_tier_counts_are_scoped_to_the_users_area(world: Any, record: Any, client: Any) -> None:
    record.tier(world.own_enterprise, "high_tech", D(2023, 1, 1))
    record.tier(world.other_enterprise, "high_tech", D(2023, 1, 1))
    client.force_login(world.users["area"])
    assert _counts(client, "2023-12-31")["high_tech"] == 1
    client.force_login(world.users["nobody"])
    assert _counts(client, "2023-12-31")["high_tech"] == 0


def test_a_bad_date_is_a_problem_not_a_crash(world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    response = client.get("/api/v1/enterprises/tier-counts?date=2023-13-01")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_a_continuing_certificate_is_a_renewal_and_a_new_one_a_grant(
    world: Any, record: Any, client: Any
) -> None:
    from zhenxing.enterprises.models import TierEvent

    e = world.own_enterprise
    first = record.tier(e, "high_tech", D(2018, 11, 1))  # to 2021-10-31
    second = record.tier(e, "high_tech", D(2021, 12, 1))  # a month after: renewal
    third = record.tier(e, "high_tech", D(2025 - 1, 6, 1), level="national")  # still valid
    kinds = {ev.tier_id: ev.kind for ev in TierEvent.objects.filter(enterprise=e)}
    assert kinds == {first.pk: "granted", second.pk: "renewed", third.pk: "renewed"}
    assert second.renewal_of_id == first.pk
    other = world.other_enterprise
    record.tier(other, "high_tech", D(2017, 1, 1))  # to 2019-12-31
    late = record.tier(other, "high_tech", D(2021, 1, 1))  # a year later: a new grant
    assert TierEvent.objects.get(tier=late).kind == "granted"
    client.force_login(world.users["dept"])
    gains = client.get("/api/v1/enterprises/tier-gains?from=2021-01-01&to=2021-12-31").json()
    assert gains["from"] == "2021-01-01" and gains["to"] == "2021-12-31"
    assert gains["counts"]["high_tech"] == 1  # the renewal is not "newly recognised"


def test_the_same_certificate_twice_is_refused(world: Any, record: Any) -> None:
    record.tier(world.own_enterprise, "gazelle", D(2023, 9, 1))
    with pytest.raises(DomainError):
        record.tier(world.own_enterprise, "gazelle", D(2023, 9, 1))
    with pytest.raises(DomainError):
        record.tier(world.own_enterprise, "eaglet", D(2023, 9, 1), expires_on=D(2023, 1, 1))


def test_expiring_certificates_are_listed_until_renewed(
    world: Any, record: Any, client: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises import queries
    from zhenxing.enterprises.models import Tier

    soon = record.tier(world.own_enterprise, "tech_sme", D(2023, 8, 15))  # to 2024-08-14
    record.tier(world.other_enterprise, "tech_sme", D(2023, 12, 15))  # to 2024-12-14: later
    expiring = list(queries.expiring(Tier.objects.all(), today=today))
    assert expiring == [soon]
    client.force_login(world.users["dept"])
    page = client.get("/enterprises/tiers/expiring/").content.decode()
    assert world.own_enterprise.name in page and world.other_enterprise.name not in page
    api = client.get("/api/v1/enterprises/tiers?expiring_within=90").json()
    assert [t["id"] for t in api["items"]] == [soon.pk]
    record.tier(world.own_enterprise, "tech_sme", D(2024, 6, 20))  # renewed
    assert list(queries.expiring(Tier.objects.all(), today=today)) == []


def test_a_grant_moves_the_pool_entry_to_recognised(world: Any, record: Any) -> None:
    from zhenxing.enterprises import services

    entry = services.pool_enter(
        user=world.users["admin"], enterprise=world.own_enterprise, target="high_tech", year=2024
    )
    record.tier(world.own_enterprise, "high_tech", D(2024, 6, 1))
    entry.refresh_from_db()
    assert entry.stage == "recognised" and entry.furthest == 4
    assert entry.follow_ups.filter(stage_to="recognised").exists()


def test_tiers_are_granted_over_the_api_by_city_departments_only(
    world: Any, defs: Any, today: datetime.date, client: Any
) -> None:
    payload = {"code": "innovative_sme", "issued_on": "2024-05-20", "certificate_no": "CX-1"}
    client.force_login(world.users["area"])
    refused = client.post(
        f"/api/v1/enterprises/{world.own_enterprise.pk}/tiers",
        data=json.dumps(payload),
        content_type="application/json",
    )
    assert refused.status_code == 403
    client.force_login(world.users["dept"])
    made = client.post(
        f"/api/v1/enterprises/{world.own_enterprise.pk}/tiers",
        data=json.dumps(payload),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["level"] == "provincial" and body["expires_on"] == "2027-05-19"
    listed = client.get(f"/api/v1/enterprises/{world.own_enterprise.pk}/tiers").json()
    assert listed["held_today"] == ["innovative_sme"]
    assert listed["events"][0]["kind"] == "granted"
