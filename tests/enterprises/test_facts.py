"""Yearly facts: sources, the declared priority, conflicts, and the facts frame."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from zhenxing.core.services import DomainError


def test_the_definitions_carry_the_catalogues_fact_ids(defs: dict[str, Any]) -> None:
    from zhenxing.enterprises import criteria
    from zhenxing.enterprises.queries import catalogue_dir

    catalogue = {f.id for f in criteria.enterprise_facts(catalogue_dir())}
    assert catalogue <= set(defs)
    assert {"revenue", "rd_expense", "employees", "first_above_size_date"} <= set(defs)
    assert defs["revenue"].value_type == "money" and defs["revenue"].scale == 2
    assert defs["employees"].value_type == "integer"
    assert defs["main_business_revenue"].priority[0] == "statistics"  # per-fact override
    assert defs["revenue"].priority[0] == "tax"  # the default order
    assert not defs["recognized_high_tech_in_period"].importable
    assert {"tax_paid", "output_value", "exports", "fiscal_contribution"} <= set(defs)


def test_source_priority_reads_the_tax_value_over_the_self_reported_one(
    world: Any, record: Any
) -> None:
    from zhenxing.enterprises.queries import facts_frame

    e = world.own_enterprise
    record.facts(e, 2023, "self_reported", revenue="12000000")
    record.facts(e, 2023, "tax", revenue="11500000.50")
    frame = facts_frame(period_year=2023, fact_ids=["revenue"], enterprise_ids=[e.pk])
    row = frame.filter(pl.col("period") == 2023).to_dicts()[0]
    assert row["revenue"] == Decimal("11500000.50")
    # the self-reported value is kept, and the profile marks the disagreement
    from zhenxing.enterprises.queries import profile_facts

    rows = {r.code: r for r in profile_facts(e, [2023])}
    cell = rows["revenue"].cells[0]
    assert cell.conflict
    assert [s.source for s in cell.sources] == ["tax", "self_reported"]
    assert [s.effective for s in cell.sources] == [True, False]


def test_a_per_fact_priority_reads_statistics_first(world: Any, record: Any) -> None:
    from zhenxing.enterprises.queries import facts_frame

    e = world.own_enterprise
    record.facts(e, 2023, "tax", main_business_revenue="30000000", employees=130)
    record.facts(e, 2023, "statistics", main_business_revenue="29000000", employees=120)
    row = facts_frame(
        period_year=2023, fact_ids=["main_business_revenue", "employees"], enterprise_ids=[e.pk]
    ).row(-1, named=True)
    assert row["main_business_revenue"] == Decimal("29000000.00")
    assert row["employees"] == 120


def test_changing_the_priority_changes_the_value_read(world: Any, record: Any, defs: Any) -> None:
    from zhenxing.enterprises import services
    from zhenxing.enterprises.queries import facts_frame

    e = world.own_enterprise
    record.facts(e, 2023, "tax", revenue="100")
    record.facts(e, 2023, "statistics", revenue="90")
    services.fact_priority_set(
        user=world.users["admin"], definition=defs["revenue"], priority=["statistics", "tax"]
    )
    row = facts_frame(period_year=2023, fact_ids=["revenue"], enterprise_ids=[e.pk]).row(
        -1, named=True
    )
    assert row["revenue"] == Decimal("90.00")


def test_equal_values_from_two_sources_are_no_conflict(world: Any, record: Any) -> None:
    from zhenxing.enterprises.queries import profile_facts

    e = world.own_enterprise
    record.facts(e, 2023, "tax", revenue="100")
    record.facts(e, 2023, "statistics", revenue="100.00")
    cell = {r.code: r for r in profile_facts(e, [2023])}["revenue"].cells[0]
    assert len(cell.sources) == 2 and not cell.conflict


def test_the_frame_has_every_enterprise_and_year_with_typed_columns(
    world: Any, record: Any
) -> None:
    from zhenxing.enterprises.queries import facts_frame

    own, other = world.own_enterprise, world.other_enterprise
    record.facts(own, 2021, revenue="1000000", employees=10, quality_system_certified="是")
    record.facts(own, 2023, revenue="3000000.25", employees=12, years_in_niche="3.5")
    record.facts(other, 2022, "statistics", employees=7)
    frame = facts_frame(
        period_year=2023,
        fact_ids=["revenue", "employees", "quality_system_certified", "years_in_niche"],
    )
    assert frame.columns == [
        "entity_id",
        "period",
        "revenue",
        "employees",
        "quality_system_certified",
        "years_in_niche",
    ]
    assert frame.schema["entity_id"] == pl.Int64 and frame.schema["period"] == pl.Int64
    assert frame.schema["revenue"] == pl.Decimal(38, 2)
    assert frame.schema["employees"] == pl.Int64
    assert frame.schema["quality_system_certified"] == pl.Boolean
    assert frame.schema["years_in_niche"] == pl.Decimal(38, 1)
    assert frame.height == 2 * 3  # both enterprises × 2021..2023
    rows = {(r["entity_id"], r["period"]): r for r in frame.to_dicts()}
    assert rows[(own.pk, 2021)]["revenue"] == Decimal("1000000.00")
    assert rows[(own.pk, 2021)]["quality_system_certified"] is True
    assert rows[(own.pk, 2022)]["revenue"] is None  # a year without data: nulls
    assert rows[(own.pk, 2023)]["years_in_niche"] == Decimal("3.5")
    assert rows[(other.pk, 2022)]["employees"] == 7
    assert rows[(other.pk, 2023)]["revenue"] is None


def test_the_frame_feeds_earlier_years_to_the_rules(world: Any, record: Any) -> None:
    """`fact@year-1` reads the row of the year before: the engine accepts the frame as is."""
    from zhenxing.enterprises.queries import catalogue_dir, facts_frame
    from zhenxing.rules import evaluate, load_catalogue

    e = world.own_enterprise
    record.facts(e, 2022, "statistics", main_business_revenue="20000000")
    record.facts(e, 2023, "statistics", main_business_revenue="25000000")
    frame = facts_frame(
        period_year=2023,
        fact_ids=["main_business_revenue", "industrial_legal_person"],
        enterprise_ids=[e.pk],
        years_back=1,
    )
    assert frame["period"].to_list() == [2022, 2023]
    rules = load_catalogue(catalogue_dir()).select(
        entity="enterprise", period="2023", rule_ids=["above_designated_size"]
    )
    result = evaluate(rules, frame.with_columns(pl.lit(True).alias("industrial_legal_person")))
    assert result.filter(pl.col("entity_id") == e.pk)["eligible"].to_list() == [True]


def test_derived_facts_come_from_the_registry_and_the_tiers(
    world: Any, record: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises import services
    from zhenxing.enterprises.queries import facts_frame

    e = world.own_enterprise
    services.enterprise_update(
        user=world.users["admin"],
        enterprise=e,
        registration_date=datetime.date(2015, 3, 1),
        above_size_since=datetime.date(2019, 12, 31),
        industry=None,
    )
    record.tier(e, "high_tech", datetime.date(2022, 11, 20))
    record.tier(e, "specialised_new_sme", datetime.date(2023, 12, 20))
    frame = facts_frame(
        period_year=2023,
        fact_ids=[
            "registration_date",
            "first_above_size_date",
            "resident_enterprise",
            "recognized_high_tech_in_period",
            "has_high_tech_certificate",
            "recognized_specialized_new_provincial_in_period",
            "holds_specialized_new_title",
        ],
        enterprise_ids=[e.pk],
        years_back=2,
    )
    rows = {r["period"]: r for r in frame.to_dicts()}
    assert rows[2023]["registration_date"] == datetime.date(2015, 3, 1)
    assert rows[2021]["first_above_size_date"] == datetime.date(2019, 12, 31)
    assert rows[2023]["resident_enterprise"] is True
    assert [rows[y]["recognized_high_tech_in_period"] for y in (2021, 2022, 2023)] == [
        False,
        True,
        False,
    ]
    assert [rows[y]["has_high_tech_certificate"] for y in (2021, 2022, 2023)] == [
        False,
        True,
        True,
    ]
    assert rows[2023]["recognized_specialized_new_provincial_in_period"] is True
    assert rows[2022]["holds_specialized_new_title"] is False
    assert rows[2023]["holds_specialized_new_title"] is True


def test_three_year_totals_are_summed_unless_given(world: Any, record: Any) -> None:
    from zhenxing.enterprises.queries import facts_frame

    e = world.own_enterprise
    for year, revenue in ((2021, "100"), (2022, "200"), (2023, "300")):
        record.facts(e, year, revenue=revenue, rd_expense="10")
    record.facts(e, 2023, rd_expense_3y_total="35")  # a given total wins
    frame = facts_frame(
        period_year=2023,
        fact_ids=["revenue_3y_total", "rd_expense_3y_total"],
        enterprise_ids=[e.pk],
        years_back=1,
    )
    rows = {r["period"]: r for r in frame.to_dicts()}
    assert rows[2023]["revenue_3y_total"] == Decimal("600.00")
    assert rows[2023]["rd_expense_3y_total"] == Decimal("35.00")
    assert rows[2022]["revenue_3y_total"] is None  # 2020 missing, registered long before


def test_values_are_checked_against_the_fact_type(world: Any, record: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record.facts(world.own_enterprise, 2023, revenue="12.345", employees="many")
    assert set(exc.value.errors) == {"revenue", "employees"}
    with pytest.raises(DomainError) as exc:
        record.facts(world.own_enterprise, 2023, has_high_tech_certificate="是")
    assert "has_high_tech_certificate" in exc.value.errors


def test_an_unknown_fact_id_is_refused(db: Any) -> None:
    from zhenxing.enterprises.queries import facts_frame

    with pytest.raises(ValueError, match="no_such_fact"):
        facts_frame(period_year=2023, fact_ids=["revenue", "no_such_fact"])


def test_large_id_lists_are_filtered_too(world: Any, record: Any) -> None:
    from zhenxing.enterprises.queries import facts_frame

    record.facts(world.own_enterprise, 2023, revenue="5")
    ids = [world.own_enterprise.pk, *range(10_000_000, 10_005_000)]
    frame = facts_frame(period_year=2023, fact_ids=["revenue"], enterprise_ids=ids, years_back=0)
    assert frame["entity_id"].to_list() == [world.own_enterprise.pk]
    assert frame["revenue"].to_list() == [Decimal("5.00")]


def test_enterprises_report_only_their_own_figures(world: Any, record: Any) -> None:
    from zhenxing.core import scoping
    from zhenxing.enterprises import services

    user = world.users["enterprise"]
    services.facts_record(
        user=user,
        enterprise=world.own_enterprise,
        year=2023,
        source="self_reported",
        values={"employees": 40},
    )
    with pytest.raises(scoping.PermissionDenied):
        services.facts_record(
            user=user,
            enterprise=world.own_enterprise,
            year=2023,
            source="tax",
            values={"employees": 40},
        )
    with pytest.raises(scoping.PermissionDenied):
        services.facts_record(
            user=user,
            enterprise=world.other_enterprise,
            year=2023,
            source="self_reported",
            values={"employees": 40},
        )


def test_the_facts_form_takes_money_in_wan_as_the_table_shows_it(
    world: Any, defs: Any, client: Any, today: Any
) -> None:
    """One unit per quantity: typed in 万元 (the label says so), kept in yuan, shown in 万元."""
    from zhenxing.enterprises.models import FactValue

    client.force_login(world.users["dept"])
    url = f"/enterprises/{world.own_enterprise.pk}/facts/new/"
    page = client.get(url).content.decode()
    assert "值（金额单位：万元）" in page and "营业收入（万元）" in page
    posted = client.post(
        url,
        {"year": "2023", "fact": defs["revenue"].pk, "source": "tax", "value": "1,234.5"},
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    stored = FactValue.objects.get(enterprise=world.own_enterprise, fact__code="revenue")
    assert Decimal(stored.value) == Decimal("12345000.00")
    table = client.get(f"/enterprises/{world.own_enterprise.pk}/?tab=facts").content.decode()
    assert "1,234.50" in table  # the same figure, in the same unit
    finer = client.post(
        url,
        {"year": "2023", "fact": defs["revenue"].pk, "source": "tax", "value": "0.0000001"},
    )
    assert finer.status_code == 200 and "六位小数" in finer.content.decode()
    count = client.post(
        url,
        {"year": "2,023", "fact": defs["employees"].pk, "source": "tax", "value": "1,200"},
    )
    assert count.status_code == 302
    assert FactValue.objects.get(fact__code="employees").value == "1200"  # not 万
