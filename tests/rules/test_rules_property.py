"""Property test: compiled (Polars) evaluation equals the reference interpreter.

Random expression trees over a small fact schema, random facts (including
missing values of every missing-value policy, zeros, negatives and boundary
values), with the constructs that read missing values lazily (if, and, or,
coalesce, is_missing); every result must match to the fen, and every condition,
score and status exactly.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhenxing.rules import evaluate_wide, interpret, load_catalogue
from zhenxing.rules.compile_polars import decode_mask, frame_from_rows

FACTS = """
facts:
  a: {type: decimal, unit: none, label: 甲, aliases: [甲], missing: zero}
  b: {type: decimal, unit: none, scale: 4, label: 乙, missing: zero}
  n: {type: integer, unit: none, label: 丙, missing: zero}
  d: {type: decimal, unit: none, label: 丁, missing: report}
  e: {type: decimal, unit: none, label: 戊, missing: ineligible}
  flag: {type: boolean, label: 标志, missing: zero}
  flag2: {type: boolean, label: 标志二, missing: report}
  cat: {type: enum, values: [p, q, r], label: 类别, missing: ineligible}
"""

NUM_FACTS = ["a", "b", "n", "d", "甲", "e", "d@year-1"]
#: facts that can be missing (policy ineligible or report)
MAY_MISS = ["d", "e", "d@year-1"]


def literal() -> st.SearchStrategy[str]:
    return st.builds(
        lambda i, places: str(Decimal(i).scaleb(-places)),
        st.integers(min_value=0, max_value=99999),
        st.integers(min_value=0, max_value=4),
    )


def num_expr(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(NUM_FACTS), literal())
    if depth <= 0:
        return leaf
    sub = num_expr(depth - 1)
    bsub = bool_expr(depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda x, op, y: f"({x} {op} {y})", sub, st.sampled_from("+-*/"), sub),
        st.builds(lambda x: f"(-{x})", sub),
        st.builds(lambda f, x, y: f"{f}({x}, {y})", st.sampled_from(["min", "max"]), sub, sub),
        st.builds(lambda x, k: f"round({x}, {k})", sub, st.integers(0, 3)),
        st.builds(
            lambda f, x, k: f"{f}({x}, {k})" if k else f"{f}({x})",
            st.sampled_from(["floor", "ceil"]),
            sub,
            st.integers(0, 3),
        ),
        st.builds(lambda x, y, z: f"clip({x}, {y}, {z})", sub, sub, sub),
        st.builds(lambda x: f"abs({x})", sub),
        st.builds(lambda c, x, y: f"(if {c} then {x} else {y})", bsub, sub, sub),
        st.builds(lambda xs: f"coalesce({', '.join(xs)})", st.lists(sub, min_size=2, max_size=3)),
        st.builds(
            lambda x, y, z: f"(if is_missing({x}) then {y} else {z})",
            st.one_of(st.sampled_from(MAY_MISS), sub),
            sub,
            sub,
        ),
        # branches that read the tested fact: present in one, missing in the other
        st.builds(
            lambda x, y, swap: (
                f"(if is_missing({x}) then {x} + {y} else {y})"
                if swap
                else f"(if is_missing({x}) then {y} else {x} - {y})"
            ),
            st.sampled_from(MAY_MISS),
            sub,
            st.booleans(),
        ),
        st.builds(
            lambda x, ts, vs, f: (
                f"{f}({x}, [{', '.join(f'{t}: {v}' for t, v in zip(ts, vs, strict=False))}])"
            ),
            sub,
            st.lists(st.integers(-50, 500), min_size=1, max_size=4, unique=True).map(sorted),
            st.lists(st.integers(0, 50), min_size=4, max_size=4),
            st.sampled_from(["band", "band_below"]),
        ),
    )


def bool_expr(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(["flag", "flag2", "coalesce(flag2, flag)"]),
        st.builds(
            lambda vs: f"cat in [{', '.join(repr(v) for v in vs)}]".replace("'", '"'),
            st.lists(st.sampled_from(["p", "q", "r"]), min_size=1, max_size=2),
        ),
        st.builds(lambda x: f"is_missing({x})", st.sampled_from([*MAY_MISS, "cat", "flag2"])),
    )
    if depth <= 0:
        return leaf
    sub = num_expr(depth - 1)
    bsub = bool_expr(depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda x: f"is_missing({x})", sub),
        st.builds(
            lambda x, op, y: f"({x} {op} {y})",
            sub,
            st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
            sub,
        ),
        # a quotient with constant steps against anything: decided exactly
        st.builds(
            lambda x, y, step, k, op, z: f"({x} / {y} {step} {k} {op} {z})",
            sub,
            sub,
            st.sampled_from(["*", "/", "+", "-"]),
            literal(),
            st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
            sub,
        ),
        st.builds(lambda x, op, y: f"({x} {op} {y})", bsub, st.sampled_from(["and", "or"]), bsub),
        st.builds(lambda x: f"(not {x})", bsub),
    )


def fact_value(places: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.just(0),
        st.builds(
            lambda i: Decimal(i).scaleb(-places),
            st.integers(min_value=-(10**8), max_value=10**8),
        ),
    )


ROW = st.fixed_dictionaries(
    {
        "a": fact_value(2),
        "b": fact_value(4),
        "n": st.one_of(st.none(), st.integers(-1000, 1000)),
        "d": fact_value(2),
        "d@year-1": fact_value(2),
        "e": fact_value(2),
        "flag": st.one_of(st.none(), st.booleans()),
        "flag2": st.one_of(st.none(), st.booleans()),
        "cat": st.one_of(st.none(), st.sampled_from(["p", "q", "r"])),
    }
)

#: an explicit eligibility (None: all conditions), reading the named conditions
ELIGIBLE = st.one_of(
    st.none(),
    st.sampled_from(["c1 or c2", "c1 and (c2 or flag2)", "not c1 or is_missing(d)"]),
    bool_expr(1),
)


def _rule_text(c1: str, c2: str, amount: str, item: str, eligible: str | None = None) -> str:
    def q(x: str) -> str:
        return "'" + x.replace("'", "''") + "'"

    return f"""
id: random_rule
title: 随机规则
entity: enterprise
conditions:
  c1: {q(c1)}
  c2: {q(c2)}
amount: {q(amount)}
rounding: half_up
score:
  pass_mark: 10
  items:
    only: {{points: {q(item)}, max: 40}}
""" + (f"eligible: {q(eligible)}\n" if eligible is not None else "")


@settings(
    max_examples=120,
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
def test_compiled_evaluation_equals_interpreter(
    tmp_path: Path,
    c1: str,
    c2: str,
    amount: str,
    item: str,
    eligible: str | None,
    rows: list[dict[str, Any]],
) -> None:
    import tempfile

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (folder / "r.yaml").write_text(_rule_text(c1, c2, amount, item, eligible), encoding="utf-8")
    cat = load_catalogue(folder)
    errors = [d.format("en") for d in cat.check() if d.is_error]
    assert errors == []
    rs = cat.select(period="2024")
    rows = [{**r, "entity_id": f"e{i}"} for i, r in enumerate(rows)]
    frame = frame_from_rows(rs, rows)
    wide = evaluate_wide(rs, frame).sort("entity_id")
    names = list(rs.rule("random_rule").conditions)
    for i, row in enumerate(rows):
        facts = {k: v for k, v in row.items() if k != "entity_id"}
        ref = interpret(rs, facts)["random_rule"]
        got = wide.filter(pl.col("entity_id") == f"e{i}").row(0, named=True)
        assert got["random_rule.eligible"] == ref.eligible, (row, ref)
        assert Decimal(got["random_rule.amount_fen"]).scaleb(-2) == ref.amount, (row, ref)
        assert got["random_rule.status"] == ref.status
        score = got["random_rule.score"]
        assert (Decimal(score) if score is not None else None) == ref.score, (row, ref)
        mask = decode_mask(int(got["random_rule.conditions"]), names)
        assert mask == {k: v is True for k, v in ref.conditions.items()}
