"""Benchmark: the rules engine over a million entities (issue 4, quality bars).

    ./zx bench rules_eval                      # 1,000,000 entities, 5 warm runs each
    ./zx bench rules_eval --entities 10000     # a smoke run
    ./zx bench rules_eval --openfisca-python /tmp/ofvenv/bin/python   # with the baseline

What it does (every figure is the median of `--runs` warm runs, after one run
that is not counted):

(a) the 2019 subsidies of the Yingkou catalogue — 3 project rules over N projects
    and 5 enterprise rules over N enterprises — from Parquet facts to Parquet
    results with condition records (bar: under 1 s);
(b) 200 distinct rules (variants of those 8 with other parameters and
    expressions) over N entities, Parquet facts to a folder of Parquet results
    with condition records (bars: under 3 s, peak RSS under 2 GB);
(c) one entity's full explanation (bar: under 10 ms);
(d) exactness: every amount, eligibility, status and condition record equals the
    reference row-by-row interpreter (`interpret`) for the first `--check`
    entities of each population (all of them with `--check all`);
(e) OpenFisca side by side (optional, needs a separate virtualenv with
    `benchmarks/requirements-bench.txt`): the same rules as vectorised OpenFisca
    variables in float64 (exact on these data, verified row by row against our
    amounts) and stock float32 (its wrong amounts are counted), timed in
    alternating runs against our engine on the same files: within 1.5× at 8
    rules, at least 1.3× faster at 200 rules.

Each timed part runs in its own worker process, so a peak RSS (VmHWM, reset
before the part) belongs to that part alone; OpenFisca runs in its own worker in
its own virtualenv, and the two workers are driven in turns.

Facts are synthetic and deterministic (`--seed`); money is whole yuan (Int64),
like the registry figures the 2019 policies are paid on. Generated files are
cached in `benchmarks/out/rules_eval/`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

OUT = HERE / "out" / "rules_eval"
#: the 2019 subsidies of the Yingkou catalogue (a rules root of its own: it has a facts.yaml)
CATALOGUE = SRC / "zhenxing" / "rules" / "catalogue" / "yingkou" / "subsidies-2019"
PERIOD = "2019"
SEED = 20190101

# ---------------------------------------------------------------------------
# Synthetic facts (deterministic: Python's seeded Mersenne Twister → raw bytes)
# ---------------------------------------------------------------------------


class _Draw:
    """Vectors of random numbers from one seeded generator, as Polars Series."""

    def __init__(self, seed: int, n: int) -> None:
        self.rng = random.Random(seed)
        self.n = n

    def uniform(self) -> Any:
        import polars as pl
        import pyarrow as pa

        buf = pa.py_buffer(self.rng.randbytes(8 * self.n))
        raw = pl.from_arrow(pa.Array.from_buffers(pa.uint64(), self.n, [None, buf]))
        assert isinstance(raw, pl.Series)
        return (raw // 2048).cast(pl.Float64) * (2.0**-53)  # [0, 1), 53 bits

    def lognormal(self, median: float, sigma: float) -> Any:
        """Whole yuan, log-normal (Box–Muller)."""
        import polars as pl

        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        z = (-2.0 * u1.log()).sqrt() * (2 * math.pi * u2).cos()
        return (median * (sigma * z).exp()).round(0).cast(pl.Int64)


def _pick(u: Any, choices: Sequence[tuple[float, Any]], dtype: Any) -> Any:
    """choices: (cumulative probability, value); the value where u falls."""
    import polars as pl

    expr: Any = None
    for p, value in choices:
        lit = pl.lit(value, dtype=dtype)
        expr = pl.when(u < p).then(lit) if expr is None else expr.when(u < p).then(lit)
    return pl.select(expr.otherwise(pl.lit(None, dtype=dtype)).alias("x")).to_series()


def _ids(prefix: str, n: int) -> Any:
    import polars as pl

    return pl.select(
        pl.format(prefix + "{}", pl.int_range(n).cast(pl.String).str.zfill(7)).alias("entity_id")
    ).to_series()


def _with_missing(values: Any, u: Any, p_missing: float, p_zero: float = 0.0) -> Any:
    import polars as pl

    return pl.select(
        pl.when(pl.lit(u) < p_missing)
        .then(None)
        .when(pl.lit(u) < p_missing + p_zero)
        .then(0)
        .otherwise(pl.lit(values))
        .alias("x")
    ).to_series()


def project_facts(n: int, seed: int = SEED, prefix: str = "P") -> Any:
    """Projects: category (15 % each of emerging, green, smart; 50 % other; 5 % missing),
    completed fixed-asset investment (log-normal, median ¥20M; 3 % missing, 2 % zero),
    the enterprise's fiscal contribution (median ¥1.5M; 3 % missing)."""
    import polars as pl

    d = _Draw(seed, n)
    cat = _pick(
        d.uniform(),
        [(0.15, "emerging"), (0.30, "green"), (0.45, "smart"), (0.95, "other")],
        pl.String,
    )
    inv = _with_missing(d.lognormal(20e6, 1.2), d.uniform(), 0.03, 0.02)
    fis = _with_missing(d.lognormal(1.5e6, 1.3), d.uniform(), 0.03)
    return pl.DataFrame(
        {
            "entity_id": _ids(prefix, n),
            "project_category": cat,
            "fixed_asset_investment_completed": inv,
            "enterprise_fiscal_contribution": fis,
        }
    )


def enterprise_facts(n: int, seed: int = SEED + 1, prefix: str = "E") -> Any:
    """Enterprises: first-set contract price (5 %, median ¥5M), newly recognised
    专精特新 (4 %) and 高新 (3 %) with 1–2 % unknown, first entry above size (25 % have
    a date, uniform 2015–2020, so about 4 % in 2019), exhibition booth fees (30 %,
    median ¥30k)."""
    import polars as pl

    d = _Draw(seed, n)
    price = _with_missing(d.lognormal(5e6, 1.0), d.uniform(), 0.90, 0.05)
    snp = _pick(d.uniform(), [(0.04, True), (0.98, False)], pl.Boolean)
    start = dt.date(2015, 1, 1)
    span = (dt.date(2020, 12, 31) - start).days + 1
    days = (d.uniform() * span).floor().cast(pl.Int32)
    has_date = d.uniform()
    dates = pl.select(
        pl.when(pl.lit(has_date) < 0.25)
        .then(pl.lit(start) + pl.duration(days=pl.lit(days)))
        .otherwise(None)
        .cast(pl.Date)
        .alias("x")
    ).to_series()
    fees = _with_missing(d.lognormal(30e3, 0.8), d.uniform(), 0.70)
    hte = _pick(d.uniform(), [(0.03, True), (0.99, False)], pl.Boolean)
    return pl.DataFrame(
        {
            "entity_id": _ids(prefix, n),
            "first_set_contract_price": price,
            "recognized_specialized_new_provincial_in_period": snp,
            "first_above_size_date": dates,
            "exhibition_booth_fees": fees,
            "recognized_high_tech_in_period": hte,
        }
    )


def combined_facts(n: int, seed: int = SEED + 2) -> Any:
    """One population carrying all 8 facts (an enterprise with its project), for the
    200-rule run."""
    import polars as pl

    p = project_facts(n, seed, "X").drop("entity_id")
    e = enterprise_facts(n, seed + 1000, "X")
    return pl.concat([e.select("entity_id"), p, e.drop("entity_id")], how="horizontal")


def facts_files(n: int, seed: int = SEED, folder: Path = OUT) -> dict[str, Path]:
    """The three Parquet facts files for N entities (generated once, then cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "project": folder / f"projects_{n}_{seed}.parquet",
        "enterprise": folder / f"enterprises_{n}_{seed}.parquet",
        "combined": folder / f"entities_{n}_{seed}.parquet",
    }
    makers: dict[str, Callable[[], Any]] = {
        "project": lambda: project_facts(n, seed),
        "enterprise": lambda: enterprise_facts(n, seed + 1),
        "combined": lambda: combined_facts(n, seed + 2),
    }
    for kind, path in files.items():
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            makers[kind]().write_parquet(tmp, compression="zstd")
            tmp.replace(path)
    return files


# ---------------------------------------------------------------------------
# 200 distinct rules: variants of the 2019 rules, defined once as data and
# rendered both as our YAML rules and (benchmarks/openfisca_2019) as OpenFisca
# variables. Rates have at most 2 decimals and shares 1, so on whole-yuan facts
# every exact amount has at most 2 decimals and float64 represents it closely
# enough to round to the right fen (checked row by row in every run).
# ---------------------------------------------------------------------------

CATEGORIES = ["emerging", "green", "smart", "other"]


@dataclass(frozen=True)
class Variant:
    id: str
    family: str
    params: tuple[tuple[str, Any], ...]

    @property
    def p(self) -> dict[str, Any]:
        return dict(self.params)


def variants(count: int = 200, seed: int = 4) -> list[Variant]:
    """`count` distinct rule variants (no two with the same family and parameters)."""
    rng = random.Random(seed)
    families = [
        ("project", 35),
        ("project_band", 10),
        ("first_set", 15),
        ("flag", 15),
        ("above_size", 10),
        ("exhibition", 15),
    ]
    names = [f for f, w in families for _ in range(w)]
    out: list[Variant] = []
    seen: set[tuple[str, tuple[tuple[str, Any], ...]]] = set()
    while len(out) < count:
        fam = rng.choice(names)
        p: dict[str, Any]
        if fam == "project":
            cats = tuple(sorted(rng.sample(CATEGORIES[:3], rng.choice([1, 1, 2]))))
            p = {
                "categories": cats,
                "rate": rng.randrange(3, 16) / 100,
                "share": rng.choice([None, 0.4, 0.5, 0.6, 0.7, 0.8]),
                "cap": rng.randrange(2, 11) * 500_000,
                "min_investment": rng.choice([0, 0, 1_000_000, 5_000_000, 10_000_000]),
            }
        elif fam == "project_band":
            t1 = rng.randrange(1, 10) * 1_000_000
            t2 = t1 + rng.randrange(5, 40) * 1_000_000
            t3 = t2 + rng.randrange(10, 100) * 1_000_000
            a1 = rng.randrange(5, 20) * 10_000
            p = {
                "category": rng.choice(CATEGORIES),
                "tiers": ((t1, a1), (t2, a1 * 2), (t3, a1 * rng.randrange(3, 6))),
            }
        elif fam == "first_set":
            p = {
                "rate": rng.randrange(10, 31) / 100,
                "cap": rng.randrange(2, 9) * 250_000,
                "min_price": rng.choice([0, 0, 500_000, 1_000_000, 2_000_000]),
            }
        elif fam == "flag":
            p = {
                "flags": rng.choice(
                    [("high_tech",), ("specialized",), ("high_tech", "specialized")]
                ),
                "award": rng.randrange(5, 51) * 10_000,
                "exhibited": rng.random() < 0.3,
            }
        elif fam == "above_size":
            if rng.random() < 0.5:
                p = {
                    "mode": "this_year",
                    "start": dt.date(2017 + rng.randrange(0, 3), rng.choice([1, 4, 7, 10]), 1),
                    "award": rng.randrange(4, 21) * 5_000,
                }
            else:
                p = {
                    "mode": "recent",
                    "days": rng.randrange(3, 25) * 30,
                    "award": rng.randrange(4, 21) * 5_000,
                }
        else:  # exhibition
            p = {
                "share": rng.randrange(3, 11) / 10,
                "cap": rng.choice([None, None, 20_000, 50_000, 100_000, 200_000]),
                "min_fee": rng.choice([0, 0, 5_000, 10_000]),
            }
        key = (fam, tuple(sorted(p.items())))
        if key in seen:
            continue
        seen.add(key)
        out.append(Variant(f"v{len(out) + 1:03d}_{fam}", fam, tuple(sorted(p.items()))))
    return out


def _num(x: Any) -> str:
    return str(x)


def variant_yaml(v: Variant) -> str:
    """The variant as a rule file of the rules language."""
    p = v.p
    head = [
        f"id: {v.id}",
        f"title: 基准测试规则变体 {v.id}",
        "entity: enterprise",
        "valid_from: 2019-01-01",
    ]
    params: dict[str, tuple[str, Any]] = {}
    conds: dict[str, str] = {}
    amount = ""
    if v.family == "project":
        cats = p["categories"]
        params["rate"] = ("ratio", p["rate"])
        params["cap"] = ("yuan", p["cap"])
        if len(cats) == 1:
            conds["in_category"] = f'project_category == "{cats[0]}"'
        else:
            conds["in_category"] = "project_category in [" + ", ".join(f'"{c}"' for c in cats) + "]"
        if p["min_investment"]:
            params["min_investment"] = ("yuan", p["min_investment"])
            conds["invested"] = "fixed_asset_investment_completed >= min_investment"
        else:
            conds["invested"] = "fixed_asset_investment_completed > 0"
        if p["share"] is not None:
            params["fiscal_share"] = ("ratio", p["share"])
            conds["has_fiscal_contribution"] = "enterprise_fiscal_contribution > 0"
            amount = (
                "min(rate * fixed_asset_investment_completed,"
                " fiscal_share * enterprise_fiscal_contribution, cap)"
            )
        else:
            amount = "min(rate * fixed_asset_investment_completed, cap)"
    elif v.family == "project_band":
        (t1, a1), (t2, a2), (t3, a3) = p["tiers"]
        conds["in_category"] = f'project_category == "{p["category"]}"'
        conds["tier_reached"] = f"fixed_asset_investment_completed >= {t1}"
        amount = f'"band(fixed_asset_investment_completed, [{t1}: {a1}, {t2}: {a2}, {t3}: {a3}])"'
    elif v.family == "first_set":
        params["rate"] = ("ratio", p["rate"])
        params["cap"] = ("yuan", p["cap"])
        if p["min_price"]:
            params["min_price"] = ("yuan", p["min_price"])
            conds["has_contract"] = "first_set_contract_price >= min_price"
        else:
            conds["has_contract"] = "first_set_contract_price > 0"
        amount = "min(rate * first_set_contract_price, cap)"
    elif v.family == "flag":
        params["award"] = ("yuan", p["award"])
        if "high_tech" in p["flags"]:
            conds["high_tech"] = "recognized_high_tech_in_period"
        if "specialized" in p["flags"]:
            conds["specialized"] = "recognized_specialized_new_provincial_in_period"
        if p["exhibited"]:
            conds["exhibited"] = "exhibition_booth_fees > 0"
        amount = "award"
    elif v.family == "above_size":
        params["award"] = ("yuan", p["award"])
        if p["mode"] == "this_year":
            conds["entered_this_year"] = "year(first_above_size_date) == period_year"
            conds["after_start"] = f"first_above_size_date >= {p['start'].isoformat()}"
        else:
            conds["recent"] = f"period_end - first_above_size_date <= {p['days']}"
            conds["not_later"] = "first_above_size_date <= period_end"
        amount = "award"
    else:  # exhibition
        params["share"] = ("ratio", p["share"])
        if p["min_fee"]:
            params["min_fee"] = ("yuan", p["min_fee"])
            conds["paid_fees"] = "exhibition_booth_fees >= min_fee"
        else:
            conds["paid_fees"] = "exhibition_booth_fees > 0"
        if p["cap"] is not None:
            params["cap"] = ("yuan", p["cap"])
            amount = "min(share * exhibition_booth_fees, cap)"
        else:
            amount = "share * exhibition_booth_fees"
    lines = list(head)
    if params:
        lines.append("parameters:")
        lines += [f"  {k}: {{unit: {u}, value: {_num(x)}}}" for k, (u, x) in params.items()]
    lines.append("conditions:")
    lines += [f"  {k}: {e}" for k, e in conds.items()]
    lines.append(f"amount: {amount}")
    return "\n".join(lines) + "\n"


def variant_catalogue(specs: Sequence[Variant], folder: Path, base: Path = CATALOGUE) -> Path:
    """Write the variants as a rules folder whose facts.yaml declares the 8 facts of
    the 2019 rules (from the catalogue's own facts.yaml) for one combined entity."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    source = yaml.safe_load((base / "facts.yaml").read_text("utf-8"))
    wanted = set(PROJECT_FACTS) | set(ENTERPRISE_FACTS)
    facts = {}
    for fid, spec in (source.get("facts") or {}).items():
        if fid in wanted:
            spec = dict(spec)
            spec.pop("entity", None)
            facts[fid] = spec
    missing = wanted - set(facts)
    if missing:
        raise SystemExit(f"{base / 'facts.yaml'}: no declaration for {sorted(missing)}")
    (folder / "facts.yaml").write_text(
        yaml.safe_dump(
            {"entities": {"enterprise": {"label": "企业"}}, "facts": facts},
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    for old in folder.glob("v*.yaml"):
        old.unlink()
    for v in specs:
        (folder / f"{v.id}.yaml").write_text(variant_yaml(v), encoding="utf-8")
    return folder


PROJECT_FACTS = [
    "project_category",
    "fixed_asset_investment_completed",
    "enterprise_fiscal_contribution",
]
ENTERPRISE_FACTS = [
    "first_set_contract_price",
    "recognized_specialized_new_provincial_in_period",
    "first_above_size_date",
    "exhibition_booth_fees",
    "recognized_high_tech_in_period",
]


# ---------------------------------------------------------------------------
# Workers: each timed part runs in its own process, driven over stdin/stdout
# with one JSON object a line (this module serves our engine; the OpenFisca
# worker, benchmarks/openfisca_2019/worker.py, uses the same `serve`).
# ---------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """The process's peak resident set (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> dict[str, Any]:
    """Wall and CPU seconds (all threads) of one call."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    out = {"wall": wall, "cpu": cpu}
    if isinstance(result, dict):
        out.update(result)
    return out


def serve(handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> None:
    """Answer JSON requests on stdin until `quit`; anything printed goes to stderr."""
    import traceback

    replies = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.get("cmd")
        if cmd == "quit":
            replies.write(json.dumps({"ok": True}) + "\n")
            break
        try:
            if cmd == "peak":
                reply: dict[str, Any] = {"peak_rss_mb": peak_rss_mb()}
            else:
                reply = handlers[cmd](msg)
            reply["ok"] = True
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        replies.write(json.dumps(reply, default=str) + "\n")


class Worker:
    """A worker process and its request/reply pipe."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )

    def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}, default=str) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} worker ended (exit code {self.proc.wait()})")
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(f"{self.name} worker: {reply.get('error')}")
        return reply

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, BrokenPipeError, OSError):
            self.call("quit")
        self.proc.wait(timeout=60)


def our_worker() -> Worker:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return Worker("zhenxing", [sys.executable, str(Path(__file__).resolve()), "--worker"], env)


def openfisca_worker(python: str) -> Worker:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE)
    return Worker("openfisca", [python, "-m", "openfisca_2019.worker"], env)


@dataclass
class _Ours:
    """Our engine's side of every timed part."""

    task: str = ""
    rulesets: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    frames: dict[str, Any] = field(default_factory=dict)
    out: Path = OUT
    rules_per_file: int = 50
    compression: str = "none"
    sample: list[tuple[str, int]] = field(default_factory=list)
    index: dict[str, dict[str, int]] = field(default_factory=dict)

    def setup(self, msg: dict[str, Any]) -> dict[str, Any]:
        import polars as pl

        from zhenxing.rules import load_catalogue

        self.task = msg["task"]
        self.files = msg["files"]
        self.out = Path(msg["out"])
        self.rules_per_file = int(msg.get("rules_per_file", 50))
        self.compression = msg.get("compression", "none")
        t0 = time.perf_counter()
        cat = load_catalogue(msg["rules"])
        for kind in self.files:
            entity = None if kind == "combined" else kind
            self.rulesets[kind] = cat.select(entity=entity, period=PERIOD)
        load_s = time.perf_counter() - t0
        if msg.get("in_memory") or self.task == "explain":
            for kind, path in self.files.items():
                self.frames[kind] = pl.read_parquet(path)
        if self.task == "explain":
            for kind, frame in self.frames.items():
                ids = frame["entity_id"].to_list()
                self.index[kind] = {eid: i for i, eid in enumerate(ids)}
            count = int(msg.get("sample", 200))
            kinds = list(self.frames)
            for i in range(count):
                kind = kinds[i % len(kinds)]
                n = self.frames[kind].height
                row = (i * 7919 * 127) % n
                self.sample.append((kind, row))
        return {
            "rules": {k: len(rs.rules) for k, rs in self.rulesets.items()},
            "catalogue_load_s": load_s,
        }

    def run(self, msg: dict[str, Any]) -> dict[str, Any]:
        import gc

        if self.task == "explain":
            return self._explain()
        fn = self._in_memory if msg.get("mode", "file") == "mem" else self._to_parquet
        reply = timed(fn)
        gc.collect()  # untimed, as on the OpenFisca side
        return reply

    def _to_parquet(self) -> dict[str, Any]:
        from zhenxing.rules import evaluate_to_parquet

        files = 0
        for kind, path in self.files.items():
            written = evaluate_to_parquet(
                self.rulesets[kind],
                path,
                self.out / kind,
                layout="packed",
                rules_per_file=self.rules_per_file,
                compression=self.compression,
            )
            files += len(written)
        return {"files": files}

    def _in_memory(self) -> dict[str, Any]:
        from zhenxing.rules import evaluate

        rows = 0
        for kind, frame in self.frames.items():
            rows += evaluate(self.rulesets[kind], frame, layout="packed").height
        return {"rows": rows}

    def _explain(self) -> dict[str, Any]:
        from zhenxing.rules.explain import explain

        times = []
        lines = 0
        for kind, row in self.sample:
            frame = self.frames[kind]
            eid = frame["entity_id"][row]
            rs = self.rulesets[kind]
            t0 = time.perf_counter()
            facts = frame.row(self.index[kind][eid], named=True)
            for rid in rs.ids:
                lines += len(explain(rs, rid, facts).lines)
            times.append(time.perf_counter() - t0)
        return {
            "median_ms": statistics.median(times) * 1000,
            "p95_ms": sorted(times)[int(len(times) * 0.95) - 1] * 1000,
            "max_ms": max(times) * 1000,
            "entities": len(times),
            "lines": lines,
        }


def worker_main() -> None:
    ours = _Ours()
    serve({"setup": ours.setup, "run": ours.run})


# ---------------------------------------------------------------------------
# (d) Exactness: the compiled engine against the reference interpreter
# ---------------------------------------------------------------------------

_CHECK: dict[str, Any] = {}


def _check_chunk(bounds: tuple[int, int]) -> dict[str, Any]:
    from zhenxing.rules import interpret

    rs, facts, wide = _CHECK["rs"], _CHECK["facts"], _CHECK["wide"]
    start, stop = bounds
    rows = facts.slice(start, stop - start).to_dicts()
    cols = {c: wide[c].slice(start, stop - start).to_list() for c in wide.columns}
    out: dict[str, Any] = {"checked": 0, "results": 0, "mismatches": 0, "examples": []}
    for i, row in enumerate(rows):
        for rid, ref in interpret(rs, row).items():
            got = (
                cols[f"{rid}.eligible"][i],
                cols[f"{rid}.amount_fen"][i],
                cols[f"{rid}.status"][i],
                cols[f"{rid}.conditions"][i],
            )
            want = (ref.eligible, int(ref.amount * 100), ref.status, ref.condition_mask())
            out["results"] += 1
            if got != want:
                out["mismatches"] += 1
                if len(out["examples"]) < 5:
                    out["examples"].append(
                        {"entity": row["entity_id"], "rule": rid, "got": got, "want": want}
                    )
        out["checked"] += 1
    return out


def check_exact(rs: Any, facts: Any, limit: int | None, processes: int = 2) -> dict[str, Any]:
    """Every result (eligible, amount to the fen, status, condition record) of the
    compiled engine over all of `facts`, against `interpret` on the first `limit`
    entities (all of them when `limit` is None)."""
    import multiprocessing

    from zhenxing.rules import evaluate

    wide = evaluate(rs, facts, layout="wide")
    n = facts.height if limit is None else min(limit, facts.height)
    _CHECK.update(rs=rs, facts=facts, wide=wide)
    step = 20_000
    chunks = [(i, min(i + step, n)) for i in range(0, n, step)]
    t0 = time.perf_counter()
    if processes > 1 and len(chunks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            parts = pool.map(_check_chunk, chunks)
    else:
        parts = [_check_chunk(c) for c in chunks]
    _CHECK.clear()
    total: dict[str, Any] = {"checked": 0, "results": 0, "mismatches": 0, "examples": []}
    for part in parts:
        for key in ("checked", "results", "mismatches"):
            total[key] += part[key]
        total["examples"] += part["examples"][: 5 - len(total["examples"])]
    total["of"] = facts.height
    total["seconds"] = time.perf_counter() - t0
    paid = [wide[f"{r.id}.amount_fen"].cast(int_dtype()).sum() for r in rs.rules]
    total["total_fen"] = int(sum(paid))
    return total


def int_dtype() -> Any:
    import polars as pl

    return pl.Int64


# ---------------------------------------------------------------------------
# Comparing result files (ours, OpenFisca float64, OpenFisca float32)
# ---------------------------------------------------------------------------


def our_amounts(folder: Path) -> Any:
    """entity_id and `R.amount_fen` (Int64) of every rule, from our results folder."""
    import polars as pl

    from zhenxing.rules.compile_polars import read_results

    frame = read_results(folder)
    cols = [c for c in frame.columns if c.endswith(".amount_fen")]
    return frame.select(pl.col("entity_id"), *[pl.col(c).cast(pl.Int64) for c in cols])


def compare_amounts(exact: Any, other: Any) -> dict[str, Any]:
    """Amounts of `other` (OpenFisca results) that differ from `exact` (ours)."""
    import polars as pl

    rules = [c for c in exact.columns if c.endswith(".amount_fen")]
    assert exact["entity_id"].equals(other["entity_id"]), "rows are not in the same order"
    wrong = 0
    wrong_paid = 0
    paid = 0
    entities = pl.repeat(False, exact.height, eager=True)
    max_err = 0
    abs_err = 0
    net = 0
    for c in rules:
        diff = other[c].cast(pl.Int64) - exact[c]
        bad = diff != 0
        wrong += int(bad.sum())
        is_paid = exact[c] != 0
        paid += int(is_paid.sum())
        wrong_paid += int((bad & is_paid).sum())
        entities = entities | bad
        max_err = max(max_err, int(diff.abs().max() or 0))
        abs_err += int(diff.abs().sum())
        net += int(diff.sum())
    return {
        "amounts": exact.height * len(rules),
        "paid_amounts": paid,
        "wrong_amounts": wrong,
        "wrong_paid_amounts": wrong_paid,
        "entities_with_a_wrong_amount": int(entities.sum()),
        "max_error_fen": max_err,
        "sum_abs_error_fen": abs_err,
        "net_error_fen": net,
        "total_exact_fen": int(sum(int(exact[c].sum()) for c in rules)),
    }


def folder_matches(rs: Any, facts: Path, folder: Path) -> bool:
    """The results folder, decoded to the wide layout, equals `evaluate(..., "wide")`."""
    from zhenxing.rules import evaluate
    from zhenxing.rules.compile_polars import read_results

    expected = evaluate(rs, facts, layout="wide")
    got = read_results(folder, layout="wide").select(expected.columns)
    return bool(got.equals(expected))


def of_amounts(path: Path) -> Any:
    import polars as pl

    frame = pl.read_parquet(path)
    return frame.select(pl.col("entity_id"), pl.col("^.*amount_fen$"))


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

VARIANT_SEED = 4


def alternate(workers: Sequence[Worker], runs: int, mode: str) -> dict[str, list[dict[str, Any]]]:
    """One uncounted warm-up run each, then `runs` counted runs, in turns (the
    order flips every round, so neither side always runs first)."""
    out: dict[str, list[dict[str, Any]]] = {w.name: [] for w in workers}
    for r in range(runs + 1):
        order = list(workers) if r % 2 == 0 else list(reversed(workers))
        for w in order:
            reply = w.call("run", mode=mode)
            if r > 0:
                out[w.name].append(reply)
    return out


def med(replies: Sequence[dict[str, Any]], key: str = "wall") -> float:
    return float(statistics.median(r[key] for r in replies))


def spread(replies: Sequence[dict[str, Any]], key: str = "wall") -> str:
    values = [r[key] for r in replies]
    return f"{min(values):.3f}–{max(values):.3f}"


def machine() -> dict[str, Any]:
    import platform

    import polars as pl
    import pyarrow as pa

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "pyarrow": pa.__version__,
        "load_average": os.getloadavg(),
        "date": dt.date.today().isoformat(),
    }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--entities", type=int, default=1_000_000, help="entities per population")
    p.add_argument("--rules", type=int, default=200, help="rule variants of the many-rules run")
    p.add_argument("--runs", type=int, default=5, help="counted warm runs (median)")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument(
        "--check",
        default="all",
        help="entities of each population checked against the interpreter (N or 'all')",
    )
    p.add_argument(
        "--check-variants",
        type=int,
        default=10_000,
        help="entities checked against the interpreter for the many-rules run",
    )
    p.add_argument("--rules-per-file", type=int, default=50)
    p.add_argument(
        "--compression",
        default="none",
        help="Parquet compression of the results (none: evaluate_to_parquet's default; lz4, …)",
    )
    p.add_argument(
        "--openfisca-python",
        default=os.environ.get("ZHENXING_OPENFISCA_PYTHON", ""),
        help="the python of a virtualenv with benchmarks/requirements-bench.txt",
    )
    p.add_argument("--catalogue", default=str(CATALOGUE), help="the 2019 rules folder")
    p.add_argument("--out", default=str(OUT), help="where facts and results are written")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: check,mem,explain")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.worker:
        worker_main()
        return 0
    import polars as pl

    from zhenxing.rules import load_catalogue

    out = Path(args.out)
    n = args.entities
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    report: dict[str, Any] = {"machine": machine(), "entities": n, "runs": args.runs}
    print(f"rules_eval: {n:,} entities per population, medians of {args.runs} warm runs")
    print(f"  machine: {report['machine']}")
    print(
        f"  results: Parquet folders, {args.rules_per_file} rules a file, "
        f"compression {args.compression}"
    )
    report["settings"] = {
        "rules_per_file": args.rules_per_file,
        "compression": args.compression,
        "rules": args.rules,
    }

    t0 = time.perf_counter()
    files = facts_files(n, args.seed, out)
    print(
        f"  facts: {', '.join(p.name for p in files.values())} ({time.perf_counter() - t0:.1f} s)"
    )
    cat = load_catalogue(args.catalogue)
    problems = [d.format("en") for d in cat.check() if d.is_error]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    rs8 = {k: cat.select(entity=k, period=PERIOD) for k in ("project", "enterprise")}
    counts = {k: len(rs.rules) for k, rs in rs8.items()}
    print(f"  2019 rules: {counts} from {args.catalogue}")
    specs = variants(args.rules, VARIANT_SEED)
    vfolder = variant_catalogue(specs, out / f"variants_{args.rules}", Path(args.catalogue))
    vcat = load_catalogue(vfolder)
    vproblems = [d.format("en") for d in vcat.check() if d.is_error]
    if vproblems:
        print("\n".join(vproblems[:10]), file=sys.stderr)
        return 1
    rs200 = vcat.select(period=PERIOD)
    print(f"  {len(rs200.rules)} distinct rule variants in {vfolder}")

    # (d) exactness, untimed
    if "check" not in skip:
        limit = None if args.check == "all" else int(args.check)
        report["exact"] = {}
        for kind in ("project", "enterprise"):
            r = check_exact(rs8[kind], pl.read_parquet(files[kind]), limit)
            report["exact"][kind] = r
            print(
                f"  (d) {kind}: {r['checked']:,} of {r['of']:,} entities × {counts[kind]} rules "
                f"checked against the interpreter: {r['mismatches']} mismatches "
                f"({r['seconds']:.0f} s)"
            )
        r = check_exact(rs200, pl.read_parquet(files["combined"]), args.check_variants)
        report["exact"]["variants"] = r
        print(
            f"  (d) {len(rs200.rules)} variants: {r['checked']:,} of {r['of']:,} entities "
            f"checked against the interpreter: {r['mismatches']} mismatches ({r['seconds']:.0f} s)"
        )

    results = out / "results"
    common = {"rules_per_file": args.rules_per_file, "compression": args.compression}
    of_python = args.openfisca_python
    if of_python and not Path(of_python).exists():
        print(f"  --openfisca-python {of_python}: no such file; OpenFisca is skipped")
        of_python = ""

    def workers(
        task: str, ours_setup: dict[str, Any], of_setup: dict[str, Any] | None
    ) -> list[Worker]:
        ws = [our_worker()]
        ws[0].call("setup", task=task, **ours_setup)
        if of_python and of_setup is not None:
            w = openfisca_worker(of_python)
            reply = w.call("setup", task=task, **of_setup)
            if "parameters" in reply:
                _check_parameters(reply["parameters"], rs8)
            ws.append(w)
        return ws

    parts: dict[str, Any] = {}
    # (a) the 8 rules of 2019, Parquet → Parquet (and in memory)
    files8 = {k: str(files[k]) for k in ("project", "enterprise")}
    ws = workers(
        "eval8",
        {
            "files": files8,
            "rules": args.catalogue,
            "out": str(results / "ours8"),
            "in_memory": True,
            **common,
        },
        {
            "files": files8,
            "out": str(results / "of8"),
            "float64": True,
            "in_memory": True,
            **common,
        },
    )
    parts["8.file"] = alternate(ws, args.runs, "file")
    parts["8.file.peak"] = {w.name: w.call("peak")["peak_rss_mb"] for w in ws}
    if "mem" not in skip:
        parts["8.mem"] = alternate(ws, args.runs, "mem")
    for w in ws:
        w.close()

    # (b) 200 rules over one population, Parquet → Parquet (and in memory)
    files200 = {"combined": str(files["combined"])}
    ws = workers(
        "eval200",
        {
            "files": files200,
            "rules": str(vfolder),
            "out": str(results / "ours200"),
            "in_memory": "mem" not in skip,
            **common,
        },
        {
            "files": files200,
            "out": str(results / "of200"),
            "float64": True,
            "in_memory": "mem" not in skip,
            "count": args.rules,
            "variant_seed": VARIANT_SEED,
            **common,
        },
    )
    parts["200.file"] = alternate(ws, args.runs, "file")
    parts["200.file.peak"] = {w.name: w.call("peak")["peak_rss_mb"] for w in ws}
    if "mem" not in skip:
        parts["200.mem"] = alternate(ws, args.runs, "mem")
        parts["200.mem.peak"] = {w.name: w.call("peak")["peak_rss_mb"] for w in ws}
    for w in ws:
        w.close()

    # (c) one entity's full explanation
    if "explain" not in skip:
        w = our_worker()
        w.call("setup", task="explain", files=files8, rules=args.catalogue, out=str(results))
        w.call("run")  # warm
        parts["explain"] = w.call("run")
        w.close()

    # (d) the Parquet results folders hold exactly the in-memory results
    report["folders"] = {}
    for kind, rs, path, folder in (
        ("project", rs8["project"], files["project"], results / "ours8" / "project"),
        ("enterprise", rs8["enterprise"], files["enterprise"], results / "ours8" / "enterprise"),
        ("variants", rs200, files["combined"], results / "ours200" / "combined"),
    ):
        same = folder_matches(rs, path, folder)
        report["folders"][kind] = same
        print(f"  (d) {kind}: results folder equals the in-memory results: {same}")

    # (e) OpenFisca: exact with float64? how wrong with stock float32?
    if of_python:
        exact8 = {k: our_amounts(results / "ours8" / k) for k in files8}
        exact200 = our_amounts(results / "ours200" / "combined")
        report["of64"] = {
            "8": {
                k: compare_amounts(exact8[k], of_amounts(results / "of8" / f"{k}.parquet"))
                for k in files8
            },
            "200": compare_amounts(exact200, of_amounts(results / "of200" / "combined.parquet")),
        }
        w = openfisca_worker(of_python)
        w.call(
            "setup",
            task="eval8",
            files=files8,
            out=str(results / "of8_f32"),
            float64=False,
            **common,
        )
        w.call("run", mode="file")
        w.close()
        w = openfisca_worker(of_python)
        w.call(
            "setup",
            task="eval200",
            files=files200,
            out=str(results / "of200_f32"),
            float64=False,
            count=args.rules,
            variant_seed=VARIANT_SEED,
            **common,
        )
        w.call("run", mode="file")
        w.close()
        report["of32"] = {
            "8": {
                k: compare_amounts(exact8[k], of_amounts(results / "of8_f32" / f"{k}.parquet"))
                for k in files8
            },
            "200": compare_amounts(
                exact200, of_amounts(results / "of200_f32" / "combined.parquet")
            ),
        }
    report["parts"] = parts
    report["machine"]["load_average_end"] = os.getloadavg()
    summary(report, args, of_python)
    text = json.dumps(report, indent=1, default=str)
    path = out / f"summary_{n}.json"  # the latest run; every run is also kept by time
    path.write_text(text, encoding="utf-8")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"summary_{n}_{stamp}.json").write_text(text, encoding="utf-8")
    print(f"\n(details: {path})")
    return 0


def _check_parameters(of_params: dict[str, dict[str, float]], rs8: dict[str, Any]) -> None:
    """The OpenFisca model's parameters must be the catalogue's."""
    from decimal import Decimal

    for rs in rs8.values():
        for rule in rs.rules:
            for name in rule.version.parameters:
                ours = rs.param_value(rule, name)
                theirs = of_params.get(rule.id, {}).get(name)
                if theirs is None or Decimal(str(theirs)) != ours:
                    raise SystemExit(
                        f"OpenFisca parameter {rule.id}.{name} = {theirs}, catalogue: {ours}"
                    )


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def summary(report: dict[str, Any], args: argparse.Namespace, of_python: str) -> None:
    """The table of every bar (also the source of the figures in BENCHMARKS.md)."""
    parts = report["parts"]
    n = report["entities"]
    ours = "zhenxing"
    rows: list[tuple[str, str, str]] = []

    def timing(label: str, key: str, bar: str, limit: float | None) -> None:
        if key not in parts:
            return
        runs = parts[key]
        value = med(runs[ours])
        text = f"{value:.3f} s ({spread(runs[ours])}; CPU {med(runs[ours], 'cpu'):.2f} s)"
        if limit is not None:
            text += " ✓" if value < limit else " ✗"
        if "openfisca" in runs:
            of = med(runs["openfisca"])
            text += (
                f"; OpenFisca f64 {of:.3f} s ({spread(runs['openfisca'])}),"
                f" OpenFisca/ours {of / value:.2f}×"
            )
        rows.append((label, text, bar))

    timing(f"(a) 3 + 5 rules of 2019, {n:,} each, Parquet → Parquet", "8.file", "< 1 s", 1)
    timing("(a) the same, in memory", "8.mem", "", None)
    timing(f"(b) {args.rules} rules × {n:,}, Parquet → Parquet", "200.file", "< 3 s", 3)
    timing("(b) the same, in memory", "200.mem", "", None)
    if "200.file.peak" in parts:
        peaks = parts["200.file.peak"]
        text = f"{peaks[ours]:.0f} MB {'✓' if peaks[ours] < 2048 else '✗'}"
        if "openfisca" in peaks:
            text += f"; OpenFisca f64 {peaks['openfisca']:.0f} MB"
        rows.append((f"(b) peak RSS, {args.rules} rules, Parquet → Parquet", text, "< 2 GB"))
    if "200.mem.peak" in parts:
        text = f"{parts['200.mem.peak'][ours]:.0f} MB"
        rows.append(("(b) peak RSS after the in-memory runs too", text, ""))
    if "explain" in parts:
        e = parts["explain"]
        text = (
            f"{e['median_ms']:.2f} ms (p95 {e['p95_ms']:.2f}, max {e['max_ms']:.2f})"
            f" {'✓' if e['median_ms'] < 10 else '✗'}"
        )
        rows.append(
            (f"(c) one entity's full explanation, median of {e['entities']}", text, "< 10 ms")
        )
    for kind, r in report.get("exact", {}).items():
        text = (
            f"{r['checked']:,} of {r['of']:,} entities, {r['results']:,} results, "
            f"{r['mismatches']} differ {'✓' if r['mismatches'] == 0 else '✗'}"
        )
        rows.append((f"(d) {kind}: equal to the interpreter", text, "0"))
    for kind, same in report.get("folders", {}).items():
        rows.append((f"(d) {kind}: Parquet folder = in-memory results", str(same), ""))
    if of_python:
        r8 = med(parts["8.file"][ours]) / med(parts["8.file"]["openfisca"])
        r200 = med(parts["200.file"]["openfisca"]) / med(parts["200.file"][ours])
        rows.append(
            ("(e) 8 rules: ours / OpenFisca", f"{r8:.2f}× {'✓' if r8 <= 1.5 else '✗'}", "≤ 1.5×")
        )
        rows.append(
            (
                f"(e) {args.rules} rules: OpenFisca / ours",
                f"{r200:.2f}× {'✓' if r200 >= 1.3 else '✗'}",
                "≥ 1.3×",
            )
        )
        if "8.mem" in parts and "200.mem" in parts:
            m8 = med(parts["8.mem"][ours]) / med(parts["8.mem"]["openfisca"])
            m200 = med(parts["200.mem"]["openfisca"]) / med(parts["200.mem"][ours])
            rows.append(("(e) in memory: 8 rules ours / OpenFisca", f"{m8:.2f}×", ""))
            rows.append((f"(e) in memory: {args.rules} rules OpenFisca / ours", f"{m200:.2f}×", ""))
        for label, key in (("float64", "of64"), ("float32 (stock)", "of32")):
            scopes = (
                ("projects, 3 rules", report[key]["8"]["project"]),
                ("enterprises, 5 rules", report[key]["8"]["enterprise"]),
                (f"{args.rules} rules", report[key]["200"]),
            )
            for scope, r in scopes:
                text = (
                    f"{r['wrong_amounts']:,} of {r['paid_amounts']:,} paid amounts wrong "
                    f"({r['entities_with_a_wrong_amount']:,} entities); max error "
                    f"{_yuan(r['max_error_fen'])}, net {_yuan(r['net_error_fen'])}"
                )
                rows.append((f"(e) OpenFisca {label}, {scope}", text, ""))
    else:
        rows.append(("(e) OpenFisca", "skipped (pass --openfisca-python)", ""))
    print()
    print("| part | result | bar |")
    print("|---|---|---|")
    for label, text, bar in rows:
        print(f"| {label} | {text} | {bar} |")
    m = report["machine"]
    print(f"\nload average: at start {m['load_average']}, at end {m['load_average_end']}")


if __name__ == "__main__":
    raise SystemExit(main())
