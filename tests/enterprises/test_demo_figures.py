"""The demo reproduces the published tier figures (营口日报, `shared/docs/domain.md` §5)
through `/api/v1/enterprises/tier-counts`, from item-level tier certificates.

The published numbers are written out here, not taken from the generator, so that a change
there cannot move the target with it. The demo is loaded once for the module.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

AS_AT = datetime.date(2024, 6, 30)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Reference data, accounts, the registry and the enterprise demo, loaded once; rolled
    back after the module's last test (each test nests in it as a savepoint)."""
    from django.db import transaction

    from zhenxing.core.reference import load_reference
    from zhenxing.demo import loader
    from zhenxing.demo.enterprises import load_enterprise_demo

    with django_db_blocker.unblock(), transaction.atomic():
        load_reference()
        loader.load_enterprises()
        loader.load_accounts("Demo-Passw0rd-1")
        load_enterprise_demo(today=AS_AT)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def api(demo: Any, db: Any, client: Any, settings: Any) -> Any:
    from django.contrib.auth import get_user_model

    settings.TODAY_OVERRIDE = AS_AT.isoformat()
    client.force_login(get_user_model().objects.get(username="leader"))
    return client


def counts(api: Any, day: str) -> dict[str, int]:
    response = api.get(f"/api/v1/enterprises/tier-counts?date={day}")
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == day
    return body["counts"]  # type: ignore[no-any-return]


def gains(api: Any, start: str, end: str) -> dict[str, int]:
    return api.get(f"/api/v1/enterprises/tier-gains?from={start}&to={end}").json()["counts"]  # type: ignore[no-any-return]


def test_as_at_the_end_of_2023(api: Any) -> None:
    c = counts(api, "2023-12-31")
    assert c["tech_sme"] == 1458
    assert c["high_tech"] == 431
    assert c["eaglet_or_gazelle"] == 199
    assert c["little_giant"] == 15
    assert c["specialised_new_sme"] == 110


def test_as_at_the_end_of_may_2024(api: Any) -> None:
    c = counts(api, "2024-05-31")
    assert c["tech_sme"] == 1695
    assert c["specialised_new_all"] == 125
    assert c["single_champion"] == 6
    assert c["high_tech"] == 431
    assert c["eaglet_or_gazelle"] == 199


def test_new_in_2023(api: Any) -> None:
    g = gains(api, "2023-01-01", "2023-12-31")
    assert g["tech_sme"] == 460
    assert g["high_tech"] == 65
    assert g["eaglet_or_gazelle"] == 40
    # from the same paper (seed 001): 27 provincial specialised-new, 3 single champions,
    # 143 innovative SMEs, 80 小升规
    assert g["specialised_new_sme"] == 27
    assert g["single_champion"] == 3
    assert g["innovative_sme"] == 143
    assert g["above_size"] == 80


def test_an_enterprise_counts_under_every_tier_it_holds(api: Any) -> None:
    c = counts(api, "2023-12-31")
    assert c["eaglet"] + c["gazelle"] > c["eaglet_or_gazelle"]  # some hold both


def test_the_cultivation_pool_has_over_1500_enterprises(api: Any) -> None:
    body = api.get("/api/v1/enterprises/pool?year=2024&limit=1").json()
    assert body["count"] >= 1500
    funnel = api.get("/api/v1/enterprises/pool/funnel?year=2024").json()
    assert sum(t["total"] for t in funnel) == body["count"]  # one entry per enterprise


def test_the_facts_have_two_sources_and_some_conflicts(api: Any) -> None:
    from zhenxing.enterprises.models import FactValue

    sources = set(FactValue.objects.values_list("source", flat=True).distinct())
    assert {"tax", "statistics"} <= sources
    assert (
        FactValue.objects.filter(year=2021).exists()
        and FactValue.objects.filter(year=2024).exists()
    )


def test_the_portrait_of_the_steelworks_meets_and_nearly_meets(api: Any) -> None:
    from zhenxing.enterprises.models import Enterprise

    steel = Enterprise.objects.get(name="营口钢铁有限公司")
    body = api.get(f"/api/v1/enterprises/{steel.pk}/portrait").json()
    assert body["fiscal_year"] == 2023
    assert "above_size" in body["held"] and "above_size" in body["met"]
    assert "high_tech" in body["nearly"]
    nearly = next(a for a in body["assessments"] if a["rule_id"] == "high_tech_enterprise")
    assert nearly["shortfalls"][0]["gaps"][0]["fact"] == "rd_expense_3y_total"


def test_expiring_certificates_are_listed(api: Any) -> None:
    body = api.get("/api/v1/enterprises/tiers?expiring_within=90&limit=1").json()
    assert body["count"] > 0


def test_loading_again_changes_nothing(api: Any) -> None:
    from zhenxing.core.models import AuditEntry
    from zhenxing.demo.enterprises import load_enterprise_demo
    from zhenxing.enterprises.models import Enterprise, FactValue, PoolEntry, Tier

    def counts() -> tuple[int, ...]:
        return tuple(
            m.objects.count() for m in (Enterprise, Tier, FactValue, PoolEntry, AuditEntry)
        )

    before = counts()
    load_enterprise_demo(today=AS_AT)
    assert counts() == before
