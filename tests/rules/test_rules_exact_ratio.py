"""Threshold comparisons on quotients are exact, and `floor` / `ceil`.

`rd_expense / revenue >= 0.03` with 1,200,000 / 40,000,000.01 (0.0299999999925…)
must fail although the quotient rounds to 0.0300000000 at 10 places: the comparison
is decided by cross-multiplication, identically by the interpreter, Polars (Int64,
Int128 or, past Int128, Python integers) and SQL (DuckDB, PostgreSQL).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhenxing.rules import Catalogue, RuleSet, evaluate, interpret, ir, load_catalogue
from zhenxing.rules.compile_polars import (
    compile_for,
    compile_rules,
    decode_mask,
    frame_from_rows,
    prepare_facts,
)
from zhenxing.rules.compile_sql import evaluate_duckdb, evaluate_postgres
from zhenxing.rules.explain import explain
from zhenxing.rules.gap import gaps, near_misses

from .test_rules_sql import POSTGRES_DSN, assert_engines_agree

FACTS = """
facts:
  rd_expense: {type: money, label: 研发费用, missing: zero}
  revenue: {type: money, label: 营业收入, missing: report}
  rd_staff: {type: integer, label: 研发人员数, missing: zero}
  employees: {type: integer, label: 职工人数, missing: report}
  share: {type: ratio, label: 占比, missing: zero}
  main_revenue: {type: money, label: 主营业务收入, missing: zero}
"""

RATIOS = """
id: ratios
title: 比值门槛
entity: enterprise
parameters:
  min_ratio: {unit: ratio, values: {2019-01-01: 0.03, 2025-01-01: 0.035}}
  percent: {values: {2019-01-01: 100}}
values:
  rd_to_revenue: rd_expense / revenue
  growth: main_revenue / main_revenue@year-1 - 1
conditions:
  named: rd_to_revenue >= 0.03
  inline: rd_expense / revenue >= 0.03
  lagged: rd_expense@year-1 / revenue@year-1 >= 0.03
  scaled: rd_expense / revenue * 100 >= 3
  param: rd_to_revenue >= min_ratio
  param_scale: rd_to_revenue * percent >= 3
  right: 0.03 <= rd_to_revenue
  equal: rd_to_revenue == 0.03
  differ: rd_to_revenue != 0.03
  strict: rd_to_revenue > 0.03
  below: rd_to_revenue < 0.03
  at_most: rd_to_revenue <= 0.03
  rest: 1 - rd_to_revenue <= 0.97
  negated: -rd_to_revenue <= -0.03
  halves: (rd_to_revenue) / 2 >= 0.015
  vs_fact: rd_to_revenue >= share
  staff: rd_staff / employees >= 0.50
  third: rd_staff / employees == 0.3333333333
  grew: growth >= 0.2
"""

RD_ONLY = """
id: rd_only
title: 研发投入强度
entity: enterprise
values:
  rd_to_revenue: rd_expense / revenue
conditions:
  rd: {expr: rd_to_revenue >= 0.03, label: 研发费用占营业收入比例不低于3%}
"""

CLIPPED = """
id: clipped
title: 下限高于上限的 clip 作除数
entity: enterprise
conditions:
  negative: rd_expense / clip(revenue, revenue, -main_revenue) < 0
"""

ROUNDED = """
id: rounded
title: 仍按舍入的写法
entity: enterprise
conditions:
  average: (rd_expense / revenue + rd_expense@year-1 / revenue@year-1) / 2 >= 0.03
  two_quotients: rd_expense / revenue >= rd_expense@year-1 / revenue@year-1
  rounded: round(rd_expense / revenue, 10) >= 0.03
"""

FLOORS = """
id: floors
title: 取整
entity: enterprise
values:
  per_head: rd_expense / employees
conditions:
  some: floor(per_head, 2) <= ceil(per_head, 2)
  whole: floor(per_head) >= 1000
  up: ceil(rd_staff / employees, 2) >= 0.5
  signs: ceil(-share, 1) <= floor(share * 10) / 10
amount: floor(rd_expense * 0.013, 1) + ceil(revenue / 7, 3) - floor(-rd_expense / 3)
"""


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    root = tmp_path_factory.mktemp("ratios")
    (root / "facts.yaml").write_text(FACTS, encoding="utf-8")
    for name, text in (
        ("ratios", RATIOS),
        ("rd_only", RD_ONLY),
        ("clipped", CLIPPED),
        ("rounded", ROUNDED),
        ("floors", FLOORS),
    ):
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    catalogue = load_catalogue(root)
    assert [d.format("en") for d in catalogue.check() if d.is_error] == []
    return catalogue


@pytest.fixture(scope="module")
def rs(cat: Catalogue) -> RuleSet:
    return cat.select(period="2024")


BASE: dict[str, Any] = {
    "rd_expense": "1200000",
    "revenue": "40000000",
    "rd_expense@year-1": "1200000",
    "revenue@year-1": "40000000",
    "rd_staff": 50,
    "employees": 100,
    "share": "0.03",
    "main_revenue": "1200000",
    "main_revenue@year-1": "1000000",
}

#: revenue → the conditions that hold, of those that compare rd_expense / revenue
#: with 3 % (rd_expense = 1,200,000)
THREE_PERCENT = ["named", "inline", "scaled", "param", "param_scale", "right", "halves"]
CASES = {
    # 0.0299999999925…: a fraction of a fen short; rounds to 0.0300000000
    "40000000.01": {"below", "at_most", "differ"},
    # exactly 3 %
    "40000000.00": {*THREE_PERCENT, "equal", "at_most", "rest", "negated", "vs_fact"},
    # 0.0300000000075…: rounds to 0.0300000000, yet above 3 %
    "39999999.99": {*THREE_PERCENT, "strict", "differ", "rest", "negated", "vs_fact"},
    # a negative denominator: -3 %
    "-40000000": {"below", "at_most", "differ"},
    # x / 0 is 0
    "0": {"below", "at_most", "differ"},
}
RD_CONDITIONS = {*THREE_PERCENT, "equal", "differ", "strict", "below", "at_most"} | {
    "rest",
    "negated",
    "vs_fact",
}


@pytest.mark.parametrize(("revenue", "held"), list(CASES.items()))
def test_a_fen_short_is_short(rs: RuleSet, revenue: str, held: set[str]) -> None:
    conditions = interpret(rs, {**BASE, "revenue": revenue})["ratios"].conditions
    assert {c for c in RD_CONDITIONS if conditions[c]} == held


def test_negative_numerator_and_denominator_is_a_positive_ratio(rs: RuleSet) -> None:
    facts = {**BASE, "rd_expense": "-1200000", "revenue": "-40000000.01"}
    assert interpret(rs, facts)["ratios"].conditions["named"] is False
    facts = {**BASE, "rd_expense": "-1200000", "revenue": "-39999999.99"}
    assert interpret(rs, facts)["ratios"].conditions["strict"] is True


def test_other_ratio_shapes(cat: Catalogue, rs: RuleSet) -> None:
    def held(**facts: Any) -> dict[str, bool | None]:
        return interpret(rs, {**BASE, **facts})["ratios"].conditions

    assert held(rd_staff=50, employees=100)["staff"] is True
    assert held(rd_staff=49, employees=99)["staff"] is False
    # 1 / 3 rounds to 0.3333333333 but is not equal to it
    assert held(rd_staff=1, employees=3)["third"] is False
    assert held(**{"main_revenue": "1200000", "main_revenue@year-1": "1000000"})["grew"] is True
    assert held(**{"main_revenue": "1200000", "main_revenue@year-1": "1000000.01"})["grew"] is (
        False
    )
    assert held(**{"revenue@year-1": "40000000.01"})["lagged"] is False
    # a parameter threshold changes with the period: 3.5 % from 2025
    later = interpret(cat.select(period="2025"), BASE)
    assert later["ratios"].conditions["param"] is False
    assert held()["param"] is True


def test_the_checker_marks_exactly_the_comparisons_it_decides_exactly(rs: RuleSet) -> None:
    ratios = rs.rule("ratios")
    for name in RD_CONDITIONS | {"staff", "third", "grew", "lagged"}:
        e = ratios.conditions[name]
        assert isinstance(e, ir.Binary) and e.exact is not None, name
    right = ratios.conditions["right"]
    assert isinstance(right, ir.Binary) and right.exact is not None
    assert right.exact[0] is None and right.exact[1] is not None
    grew = ratios.conditions["grew"]
    assert isinstance(grew, ir.Binary) and grew.exact is not None and grew.exact[0] is not None
    assert [op for op, _ in grew.exact[0].steps] == ["-"]
    rounded = rs.rule("rounded").conditions
    for name in ("two_quotients", "rounded"):
        e = rounded[name]
        assert isinstance(e, ir.Binary) and e.exact is None, name
    # the outer division by 2 is exact; the two quotients inside it are rounded
    average = rounded["average"]
    assert isinstance(average, ir.Binary) and average.exact is not None
    assert average.exact[0] is not None and average.exact[0].num.text.count("/") == 2


def test_nested_quotients_keep_the_rounded_semantics(rs: RuleSet) -> None:
    facts = {**BASE, "revenue": "40000000.01", "revenue@year-1": "40000000.01"}
    conditions = interpret(rs, facts)["rounded"].conditions
    # each quotient rounds to 0.0300000000: the documented rounded semantics
    assert conditions == {"average": True, "two_quotients": True, "rounded": True}


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    revenues = [*CASES, "-40000000.01", "-39999999.99", None]
    for i, revenue in enumerate(revenues):
        for j, rd in enumerate(["1200000", "-1200000", "0", "1200000.01"]):
            rows.append(
                {
                    **BASE,
                    "entity_id": f"E{i:02d}{j}",
                    "revenue": revenue,
                    "rd_expense": rd,
                    "revenue@year-1": revenues[(i + j) % len(revenues)],
                    "rd_staff": [50, 49, 1, 0][j],
                    "employees": [100, 99, 3, 0, None][(i + j) % 5],
                    "share": ["0.03", "0.029999", "0.030001", None][(i + 2 * j) % 4],
                    "main_revenue@year-1": ["1000000", "1000000.01", "0", "-1000000"][j],
                }
            )
    return rows


@pytest.mark.parametrize("period", ["2024", "2025"])
def test_interpreter_polars_and_sql_agree_at_the_boundary(cat: Catalogue, period: str) -> None:
    rs = cat.select(period=period)
    rows = _rows()
    assert assert_engines_agree(rs, rows) == len(rows) * len(rs.ids)


def test_polars_without_measured_ranges_decides_in_python_and_agrees(rs: RuleSet) -> None:
    rows = _rows()
    frame = frame_from_rows(rs, rows)
    compiled = compile_rules(rs)  # no stats: the bounds are unknown
    wide = compiled.select(prepare_facts(rs, frame)).collect().sort("entity_id")
    names = list(rs.rule("ratios").conditions)
    for row, got in zip(
        sorted(rows, key=lambda r: r["entity_id"]), wide.iter_rows(named=True), strict=True
    ):
        ref = interpret(rs, {k: v for k, v in row.items() if k != "entity_id"})["ratios"]
        mask = decode_mask(int(got["ratios.conditions"]), names)
        assert mask == {k: v is True for k, v in ref.conditions.items()}, row


def test_gigantic_values_fall_back_to_python_integers_not_overflow(cat: Catalogue) -> None:
    rs = cat.select(period="2024", rule_ids=["ratios"])
    # 3 × revenue in fen is past 2^126: no Int128 product, rows decided in Python
    big = "300000000000000000000000000000000000"
    rows = [
        {**BASE, "entity_id": "short", "rd_expense": "9" + "0" * 33, "revenue": big + ".01"},
        {**BASE, "entity_id": "exact", "rd_expense": "9" + "0" * 33, "revenue": big},
    ]
    frame = frame_from_rows(rs, rows)
    compiled, prepared = compile_for(rs, frame)
    wide = compiled.select(prepared).collect().sort("entity_id")
    names = list(rs.rule("ratios").conditions)
    got = {r["entity_id"]: decode_mask(r["ratios.conditions"], names) for r in wide.to_dicts()}
    assert got["short"]["named"] is False and got["exact"]["named"] is True
    for row in rows:
        ref = interpret(rs, {k: v for k, v in row.items() if k != "entity_id"})["ratios"]
        assert got[row["entity_id"]] == {k: v is True for k, v in ref.conditions.items()}


def test_sql_past_hugeint_is_an_error_in_duckdb_and_exact_in_postgres(cat: Catalogue) -> None:
    import duckdb

    rs = cat.select(period="2024", rule_ids=["rd_only"])
    # 3 × revenue in fen is past 2^127: DuckDB's HUGEINT refuses, NUMERIC does not
    big = "900000000000000000000000000000000000"
    rows = [
        {"entity_id": "short", "rd_expense": "27" + "0" * 33, "revenue": big + ".01"},
        {"entity_id": "exact", "rd_expense": "27" + "0" * 33, "revenue": big},
    ]
    frame = frame_from_rows(rs, rows)
    with pytest.raises(duckdb.OutOfRangeException):
        evaluate_duckdb(rs, frame)
    if POSTGRES_DSN:
        got = evaluate_postgres(rs, frame, POSTGRES_DSN).sort("entity_id")
        assert got["eligible"].to_list() == [True, False]
    wide = evaluate(rs, frame, layout="wide").sort("entity_id")
    assert wide["rd_only.eligible"].to_list() == [True, False]


def test_a_clip_with_its_limits_crossed_is_bounded_by_the_upper_limit(cat: Catalogue) -> None:
    # clip(x, lo, hi) with lo > hi is hi: here -main_revenue, negative, so the
    # divisor's sign is not known from the ranges (Polars once took it as ≥ 0)
    rs = cat.select(period="2024", rule_ids=["clipped"])
    rows = [
        {"entity_id": "A", "rd_expense": "1", "revenue": "10", "main_revenue": "5"},
        {"entity_id": "B", "rd_expense": "1", "revenue": "10", "main_revenue": "0"},
    ]
    wide = evaluate(rs, frame_from_rows(rs, rows), layout="wide").sort("entity_id")
    assert wide["clipped.eligible"].to_list() == [True, False]
    assert assert_engines_agree(rs, rows) == 2


def test_ordinary_ranges_need_no_python_fallback(rs: RuleSet) -> None:
    frame = frame_from_rows(rs, _rows())
    compiled, _ = compile_for(rs, frame)
    plan = " ".join(str(e) for e in compiled.expressions(["ratios"]))
    assert "python" not in plan.lower() and "map" not in plan.lower()
    unmeasured = compile_rules(rs).expressions(["ratios"])
    assert "python" in " ".join(str(e) for e in unmeasured).lower()


def test_explanation_shows_the_rounded_value_and_the_exact_verdict(rs: RuleSet) -> None:
    text = explain(rs, "ratios", {**BASE, "revenue": "40000000.01"}).text()
    assert "rd_to_revenue = 0.0300000000（3%）" in text
    assert "rd_to_revenue >= 0.03［按精确值 0.02999999999250000000… 判定］ = 否" in text
    english = explain(rs, "ratios", {**BASE, "revenue": "40000000.01"}, lang="en").text()
    assert "[decided on the exact value 0.02999999999250000000…]" in english


def test_gap_on_the_boundary_is_exactly_enough(rs: RuleSet) -> None:
    facts = {**BASE, "revenue": "40000000.01"}
    [gap] = [g for g in gaps(rs, "rd_only", facts) if g.computable]
    assert gap.fact == "rd_expense" and gap.change == Decimal("0.01")
    assert gap.message() == "研发费用还差 0.01 元即可达到 3%"
    enough = Decimal("1200000") + gap.change
    short = enough - Decimal("0.01")
    assert interpret(rs, {**facts, "rd_expense": enough})["rd_only"].conditions["rd"] is True
    assert interpret(rs, {**facts, "rd_expense": short})["rd_only"].conditions["rd"] is False
    # the vectorised near-miss search (Polars, then confirmed exactly) says the same
    one = RuleSet(rs.period, rs.entity, [rs.rule("rd_only")], rs.deps, rs.schema)
    rows = [{**facts, "entity_id": "A"}, {**BASE, "entity_id": "B"}]
    found = near_misses(one, "rd_only", frame_from_rows(one, rows))
    assert found["entity_id"].to_list() == ["A"]
    assert found["change"].to_list() == [Decimal("0.01")]


# ---------------------------------------------------------------------------
# Random comparisons near the boundary (hypothesis), every engine
# ---------------------------------------------------------------------------

FORMS: dict[str, Callable[[Fraction, Fraction], tuple[Fraction, Fraction]] | None] = {
    # template (q: the quotient, t: the threshold) → its exact meaning f(q, t)
    "{q} {op} {t}": lambda q, t: (q, t),
    "{t} {op} {q}": lambda q, t: (t, q),
    "{q} * 100 {op} {t} * 100": lambda q, t: (q * 100, t * 100),
    "{q} - 1 {op} {t} - 1": lambda q, t: (q - 1, t - 1),
    "1 - {q} {op} 1 - {t}": lambda q, t: (1 - q, 1 - t),
    "-{q} {op} -{t}": lambda q, t: (-q, -t),
    # two quotients: both rounded (no exact meaning to check, engines still agree)
    "{q} / 3 {op} {t} / 3": None,
}
NEAR = st.fixed_dictionaries(
    {
        "b": st.one_of(st.just(0), st.integers(-(10**11), 10**11)),  # fen
        "delta": st.integers(-2, 2),  # fen away from the boundary
    }
)


def _near_rule(form: str, op: str, t: str, named: bool) -> str:
    q = "ratio" if named else "(rd_expense / revenue)"
    expr = form.format(q=q, op=op, t=t)
    return f"""
id: near
title: 边界附近
entity: enterprise
values:
  ratio: rd_expense / revenue
conditions:
  c: '{expr}'
"""


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.sampled_from(sorted(FORMS)),
    op=st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    t=st.builds(
        lambda i, places: Decimal(i).scaleb(-places),
        st.integers(0, 9999),
        st.integers(0, 6),
    ),
    named=st.booleans(),
    rows=st.lists(NEAR, min_size=1, max_size=5),
)
def test_comparisons_near_the_boundary_agree_everywhere(
    tmp_path: Path, form: str, op: str, t: Decimal, named: bool, rows: list[dict[str, int]]
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (folder / "r.yaml").write_text(_near_rule(form, op, str(t), named), encoding="utf-8")
    cat = load_catalogue(folder)
    assert [d.format("en") for d in cat.check() if d.is_error] == []
    rs = cat.select(period="2024")
    facts = []
    for i, row in enumerate(rows):
        b = Decimal(row["b"]).scaleb(-2)
        # a = t·b on the fen grid, then `delta` fen away
        a = (t * b).quantize(Decimal("0.01")) + Decimal(row["delta"]).scaleb(-2)
        facts.append({"entity_id": f"e{i}", "rd_expense": str(a), "revenue": str(b)})
        held = interpret(rs, {"rd_expense": a, "revenue": b})["near"].conditions["c"]
        q = Fraction(0) if b == 0 else Fraction(a) / Fraction(b)
        meaning = FORMS[form]
        if meaning is not None:
            x, y = meaning(q, Fraction(t))
            want = {
                "<": x < y,
                "<=": x <= y,
                ">": x > y,
                ">=": x >= y,
                "==": x == y,
                "!=": x != y,
            }[op]
            assert held is want, (a, b)
    assert_engines_agree(rs, facts)


# ---------------------------------------------------------------------------
# floor() and ceil()
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("floor(2.7)", "2"),
        ("floor(-2.7)", "-3"),
        ("ceil(2.1)", "3"),
        ("ceil(-2.1)", "-2"),
        ("floor(5)", "5"),
        ("ceil(-5)", "-5"),
        ("floor(2.345, 2)", "2.34"),
        ("floor(-2.345, 2)", "-2.35"),
        ("ceil(2.341, 2)", "2.35"),
        ("ceil(-2.349, 2)", "-2.34"),
        ("ceil(1 / 3, 4)", "0.3334"),
        ("floor(2 / 3, 10)", "0.6666666667"),
    ],
)
def test_floor_and_ceil_values(tmp_path: Path, expr: str, value: str) -> None:
    (tmp_path / "facts.yaml").write_text("facts: {}\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text(
        f"id: fc\ntitle: 取整\nentity: enterprise\nvalues:\n  v: '{expr}'\n"
        "conditions:\n  c: 'v == v'\n",
        encoding="utf-8",
    )
    cat = load_catalogue(tmp_path)
    assert [d.format("en") for d in cat.check() if d.is_error] == []
    rs = cat.select(period="2024")
    trace: dict[int, Any] = {}
    interpret(rs, {}, trace=trace)
    assert trace[id(rs.rule("fc").values["v"])] == Decimal(value)


def test_floor_and_ceil_keep_units_and_need_constant_places(write_rules: Any) -> None:
    root = write_rules(
        {
            "ok.yaml": """
id: ok
title: 单位保留
entity: enterprise
conditions:
  money: floor(revenue) >= 1000
  ratio: ceil(rd_expense / revenue, 2) >= 0.03
amount: floor(revenue * 0.013, 2)
""",
            "bad.yaml": """
id: bad
title: 错误写法
entity: enterprise
conditions:
  unit: floor(revenue) >= ceil(rd_expense / revenue, 2)
  places: floor(revenue, employees) >= 1
  arity: ceil() >= 1
""",
        }
    )
    diags = [d for d in load_catalogue(root).check() if d.is_error]
    assert not [d for d in diags if "ok.yaml" in str(d.location)]
    codes = sorted(d.code for d in diags)
    assert codes == ["arity", "constant-required", "unit"], [d.format("en") for d in diags]


def test_floor_and_ceil_agree_across_engines(rs: RuleSet) -> None:
    rows = []
    for i, rd in enumerate(["1200000", "-1200000.01", "999.99", "0", "-0.01", "7"]):
        rows.append(
            {
                "entity_id": f"F{i}",
                "rd_expense": rd,
                "revenue": ["40000000.01", "-7", "0.07", "1", "-40000000", "6.99"][i],
                "rd_staff": [1, 50, 3, 0, 2, 7][i],
                "employees": [3, 100, 7, 1, None, 9][i],
                "share": ["0.5", "-0.25", "0", "0.000001", None, "-1"][i],
            }
        )
    floors = RuleSet(rs.period, rs.entity, [rs.rule("floors")], rs.deps, rs.schema)
    assert assert_engines_agree(floors, rows) == len(rows)
    amounts = evaluate(floors, frame_from_rows(floors, rows)).sort("entity_id")["amount"]
    assert amounts.to_list()[0] == interpret(floors, rows[0])["floors"].amount
