"""Vectorised evaluation: a rule set compiled to one lazy Polars `select`.

Numbers are `Decimal(38, s)` columns whose scale `s` the compiler tracks
statically, so arithmetic is exact and rounds exactly where the language says
(products and quotients beyond 10 places, half to even; amounts to the fen with
the rule's rounding mode). Money never passes through a float.

Results ("wide" layout), per entity: for each rule `R`
  `R.eligible` (bool), `R.amount` (Decimal(18,2) yuan), `R.score` (rules with a
  score), `R.conditions` (UInt32/UInt64 bit mask: bit i set when the i-th named
  condition held), `R.status` (UInt8: 0 ok, 1 missing fact → not eligible,
  2 missing fact to report).
`to_long` turns that into one row per entity and rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from . import ir
from .check import CheckedRule, RuleSet
from .diagnostics import RulesError, error
from .schema import INTERNAL_SCALE, FactDef, FactType, MissingPolicy, Period, scale_of

ENTITY = "entity_id"
PERIOD = "period"
AMOUNT_DTYPE = pl.Decimal(18, 2)


def dec(scale: int) -> pl.Decimal:
    return pl.Decimal(38, scale)


def fact_dtype(fact: FactDef) -> pl.DataType:
    t = fact.type
    if t is FactType.BOOLEAN:
        return pl.Boolean()
    if t in (FactType.TEXT, FactType.ENUM):
        return pl.String()
    if t is FactType.DATE:
        return pl.Date()
    return dec(fact.scale)


Num = tuple[pl.Expr, int]


@dataclass
class _RuleExprs:
    eligible: pl.Expr
    amount: pl.Expr
    score: pl.Expr | None
    score_scale: int
    any_missing: pl.Expr | None


class _Compiler:
    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        self.locals: dict[tuple[str, str], tuple[pl.Expr, int | None]] = {}
        self.rules: dict[str, _RuleExprs] = {}

    # -- values -----------------------------------------------------------
    def any(self, rule: CheckedRule, e: ir.Expr) -> tuple[pl.Expr, int | None]:
        if e.ty.kind == ir.NUMBER:
            return self.num(rule, e)
        return self.other(rule, e), None

    def lit_num(self, value: Decimal) -> Num:
        s = min(scale_of(value), INTERNAL_SCALE)
        return pl.lit(value, dtype=dec(s)), s

    def num(self, rule: CheckedRule, e: ir.Expr) -> Num:
        if isinstance(e, ir.Const):
            assert isinstance(e.value, Decimal)
            return self.lit_num(e.value)
        if isinstance(e, ir.FactRef):
            return pl.col(e.column), e.fact.scale
        if isinstance(e, ir.ParamRef):
            return self.lit_num(self.rs.param_value(rule, e.param.name))
        if isinstance(e, ir.PeriodRef):
            p = self.rs.period
            return self.lit_num(Decimal(p.year if e.name == "period_year" else p.month or 1))
        if isinstance(e, ir.LocalRef):
            x, s = self.local(rule, e)
            assert s is not None
            return x, s
        if isinstance(e, ir.RuleRef):
            r = self.rule_exprs(self.rs.rule(e.rule_id))
            if e.field_name == "amount":
                return r.amount, 2
            if r.score is None:
                return pl.lit(Decimal(0), dtype=dec(0)), 0
            return r.score.fill_null(pl.lit(Decimal(0), dtype=dec(r.score_scale))), r.score_scale
        if isinstance(e, ir.Unary):
            x, s = self.num(rule, e.operand)
            return pl.lit(Decimal(0), dtype=dec(s)) - x, s
        if isinstance(e, ir.Binary):
            if e.left.ty.kind == ir.DATE:
                a = self.other(rule, e.left)
                b = self.other(rule, e.right)
                return (a - b).dt.total_days().cast(dec(0)), 0
            a, sa = self.num(rule, e.left)
            b, sb = self.num(rule, e.right)
            return arith(e.op, a, sa, b, sb)
        if isinstance(e, ir.IfElse):
            c = self.other(rule, e.cond)
            a, sa = self.num(rule, e.then)
            b, sb = self.num(rule, e.else_)
            s = max(sa, sb)
            return pl.when(c).then(a.cast(dec(s))).otherwise(b.cast(dec(s))), s
        if isinstance(e, ir.Call):
            return self.call(rule, e)
        if isinstance(e, ir.Band):
            x, sx = self.num(rule, e.operand)
            vals = [self.num(rule, v) for v in e.values]
            d, sd = self.num(rule, e.default)
            s = max([sd, *(sv for _, sv in vals)])
            ths = [self.num(rule, t) for t in e.thresholds]
            pairs = list(zip(ths, vals, strict=True))
            order = pairs if e.at_most else list(reversed(pairs))
            chain: Any = None
            for (t, st), (v, _) in order:
                cs = max(sx, st)
                test = (
                    x.cast(dec(cs)) <= t.cast(dec(cs))
                    if e.at_most
                    else x.cast(dec(cs)) >= t.cast(dec(cs))
                )
                chain = (
                    pl.when(test).then(v.cast(dec(s)))
                    if chain is None
                    else chain.when(test).then(v.cast(dec(s)))
                )
            if chain is None:
                return d.cast(dec(s)), s
            return chain.otherwise(d.cast(dec(s))), s
        raise AssertionError(e)  # pragma: no cover

    def call(self, rule: CheckedRule, e: ir.Call) -> Num:
        f = e.func
        if f in ("year", "month", "day"):
            d = self.other(rule, e.args[0])
            part = d.dt.year() if f == "year" else d.dt.month() if f == "month" else d.dt.day()
            return part.cast(dec(0)), 0
        args = [self.num(rule, a) for a in (e.args if f != "round" else e.args[:1])]
        if f in ("min", "max"):
            s = max(sv for _, sv in args)
            cols = [x.cast(dec(s)) for x, _ in args]
            if len(cols) == 1:
                return cols[0], s
            return (pl.min_horizontal(cols) if f == "min" else pl.max_horizontal(cols)), s
        if f == "clip":
            (x, sx), (lo, sl), (hi, sh) = args
            s = max(sx, sl, sh)
            inner = pl.max_horizontal(x.cast(dec(s)), lo.cast(dec(s)))
            return pl.min_horizontal(inner, hi.cast(dec(s))), s
        if f == "abs":
            x, s = args[0]
            return x.abs(), s
        if f == "round":
            x, s = args[0]
            places = e.args[1]
            assert isinstance(places, ir.Const) and isinstance(places.value, Decimal)
            n = int(places.value)
            if s <= n:
                return x, s
            return x.round(n, mode="half_away_from_zero").cast(dec(n)), n
        raise AssertionError(f)  # pragma: no cover

    def other(self, rule: CheckedRule, e: ir.Expr) -> pl.Expr:
        if isinstance(e, ir.Const):
            v = e.value
            if isinstance(v, bool):
                return pl.lit(v, dtype=pl.Boolean)
            if isinstance(v, str):
                return pl.lit(v, dtype=pl.String)
            assert isinstance(v, dt.date)
            return pl.lit(v, dtype=pl.Date)
        if isinstance(e, ir.FactRef):
            return pl.col(e.column)
        if isinstance(e, ir.PeriodRef):
            p = self.rs.period
            return pl.lit(p.first_day if e.name == "period_start" else p.last_day, dtype=pl.Date)
        if isinstance(e, ir.LocalRef):
            return self.local(rule, e)[0]
        if isinstance(e, ir.RuleRef):
            return self.rule_exprs(self.rs.rule(e.rule_id)).eligible
        if isinstance(e, ir.Unary):
            return ~self.other(rule, e.operand)
        if isinstance(e, ir.Binary):
            op = e.op
            if op in ("and", "or"):
                a = self.other(rule, e.left)
                b = self.other(rule, e.right)
                return a & b if op == "and" else a | b
            if e.left.ty.kind == ir.NUMBER:
                a, sa = self.num(rule, e.left)
                b, sb = self.num(rule, e.right)
                s = max(sa, sb)
                return compare(op, a.cast(dec(s)), b.cast(dec(s)))
            return compare(op, self.other(rule, e.left), self.other(rule, e.right))
        if isinstance(e, ir.InList):
            if e.operand.ty.kind == ir.TEXT and all(isinstance(i, ir.Const) for i in e.items):
                values = [i.value for i in e.items if isinstance(i, ir.Const)]
                test = self.other(rule, e.operand).is_in(pl.Series(values, dtype=pl.String))
            else:
                tests = [
                    self.other(rule, ir.Binary(ir.T_BOOL, None, 0, 0, "==", e.operand, item))
                    for item in e.items
                ]
                test = pl.any_horizontal(tests) if tests else pl.lit(False)
            return ~test if e.negated else test
        if isinstance(e, ir.IfElse):
            c = self.other(rule, e.cond)
            return pl.when(c).then(self.other(rule, e.then)).otherwise(self.other(rule, e.else_))
        raise AssertionError(e)  # pragma: no cover

    def local(self, rule: CheckedRule, e: ir.LocalRef) -> tuple[pl.Expr, int | None]:
        key = (rule.id, e.name if e.kind != "score" else "score")
        if key in self.locals:
            return self.locals[key]
        if e.kind == "score":
            assert rule.score is not None
            out = self.any(rule, rule.score)
        elif e.kind == "item":
            x, s = self.num(rule, rule.items[e.name])
            mx = rule.item_max.get(e.name)
            if mx is not None:
                m, sm = self.lit_num(mx)
                s2 = max(s, sm)
                x, s = pl.min_horizontal(x.cast(dec(s2)), m.cast(dec(s2))), s2
            out = (x, s)
        else:
            target = rule.values.get(e.name) or rule.conditions.get(e.name)
            assert target is not None
            out = self.any(rule, target)
        self.locals[key] = out
        return out

    # -- rule outputs -------------------------------------------------------
    def missing_of(
        self, rule: CheckedRule, columns: frozenset[str] | None
    ) -> tuple[pl.Expr | None, pl.Expr | None]:
        """(any ineligible-policy column null, any report-policy column null)."""
        inel: list[pl.Expr] = []
        rep: list[pl.Expr] = []
        for col, ref in rule.facts.items():
            if columns is not None and col not in columns:
                continue
            if ref.fact.missing is MissingPolicy.INELIGIBLE:
                inel.append(pl.col(col).is_null())
            elif ref.fact.missing is MissingPolicy.REPORT:
                rep.append(pl.col(col).is_null())
        return (
            pl.any_horizontal(inel) if inel else None,
            pl.any_horizontal(rep) if rep else None,
        )

    def rule_exprs(self, rule: CheckedRule) -> _RuleExprs:
        if rule.id in self.rules:
            return self.rules[rule.id]
        inel, rep = self.missing_of(rule, None)
        any_missing = inel if rep is None else rep if inel is None else inel | rep
        if rule.eligible is not None:
            elig = self.other(rule, rule.eligible)
        elif rule.conditions:
            conds = [self.condition(rule, n) for n in rule.conditions]
            elig = pl.all_horizontal(conds) if len(conds) > 1 else conds[0]
        else:
            elig = pl.lit(True)
        if any_missing is not None:
            elig = ~any_missing & elig
        if rule.amount is not None:
            a, s = self.num(rule, rule.amount)
            if s > 2:
                mode = {
                    "half_up": "half_away_from_zero",
                    "half_even": "half_to_even",
                    "down": "to_zero",
                }[rule.version.rounding]
                a = a.round(2, mode=mode)  # type: ignore[arg-type]
            amount = (
                pl.when(elig)
                .then(a.cast(AMOUNT_DTYPE))
                .otherwise(pl.lit(Decimal("0.00"), dtype=AMOUNT_DTYPE))
            )
        else:
            amount = pl.lit(Decimal("0.00"), dtype=AMOUNT_DTYPE)
        score: pl.Expr | None = None
        score_scale = 0
        if rule.score is not None:
            sx, sc = self.local(rule, ir.LocalRef(ir.t_num(), None, 0, 0, "score", "score"))
            score_scale = sc or 0
            score = sx if any_missing is None else pl.when(any_missing).then(None).otherwise(sx)
        out = _RuleExprs(elig, amount, score, score_scale, any_missing)
        self.rules[rule.id] = out
        return out

    def condition(self, rule: CheckedRule, name: str) -> pl.Expr:
        expr, _ = self.local(rule, ir.LocalRef(ir.T_BOOL, None, 0, 0, name, "condition"))
        return expr

    def outputs(self, rule: CheckedRule) -> list[pl.Expr]:
        r = self.rule_exprs(rule)
        rid = rule.id
        out = [r.eligible.alias(f"{rid}.eligible"), r.amount.alias(f"{rid}.amount")]
        if r.score is not None:
            out.append(r.score.alias(f"{rid}.score"))
        names = list(rule.conditions)
        if names:
            mask_type = pl.UInt32 if len(names) <= 32 else pl.UInt64
            bits: list[pl.Expr] = []
            for i, name in enumerate(names):
                cond = self.condition(rule, name)
                inel, rep = self.missing_of(rule, rule.reads.get(name, frozenset()))
                guard = inel if rep is None else rep if inel is None else inel | rep
                test = cond if guard is None else ~guard & cond
                bits.append(
                    pl.when(test)
                    .then(pl.lit(1 << i, dtype=mask_type))
                    .otherwise(pl.lit(0, dtype=mask_type))
                )
            out.append(pl.sum_horizontal(bits).cast(mask_type).alias(f"{rid}.conditions"))
        else:
            out.append(pl.lit(0, dtype=pl.UInt32).alias(f"{rid}.conditions"))
        inel, rep = self.missing_of(rule, None)
        if inel is None and rep is None:
            status = pl.lit(0, dtype=pl.UInt8)
        else:
            chain: Any = pl
            if rep is not None:
                chain = chain.when(rep).then(pl.lit(2, dtype=pl.UInt8))
            if inel is not None:
                chain = chain.when(inel).then(pl.lit(1, dtype=pl.UInt8))
            status = chain.otherwise(pl.lit(0, dtype=pl.UInt8))
        out.append(status.alias(f"{rid}.status"))
        return out


def arith(op: str, a: pl.Expr, sa: int, b: pl.Expr, sb: int) -> Num:
    if op in ("+", "-"):
        s = max(sa, sb)
        a2, b2 = a.cast(dec(s)), b.cast(dec(s))
        return (a2 + b2 if op == "+" else a2 - b2), s
    if op == "*":
        if sa + sb <= INTERNAL_SCALE:
            return a.cast(dec(sa + sb)) * b, sa + sb
        return a.cast(dec(INTERNAL_SCALE)) * b.cast(dec(min(sb, INTERNAL_SCALE))), INTERNAL_SCALE
    # division: x / 0 is 0; otherwise rounded half-even to INTERNAL_SCALE places
    zero = b == pl.lit(Decimal(0), dtype=dec(sb))
    safe = pl.when(zero).then(pl.lit(Decimal(1), dtype=dec(sb))).otherwise(b)
    q = a.cast(dec(INTERNAL_SCALE)) / safe
    return (
        pl.when(zero).then(pl.lit(Decimal(0), dtype=dec(INTERNAL_SCALE))).otherwise(q),
        INTERNAL_SCALE,
    )


def compare(op: str, a: pl.Expr, b: pl.Expr) -> pl.Expr:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


# ---------------------------------------------------------------------------
# Facts tables
# ---------------------------------------------------------------------------


def _to_lazy(facts: Any) -> pl.LazyFrame:
    if isinstance(facts, pl.LazyFrame):
        return facts
    if isinstance(facts, pl.DataFrame):
        return facts.lazy()
    if isinstance(facts, str | Path):
        path = Path(facts)
        if path.suffix == ".parquet":
            return pl.scan_parquet(path)
        raise ValueError(
            f"unsupported facts file {path} (use .parquet or load it with facts.read_facts)"
        )
    try:
        import pyarrow as pa

        if isinstance(facts, pa.Table | pa.RecordBatch):
            frame = pl.from_arrow(facts)
            assert isinstance(frame, pl.DataFrame)
            return frame.lazy()
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(
        f"facts must be a Polars frame, a pyarrow Table or a Parquet path, not {type(facts)!r}"
    )


def _cast(col: pl.Expr, source: pl.DataType | None, fact: FactDef) -> pl.Expr:
    target = fact_dtype(fact)
    if source is not None and source == target:
        return col
    if fact.type is FactType.DATE and source is not None and source == pl.String:
        return col.str.to_date("%Y-%m-%d")
    if fact.is_number and source is not None and source.is_float():
        # floats: go through their shortest decimal text, never the binary value
        return col.cast(pl.String).cast(target)
    return col.cast(target)


def prepare_facts(
    ruleset: RuleSet,
    facts: Any,
    period: Period | str | None = None,
) -> pl.LazyFrame:
    """The facts of `period` with every column the rules read (lagged ones joined in),
    cast to their declared types, with missing-as-zero facts filled."""
    p = Period.parse(period) if period is not None else ruleset.period
    lf = _to_lazy(facts)
    schema = lf.collect_schema()
    names = set(schema.names())
    if ENTITY not in names:
        raise RulesError([error("data", None, detail=f"the facts table has no '{ENTITY}' column")])
    needed = ruleset.fact_columns()
    # map aliases to ids when the table uses an alias as column name
    renames: dict[str, str] = {}
    for ref in needed.values():
        fid = ref.fact.id
        if fid not in names:
            for alias in ref.fact.aliases:
                if alias in names:
                    renames[alias] = fid
                    break
    if renames:
        lf = lf.rename(renames)
        schema = lf.collect_schema()
        names = set(schema.names())
    has_period = PERIOD in names
    base = lf
    if has_period:
        pcol = pl.col(PERIOD).cast(pl.String)
        current = base.filter(pcol == str(p))
    else:
        current = base
    current_cols: list[pl.Expr] = [pl.col(ENTITY)]
    lags: dict[tuple[str, int], list[ir.FactRef]] = {}
    problems = []
    for col, ref in sorted(needed.items()):
        fid = ref.fact.id
        if ref.lag_unit is not None and ref.lag != 0:
            lags.setdefault((ref.lag_unit, ref.lag), []).append(ref)
            if fid not in names:
                problems.append(
                    error(
                        "data",
                        None,
                        detail=f"the facts table has no column '{fid}' (needed for {col})",
                    )
                )
            continue
        if fid not in names:
            problems.append(
                error(
                    "data", None, detail=f"the facts table has no column '{fid}' ({ref.fact.label})"
                )
            )
            continue
        current_cols.append(_cast(pl.col(fid), schema.get(fid), ref.fact).alias(col))
    if problems:
        raise RulesError(problems)
    out = current.select(current_cols)
    for (unit, n), refs in sorted(lags.items()):
        if has_period:
            q = p.shift(unit, n)
            prior = base.filter(pl.col(PERIOD).cast(pl.String) == str(q)).select(
                [pl.col(ENTITY)]
                + [
                    _cast(pl.col(r.fact.id), schema.get(r.fact.id), r.fact).alias(r.column)
                    for r in refs
                ]
            )
            out = out.join(prior, on=ENTITY, how="left", maintain_order="left")
        else:
            out = out.with_columns(
                [pl.lit(None, dtype=fact_dtype(r.fact)).alias(r.column) for r in refs]
            )
    fills: list[pl.Expr] = []
    for col, ref in needed.items():
        if ref.fact.missing is MissingPolicy.ZERO:
            fills.append(pl.col(col).fill_null(_zero_lit(ref.fact)))
    if fills:
        out = out.with_columns(fills)
    return out


def _zero_lit(fact: FactDef) -> pl.Expr:
    if fact.type is FactType.BOOLEAN:
        return pl.lit(False)
    if fact.type in (FactType.TEXT, FactType.ENUM):
        return pl.lit("")
    return pl.lit(Decimal(0), dtype=dec(fact.scale))


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@dataclass
class CompiledRules:
    """A rule set compiled for one period: Polars expressions over prepared facts."""

    ruleset: RuleSet
    exprs: list[pl.Expr]
    condition_names: dict[str, list[str]] = field(default_factory=dict)
    scored: set[str] = field(default_factory=set)

    def lazy(self, facts: Any) -> pl.LazyFrame:
        """Wide results as a LazyFrame (collect it, or sink it to Parquet)."""
        prepared = prepare_facts(self.ruleset, facts)
        return prepared.select([pl.col(ENTITY), *self.exprs])


def compile_rules(ruleset: RuleSet) -> CompiledRules:
    comp = _Compiler(ruleset)
    exprs: list[pl.Expr] = []
    for rule in ruleset.rules:
        exprs.extend(comp.outputs(rule))
    return CompiledRules(
        ruleset,
        exprs,
        {r.id: list(r.conditions) for r in ruleset.rules},
        {r.id for r in ruleset.rules if r.score is not None},
    )


def evaluate_wide(ruleset: RuleSet, facts: Any) -> pl.DataFrame:
    """One row per entity; columns `R.eligible`, `R.amount`, `R.score`, `R.conditions`, `R.status`."""
    return compile_rules(ruleset).lazy(facts).collect()


def to_long(wide: pl.DataFrame | pl.LazyFrame, compiled: CompiledRules) -> pl.LazyFrame:
    """One row per entity and rule: entity_id, rule_id, eligible, amount, score, conditions, status."""
    lf = wide.lazy() if isinstance(wide, pl.DataFrame) else wide
    rules = compiled.ruleset.rules
    if not rules:
        return pl.LazyFrame(
            schema={
                ENTITY: pl.String,
                "rule_id": pl.String,
                "eligible": pl.Boolean,
                "amount": AMOUNT_DTYPE,
                "score": dec(INTERNAL_SCALE),
                "conditions": pl.UInt64,
                "status": pl.UInt8,
            }
        )
    parts = []
    for r in rules:
        rid = r.id
        score = (
            pl.col(f"{rid}.score").cast(dec(INTERNAL_SCALE))
            if rid in compiled.scored
            else pl.lit(None, dtype=dec(INTERNAL_SCALE))
        )
        parts.append(
            lf.select(
                pl.col(ENTITY),
                pl.lit(rid, dtype=pl.String).alias("rule_id"),
                pl.col(f"{rid}.eligible").alias("eligible"),
                pl.col(f"{rid}.amount").alias("amount"),
                score.alias("score"),
                pl.col(f"{rid}.conditions").cast(pl.UInt64).alias("conditions"),
                pl.col(f"{rid}.status").alias("status"),
            )
        )
    return pl.concat(parts, how="vertical")


def evaluate(ruleset: RuleSet, facts: Any, *, layout: str = "long") -> pl.DataFrame:
    """Evaluate every rule of `ruleset` for every entity of its period.

    `facts`: a Polars DataFrame/LazyFrame, a pyarrow Table, or a Parquet path, with
    `entity_id`, optionally `period`, and one column per fact id.
    `layout="long"`: one row per entity and rule; `"wide"`: one row per entity.
    """
    compiled = compile_rules(ruleset)
    wide = compiled.lazy(facts)
    if layout == "wide":
        return wide.collect()
    return to_long(wide.collect(), compiled).collect()


def evaluate_to_parquet(
    ruleset: RuleSet,
    facts: Any,
    out: str | Path,
    *,
    layout: str = "wide",
    streaming: bool = True,
) -> None:
    """Evaluate and write Parquet, streaming when possible (bounded memory)."""
    compiled = compile_rules(ruleset)
    wide = compiled.lazy(facts)
    lf = wide if layout == "wide" else to_long(wide, compiled)
    if streaming:
        lf.sink_parquet(str(out), engine="streaming")
    else:
        lf.collect().write_parquet(str(out))


def condition_names(compiled: CompiledRules, rule_id: str) -> list[str]:
    return compiled.condition_names[rule_id]


def decode_mask(mask: int, names: Sequence[str]) -> dict[str, bool]:
    return {n: bool(mask >> i & 1) for i, n in enumerate(names)}


def frame_from_rows(
    ruleset: RuleSet, rows: Sequence[Mapping[str, Any]], period: Period | str | None = None
) -> pl.DataFrame:
    """A facts frame from Python rows (used by the YAML test runner and the tests)."""
    from .interpret import normalize_value

    needed = ruleset.fact_columns()
    p = str(period or ruleset.period)
    data: dict[str, list[Any]] = {ENTITY: [], PERIOD: []}
    schema: dict[str, pl.DataType] = {ENTITY: pl.String(), PERIOD: pl.String()}
    ids: dict[str, FactDef] = {}
    fact: FactDef | None
    for ref in needed.values():
        ids[ref.fact.id] = ref.fact
    for fid, fact in ids.items():
        data[fid] = []
        schema[fid] = fact_dtype(fact)
    for i, row in enumerate(rows):
        # current period row, then one row per earlier period with lagged values
        per_period: dict[str, dict[str, Any]] = {p: {}}
        for key, raw in row.items():
            if key in (ENTITY, PERIOD):
                continue
            name, _, lag = key.partition("@")
            fact = ruleset.schema.resolve(name)
            if fact is None or fact.id not in ids:
                continue
            target = p
            if lag:
                unit, n = _parse_lag(lag)
                target = str(Period.parse(p).shift(unit, n))
            per_period.setdefault(target, {})[fact.id] = normalize_value(fact, raw)
        eid = str(row.get(ENTITY, f"e{i}"))
        for per, values in per_period.items():
            data[ENTITY].append(eid)
            data[PERIOD].append(per)
            for fid in ids:
                data[fid].append(values.get(fid))
    return pl.DataFrame(data, schema=schema)


def _parse_lag(text: str) -> tuple[str, int]:
    for unit in ("year", "month"):
        if text.startswith(unit):
            return unit, int(text[len(unit) :])
    raise ValueError(f"bad lag {text!r}")


__all__ = [
    "CompiledRules",
    "compile_rules",
    "decode_mask",
    "evaluate",
    "evaluate_to_parquet",
    "evaluate_wide",
    "frame_from_rows",
    "prepare_facts",
    "to_long",
]
