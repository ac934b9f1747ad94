"""The Polars plan stays small however deeply named values nest.

A named value is computed once, as a private column of a staged `with_columns`
pipeline, and read by every use: inlining it (and the helpers that use an operand
several times — rounded division, the missing-value masks) made the plan grow
exponentially with the nesting (the Yingkou high-tech assessment: 1.5 MB of plan
text, a second for one row). Sizes, not timings, are asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zhenxing.rules import Catalogue, RuleSet, load_catalogue
from zhenxing.rules.compile_polars import (
    STAGE,
    compile_for,
    evaluate,
    evaluate_to_parquet,
    frame_from_rows,
    read_results,
)

from .test_rules_sql import assert_engines_agree

FACTS = """
facts:
  rd_expense: {type: money, label: 研发费用, missing: zero}
  revenue: {type: money, label: 营业收入, missing: report}
  employees: {type: integer, label: 职工人数, missing: ineligible}
"""

DEPTH = 12


def chain_rule(depth: int = DEPTH) -> str:
    """Named values v0 … v{depth}, each used twice by the next (with a rounded
    division, so each use is itself repeated by the compiled rounding)."""
    lines = [
        "id: chain",
        "title: 命名值链",
        "entity: enterprise",
        "values:",
        "  v0: rd_expense / revenue",
    ]
    for i in range(1, depth + 1):
        lines.append(f"  v{i}: round((v{i - 1} + v{i - 1} / 3) / 2, 6)")
    lines += [
        "conditions:",
        f"  ratio_ok: v{depth} >= 0.0001 or employees > 10",
        f"  known: not is_missing(v{depth})",
        "score:",
        "  items:",
        "    ratio:",
        "      title: 比值",
        f"      points: if v{depth} > 0.01 then v{depth} * 100 else v{depth - 1} * 10",
        "      max: 50",
        "  pass: 0",
        f"amount: round(v{depth} * rd_expense, 2)",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    root = tmp_path_factory.mktemp("chain")
    (root / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (root / "chain.yaml").write_text(chain_rule(), encoding="utf-8")
    return load_catalogue(root)


@pytest.fixture(scope="module")
def rs(cat: Catalogue) -> RuleSet:
    return cat.select(period="2024")


ROWS = [
    {"entity_id": "A", "rd_expense": "1200000", "revenue": "40000000.01", "employees": 5},
    {"entity_id": "B", "rd_expense": "1", "revenue": "300000000", "employees": 50},
    {"entity_id": "C", "rd_expense": "-7", "revenue": "3", "employees": 2},
    {"entity_id": "D", "rd_expense": "5", "revenue": "0", "employees": 20},
    {"entity_id": "E", "rd_expense": "5", "employees": 20},  # revenue missing
    {"entity_id": "F", "rd_expense": "5", "employees": None},
    {"entity_id": "G"},
]


def test_a_chain_of_named_values_used_twice_agrees_with_the_interpreter(rs: RuleSet) -> None:
    assert assert_engines_agree(rs, ROWS) == len(ROWS)


def _sizes(depth: int, tmp: Path, layout: str = "wide") -> tuple[int, int]:
    """(text of every expression, text of the optimised plan) for a chain of `depth`."""
    (tmp / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (tmp / "chain.yaml").write_text(chain_rule(depth), encoding="utf-8")
    rs = load_catalogue(tmp).select(period="2024")
    compiled, prepared = compile_for(rs, frame_from_rows(rs, ROWS), layout=layout)
    text = sum(len(str(e)) for e in compiled.expressions())
    return text, len(compiled.select(prepared).explain())


def test_the_plan_grows_linearly_with_the_nesting(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    small = _sizes(DEPTH // 2, tmp_path / "a")
    large = _sizes(DEPTH, tmp_path / "b")
    # twice the depth: about twice the size (inlined, each level multiplied it by 4)
    assert large[0] < 2.5 * small[0], (small, large)
    assert large[1] < 2.5 * small[1], (small, large)


def test_a_chain_of_named_values_gives_a_small_plan(rs: RuleSet) -> None:
    frame = frame_from_rows(rs, ROWS)
    for layout in ("wide", "packed"):
        compiled, prepared = compile_for(rs, frame, layout=layout)
        text = sum(len(str(e)) for e in compiled.expressions())
        plan = compiled.select(prepared).explain()
        # about 5,000 characters a level; inlined, megabytes
        assert text < 150_000, text
        assert len(plan) < 150_000, len(plan)
        # the private columns are computed in layers and dropped from the results
        assert len(compiled.stages()) >= DEPTH
        result = compiled.select(prepared).collect()
        assert not [c for c in result.columns if c.startswith(STAGE)]
        assert result.height == len(ROWS)


def test_results_folder_and_layouts_hold_no_private_columns(rs: RuleSet, tmp_path: Path) -> None:
    frame = frame_from_rows(rs, ROWS)
    packed = evaluate(rs, frame, layout="packed")
    evaluate_to_parquet(rs, frame, tmp_path / "out", rules_per_file=1)
    folder = read_results(tmp_path / "out")
    assert folder.sort("entity_id").equals(packed.sort("entity_id"))
    for layout in ("long", "wide"):
        evaluate_to_parquet(rs, frame, tmp_path / f"{layout}.parquet", layout=layout)
    assert not [c for c in packed.columns if c.startswith(STAGE)]


def test_the_yingkou_assessment_plan_is_small() -> None:
    root = Path(__file__).resolve().parents[2] / "src/zhenxing/rules/catalogue/yingkou"
    cat = load_catalogue(root)
    for rid in ("high_tech_innovation_assessment", "specialized_new_sme"):
        rs = cat.select(period="2024", rule_ids=[rid])
        compiled, prepared = compile_for(rs, frame_from_rows(rs, [{"entity_id": "x"}]))
        plan = compiled.select(prepared).explain()
        assert len(plan) < 100_000, (rid, len(plan))  # was 1.5 MB and 0.2 MB
