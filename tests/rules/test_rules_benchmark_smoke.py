"""The rules benchmark (`benchmarks/rules_eval.py`) at a tiny size, so that it cannot rot:
facts generation, the 200-rule variant catalogue, the worker processes, the Parquet
results folders and the exactness check against the reference interpreter.
No OpenFisca and no timing assertions."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from zhenxing.rules import evaluate, evaluate_to_parquet, load_catalogue
from zhenxing.rules.compile_polars import decode_flags, read_results

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "rules_eval.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rules_eval", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rules_eval"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_facts_are_deterministic(bench: ModuleType) -> None:
    a = bench.project_facts(500, 7)
    assert a.equals(bench.project_facts(500, 7))
    assert not a.equals(bench.project_facts(500, 8))
    e = bench.enterprise_facts(500)
    assert e.columns == ["entity_id", *bench.ENTERPRISE_FACTS]
    assert e["first_above_size_date"].null_count() > 0


def test_variants_are_distinct_rules(bench: ModuleType, tmp_path: Path) -> None:
    specs = bench.variants(60)
    assert len({(v.family, v.params) for v in specs}) == 60
    folder = bench.variant_catalogue(specs, tmp_path / "v")
    cat = load_catalogue(folder)
    assert [d.format("en") for d in cat.check() if d.is_error] == []
    assert len(cat.select(period="2019").rules) == 60


def test_results_folder_round_trips(bench: ModuleType, tmp_path: Path) -> None:
    specs = bench.variants(30)
    rs = load_catalogue(bench.variant_catalogue(specs, tmp_path / "v")).select(period="2019")
    facts = bench.combined_facts(1500)
    written = evaluate_to_parquet(rs, facts, tmp_path / "r", rules_per_file=7)
    assert len(written) == 5
    wide = evaluate(rs, facts, layout="wide")
    assert read_results(tmp_path / "r", layout="wide").select(wide.columns).equals(wide)
    packed = read_results(tmp_path / "r")
    manifest = json.loads((tmp_path / "r" / "rules.json").read_text("utf-8"))
    rid = specs[0].id
    names = manifest["rules"][rid]["conditions"]
    for i in range(20):
        eligible, status, conds = decode_flags(packed[f"{rid}.flags"][i], names)
        assert eligible == wide[f"{rid}.eligible"][i]
        assert status == wide[f"{rid}.status"][i]
        mask = wide[f"{rid}.conditions"][i]
        assert conds == {n: bool(mask >> k & 1) for k, n in enumerate(names)}


def test_the_benchmark_runs_small_and_is_exact(bench: ModuleType, tmp_path: Path) -> None:
    code = bench.main(
        [
            "--entities",
            "2000",
            "--rules",
            "20",
            "--runs",
            "1",
            "--check",
            "all",
            "--check-variants",
            "300",
            "--rules-per-file",
            "8",
            "--openfisca-python",
            "",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "summary_2000.json").read_text("utf-8"))
    for kind in ("project", "enterprise"):
        assert report["exact"][kind]["checked"] == 2000
        assert report["exact"][kind]["mismatches"] == 0
    assert report["exact"]["variants"]["mismatches"] == 0
    assert all(report["folders"].values())
    assert report["parts"]["explain"]["entities"] > 0
    assert (
        pl.read_parquet(tmp_path / "results" / "ours8" / "project" / "part-0000.parquet").height
        == 2000
    )
