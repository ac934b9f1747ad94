"""The portrait against the provisional 瞪羚 (gazelle) criteria (`criteria/gazelle/gazelle.yaml`):
four fiscal years read (2020–2023 for the demo's today, 2024-06-30), met through the revenue
growth route, nearly met with the gap to 1.728 × the base year, a young enterprise through a
venture-capital round it reported itself, and a missing base year reported (with its year),
not guessed."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

D = datetime.date

# Revenue 12.5 → 21.6 m yuan from 2020 to 2023: exactly 1.728 ×, a 20 % CAGR. R&D 1.9 m of
# 67.1 m revenue over the four years (2.8 %); 45 → 60 employees (no employee route).
REVENUE = {2020: "12500000", 2021: "15000000", 2022: "18000000", 2023: "21600000"}
RD = {2020: "300000", 2021: "400000", 2022: "500000", 2023: "700000"}
EMPLOYEES = {2020: 45, 2021: 50, 2022: 55, 2023: 60}


@pytest.fixture
def grower(world: Any, record: Any) -> Any:
    from zhenxing.enterprises import services

    e = world.own_enterprise
    services.enterprise_update(
        user=world.users["admin"], enterprise=e, registration_date=D(2012, 5, 1)
    )
    for year in REVENUE:
        record.facts(e, year, revenue=REVENUE[year], rd_expense=RD[year], employees=EMPLOYEES[year])
    return e


def _gazelle(enterprise: Any) -> Any:
    from zhenxing.enterprises import queries

    p = queries.portrait(enterprise)
    found = [a for a in p.assessments if a.rule_id == "gazelle"]
    assert len(found) == 1
    assert "gazelle" not in {code for code, _label in p.no_criteria}
    return p, found[0]


def test_the_portrait_reads_four_years_for_the_gazelle_rule(db: Any, today: Any) -> None:
    from zhenxing.enterprises import criteria, queries
    from zhenxing.enterprises.domain import TierCode

    ruleset, tiers = criteria.criteria(queries.catalogue_dir(), "2024-06")
    assert tiers["gazelle"] == TierCode.GAZELLE
    facts, years_back = criteria.columns_read(ruleset)
    assert years_back == 3
    assert {"registration_date", "revenue", "employees", "rd_expense"} <= set(facts)
    assert "venture_capital_round_max" in facts


def test_the_new_fact_is_defined_by_the_catalogue_sync(defs: dict[str, Any]) -> None:
    vc = defs["venture_capital_round_max"]
    assert vc.value_type == "money" and vc.unit == "yuan" and vc.in_catalogue
    assert vc.label.startswith("当年一次性获得的最大一笔风险投资")


def test_twenty_percent_growth_meets_the_gazelle_criteria(grower: Any) -> None:
    p, gazelle = _gazelle(grower)
    assert p.fiscal_year == 2023
    assert gazelle.status == "met"
    assert gazelle.tier_label == "瞪羚企业"
    assert not gazelle.verified  # provisional: shown, never paid
    assert "辽科创办发〔2021〕2号" in gazelle.reference
    assert gazelle.shortfalls == [] and gazelle.missing == []
    assert gazelle in p.met


def test_a_fen_short_of_the_2020_growth_is_nearly_met_with_the_gap(
    grower: Any, record: Any
) -> None:
    # 2023 revenue 20 m: the growth route wants 1.728 × 12.5 m = 21.6 m, 1.6 m more (7.4 %).
    record.facts(grower, 2023, revenue="20000000")
    p, gazelle = _gazelle(grower)
    assert gazelle.status == "nearly" and gazelle in p.nearly
    # Five routes are alternatives: the one reported is the close one, not the first failed.
    assert [s.condition for s in gazelle.shortfalls] == ["route_revenue_growth"]
    shortfall = gazelle.shortfalls[0]
    assert shortfall.label.startswith("近3年营业收入年均复合增长率20%以上")
    (gap,) = shortfall.gaps
    assert gap.fact == "revenue"
    assert gap.change == Decimal("1600000.00") and gap.target == Decimal("21600000.00")
    assert gap.message == (
        "营业收入（销售收入）还差 160.0 万元即可满足「近3年营业收入年均复合增长率20%以上"
        "（基年营业收入超过1000万元，且上一年度正增长）」"
    )


def test_growth_far_below_twenty_percent_is_not_met(grower: Any, record: Any) -> None:
    record.facts(grower, 2023, revenue="14000000")  # below 2022: no growth in the last year
    _p, gazelle = _gazelle(grower)
    assert gazelle.status == "not_met"
    # the route with a gap the enterprise can work on is shown, not the age-bound ones
    assert [s.condition for s in gazelle.shortfalls] == ["route_revenue_growth"]
    assert not gazelle.shortfalls[0].close


def test_a_young_enterprise_with_a_reported_venture_round_meets_them(
    world: Any, record: Any
) -> None:
    from zhenxing.enterprises import services

    e = world.other_enterprise
    services.enterprise_update(
        user=world.users["admin"], enterprise=e, registration_date=D(2022, 3, 1)
    )
    record.facts(e, 2022, revenue="5000000", rd_expense="300000", employees=20)
    record.facts(e, 2023, revenue="30000000", rd_expense="600000", employees=80)
    # two years of data: R&D 0.9 m of 35 m (2.57 %); no base year, so no growth route
    _p, gazelle = _gazelle(e)
    assert gazelle.status == "not_met"
    record.facts(e, 2023, "self_reported", venture_capital_round_max="12000000")
    _p, gazelle = _gazelle(e)
    assert gazelle.status == "met"


def test_a_missing_base_year_is_reported_not_guessed(world: Any, record: Any) -> None:
    from zhenxing.enterprises import services

    e = world.own_enterprise
    services.enterprise_update(
        user=world.users["admin"], enterprise=e, registration_date=D(2012, 5, 1)
    )
    for year in (2021, 2022, 2023):
        record.facts(e, year, revenue=REVENUE[year], rd_expense=RD[year], employees=EMPLOYEES[year])
    _p, gazelle = _gazelle(e)
    assert gazelle.status == "incomplete"
    # the base year 2020 is what is missing, and the portrait says so (not "revenue")
    assert gazelle.missing == [
        "研发费用（研究开发费用）（2020年）",
        "职工总数（2020年）",
        "营业收入（销售收入）（2020年）",
    ]


def test_the_portrait_page_and_api_show_the_gazelle_entry(
    world: Any, grower: Any, record: Any, client: Any
) -> None:
    record.facts(grower, 2023, revenue="20000000")
    client.force_login(world.users["admin"])
    page = client.get(f"/enterprises/{grower.pk}/?tab=portrait").content.decode()
    assert "瞪羚企业" in page and "暂定标准·待核实" in page
    assert "营业收入（销售收入）还差 160.0 万元" in page
    api = client.get(f"/api/v1/enterprises/{grower.pk}/portrait").json()
    assert "gazelle" in api["nearly"] and "gazelle" not in api["met"]
    entry = next(a for a in api["assessments"] if a["rule_id"] == "gazelle")
    assert entry["shortfalls"][0]["gaps"][0]["change"] == "1600000.00"


def test_missing_earlier_years_are_named_by_year() -> None:
    from zhenxing.enterprises.criteria import missing_label

    labels = {"revenue": "营业收入"}
    assert missing_label("revenue", labels, 2023) == "营业收入"
    assert missing_label("revenue@year-3", labels, 2023) == "营业收入（2020年）"
    assert missing_label("revenue@year-1", labels, None) == "营业收入（前1年）"
    assert missing_label("other@year-2", labels, 2023) == "other（2021年）"
