"""The OpenFisca baseline of `benchmarks/rules_eval.py` (a benchmark-only dependency:
install `benchmarks/requirements-bench.txt` in a virtualenv of its own).

- `model`: the 8 rules of the Yingkou 2019 subsidies as OpenFisca variables, with
  dated YAML parameters (`parameters/`);
- `variants`: the 200 rule variants of the many-rules run, from the same data as
  our YAML variants;
- `worker`: the process the benchmark drives, in turns with our engine's worker.
"""
