"""OpenFisca's side of `benchmarks/rules_eval.py`, run in the benchmark virtualenv:

    python3 -m venv /tmp/ofvenv
    /tmp/ofvenv/bin/pip install -r benchmarks/requirements-bench.txt
    ./zx bench rules_eval --openfisca-python /tmp/ofvenv/bin/python

The orchestrator starts `python -m openfisca_2019.worker` (with `benchmarks/` on
PYTHONPATH) and sends it the same JSON requests as our engine's worker: `setup`
(which rules, which files, float32 or float64), then `run` (file: Parquet facts →
simulation → calculate every rule → Parquet results, amounts in integer fen and
eligibility; mem: a new simulation from input arrays already in memory →
calculate every rule).
"""

from __future__ import annotations

import datetime
import gc
import time
from pathlib import Path
from typing import Any

import numpy
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.simulations import SimulationBuilder

import rules_eval

from . import model, variants

PERIOD = rules_eval.PERIOD


def to_inputs(tbs: Any, table: pa.Table) -> dict[str, numpy.ndarray]:
    """numpy input arrays for the variables of `tbs` found in `table`; a missing
    value becomes the variable's default (0, false, 1970-01-01, `unknown`)."""
    out: dict[str, Any] = {}
    for name in table.column_names:
        if name not in tbs.variables:
            continue
        col = table.column(name).combine_chunks()
        if name == "project_category":
            enc = pc.dictionary_encode(col)
            lookup = numpy.array(
                [model.CATEGORY_ORDER.index(v) for v in enc.dictionary.to_pylist()] or [0],
                dtype=numpy.int16,
            )
            codes = lookup[pc.fill_null(enc.indices, 0).to_numpy()]
            codes[enc.indices.is_null().to_numpy(zero_copy_only=False)] = 0
            out[name] = EnumArray(codes, model.ProjectCategory)
        elif pa.types.is_date(col.type):
            filled = pc.fill_null(col, pa.scalar(datetime.date(1970, 1, 1), type=col.type))
            out[name] = filled.to_numpy(zero_copy_only=False).astype("datetime64[D]")
        elif pa.types.is_boolean(col.type):
            out[name] = pc.fill_null(col, False).to_numpy(zero_copy_only=False)
        else:
            out[name] = pc.fill_null(col, 0).to_numpy(zero_copy_only=False)
    return out


def simulate(tbs: Any, inputs: dict[str, Any], rules: list[str], count: int) -> dict[str, Any]:
    """A new simulation of `count` entities: set the inputs, calculate every rule."""
    sim = SimulationBuilder().build_default_simulation(tbs, count)
    for name, values in inputs.items():
        sim.set_input(name, PERIOD, values)
    out: dict[str, Any] = {}
    for rid in rules:
        out[rid] = sim.calculate(rid, PERIOD)
        out[f"{rid}.eligible"] = sim.calculate(f"{rid}_eligible", PERIOD)
    return out


class OpenFisca:
    def __init__(self) -> None:
        self.systems: dict[str, Any] = {}
        self.rules: dict[str, list[str]] = {}
        self.files: dict[str, str] = {}
        self.inputs: dict[str, tuple[int, dict[str, Any]]] = {}
        self.out = Path(".")
        self.compression = "none"

    def setup(self, msg: dict[str, Any]) -> dict[str, Any]:
        float64 = bool(msg["float64"])
        self.files = msg["files"]
        self.out = Path(msg["out"])
        self.compression = msg.get("compression", "none")
        t0 = time.perf_counter()
        reply: dict[str, Any] = {}
        if msg["task"] == "eval8":
            for kind in self.files:
                self.systems[kind] = model.build(kind, float64=float64)
                self.rules[kind] = model.rule_ids(kind)
            reply["parameters"] = model.parameter_values(self.systems["project"])
        else:
            specs = rules_eval.variants(int(msg["count"]), int(msg["variant_seed"]))
            self.systems["combined"] = variants.build(specs, float64=float64)
            self.rules["combined"] = [v.id for v in specs]
        reply["build_s"] = time.perf_counter() - t0
        if msg.get("in_memory"):
            for kind, path in self.files.items():
                table = pq.read_table(path)
                self.inputs[kind] = (table.num_rows, to_inputs(self.systems[kind], table))
        reply["rules"] = {k: len(v) for k, v in self.rules.items()}
        reply["float"] = str(
            self.systems[next(iter(self.systems))]
            .variables[self.rules[next(iter(self.rules))][0]]
            .dtype
        )
        return reply

    def run(self, msg: dict[str, Any]) -> dict[str, Any]:
        fn = self._in_memory if msg.get("mode", "file") == "mem" else self._to_parquet
        reply = rules_eval.timed(fn)
        gc.collect()  # a simulation holds reference cycles: free it before the next run
        return reply

    def _in_memory(self) -> dict[str, Any]:
        for kind, (count, inputs) in self.inputs.items():
            simulate(self.systems[kind], inputs, self.rules[kind], count)
        return {}

    def _to_parquet(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        for kind, path in self.files.items():
            table = pq.read_table(path)
            tbs = self.systems[kind]
            results = simulate(tbs, to_inputs(tbs, table), self.rules[kind], table.num_rows)
            columns: dict[str, Any] = {"entity_id": table.column("entity_id")}
            for rid in self.rules[kind]:
                fen = numpy.rint(results[rid].astype(numpy.float64) * 100).astype(numpy.int64)
                columns[f"{rid}.amount_fen"] = fen
                columns[f"{rid}.eligible"] = results[f"{rid}.eligible"]
            pq.write_table(
                pa.table(columns),
                self.out / f"{kind}.parquet",
                compression=self.compression,
                use_dictionary=False,
                write_statistics=False,
                row_group_size=max(1, table.num_rows),
            )
        return {}


def main() -> None:
    of = OpenFisca()
    rules_eval.serve({"setup": of.setup, "run": of.run})


if __name__ == "__main__":
    main()
