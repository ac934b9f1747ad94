"""Gap analysis: the smallest change of one fact that passes a failed threshold
condition, for one entity (`gaps`, also in `explain`) and for a population
(`near_misses`, vectorised)."""

from __future__ import annotations

import io
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhenxing.rules import Catalogue, RuleSet, interpret, load_catalogue
from zhenxing.rules.cli import main
from zhenxing.rules.explain import explain
from zhenxing.rules.gap import Gap, amount_text, amount_text_expr, gaps, near_misses

FACTS = """
facts:
  revenue: {type: money, label: 销售收入, aliases: [营业收入], missing: report}
  rd_expense: {type: money, label: 研发费用, aliases: [研发费用], missing: zero}
  total_assets: {type: money, label: 资产总额, missing: zero}
  debt: {type: money, label: 负债, missing: zero}
  employees: {type: integer, label: 职工总数, missing: report}
  tech_staff: {type: integer, label: 科技人员数, missing: zero}
  ip_class1: {type: integer, label: Ⅰ类知识产权数, missing: zero}
  ip_class2: {type: integer, label: Ⅱ类知识产权数, missing: zero}
  export_share: {type: ratio, label: 出口占比, missing: zero}
  category: {type: enum, values: [a, b], label: 类别, missing: ineligible}
  certified: {type: boolean, label: 已认定, missing: zero}
"""

RULES = {
    "high_tech.yaml": """
id: high_tech
title: 高新技术企业（示例）
entity: enterprise
values:
  rd_ratio: rd_expense / revenue
conditions:
  rd: {expr: rd_ratio >= 0.03, label: 研发费用占比不低于3%}
  staff: {expr: tech_staff / employees >= 0.1, label: 科技人员占比不低于10%}
  size: {expr: employees <= 500 and total_assets <= 200000000, label: 规模}
  ip: {expr: ip_class1 >= 1 or ip_class2 >= 4, label: 知识产权}
""",
    "shapes.yaml": """
id: shapes
title: 各种门槛
entity: enterprise
conditions:
  big: {expr: rd_expense >= 1000000, label: 研发投入达到100万元}
  sum: {expr: rd_expense + total_assets >= debt * 2, label: 资产覆盖负债}
  strict: {expr: total_assets > 100, label: 资产大于100元}
  export: {expr: export_share >= 0.55, label: 出口占比}
  not_small: {expr: not (employees < 20), label: 不是小微}
  kind: {expr: category == "a", label: 属于A类}
  flag: {expr: certified, label: 已认定}
  sevenths: {expr: rd_expense / 7 >= 0.1428571429, label: 七分之一}
""",
    "points.yaml": """
id: points
title: 打分
entity: enterprise
score:
  pass_mark: 20
  items:
    rd: {points: "band(rd_expense / revenue, [0.02: 10, 0.03: 20])"}
""",
    "plain.yaml": """
id: plain
title: 只有资格表达式
entity: enterprise
eligible: revenue - debt >= 500000
""",
}


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    root = tmp_path_factory.mktemp("gap")
    (root / "facts.yaml").write_text(FACTS, encoding="utf-8")
    for name, text in RULES.items():
        (root / name).write_text(text, encoding="utf-8")
    catalogue = load_catalogue(root)
    assert [d.format("en") for d in catalogue.check() if d.is_error] == []
    return catalogue


@pytest.fixture(scope="module")
def rs(cat: Catalogue) -> RuleSet:
    return cat.select(period="2024")


PASSING: dict[str, Any] = {
    "revenue": 100_000_000,
    "rd_expense": 3_000_000,
    "total_assets": 5_000_000,
    "debt": 1_000_000,
    "employees": 100,
    "tech_staff": 10,
    "ip_class1": 0,
    "ip_class2": 4,
    "export_share": "0.6",
    "category": "a",
    "certified": True,
}


def _by(found: list[Gap], condition: str, fact: str | None) -> Gap:
    [g] = [g for g in found if g.condition == condition and g.fact == fact]
    return g


def _holds(rs: RuleSet, rule: str, condition: str, facts: dict[str, Any]) -> bool | None:
    return interpret(rs, facts, rule)[rule].conditions[condition]


# ---------------------------------------------------------------------------
# One entity
# ---------------------------------------------------------------------------


def test_rd_ratio_gap_names_the_missing_amount_in_wan_yuan(rs: RuleSet) -> None:
    facts = {**PASSING, "rd_expense": 2_877_000}
    g = _by(gaps(rs, "high_tech", facts), "rd", "rd_expense")
    assert g.message() == "研发费用还差 12.3 万元即可达到 3%"
    assert g.change == Decimal("123000.00") and g.target == Decimal("3000000.00")
    assert _holds(rs, "high_tech", "rd", {**facts, "rd_expense": g.target}) is True
    assert (
        _holds(rs, "high_tech", "rd", {**facts, "rd_expense": g.target - Decimal("0.01")}) is False
    )


def test_a_fact_in_a_denominator_is_not_guessed(rs: RuleSet) -> None:
    g = _by(gaps(rs, "high_tech", {**PASSING, "rd_expense": 2_877_000}), "rd", "revenue")
    assert not g.computable and g.reason == "non-linear" and g.change is None
    assert "不是线性门槛" in g.message() and "无法计算差距" in g.message()


def test_count_gaps_are_whole_numbers_rounded_up(rs: RuleSet) -> None:
    g = _by(
        gaps(rs, "high_tech", {**PASSING, "employees": 95, "tech_staff": 9}), "staff", "tech_staff"
    )
    assert g.change == 1  # 9.5 people needed → 10
    assert g.message() == "科技人员数还差 1 即可达到 10%"


def test_an_upper_limit_asks_for_a_decrease(rs: RuleSet) -> None:
    g = _by(
        gaps(rs, "high_tech", {**PASSING, "employees": 520, "tech_staff": 60}), "size", "employees"
    )
    assert g.change == -20
    assert g.message() == "职工总数需减少 20 即可满足「规模」"


def test_a_fact_that_cannot_fix_the_failing_part_is_unreachable(rs: RuleSet) -> None:
    found = gaps(rs, "high_tech", {**PASSING, "employees": 520, "tech_staff": 60})
    g = _by(found, "size", "total_assets")
    assert g.reason == "unreachable" and g.message() == "仅调整资产总额无法满足「规模」"


def test_an_or_condition_gap_is_the_nearest_way_for_each_fact(rs: RuleSet) -> None:
    found = gaps(rs, "high_tech", {**PASSING, "ip_class2": 2})
    assert _by(found, "ip", "ip_class1").change == 1
    assert _by(found, "ip", "ip_class2").change == 2
    assert _by(found, "ip", "ip_class2").message() == "Ⅱ类知识产权数还差 2 即可满足「知识产权」"


def test_an_absolute_threshold_gap_in_wan_yuan(rs: RuleSet) -> None:
    found = gaps(rs, "shapes", {**PASSING, "rd_expense": "876543.21"})
    g = _by(found, "big", "rd_expense")
    assert g.change == Decimal("123456.79")
    assert g.message() == "研发费用还差 12.35 万元即可达到 100 万元"  # rounded up, two places
    assert g.message("en") == "rd_expense needs +123,456.79 yuan to reach 1,000,000 yuan"


def test_a_sum_threshold_has_a_gap_for_each_fact_on_either_side(rs: RuleSet) -> None:
    facts = {**PASSING, "rd_expense": 1_000_000, "total_assets": 3_000_000, "debt": 2_500_000}
    found = gaps(rs, "shapes", facts)
    assert _by(found, "sum", "rd_expense").change == 1_000_000
    # the compared side is a sum, in the fact's own unit: name the condition, not a total
    assert (
        _by(found, "sum", "total_assets").message()
        == "资产总额还差 100.0 万元即可满足「资产覆盖负债」"
    )
    debt = _by(found, "sum", "debt")
    assert debt.change == -500_000  # 2 × debt ≤ 4,000,000
    assert debt.message() == "负债需减少 50.0 万元即可满足「资产覆盖负债」"


def test_a_strict_threshold_is_passed_by_one_grid_step(rs: RuleSet) -> None:
    g = _by(gaps(rs, "shapes", {**PASSING, "total_assets": 100}), "strict", "total_assets")
    assert g.change == Decimal("0.01")
    assert g.message() == "资产总额还差 0.01 元即可超过 100.00 元"


def test_ratio_facts_move_in_percentage_points(rs: RuleSet) -> None:
    g = _by(gaps(rs, "shapes", {**PASSING, "export_share": "0.535"}), "export", "export_share")
    assert g.change == Decimal("0.015")
    assert g.message() == "出口占比还差 1.5 个百分点即可达到 55%"


def test_not_of_a_comparison_is_a_threshold_too(rs: RuleSet) -> None:
    g = _by(gaps(rs, "shapes", {**PASSING, "employees": 12}), "not_small", "employees")
    assert g.change == 8


def test_non_threshold_conditions_say_they_cannot_be_computed(rs: RuleSet) -> None:
    found = gaps(rs, "shapes", {**PASSING, "category": "b", "certified": False})
    for name in ("kind", "flag"):
        g = _by(found, name, None)
        assert g.reason == "not-threshold" and "无法计算差距" in g.message()


def test_a_score_made_of_bands_is_not_linear(rs: RuleSet) -> None:
    found = gaps(rs, "points", {**PASSING, "rd_expense": 2_500_000})
    assert {g.fact for g in found} == {"rd_expense", "revenue"}
    assert all(g.reason == "non-linear" for g in found)


def test_a_quotient_threshold_is_reached_exactly_not_after_rounding(rs: RuleSet) -> None:
    # x / 7 ≥ 0.1428571429 needs x ≥ 1.0000000003 → 1.01; 1.00 / 7 rounds to
    # 0.1428571429 (10 places), but the comparison is decided on the exact quotient
    g = _by(gaps(rs, "shapes", {**PASSING, "rd_expense": "0.5"}), "sevenths", "rd_expense")
    assert g.target == Decimal("1.01")
    held = interpret(rs, {**PASSING, "rd_expense": "1.00"})["shapes"].conditions["sevenths"]
    assert held is False


def test_a_rule_with_only_an_eligible_expression_gets_gaps_too(rs: RuleSet) -> None:
    found = gaps(rs, "plain", {**PASSING, "revenue": 1_200_000, "debt": 1_000_000})
    assert _by(found, "eligible", "revenue").change == 300_000
    assert _by(found, "eligible", "debt").change == -300_000


def test_passing_and_undecided_conditions_have_no_gap(rs: RuleSet) -> None:
    assert gaps(rs, "high_tech", PASSING) == []
    undecided = {**PASSING, "revenue": None, "rd_expense": 1}  # rd reads a missing fact
    assert interpret(rs, undecided, "high_tech")["high_tech"].conditions["rd"] is None
    assert gaps(rs, "high_tech", undecided) == []


def test_gaps_appear_in_explanations_of_failed_conditions(rs: RuleSet) -> None:
    text = explain(rs, "high_tech", {**PASSING, "rd_expense": 2_877_000}).text()
    assert "↳ 差距：研发费用还差 12.3 万元即可达到 3%" in text
    started = time.perf_counter()
    explain(rs, "points", {**PASSING, "rd_expense": 2_500_000})
    assert time.perf_counter() - started < 0.05


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    k=st.integers(min_value=-5, max_value=5).filter(lambda v: v != 0),
    m=st.integers(min_value=-3, max_value=3),
    op=st.sampled_from([">=", ">", "<=", "<"]),
    t=st.integers(min_value=-(10**6), max_value=10**6),
    x=st.integers(min_value=-(10**8), max_value=10**8),
    y=st.integers(min_value=-(10**6), max_value=10**6),
    div=st.integers(min_value=1, max_value=9),
)
def test_random_linear_thresholds_get_the_smallest_passing_change(
    tmp_path: Path, k: int, m: int, op: str, t: int, x: int, y: int, div: int
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "facts.yaml").write_text(FACTS, encoding="utf-8")
    cond = f"({k} * rd_expense + {m} * debt) / {div} {op} {t}"
    (folder / "r.yaml").write_text(
        f"id: lin\ntitle: 线性\nentity: enterprise\nconditions:\n  c: '{cond}'\n", encoding="utf-8"
    )
    rs = load_catalogue(folder).select(period="2024")
    facts = {"rd_expense": Decimal(x).scaleb(-2), "debt": Decimal(y).scaleb(-2)}
    found = gaps(rs, "lin", facts)
    if _holds(rs, "lin", "c", facts):
        assert found == []
        return
    g = _by(found, "c", "rd_expense")
    assert g.computable and g.change is not None and g.target is not None
    step = Decimal("0.01") if g.change > 0 else Decimal("-0.01")
    assert _holds(rs, "lin", "c", {**facts, "rd_expense": g.target}) is True
    nearer = g.target - step
    assert nearer == facts["rd_expense"] or not _holds(
        rs, "lin", "c", {**facts, "rd_expense": nearer}
    )


# ---------------------------------------------------------------------------
# A population
# ---------------------------------------------------------------------------


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {
        "entity_id": pl.String(),
        "revenue": pl.Decimal(38, 2),
        "rd_expense": pl.Decimal(38, 2),
        "total_assets": pl.Decimal(38, 2),
        "debt": pl.Decimal(38, 2),
        "employees": pl.Int64(),
        "tech_staff": pl.Int64(),
        "ip_class1": pl.Int64(),
        "ip_class2": pl.Int64(),
        "export_share": pl.Decimal(38, 6),
        "category": pl.String(),
        "certified": pl.Boolean(),
    }
    data = [
        {
            k: (Decimal(str(v)) if isinstance(schema[k], pl.Decimal) and v is not None else v)
            for k, v in r.items()
        }
        for r in rows
    ]
    return pl.DataFrame(data, schema=schema)


def test_near_misses_fail_by_exactly_one_condition_within_the_margin(rs: RuleSet) -> None:
    rows = [
        {**PASSING, "entity_id": "near", "rd_expense": 2_877_000},  # 4.1 % short
        {**PASSING, "entity_id": "far", "rd_expense": 2_500_000},  # 16.7 % short
        {**PASSING, "entity_id": "two", "rd_expense": 2_877_000, "tech_staff": 9},
        {**PASSING, "entity_id": "ok"},
        {**PASSING, "entity_id": "unknown", "employees": None, "rd_expense": 2_877_000},
        {**PASSING, "entity_id": "staff", "tech_staff": 9},
    ]
    found = near_misses(rs, "high_tech", _frame(rows))
    assert found["entity_id"].to_list() == ["near", "staff"]
    near = found.row(0, named=True)
    assert near["condition"] == "rd" and near["fact"] == "rd_expense"
    assert near["change"] == Decimal("123000.00") and near["target"] == Decimal("3000000.00")
    assert near["message"] == "研发费用还差 12.3 万元即可达到 3%"
    assert found.row(1, named=True)["message"] == "科技人员数还差 1 即可达到 10%"


def test_absolute_margins_are_per_fact_and_accept_aliases(rs: RuleSet) -> None:
    rows = [
        {**PASSING, "entity_id": "a", "rd_expense": 2_877_000},
        {**PASSING, "entity_id": "b", "rd_expense": 2_500_000},
        {**PASSING, "entity_id": "c", "tech_staff": 9},
    ]
    found = near_misses(rs, "high_tech", _frame(rows), margin={"研发费用": 500_000})
    assert found["entity_id"].to_list() == ["a", "b"]  # tech_staff has no margin: left out
    assert near_misses(rs, "high_tech", _frame(rows), margin={"rd_expense": 123_000}).height == 1


def _random_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        revenue = rnd.choice([rnd.randint(10**6, 10**8), rnd.randint(10**5, 3 * 10**6)])
        rows.append(
            {
                "entity_id": f"E{i:05d}",
                "revenue": revenue,
                "rd_expense": Decimal(revenue * rnd.randint(250, 330)).scaleb(-4),
                "total_assets": rnd.choice([rnd.randint(10**6, 10**7), 100, 101]),
                "debt": rnd.randint(10**5, 3 * 10**6),
                "employees": rnd.choice([rnd.randint(10, 550), 500, 501, 19, 20]),
                "tech_staff": rnd.randint(0, 60),
                "ip_class1": rnd.choice([0, 0, 1]),
                "ip_class2": rnd.randint(0, 5),
                "export_share": Decimal(rnd.randint(500_000, 700_000)).scaleb(-6),
                "category": rnd.choice(["a", "a", "a", "b"]),
                "certified": rnd.random() < 0.9,
            }
        )
    return rows


@pytest.mark.parametrize("rule", ["high_tech", "shapes", "plain"])
def test_near_misses_equal_the_single_entity_gaps(rs: RuleSet, rule: str) -> None:
    rows = _random_rows(400, seed=len(rule))
    everything = dict.fromkeys(("revenue", "rd_expense", "total_assets", "debt"), 10**12)
    everything |= dict.fromkeys(("employees", "tech_staff", "ip_class1", "ip_class2"), 10**6)
    found = near_misses(rs, rule, _frame(rows), margin={**everything, "export_share": 1})
    got = {
        (r["entity_id"], r["condition"], r["fact"]): (r["change"], r["message"])
        for r in found.iter_rows(named=True)
    }
    want: dict[tuple[str, str, str], tuple[Decimal, str]] = {}
    for row in rows:
        facts = {k: v for k, v in row.items() if k != "entity_id"}
        result = interpret(rs, facts, rule)[rule]
        failed = [n for n, v in result.conditions.items() if v is False]
        if result.status or result.eligible:
            continue
        if result.conditions and (len(failed) != 1 or None in result.conditions.values()):
            continue
        for g in gaps(rs, rule, facts):
            if g.computable and g.change is not None and g.fact is not None:
                want[(row["entity_id"], g.condition, g.fact)] = (g.change, g.message())
    assert len(want) >= 10
    assert got == want


def test_vectorised_amount_text_matches_the_python_formatting() -> None:
    rnd = random.Random(7)
    for unit, scale in (("yuan", 2), ("ratio", 6), ("count", 0), ("days", 0), ("none", 4)):
        values = [
            rnd.choice([1, 9, 10, 99_999, 100_000, 10**6]) * rnd.randint(1, 10**5)
            for _ in range(300)
        ]
        values += [1, 10**scale, 10 ** (scale + 4) - 1, 10 ** (scale + 4), 10 ** (scale + 4) + 1]
        frame = pl.DataFrame({"u": values}, schema={"u": pl.Int128})
        got = frame.select(amount_text_expr(pl.col("u"), scale, unit))["u"].to_list()
        want = [amount_text(Decimal(v).scaleb(-scale), unit) for v in values]
        assert got == want, unit


def test_near_misses_over_a_large_population_are_vectorised(rs: RuleSet) -> None:
    n = 60_000
    base = _frame(_random_rows(300, seed=3))
    facts = pl.concat([base] * (n // base.height)).with_columns(
        pl.format("X{}", pl.int_range(0, pl.len())).alias("entity_id")
    )
    started = time.perf_counter()
    found = near_misses(rs, "high_tech", facts)
    elapsed = time.perf_counter() - started
    assert found.height > 1000
    assert elapsed < 10  # a per-entity Python loop would take minutes


def test_cli_near_miss_lists_entities_and_writes_a_file(tmp_path: Path, cat: Catalogue) -> None:
    facts = tmp_path / "f.csv"
    _frame(
        [{**PASSING, "entity_id": "A", "rd_expense": 2_877_000}, {**PASSING, "entity_id": "B"}]
    ).write_csv(facts)
    out, err = io.StringIO(), io.StringIO()
    result = tmp_path / "near.csv"
    code = main(
        [
            "near-miss",
            "--rules",
            str(cat.root),
            "--facts",
            str(facts),
            "--period",
            "2024",
            "--rule",
            "high_tech",
            "--out",
            str(result),
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    assert "A\t研发费用占比不低于3%\t研发费用还差 12.3 万元即可达到 3%" in out.getvalue()
    assert "1 个主体差一个条件" in out.getvalue()
    assert pl.read_csv(result)["entity_id"].to_list() == ["A"]
