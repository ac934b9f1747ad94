"""Differential tests: the SQL form of the rules (DuckDB always, PostgreSQL when
`ZHENXING_TEST_POSTGRES_DSN` is set) equals the reference interpreter and the
Polars engine, row by row — on every test case of the corpus, on a catalogue of
language constructs, and on random rules (hypothesis)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhenxing.rules import Catalogue, RuleSet, evaluate, interpret, ir, load_catalogue
from zhenxing.rules.compile_polars import frame_from_rows
from zhenxing.rules.compile_sql import (
    SqlUnsupportedError,
    compile_sql,
    create_facts_table,
    evaluate_duckdb,
    evaluate_postgres,
    to_sql,
)
from zhenxing.rules.diagnostics import RulesError

from .test_rules_property import ELIGIBLE, FACTS, ROW, _rule_text, bool_expr, num_expr

YINGKOU = (
    Path(__file__).resolve().parents[2] / "src" / "zhenxing" / "rules" / "catalogue" / "yingkou"
)
POSTGRES_DSN = os.environ.get("ZHENXING_TEST_POSTGRES_DSN")


def _engines() -> list[str]:
    return ["duckdb", "postgres"] if POSTGRES_DSN else ["duckdb"]


def _sql_results(rs: RuleSet, frame: pl.DataFrame, engine: str) -> pl.DataFrame:
    if engine == "duckdb":
        return evaluate_duckdb(rs, frame)
    assert POSTGRES_DSN is not None
    return evaluate_postgres(rs, frame, POSTGRES_DSN)


def _rows(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(entity, rule) -> (eligible, amount, score, conditions mask, status), normalised."""
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    for row in frame.iter_rows(named=True):
        score = row["score"]
        out[(row["entity_id"], row["rule_id"])] = (
            bool(row["eligible"]),
            Decimal(row["amount"]).quantize(Decimal("0.01")),
            None if score is None else Decimal(score).normalize(),
            int(row["conditions"]),
            int(row["status"]),
        )
    return out


def _reference(rs: RuleSet, rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    for row in rows:
        facts = {k: v for k, v in row.items() if k != "entity_id"}
        for rid, res in interpret(rs, facts).items():
            if rid not in rs.ids:
                continue
            out[(row["entity_id"], rid)] = (
                res.eligible,
                res.amount,
                None if res.score is None else res.score.normalize(),
                res.condition_mask(),
                res.status,
            )
    return out


def assert_engines_agree(rs: RuleSet, rows: list[dict[str, Any]]) -> int:
    """Interpreter, Polars and SQL agree on every (entity, rule); returns the row count."""
    frame = frame_from_rows(rs, rows)
    expected = _reference(rs, rows)
    polars = _rows(evaluate(rs, frame))
    assert polars == expected, _diff(expected, polars, "polars")
    for engine in _engines():
        got = _rows(_sql_results(rs, frame, engine))
        assert got == expected, _diff(expected, got, engine)
    return len(expected)


def _diff(
    want: dict[tuple[str, str], tuple[Any, ...]],
    got: dict[tuple[str, str], tuple[Any, ...]],
    engine: str,
) -> str:
    lines = [f"{engine} differs from the interpreter (eligible, amount, score, mask, status):"]
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            lines.append(f"  {key}: interpreter {want.get(key)} / {engine} {got.get(key)}")
    return "\n".join(lines[:20])


# ---------------------------------------------------------------------------
# The corpus: every YAML test case, grouped by rule and period
# ---------------------------------------------------------------------------


def _case_groups(cat: Catalogue) -> Iterator[tuple[RuleSet, list[dict[str, Any]]]]:
    """Test cases batched by (period, entity): one evaluation per batch and engine.

    Every case's facts are run through every rule of its batch — more comparisons
    than the cases' own expectations, and a few queries instead of one per case.
    """
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for rid in sorted(cat.rules):
        for i, case in enumerate(cat.rules[rid].tests):
            version = cat.rules[rid].version_for(str(case.period))
            if version is None:
                continue
            facts = {
                k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in case.facts.items()
            }
            batch = groups.setdefault((str(case.period), version.entity), {})
            batch.setdefault(rid, []).append({**facts, "entity_id": f"{rid}#{i}"})
    for (period, _entity), by_rule in sorted(groups.items()):
        try:
            rs = cat.select(period=period, rule_ids=sorted(by_rule))
        except (RulesError, ValueError):
            # a broken rule is reported by the catalogue's own tests; run the others
            for rid, rows in sorted(by_rule.items()):
                try:
                    one = cat.select(period=period, rule_ids=[rid])
                except (RulesError, ValueError):
                    continue
                if rid in one.ids:
                    yield one, rows
            continue
        rows = [
            row for rid, rule_rows in sorted(by_rule.items()) if rid in rs.ids for row in rule_rows
        ]
        if rows:
            yield rs, rows


def _corpus_agrees(cat: Catalogue) -> tuple[int, int]:
    """(cases run, entity × rule results compared)."""
    cases = results = 0
    for rs, rows in _case_groups(cat):
        results += assert_engines_agree(rs, rows)
        cases += len(rows)
    return cases, results


def test_sql_and_polars_agree_on_every_corpus_case(catalogue: Catalogue) -> None:
    cases, results = _corpus_agrees(catalogue)
    assert cases == sum(len(r.tests) for r in catalogue.rules.values()) >= 20
    assert results >= cases


def test_sql_agrees_on_every_case_of_the_yingkou_catalogue() -> None:
    if not YINGKOU.is_dir():
        pytest.skip("no Yingkou catalogue in this tree yet")
    cat = load_catalogue(YINGKOU)
    cases, _ = _corpus_agrees(cat)
    if cases == 0:
        pytest.skip("the Yingkou catalogue has no runnable test cases yet")


# ---------------------------------------------------------------------------
# Every construct of the language, on hand-written rules and facts
# ---------------------------------------------------------------------------

CONSTRUCT_FACTS = """
facts:
  revenue: {type: money, label: 销售收入, aliases: [营业收入], missing: report}
  rd_expense: {type: money, label: 研发费用, missing: zero}
  staff: {type: integer, label: 职工人数, missing: ineligible}
  share: {type: ratio, label: 占比, missing: zero}
  since: {type: date, label: 成立日期, missing: ineligible}
  region: {type: text, label: 地区, missing: zero}
  kind: {type: enum, values: [a, b, c], label: 类型, missing: ineligible}
  certified: {type: boolean, label: 已认定, missing: zero}
"""

CONSTRUCT_RULES = {
    "growth.yaml": """
id: growth
title: 增长奖励
entity: enterprise
parameters:
  rate:
    unit: ratio
    values: {2019-01-01: 0.015, 2023-01-01: 0.0125, 2024-07-01: 0.02}
  cap: {unit: yuan, values: {2019-01-01: 12345.67}}
values:
  growth: revenue - revenue@year-1
  growth_ratio: growth / revenue@year-1
conditions:
  grew: {expr: growth > 0, label: 营收增长}
  old_enough: period_start - since >= 365 or year(since) < period_year - 1
amount: min(growth * rate, cap) + (if certified then 1000.005 else 0.004)
rounding: half_even
""",
    "mix.yaml": """
id: mix
title: 各种构造
entity: enterprise
conditions:
  in_region: region in ["营口", "鲅鱼圈", "it's"]
  kind_ok: kind not in ["c"]
  month_ok: month(since) in [1, 2, 3, 12] and day(since) != 31
  ratio_band: |
    band_below(share, [0.2: 1, 0.55: 2], 3) <= 2
eligible: (in_region or certified) and kind_ok and not (staff > 500)
amount: |
  clip(round(rd_expense / 3, 1), 10, 2000) * band(staff, [10: 0.5, 50: 1, 100: 1.5], 0.25)
  + abs(-rd_expense) / 7 - (if max(since - 2019-01-01, 0) > 400 then 12.5 else 0)
rounding: down
""",
    "bonus.yaml": """
id: bonus
title: 引用其他规则
entity: enterprise
score:
  pass_mark: 3
  items:
    growth_points: {points: 'if rules.mix.eligible then 2 else 0'}
    mix_points: {points: 'band(rules.growth.amount, [0: 1, 100: 2, 1000: 5])', max: 4}
amount: rules.mix.amount * 0.1 + score / 3
""",
}


def _construct_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    revenues = [None, "0", "1000.00", "999999.99", "1234567.89", "-50.25"]
    regions = [None, "营口", "大连", "it's"]
    for i in range(48):
        rows.append(
            {
                "entity_id": f"E{i:02d}",
                "revenue": revenues[i % len(revenues)],
                "revenue@year-1": revenues[(i // 2) % len(revenues)],
                "rd_expense": [None, "0.01", "35.35", "1000000", "-7.77"][i % 5],
                "staff": [None, 0, 9, 10, 50, 99, 100, 501][i % 8],
                "share": [None, "0.2", "0.200001", "0.55", "0.9"][i % 5],
                "since": [None, "2018-01-31", "2019-03-01", "2023-12-31", "2024-02-29"][i % 5],
                "region": regions[i % len(regions)],
                "kind": [None, "a", "b", "c"][(i // 3) % 4],
                "certified": [None, True, False][i % 3],
            }
        )
    return rows


@pytest.fixture(scope="module")
def constructs(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    root = tmp_path_factory.mktemp("constructs")
    (root / "facts.yaml").write_text(CONSTRUCT_FACTS, encoding="utf-8")
    for name, text in CONSTRUCT_RULES.items():
        (root / name).write_text(text, encoding="utf-8")
    cat = load_catalogue(root)
    assert [d.format("en") for d in cat.check() if d.is_error] == []
    return cat


@pytest.mark.parametrize("period", ["2020", "2023", "2024", "2025"])
def test_every_construct_agrees_across_engines_and_parameter_dates(
    constructs: Catalogue, period: str
) -> None:
    rs = constructs.select(period=period)
    assert assert_engines_agree(rs, _construct_rows()) == 48 * 3


def test_a_table_without_period_column_reads_no_earlier_period(constructs: Catalogue) -> None:
    rs = constructs.select(period="2024", rule_ids=["growth"])
    rows = [{"entity_id": "A", "revenue": "100", "since": "2010-01-01"}]
    frame = frame_from_rows(rs, rows).drop("period")
    got = evaluate_duckdb(rs, frame).row(0, named=True)
    ref = interpret(rs, {"revenue": "100", "since": "2010-01-01"})["growth"]
    assert (got["eligible"], got["status"]) == (ref.eligible, ref.status) == (False, 2)


# ---------------------------------------------------------------------------
# Random rules and facts (the strategy of the Polars property test)
# ---------------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    c1=bool_expr(2),
    c2=bool_expr(1),
    amount=num_expr(3),
    item=num_expr(2),
    eligible=ELIGIBLE,
    rows=st.lists(ROW, min_size=1, max_size=6),
)
def test_sql_equals_interpreter_and_polars_on_random_rules(
    tmp_path: Path,
    c1: str,
    c2: str,
    amount: str,
    item: str,
    eligible: str | None,
    rows: list[dict[str, Any]],
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (folder / "r.yaml").write_text(_rule_text(c1, c2, amount, item, eligible), encoding="utf-8")
    cat = load_catalogue(folder)
    assert [d.format("en") for d in cat.check() if d.is_error] == []
    rs = cat.select(period="2024")
    rows = [{**r, "entity_id": f"e{i}"} for i, r in enumerate(rows)]
    assert_engines_agree(rs, rows)
    # the three-valued conditions: NULL in SQL exactly where the interpreter has None
    frame = frame_from_rows(rs, rows)
    reference = _reference_conditions(rs, rows)
    for engine in _engines():
        if engine == "duckdb":
            wide = evaluate_duckdb(rs, frame, layout="wide")
        else:
            assert POSTGRES_DSN is not None
            wide = evaluate_postgres(rs, frame, POSTGRES_DSN, layout="wide")
        for got in wide.iter_rows(named=True):
            conds = {n: got[f"random_rule.cond.{n}"] for n in rs.rule("random_rule").conditions}
            assert conds == reference[got["entity_id"]], (engine, got["entity_id"])


def _reference_conditions(
    rs: RuleSet, rows: list[dict[str, Any]]
) -> dict[str, dict[str, bool | None]]:
    out: dict[str, dict[str, bool | None]] = {}
    for row in rows:
        facts = {k: v for k, v in row.items() if k != "entity_id"}
        out[row["entity_id"]] = interpret(rs, facts)["random_rule"].conditions
    return out


# ---------------------------------------------------------------------------
# The SQL itself
# ---------------------------------------------------------------------------


def test_money_is_never_a_float_in_the_sql(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="enterprise", period="2024")
    for dialect in ("duckdb", "postgres"):
        text = to_sql(rs, dialect).upper()
        for word in ("DOUBLE", "FLOAT", "REAL"):
            assert word not in text
        assert " / " not in text  # quotients are integer divisions, rounded by hand
        assert "DECIMAL(18, 2)" in text


def test_text_constants_are_sql_literals_not_code(write_rules: Any) -> None:
    root = write_rules(
        {
            "q.yaml": """
id: quoted
title: 引号
entity: enterprise
conditions:
  odd_name: "rd_expense >= 0 and \\"x'); DROP TABLE facts; --\\" != \\"\\""
"""
        }
    )
    rs = load_catalogue(root).select(period="2024")
    text = to_sql(rs, "duckdb")
    assert "'x''); DROP TABLE facts; --'" in text
    assert assert_engines_agree(rs, [{"entity_id": "A", "rd_expense": 1}]) == 1


def test_wide_layout_has_one_boolean_per_condition_null_when_undecided(
    catalogue: Catalogue,
) -> None:
    rs = catalogue.select(entity="enterprise", period="2024", rule_ids=["tech_sme"])
    frame = frame_from_rows(rs, [{"entity_id": "A", "tech_staff": 1, "revenue": 10}])
    wide = evaluate_duckdb(rs, frame, layout="wide").row(0, named=True)
    assert wide["tech_sme.status"] == 2  # employees missing → to be reported
    assert wide["tech_sme.cond.size"] is None
    assert wide["tech_sme.cond.pass_mark"] is None
    assert wide["tech_sme.eligible"] is False
    query = compile_sql(rs, layout="wide")
    assert "tech_sme.cond.staff_points_nonzero" in query.columns()


def test_the_facts_table_ddl_declares_exact_decimals(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="project", period="2019")
    ddl = create_facts_table(rs, "facts", "postgres")
    assert ddl.startswith("CREATE TEMPORARY TABLE")
    assert '"fixed_asset_investment_completed" DECIMAL(38, 2)' in ddl


def test_an_inexpressible_construct_is_named_with_its_place(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="project", period="2019")
    rule = rs.rules[0]
    assert rule.amount is not None
    odd = ir.Call(rule.amount.ty, rule.amount.src, 0, 3, "sqrt", (rule.amount,))
    broken = replace(
        rs, rules=[replace(rule, amount=odd)], deps={rule.id: replace(rule, amount=odd)}
    )
    with pytest.raises(SqlUnsupportedError) as info:
        compile_sql(broken)
    message = info.value.format("en")
    assert "function sqrt()" in message and "cannot be compiled to SQL" in message
    assert "emerging_industry_project.yaml" in message
    assert "无法编译为 SQL" in info.value.format("zh")
    with pytest.raises(SqlUnsupportedError, match="dialect 'oracle'"):
        compile_sql(rs).sql("oracle")
