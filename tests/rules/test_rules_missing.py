"""Missing values a rule can reason about: `is_missing`, `coalesce`, and lazy missing
semantics (a missing fact matters only where the evaluation needs it), the same in
the interpreter, the Polars engine and the SQL form (DuckDB; PostgreSQL when
`ZHENXING_TEST_POSTGRES_DSN` is set)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from zhenxing.rules import Catalogue, RuleSet, evaluate, interpret, load_catalogue
from zhenxing.rules.compile_polars import (
    _Compiler,
    decode_flags,
    evaluate_wide,
    frame_from_rows,
)
from zhenxing.rules.compile_sql import evaluate_duckdb, evaluate_postgres
from zhenxing.rules.explain import explain

from .test_rules_sql import POSTGRES_DSN, _engines, assert_engines_agree

FACTS = """
facts:
  revenue: {type: money, label: 销售收入, missing: report}
  rd_expense: {type: money, label: 研发费用, missing: report}
  staff: {type: integer, label: 职工人数, missing: ineligible}
  bonus: {type: money, label: 奖励基数, missing: zero}
  p: {type: boolean, label: 甲, missing: ineligible}
  q: {type: boolean, label: 乙, missing: ineligible}
  rq: {type: boolean, label: 丙, missing: report}
  since: {type: date, label: 成立日期, missing: ineligible}
  region: {type: text, label: 地区, missing: report}
  kind: {type: enum, values: [a, b], label: 类型, missing: ineligible}
"""

RULES = {
    "and_rule.yaml": "id: and_rule\ntitle: 与\nentity: enterprise\neligible: p and q\n",
    "or_rule.yaml": "id: or_rule\ntitle: 或\nentity: enterprise\neligible: p or q\n",
    "three_year.yaml": """
id: three_year
title: 近三年研发强度（不满三年按实际年度）
entity: enterprise
period: year
values:
  rd_3y: rd_expense + coalesce(rd_expense@year-1, 0) + coalesce(rd_expense@year-2, 0)
  revenue_3y: revenue + coalesce(revenue@year-1, 0) + coalesce(revenue@year-2, 0)
  ratio: rd_3y / revenue_3y
conditions:
  intense: {expr: ratio >= 0.05, label: 研发强度不低于5%}
amount: coalesce(rd_expense@year-1, rd_expense) * 0.1
""",
    "fallbacks.yaml": """
id: fallbacks
title: 各类型的 coalesce 与 is_missing
entity: enterprise
conditions:
  home: coalesce(region, "营口") == "营口"
  early: coalesce(since, 2020-01-01) <= 2020-12-31
  declared: coalesce(rq, p, false)
  big_or_unknown: is_missing(staff) or staff >= 10
  has_history: not is_missing(revenue@year-1)
  kind_a: coalesce(kind, "b") in ["a"]
""",
    "branches.yaml": """
id: branches
title: 只需要走到的分支
entity: enterprise
period: year
values:
  base: |
    if is_missing(revenue@year-1) then revenue else (revenue + revenue@year-1) / 2
conditions:
  route: if p then staff >= 10 else rd_expense > 0
  # the branch taken when last year's revenue is missing reads it: missing there
  contrived: |
    if is_missing(revenue@year-1) then revenue@year-1 >= 0 else revenue@year-1 > revenue
amount: base * 0.01
""",
    "strict_sum.yaml": """
id: strict_sum
title: 需补报优先于不符合
entity: enterprise
conditions:
  both: revenue * staff > 0
""",
    "if_test.yaml": """
id: if_test
title: 只需要 if 的条件
entity: enterprise
eligible: if p then revenue > 0 else bonus > 0
""",
    "if_kind.yaml": """
id: if_kind
title: 分支相同，条件的缺失类别不同
entity: enterprise
eligible: if staff > 5 then revenue > 0 else revenue > 10
""",
    "either.yaml": """
id: either
title: 任一条件成立，金额另需数据
entity: enterprise
eligible: staff >= 10 or revenue > 100
amount: revenue * 0.01
""",
    "needed.yaml": """
id: needed
title: 只在需要时缺失
entity: enterprise
conditions:
  big: {expr: staff >= 10, label: 职工不少于10人}
  earns: {expr: revenue > 100, label: 销售收入超过100元}
amount: rd_expense * 0.1
""",
    "scored.yaml": """
id: scored
title: 得分总是需要
entity: enterprise
score:
  items:
    sales: {points: 'band(revenue, [100: 5, 1000: 10])'}
eligible: p
""",
    "refer.yaml": """
id: refer
title: 引用其他规则
entity: enterprise
conditions:
  via_needed: rules.needed.eligible or p
  paid: rules.needed.amount + bonus >= 0
""",
    "named.yaml": """
id: named
title: 资格引用命名条件
entity: enterprise
values:
  ok_region: coalesce(region, "营口") == "营口"
conditions:
  c_staff: staff >= 10
  c_rev: revenue > 0
eligible: ok_region and (c_staff or c_rev)
amount: if c_staff then 100 else revenue
""",
}


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    root = tmp_path_factory.mktemp("missing")
    (root / "facts.yaml").write_text(FACTS, encoding="utf-8")
    for name, text in RULES.items():
        (root / name).write_text(text, encoding="utf-8")
    loaded = load_catalogue(root)
    assert [d.format("en") for d in loaded.check() if d.is_error] == []
    return loaded


def _one(cat: Catalogue, rule_id: str, facts: dict[str, Any]) -> Any:
    rs = cat.select(period="2024", rule_ids=[rule_id])
    return interpret(rs, facts)[rule_id]


def _all_agree(rs: RuleSet, rows: list[dict[str, Any]]) -> None:
    """Every backend gives the interpreter's eligible, amount, score, condition mask and
    status; the SQL wide layout also its three-valued conditions (NULL = unknown); the
    packed Polars flags equal the wide columns."""
    rows = [{**r, "entity_id": f"e{i}"} for i, r in enumerate(rows)]
    assert assert_engines_agree(rs, rows) == len(rows) * len(rs.rules)
    frame = frame_from_rows(rs, rows)
    reference = {
        row["entity_id"]: interpret(rs, {k: v for k, v in row.items() if k != "entity_id"})
        for row in rows
    }
    for engine in _engines():
        if engine == "duckdb":
            wide = evaluate_duckdb(rs, frame, layout="wide")
        else:
            assert POSTGRES_DSN is not None
            wide = evaluate_postgres(rs, frame, POSTGRES_DSN, layout="wide")
        for got in wide.iter_rows(named=True):
            for rule in rs.rules:
                ref = reference[got["entity_id"]][rule.id]
                conds = {n: got[f"{rule.id}.cond.{n}"] for n in rule.conditions}
                assert conds == ref.conditions, (engine, got["entity_id"], rule.id)
    packed = evaluate(rs, frame, layout="packed").sort("entity_id")
    wide_pl = evaluate_wide(rs, frame).sort("entity_id")
    for prow, wrow in zip(packed.iter_rows(named=True), wide_pl.iter_rows(named=True), strict=True):
        for rule in rs.rules:
            names = list(rule.conditions)
            elig, status, held = decode_flags(prow[f"{rule.id}.flags"], names)
            assert elig == wrow[f"{rule.id}.eligible"]
            assert status == wrow[f"{rule.id}.status"]
            assert (
                sum(1 << i for i, n in enumerate(names) if held[n]) == wrow[f"{rule.id}.conditions"]
            )


# ---------------------------------------------------------------------------
# Kleene logic
# ---------------------------------------------------------------------------

T, F, M = True, False, None
#: (p, q) -> eligible (None: missing, status missing_ineligible)
AND = {
    (T, T): T,
    (T, F): F,
    (T, M): M,
    (F, T): F,
    (F, F): F,
    (F, M): F,
    (M, T): M,
    (M, F): F,
    (M, M): M,
}
OR = {
    (T, T): T,
    (T, F): T,
    (T, M): T,
    (F, T): T,
    (F, F): F,
    (F, M): M,
    (M, T): T,
    (M, F): M,
    (M, M): M,
}


@pytest.mark.parametrize(("rule_id", "table"), [("and_rule", AND), ("or_rule", OR)])
def test_and_or_follow_the_kleene_truth_table(
    cat: Catalogue, rule_id: str, table: dict[tuple[Any, Any], Any]
) -> None:
    for (p, q), want in table.items():
        res = _one(cat, rule_id, {"p": p, "q": q})
        if want is None:
            assert (res.eligible, res.status) == (False, 1), (p, q)
            assert res.missing == sorted(c for c, v in (("p", p), ("q", q)) if v is None)
        else:
            assert (res.eligible, res.status, res.missing) == (want, 0, []), (p, q)
    rs = cat.select(period="2024", rule_ids=[rule_id])
    _all_agree(rs, [{"p": p, "q": q} for p, q in table])


# ---------------------------------------------------------------------------
# coalesce and is_missing
# ---------------------------------------------------------------------------


def test_a_three_year_ratio_uses_the_years_the_company_has(cat: Catalogue) -> None:
    two_years = {
        "rd_expense": 6,
        "revenue": 100,
        "rd_expense@year-1": 1,
        "revenue@year-1": 40,
    }
    res = _one(cat, "three_year", two_years)
    assert (res.status, res.eligible, res.conditions["intense"]) == (0, True, True)
    assert res.amount == Decimal("0.10")  # last year's R&D, it is there
    young = _one(cat, "three_year", {"rd_expense": 6, "revenue": 100})
    assert (young.status, young.eligible, young.amount) == (0, True, Decimal("0.60"))
    # the current year cannot be made up for
    res = _one(cat, "three_year", {"rd_expense": 6, "revenue@year-1": 40})
    assert (res.status, res.missing, res.conditions["intense"]) == (2, ["revenue"], None)


def test_coalesce_and_is_missing_work_on_every_type(cat: Catalogue) -> None:
    res = _one(cat, "fallbacks", {})
    assert res.conditions == {
        "home": True,
        "early": True,
        "declared": False,
        "big_or_unknown": True,
        "has_history": False,
        "kind_a": False,
    }
    assert (res.status, res.eligible) == (0, False)
    res = _one(
        cat,
        "fallbacks",
        {
            "region": "大连",
            "since": "2021-05-01",
            "p": True,
            "staff": 3,
            "revenue@year-1": 0,
            "kind": "a",
        },
    )
    assert res.conditions == {
        "home": False,
        "early": False,
        "declared": True,
        "big_or_unknown": False,
        "has_history": True,
        "kind_a": True,
    }
    assert _one(cat, "fallbacks", {"rq": False, "p": True}).conditions["declared"] is False


def test_only_the_branch_taken_is_needed(cat: Catalogue) -> None:
    res = _one(cat, "branches", {"revenue": 300, "p": True, "staff": 12})
    assert (res.status, res.missing, res.conditions["contrived"]) == (2, ["revenue@year-1"], None)
    res = _one(cat, "branches", {"revenue": 300, "revenue@year-1": 400, "p": True, "staff": 12})
    assert (res.status, res.eligible, res.amount) == (0, True, Decimal("3.50"))
    facts = {"revenue": 300, "revenue@year-1": 100, "p": False, "rd_expense": 1}
    res = _one(cat, "branches", facts)
    assert (res.status, res.eligible) == (0, False)  # staff is not read
    assert res.conditions == {"route": True, "contrived": False}
    res = _one(cat, "branches", {"revenue": 300, "revenue@year-1": 400, "p": True})
    assert (res.status, res.missing, res.conditions["route"]) == (1, ["staff"], None)
    # the test itself is missing
    res = _one(cat, "branches", {"revenue": 300, "revenue@year-1": 400, "staff": 12})
    assert (res.status, res.missing) == (1, ["p"])


def test_a_missing_report_fact_wins_over_a_missing_ineligible_one(cat: Catalogue) -> None:
    res = _one(cat, "strict_sum", {})
    assert (res.status, res.missing, res.conditions) == (2, ["revenue", "staff"], {"both": None})
    assert _one(cat, "strict_sum", {"revenue": 1}).status == 1
    assert _one(cat, "strict_sum", {"staff": 1}).status == 2
    # where the test of an `if` is missing, only the test is needed: its kind decides
    res = _one(cat, "if_test", {})
    assert (res.status, res.missing) == (1, ["p"])
    res = _one(cat, "if_test", {"p": True})
    assert (res.status, res.missing) == (2, ["revenue"])
    res = _one(cat, "if_test", {"p": False})
    assert (res.status, res.eligible) == (0, False)
    # both branches read revenue, but a missing test is all that is needed
    assert _one(cat, "if_kind", {}).status == 1
    assert _one(cat, "if_kind", {"staff": 1}).status == 2


def test_a_condition_is_unknown_only_where_needed(cat: Catalogue) -> None:
    # staff decides: revenue (report) is not needed, nor the amount's R&D expense
    res = _one(cat, "needed", {"staff": 5})
    assert (res.status, res.eligible, res.amount) == (0, False, Decimal("0.00"))
    assert res.conditions == {"big": False, "earns": None}
    assert res.missing == ["revenue"]  # what made `earns` unknown
    # eligible: now the amount is needed
    res = _one(cat, "needed", {"staff": 50, "revenue": 101})
    assert (res.status, res.missing, res.conditions) == (
        2,
        ["rd_expense"],
        {"big": True, "earns": True},
    )
    res = _one(cat, "needed", {"staff": 50})
    assert (res.status, res.eligible, res.missing) == (2, False, ["revenue"])


def test_the_amount_needs_what_eligibility_did_not_read(cat: Catalogue) -> None:
    res = _one(cat, "either", {"staff": 12})  # eligible without revenue: the amount needs it
    assert (res.status, res.missing) == (2, ["revenue"])
    res = _one(cat, "either", {"revenue": 200})
    assert (res.status, res.eligible, res.amount) == (0, True, Decimal("2.00"))
    assert _one(cat, "either", {"staff": 3, "revenue": 50}).status == 0


def test_the_score_is_always_needed(cat: Catalogue) -> None:
    res = _one(cat, "scored", {"p": False})
    assert (res.status, res.score, res.missing) == (2, None, ["revenue"])
    res = _one(cat, "scored", {"p": False, "revenue": 500})
    assert (res.status, res.score, res.eligible) == (0, Decimal(5), False)


def test_a_rule_reference_passes_on_missing_of_the_same_kind(cat: Catalogue) -> None:
    res = _one(cat, "refer", {"staff": 50, "p": False})  # needed: revenue missing
    assert (res.status, res.missing) == (2, ["revenue"])
    assert res.conditions == {"via_needed": None, "paid": None}
    res = _one(cat, "refer", {"staff": 50, "p": True})  # `or` decided by p
    assert res.conditions == {"via_needed": True, "paid": None}
    assert res.status == 2
    res = _one(cat, "refer", {"p": True, "revenue": 500})  # needed: missing_ineligible
    assert (res.status, res.missing) == (1, ["staff"])
    assert res.conditions == {"via_needed": True, "paid": None}
    res = _one(cat, "refer", {"staff": 5, "p": False})  # needed decided (not eligible)
    assert (res.status, res.eligible, res.conditions) == (
        0,
        False,
        {"via_needed": False, "paid": True},
    )


def test_eligibility_reads_named_conditions_lazily(cat: Catalogue) -> None:
    res = _one(cat, "named", {"staff": 12})
    assert (res.status, res.eligible, res.amount) == (0, True, Decimal("100.00"))
    assert res.conditions == {"c_staff": True, "c_rev": None}
    res = _one(cat, "named", {"staff": 2, "revenue": 5, "region": "大连"})
    assert (res.status, res.eligible) == (0, False)
    res = _one(cat, "named", {"staff": 2})
    assert (res.status, res.missing) == (2, ["revenue"])


# ---------------------------------------------------------------------------
# The three backends on every combination
# ---------------------------------------------------------------------------

VALUES: dict[str, list[Any]] = {
    "revenue": [None, 0, 101],
    "revenue@year-1": [None, 40],
    "rd_expense": [None, 6],
    "rd_expense@year-1": [None, 1],
    "staff": [None, 5, 12],
    "bonus": [None, 7],
    "p": [None, True, False],
    "q": [None, True, False],
    "rq": [None, False],
    "since": [None, "2019-06-30"],
    "region": [None, "营口", "大连"],
    "kind": [None, "a", "b"],
}


def _grid() -> list[dict[str, Any]]:
    """Rows covering each fact's values, and every pair of facts missing together."""
    keys = list(VALUES)
    rows: list[dict[str, Any]] = []
    for i in range(max(len(v) for v in VALUES.values()) * 4):
        rows.append({k: VALUES[k][(i + j * (i // 3)) % len(VALUES[k])] for j, k in enumerate(keys)})
    full = {k: v[-1] for k, v in VALUES.items()}
    for a, b in itertools.combinations(keys, 2):
        rows.append({**full, a: None, b: None})
    for k in keys:
        rows.append({**full, k: None})
    return rows


@pytest.mark.parametrize("period", ["2024"])
def test_all_backends_agree_on_missing_values(cat: Catalogue, period: str) -> None:
    rs = cat.select(period=period)
    _all_agree(rs, _grid())


# ---------------------------------------------------------------------------
# What the compilers pay for
# ---------------------------------------------------------------------------


def test_strict_expressions_keep_the_plain_null_guard(cat: Catalogue) -> None:
    rs = cat.select(period="2024")
    comp = _Compiler(rs)
    needed = rs.rule("needed")
    assert needed.amount is not None
    for e in (needed.amount, *needed.conditions.values()):
        assert comp.miss(needed, e).k is None  # no mask beyond IS NULL of its columns
    # same columns on every branch: still strict; a branch that may be skipped: not
    branches = rs.rule("branches")
    base = comp.miss(branches, branches.values["base"])  # the else branch has last year's
    assert (base.k, base.columns) == (None, {"revenue"})
    assert comp.miss(branches, branches.conditions["route"]).k is not None
    three = rs.rule("three_year")
    assert comp.miss(three, three.values["ratio"]).columns == {"revenue", "rd_expense"}


def test_a_strict_rule_has_the_status_of_before(cat: Catalogue) -> None:
    """A rule without alternatives is missing exactly where a fact it reads is."""
    rs = cat.select(period="2024", rule_ids=["strict_sum"])
    rows = [
        {"revenue": r, "staff": s, "p": True, "bonus": 1}
        for r, s in itertools.product([None, 5], [None, 3])
    ]
    frame = frame_from_rows(rs, [{**r, "entity_id": f"e{i}"} for i, r in enumerate(rows)])
    wide = evaluate_wide(rs, frame).sort("entity_id")
    assert wide["strict_sum.status"].to_list() == [2, 2, 1, 0]


# ---------------------------------------------------------------------------
# Checking and explaining
# ---------------------------------------------------------------------------


def _check(tmp_path: Path, expr: str) -> list[Any]:
    (tmp_path / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (tmp_path / "r.yaml").write_text(
        f"id: r\ntitle: 检查\nentity: enterprise\nperiod: year\namount: '{expr}'\n",
        encoding="utf-8",
    )
    return list(load_catalogue(tmp_path).check())


def test_the_checker_types_coalesce_and_warns_about_never_missing_facts(tmp_path: Path) -> None:
    assert _check(tmp_path, "coalesce(revenue, rd_expense@year-1, 0)") == []
    assert _check(tmp_path, "if is_missing(revenue@year-2) then 0 else revenue") == []
    unit = _check(tmp_path, "coalesce(revenue, staff)")
    assert [d.code for d in unit if d.is_error] == ["unit"]
    mixed = _check(tmp_path, 'coalesce(revenue, "x")')
    assert [d.code for d in mixed if d.is_error] == ["type"]
    arity = _check(tmp_path, "coalesce(revenue) + (if is_missing(revenue, staff) then 1 else 0)")
    assert sorted(d.code for d in arity if d.is_error) == ["arity", "arity"]
    zero = _check(tmp_path, "coalesce(bonus, revenue) + (if is_missing(bonus * 2) then 1 else 0)")
    warnings = [d for d in zero if not d.is_error]
    assert [d.code for d in warnings] == ["never-missing", "never-missing"]
    assert "永远不会缺失" in warnings[0].message("zh")
    assert "zero" in (warnings[0].hint("en") or "")
    # a fallback after an argument that is never missing is never used
    late = _check(tmp_path, "coalesce(revenue, bonus, rd_expense)")
    assert [(d.code, d.args["expr"]) for d in late] == [("never-missing", "bonus")]


def test_explanation_names_the_missing_fact_of_an_unknown_condition(cat: Catalogue) -> None:
    rs = cat.select(period="2024", rule_ids=["needed"])
    text = explain(rs, "needed", {"staff": 5}).text()
    assert "结论：不符合条件（未满足：职工不少于10人）" in text
    assert "? 销售收入超过100元：revenue > 100  ← 无法判定：缺少销售收入（revenue）" in text
    assert "revenue（销售收入） = 缺失：销售收入（revenue）" in text
    undecided = explain(rs, "needed", {"staff": 50}).text()
    assert "结论：无法判定——缺少事实 销售收入（revenue）（missing_report）" in undecided


def test_explanation_shows_which_argument_a_coalesce_took(cat: Catalogue) -> None:
    rs = cat.select(period="2024", rule_ids=["three_year"])
    facts = {"rd_expense": 6, "revenue": 100, "rd_expense@year-1": 1}
    text = explain(rs, "three_year", facts).text()
    assert (
        "coalesce(revenue@year-1, 0) = 0.00 元［前面的项缺失（缺少1年前的销售收入"
        "（revenue@year-1）），改取第 2 项「0」］"
    ) in text
    assert "coalesce(rd_expense@year-1, 0) = 1.00 元\n" in text  # took the first: no note
    english = explain(rs, "three_year", facts, lang="en").text()
    assert "took argument 2, 0" in english


def test_polars_frame_reads_a_missing_lag_as_missing(cat: Catalogue) -> None:
    rs = cat.select(period="2024", rule_ids=["fallbacks"])
    frame = frame_from_rows(rs, [{"entity_id": "A", "revenue@year-1": 5}, {"entity_id": "B"}])
    wide = evaluate_wide(rs, frame).sort("entity_id")
    bit = 1 << list(rs.rule("fallbacks").conditions).index("has_history")
    assert [int(m) & bit != 0 for m in wide["fallbacks.conditions"]] == [True, False]
    assert wide.filter(pl.col("entity_id") == "A")["fallbacks.status"].item() == 0
