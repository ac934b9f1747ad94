"""Rules compiled to SQL: one query, built as a sqlglot syntax tree, for DuckDB and PostgreSQL.

The query reads a facts table — `entity_id`, `period` and one column per fact id;
rows of earlier periods feed `fact@year-1` — and returns, per entity and rule,
`eligible`, `amount` (DECIMAL(18,2)), `score`, the named conditions and `status`,
with exactly the semantics of the reference interpreter (`interpret.py`).

Numbers are exact fixed-point integers, as in the Polars backend: every number is
an integer column holding value × 10^scale (DuckDB `HUGEINT`, PostgreSQL
`NUMERIC` with no fraction), the scale tracked by the compiler. Sums are exact;
products and quotients beyond 10 places are rounded half to even with integer
division; `x / 0` is 0; the amount is rounded to the fen with the rule's rounding
mode; a comparison or band on a quotient is decided exactly by cross-multiplication
(`ratio_test`). No value ever passes through DOUBLE (DuckDB's `/` on decimals gives a
DOUBLE, so the compiler never emits it).

The syntax tree is built with sqlglot's expression classes — never by pasting
rule text into SQL — and rendered for a dialect with `SqlQuery.sql(dialect)`.
Intermediate values that a formula reads more than once are computed once, as
columns of stacked `SELECT *, … FROM previous` layers (common table expressions),
so the SQL grows linearly with the rules.

Layouts:
  long (default) — one row per entity and rule: `entity_id, rule_id, eligible,
    amount, score, conditions, status`; `conditions` is a BIGINT bit mask, bit i
    set when the i-th named condition of the rule held (the encoding of the
    Polars backend: `decode_mask`).
  wide — one row per entity: `R.eligible`, `R.amount`, `R.score` (rules with a
    score), `R.status`, and one BOOLEAN column `R.cond.NAME` per named condition
    (NULL when the condition needs a missing fact, like the interpreter's None).

Missing values follow the interpreter (`interpret.Missing`): a missing fact matters
only where the evaluation needs it (the branch of `if` taken, `coalesce` up to the
first present argument, Kleene `and` / `or`). Strict expressions are guarded by
`IS NULL` tests of their columns; the rest by a per-row "missing kind" (`_Miss`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl
from sqlglot import exp

from . import ir
from .check import CheckedRule, RuleSet
from .diagnostics import Location, RulesError, error
from .schema import (
    INTERNAL_SCALE,
    FactDef,
    FactType,
    MissingPolicy,
    dec_add,
    dec_div,
    dec_mul,
    dec_sub,
    quantize,
    scale_of,
)

DIALECTS = ("duckdb", "postgres")
ENTITY = "entity_id"
PERIOD = "period"
AMOUNT_SQL_TYPE = "DECIMAL(18, 2)"
SCORE_SQL_TYPE = f"DECIMAL(38, {INTERNAL_SCALE})"
#: the exact-integer type of the generic tree; PostgreSQL renders it as NUMERIC
_INT = exp.DataType.build("INT128")
_PG_INT = exp.DataType.build("DECIMAL")
_LAYER_PREFIX = "__l"
_BASE = f"{_LAYER_PREFIX}0"


class SqlUnsupportedError(RulesError):
    """A construct of the rules language that the SQL backend cannot express."""

    def __init__(self, what: str, location: Location | None = None, detail: str = "") -> None:
        self.what = what
        zh = f"无法编译为 SQL：{what}" + (f"（{detail}）" if detail else "")
        en = f"cannot be compiled to SQL: {what}" + (f" ({detail})" if detail else "")
        super().__init__([error("sql-unsupported", location, detail=f"{zh} / {en}")])


def _where(e: ir.Expr) -> Location | None:
    return e.src.location(e.start) if e.src is not None else None


# ---------------------------------------------------------------------------
# Small builders
# ---------------------------------------------------------------------------


def _own(e: exp.Expr) -> exp.Expr:
    """`e`, or a copy of it when it already sits in a tree (a node has one parent)."""
    return e.copy() if e.parent is not None else e


def _cast(e: exp.Expr, to: str | exp.DataType) -> exp.Expr:
    target = to.copy() if isinstance(to, exp.DataType) else exp.DataType.build(to)
    return exp.cast(_own(e), target, copy=False)


def _alias(e: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(_own(e), name, quoted=True, copy=False)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _int(n: int) -> exp.Expr:
    return _cast(exp.Literal.number(n), _INT)


def _small(n: int) -> exp.Expr:
    """An integer literal next to an exact-integer operand (typed when it is large)."""
    return exp.Literal.number(n) if abs(n) < 2**62 else _int(n)


_ATOMS = (
    exp.Column,
    exp.Literal,
    exp.Cast,
    exp.Paren,
    exp.Case,
    exp.Boolean,
    exp.Null,
    exp.Func,
)


def _p(e: exp.Expr) -> exp.Expr:
    """Parenthesise an operand unless it binds tighter than any operator."""
    e = _own(e)
    if isinstance(e, _ATOMS) and not isinstance(e, exp.Binary | exp.Unary):
        return e
    return exp.Paren(this=e)


def _add(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Add(this=_p(a), expression=_p(b))


def _sub(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Sub(this=_p(a), expression=_p(b))


def _mul(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Mul(this=_p(a), expression=_p(b))


def _idiv(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.IntDiv(this=_p(a), expression=_p(b))


def _mod(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Mod(this=_p(a), expression=_p(b))


def _and(*parts: exp.Expr) -> exp.Expr:
    out = _p(parts[0])
    for part in parts[1:]:
        out = exp.And(this=out, expression=_p(part))
    return out


def _or(*parts: exp.Expr) -> exp.Expr:
    out = _p(parts[0])
    for part in parts[1:]:
        out = exp.Or(this=out, expression=_p(part))
    return out


def _not(a: exp.Expr) -> exp.Expr:
    return exp.Not(this=_p(a))


def _case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr) -> exp.Expr:
    case = exp.Case()
    for cond, value in whens:
        case = case.when(_own(cond), _own(value), copy=False)
    return case.else_(_own(default), copy=False)


def _func(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=[_own(a) for a in args])


_CMP: dict[str, type[exp.Binary]] = {
    "==": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}


def _cmp(op: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return _CMP[op](this=_p(a), expression=_p(b))


_PY_CMP: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def _coef(n: int) -> exp.Expr:
    if abs(n) >= 2**127:
        raise SqlUnsupportedError(
            "比值比较中的常数过大 / a constant of a ratio comparison", None, f"|{n}| ≥ 2^127"
        )
    return _small(n)


def _lin(terms: Sequence[tuple[int, exp.Expr]], const: int = 0) -> exp.Expr:
    """Σ c × x + const over exact integers (terms with c = 0 left out)."""
    out: exp.Expr | None = None
    for c, x in terms:
        if c == 0:
            continue
        part = _own(x) if c == 1 else _mul(_coef(c), x)
        out = part if out is None else _add(out, part)
    if out is None:
        return _coef(const)
    return out if const == 0 else _add(out, _coef(const))


def _least_greatest(
    cls: type[exp.Least] | type[exp.Greatest], args: Sequence[exp.Expr]
) -> exp.Expr:
    # ignore_nulls: the databases' own LEAST/GREATEST (a missing value is never read:
    # where an argument is NULL, the result is missing and masked)
    return cls(this=_own(args[0]), expressions=[_own(a) for a in args[1:]], ignore_nulls=True)


def _date(d: dt.date) -> exp.Expr:
    return _cast(exp.Literal.string(d.isoformat()), "DATE")


# ---------------------------------------------------------------------------
# Compiled values
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _V:
    """A compiled value: `sql` reads columns of layer `layer` or lower.

    Numbers (`scale` set) are exact integers holding value × 10^scale; `const`
    is their value when known at compile time (folded in Python).
    """

    sql: exp.Expr
    layer: int = 0
    scale: int | None = None
    const: Decimal | None = None


def _num_const(value: Decimal) -> _V:
    s = scale_of(value)
    if s > INTERNAL_SCALE:
        value = quantize(value, INTERNAL_SCALE, "half_even")
        s = INTERNAL_SCALE
    return _V(_int(int(value.scaleb(s))), 0, s, value)


def _is_atom(e: exp.Expr) -> bool:
    if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Null):
        return True
    return isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal)


@dataclass(frozen=True)
class _Miss:
    """Where a compiled value is missing (it needs a missing fact), as in the Polars
    backend (`compile_polars.Miss`): `inel` / `rep` are columns whose NULL makes it
    missing (the plain IS NULL guard of strict expressions); `k` the rest, an
    integer "kind" — 0 present, 1 missing, 2 missing with a report-policy fact
    needed; `gate` where an alternative can still matter (elsewhere it is present)."""

    inel: frozenset[str] = frozenset()
    rep: frozenset[str] = frozenset()
    k: _V | None = None
    gate: _V | None = None

    @property
    def never(self) -> bool:
        return not self.inel and not self.rep and self.k is None

    @property
    def columns(self) -> frozenset[str]:
        return self.inel | self.rep

    @property
    def always(self) -> frozenset[str]:
        """Columns present wherever the value is (needed on every path)."""
        return self.columns if self.gate is None else frozenset()

    def without(self, present: frozenset[str]) -> _Miss:
        return _Miss(self.inel - present, self.rep - present, self.k, self.gate)


_NEVER = _Miss()


def _lit(n: int) -> exp.Expr:
    return exp.Literal.number(n)


def _nulls(columns: frozenset[str]) -> _V | None:
    tests = [exp.Is(this=_col(c), expression=exp.Null()) for c in sorted(columns)]
    return _V(_or(*tests)) if tests else None


def _vor(*parts: _V | None) -> _V | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return _V(_or(*(p.sql for p in present)), max(p.layer for p in present))


def _gated(gate: _V | None, test: _V | None) -> _V | None:
    if test is None or gate is None:
        return test
    return _V(_and(gate.sql, test.sql), max(gate.layer, test.layer))


def _distinct(parts: Sequence[_V | None]) -> list[_V]:
    out: list[_V] = []
    for p in parts:
        if p is not None and not any(p is o for o in out):
            out.append(p)
    return out


def _vmax(parts: list[_V]) -> _V:
    if len(parts) == 1:
        return parts[0]
    return _V(_least_greatest(exp.Greatest, [p.sql for p in parts]), max(p.layer for p in parts))


def _miss_mask(ms: _Miss) -> _V | None:
    """TRUE where the value is missing (None: never)."""
    k = None if ms.k is None else _V(_cmp(">", ms.k.sql, _lit(0)), ms.k.layer)
    return _gated(ms.gate, _vor(_nulls(ms.columns), k))


def _miss_kind(ms: _Miss, gated: bool = True) -> _V | None:
    whens: list[tuple[exp.Expr, exp.Expr]] = []
    rep, inel = _nulls(ms.rep), _nulls(ms.inel)
    if rep is not None:
        whens.append((rep.sql, _lit(2)))
    if inel is not None:
        whens.append((inel.sql, _lit(1)))
    strict = _V(_case(whens, _lit(0))) if whens else None
    if strict is None and ms.k is None:
        return None
    inner = _vmax(_distinct([strict, ms.k]))
    if ms.gate is None or not gated:
        return inner
    return _V(_case([(ms.gate.sql, inner.sql)], _lit(0)), max(ms.gate.layer, inner.layer))


def _strict_miss(*parts: _Miss) -> _Miss:
    """Missing where any part is: the facts needed are the union, the kind the largest."""
    parts = tuple(p for p in parts if not p.never)
    if not parts:
        return _NEVER
    if len(parts) == 1:
        return parts[0]
    gate = parts[0].gate
    if all(p.gate is gate for p in parts):
        ks = _distinct([p.k for p in parts])
        return _Miss(
            frozenset().union(*(p.inel for p in parts)),
            frozenset().union(*(p.rep for p in parts)),
            _vmax(ks) if ks else None,
            gate,
        )
    plain = [p for p in parts if p.gate is None]
    ks = _distinct([p.k for p in plain] + [_miss_kind(p) for p in parts if p.gate is not None])
    return _Miss(
        frozenset().union(*(p.inel for p in plain)),
        frozenset().union(*(p.rep for p in plain)),
        _vmax(ks),
    )


def _gate_miss(open_: _V, parts: Sequence[_Miss]) -> _Miss:
    """Missing where `open_` and one of `parts` is, needing what they all need."""
    inner = _strict_miss(*parts)
    gate = open_ if inner.gate is None else _gated(inner.gate, open_)
    return _Miss(inner.inel, inner.rep, inner.k, gate)


def _same_columns(parts: Sequence[_Miss]) -> _Miss | None:
    """Alternatives that all need the same columns on every path: as strict as each."""
    first = parts[0]
    if first.always and all(
        p.k is None and p.gate is None and p.inel == first.inel and p.rep == first.rep
        for p in parts
    ):
        return first
    return None


def _operands(e: ir.Binary) -> list[ir.Expr]:
    """The operands of a chain of one logical operator: ((a and b) and c) → a, b, c."""
    out: list[ir.Expr] = []
    for side in (e.left, e.right):
        if isinstance(side, ir.Binary) and side.op == e.op:
            out.extend(_operands(side))
        else:
            out.append(side)
    return out


@dataclass
class _RuleOut:
    eligible: _V
    amount: _V  # fen, scale 2
    score: _V | None  # NULL when the result is missing
    miss: _Miss  # where the result is missing (the status)


class _Compiler:
    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        self.layers: list[list[tuple[str, exp.Expr]]] = []
        self.locals: dict[tuple[str, str], _V] = {}
        self.rules: dict[str, _RuleOut] = {}
        self.counter = 0
        # by id() of IR nodes; each entry keeps its node, so no id is reused meanwhile
        self.misses: dict[int, tuple[ir.Expr, _Miss]] = {}
        self.local_misses: dict[tuple[str, str], _Miss] = {}
        self.knowns: dict[tuple[int, bool], tuple[ir.Expr, _V]] = {}
        self.local_knowns: dict[tuple[str, str, bool], _V] = {}

    # -- let-binding ----------------------------------------------------------
    def bind(self, v: _V, name: str | None = None) -> _V:
        """Compute `v` once, as a column of the next layer; returns a reference."""
        if _is_atom(v.sql) and name is None:
            return v
        while len(self.layers) <= v.layer:
            self.layers.append([])
        if name is None:
            self.counter += 1
            name = f"__t{self.counter}"
        self.layers[v.layer].append((name, v.sql))
        return _V(_col(name), v.layer + 1, v.scale, v.const)

    # -- numbers --------------------------------------------------------------
    def rescale(self, v: _V, scale: int) -> _V:
        assert v.scale is not None and scale >= v.scale
        if scale == v.scale:
            return v
        if v.const is not None:
            return _V(_int(int(v.const.scaleb(scale))), 0, scale, v.const)
        return _V(_mul(v.sql, _small(10 ** (scale - v.scale))), v.layer, scale)

    def align(self, *vs: _V) -> list[_V]:
        s = max(v.scale or 0 for v in vs)
        return [self.rescale(v, s) for v in vs]

    def div_round(self, v: _V, k: int, mode: str) -> _V:
        """v / 10^k rounded to an integer with `mode` (result scale v.scale - k)."""
        assert v.scale is not None
        if k <= 0:
            return v
        if v.const is not None:
            value = quantize(v.const, v.scale - k, mode)
            return _V(_int(int(value.scaleb(v.scale - k))), 0, v.scale - k, value)
        x = self.bind(v)
        d = _small(10**k)
        a = _func("ABS", x.sql)
        if mode in ("floor", "ceil"):
            # |x| rounded up where the rounding moves away from zero: below zero for
            # floor, above zero for ceil (sign × magnitude, as for the other modes)
            away = _cmp("<" if mode == "floor" else ">", x.sql, _small(0))
            q = _idiv(_add(a, _case([(away, _small(10**k - 1))], _small(0))), d)
        elif mode == "down":
            q = _idiv(a, d)
        else:
            q_up = _idiv(_add(a, _small(10**k // 2)), d)
            if mode == "half_up":
                q = q_up
            else:  # half_even: a tie rounded up to an odd quotient goes back down
                tie = _and(
                    _cmp("==", _mod(a, d), _small(10**k // 2)),
                    _cmp("==", _mod(q_up.copy(), _small(2)), _small(1)),
                )
                q = _sub(q_up, _case([(tie, _small(1))], _small(0)))
        return _V(_mul(_func("SIGN", x.sql), q), x.layer, v.scale - k)

    def round_to(self, v: _V, scale: int, mode: str) -> _V:
        assert v.scale is not None
        if scale >= v.scale:
            return self.rescale(v, scale)
        return self.div_round(v, v.scale - scale, mode)

    def arith(self, op: str, a: _V, b: _V) -> _V:
        assert a.scale is not None and b.scale is not None
        if a.const is not None and b.const is not None:
            fn = {"+": dec_add, "-": dec_sub, "*": dec_mul, "/": dec_div}[op]
            return _num_const(fn(a.const, b.const))
        layer = max(a.layer, b.layer)
        if op in ("+", "-"):
            x, y = self.align(a, b)
            sql = _add(x.sql, y.sql) if op == "+" else _sub(x.sql, y.sql)
            return _V(sql, layer, x.scale)
        if op == "*":
            s = a.scale + b.scale
            prod = _V(_mul(a.sql, b.sql), layer, s)
            if s <= INTERNAL_SCALE:
                return prod
            return self.div_round(prod, s - INTERNAL_SCALE, "half_even")
        # a / b, half to even at INTERNAL_SCALE places; x / 0 is 0
        if b.const is not None and b.const == 0:
            return _num_const(Decimal(0))
        a, b = self.bind(a), self.bind(b)
        layer = max(a.layer, b.layer)
        shift = INTERNAL_SCALE - a.scale + b.scale  # type: ignore[operator]
        num = _mul(a.sql, _small(10**shift)) if shift > 0 else a.sql
        den = _mul(b.sql, _small(10**-shift)) if shift < 0 else b.sql
        n_abs = _func("ABS", num)
        m_abs = _func("NULLIF", _func("ABS", den), _small(0))
        q = _idiv(n_abs, m_abs)
        r2 = _mul(_mod(n_abs.copy(), m_abs.copy()), _small(2))
        up = _or(
            _cmp(">", r2, m_abs.copy()),
            _and(
                _cmp("==", r2.copy(), m_abs.copy()),
                _cmp("==", _mod(q.copy(), _small(2)), _small(1)),
            ),
        )
        magnitude = _add(q, _case([(up, _small(1))], _small(0)))
        signed = _mul(_mul(_func("SIGN", a.sql), _func("SIGN", b.sql)), magnitude)
        zero = _cmp("==", b.sql, _small(0))
        return _V(_case([(zero, _int(0))], signed), layer, INTERNAL_SCALE)

    def ratio_test(self, rule: CheckedRule, op: str, r: ir.Ratio, t: _V) -> _V:
        """`α·(a / b) + β  op  t` with the quotient exact (0 when b is 0), by
        cross-multiplication with the sign of b — the scheme of the Polars backend
        (`compile_polars.ratio_test`): for b > 0, P·a + R·b op D·t·b in raw integers
        scaled by 10^(sa+sb+st); mirrored for b < 0; β op t for b = 0. Exact
        integers: DuckDB's HUGEINT (an overflow is an error, never a wrong answer),
        PostgreSQL's NUMERIC (unbounded)."""
        alpha, beta = ir.affine(r.steps, lambda k: self.rs.constant_value(rule, k))
        a, b = self.num(rule, r.num), self.num(rule, r.den)
        assert a.scale is not None and b.scale is not None and t.scale is not None
        if a.const is not None and b.const is not None and t.const is not None:
            q = Fraction(0) if b.const == 0 else Fraction(a.const) / Fraction(b.const)
            return _V(exp.Boolean(this=_PY_CMP[op](alpha * q + beta, Fraction(t.const))))
        d = math.lcm(alpha.denominator, beta.denominator)
        p, rr = int(alpha * d), int(beta * d)
        sa, sb, st = a.scale, b.scale, t.scale
        a, b, t = self.bind(a), self.bind(b), self.bind(t)
        layer = max(a.layer, b.layer, t.layer)
        if t.const is not None:
            tr = int(t.const.scaleb(st))
            ca = p * 10 ** (sb + st)
            cb = d * 10**sa * tr - rr * 10 ** (sa + st)
            g = math.gcd(ca, cb) or 1
            lhs, rhs = _lin([(ca // g, a.sql)]), _lin([(cb // g, b.sql)])
            zero: exp.Expr = exp.Boolean(this=_PY_CMP[op](beta, Fraction(t.const)))
        else:
            lhs = _lin([(p * 10 ** (sb + st), a.sql), (rr * 10 ** (sa + st), b.sql)])
            rhs = _lin([(d * 10**sa, _mul(t.sql, b.sql))])
            zero = _cmp(op, _lin([], rr * 10**st), _lin([(d, t.sql)]))
        if b.const is not None:
            sign = (b.const > 0) - (b.const < 0)
            test = zero if sign == 0 else _cmp(op if sign > 0 else ir.FLIP[op], lhs, rhs)
            return _V(test, layer)
        case = _case(
            [
                (_cmp(">", b.sql, _small(0)), _cmp(op, lhs, rhs)),
                (_cmp("<", b.sql.copy(), _small(0)), _cmp(ir.FLIP[op], lhs.copy(), rhs.copy())),
                (_cmp("==", b.sql.copy(), _small(0)), zero),
            ],
            exp.Null(),
        )
        return _V(case, layer)

    def num(self, rule: CheckedRule, e: ir.Expr) -> _V:
        if isinstance(e, ir.Const):
            if not isinstance(e.value, Decimal):
                raise SqlUnsupportedError(f"constant {e.value!r} used as a number", _where(e))
            return _num_const(e.value)
        if isinstance(e, ir.FactRef):
            return _V(_col(e.column), 0, e.fact.scale)
        if isinstance(e, ir.ParamRef):
            return _num_const(self.rs.param_value(rule, e.param.name))
        if isinstance(e, ir.PeriodRef):
            p = self.rs.period
            if e.name not in ("period_year", "period_month"):
                raise SqlUnsupportedError(f"{e.name} used as a number", _where(e))
            return _num_const(Decimal(p.year if e.name == "period_year" else p.month or 1))
        if isinstance(e, ir.LocalRef):
            return self.local(rule, e)
        if isinstance(e, ir.RuleRef):
            out = self.rule_out(self.rs.rule(e.rule_id))
            if e.field_name == "amount":
                return out.amount
            if out.score is None:
                return _num_const(Decimal(0))
            sc = out.score
            return _V(_func("COALESCE", sc.sql, _int(0)), sc.layer, sc.scale)
        if isinstance(e, ir.Unary):
            if e.op != "-":
                raise SqlUnsupportedError(f"unary '{e.op}' on a number", _where(e))
            x = self.num(rule, e.operand)
            if x.const is not None:
                return _num_const(-x.const)
            return _V(exp.Neg(this=_p(x.sql)), x.layer, x.scale)
        if isinstance(e, ir.Binary):
            if e.op not in ("+", "-", "*", "/"):
                raise SqlUnsupportedError(f"operator '{e.op}' as a number", _where(e))
            if e.left.ty.kind == ir.DATE:
                a = self.other(rule, e.left)
                b = self.other(rule, e.right)
                days = _cast(_sub(a.sql, b.sql), _INT)
                return _V(days, max(a.layer, b.layer), 0)
            return self.arith(e.op, self.num(rule, e.left), self.num(rule, e.right))
        if isinstance(e, ir.IfElse):
            c = self.other(rule, e.cond)
            t, f = self.align(self.num(rule, e.then), self.num(rule, e.else_))
            layer = max(c.layer, t.layer, f.layer)
            return _V(_case([(c.sql, t.sql)], f.sql), layer, t.scale)
        if isinstance(e, ir.Call):
            return self.call(rule, e)
        if isinstance(e, ir.Band):
            if e.exact is not None:  # a quotient: exact tests, no division
                x = _num_const(Decimal(0))
            else:
                x = self.bind(self.num(rule, e.operand))
            outs = self.align(self.num(rule, e.default), *(self.num(rule, v) for v in e.values))
            default, values = outs[0], outs[1:]
            pairs = list(zip(e.thresholds, values, strict=True))
            order = pairs if e.at_most else list(reversed(pairs))
            whens: list[tuple[exp.Expr, exp.Expr]] = []
            layer = max(v.layer for v in (x, *outs))
            for t_expr, v in order:
                op = "<=" if e.at_most else ">="
                if e.exact is not None:
                    test = self.ratio_test(rule, op, e.exact, self.num(rule, t_expr))
                    whens.append((test.sql, v.sql))
                    layer = max(layer, test.layer)
                    continue
                xa, ta = self.align(x, self.num(rule, t_expr))
                whens.append((_cmp(op, xa.sql, ta.sql), v.sql))
                layer = max(layer, ta.layer)
            if not whens:
                return default
            return _V(_case(whens, default.sql), layer, default.scale)
        raise SqlUnsupportedError(type(e).__name__, _where(e), "not a number")

    def coalesce_args(self, rule: CheckedRule, e: ir.Call) -> tuple[list[ir.Expr], list[_V]]:
        """The arguments of coalesce that can be reached, and the "present" test of each
        but the last (an argument that is never missing ends the list)."""
        used: list[ir.Expr] = []
        tests: list[_V] = []
        for a in e.args:
            used.append(a)
            mask = _miss_mask(self.miss(rule, a))
            if mask is None:
                break
            tests.append(_V(_not(mask.sql), mask.layer))
        return used, tests[: len(used) - 1]

    def coalesce(self, rule: CheckedRule, e: ir.Call) -> _V:
        used, tests = self.coalesce_args(rule, e)
        if e.ty.kind == ir.NUMBER:
            vals = self.align(*(self.num(rule, a) for a in used))
        else:
            vals = [self.other(rule, a) for a in used]
        if len(vals) == 1:
            return vals[0]
        whens = [(t.sql, v.sql) for t, v in zip(tests, vals, strict=False)]
        layer = max(v.layer for v in (*vals, *tests))
        return _V(_case(whens, vals[-1].sql), layer, vals[0].scale)

    def call(self, rule: CheckedRule, e: ir.Call) -> _V:
        f = e.func
        if f == "coalesce":
            return self.coalesce(rule, e)
        if f in ("year", "month", "day"):
            d = self.other(rule, e.args[0])
            part = exp.Extract(this=exp.var(f.upper()), expression=_own(d.sql))
            return _V(_cast(part, _INT), d.layer, 0)
        if f in ("min", "max", "clip", "abs"):
            args = self.align(*(self.num(rule, a) for a in e.args))
            layer = max(a.layer for a in args)
            if all(a.const is not None for a in args):
                values = [a.const for a in args if a.const is not None]
                if f == "min":
                    return _num_const(min(values))
                if f == "max":
                    return _num_const(max(values))
                if f == "abs":
                    return _num_const(abs(values[0]))
                return _num_const(min(max(values[0], values[1]), values[2]))
            s = args[0].scale
            if f == "abs":
                return _V(_func("ABS", args[0].sql), layer, s)
            if len(args) == 1 and f in ("min", "max"):
                return args[0]
            if f == "clip":
                inner = _least_greatest(exp.Greatest, [args[0].sql, args[1].sql])
                return _V(_least_greatest(exp.Least, [inner, args[2].sql]), layer, s)
            cls = exp.Least if f == "min" else exp.Greatest
            return _V(_least_greatest(cls, [a.sql for a in args]), layer, s)
        if f in ("round", "floor", "ceil"):
            x = self.num(rule, e.args[0])
            places = e.args[1] if len(e.args) > 1 else None
            if not (isinstance(places, ir.Const) and isinstance(places.value, Decimal)):
                raise SqlUnsupportedError(f"{f}() with non-constant places", _where(e))
            n = int(places.value)
            assert x.scale is not None
            if x.scale <= n:
                return x
            return self.div_round(x, x.scale - n, "half_up" if f == "round" else f)
        raise SqlUnsupportedError(f"function {f}()", _where(e))

    # -- booleans, text, dates ----------------------------------------------------
    def other(self, rule: CheckedRule, e: ir.Expr) -> _V:
        if isinstance(e, ir.Const):
            v = e.value
            if isinstance(v, bool):
                return _V(exp.Boolean(this=v))
            if isinstance(v, str):
                return _V(exp.Literal.string(v))
            if isinstance(v, dt.date):
                return _V(_date(v))
            raise SqlUnsupportedError(f"constant {v!r}", _where(e))
        if isinstance(e, ir.ParamRef):
            day = self.rs.param(rule, e.param.name)
            if not isinstance(day, dt.date):
                raise SqlUnsupportedError(f"parameter {e.param.name} used as a date", _where(e))
            return _V(_date(day))
        if isinstance(e, ir.FactRef):
            return _V(_col(e.column))
        if isinstance(e, ir.PeriodRef):
            p = self.rs.period
            if e.name == "period_start":
                return _V(_date(p.first_day))
            if e.name == "period_end":
                return _V(_date(p.last_day))
            raise SqlUnsupportedError(f"{e.name} used as a date", _where(e))
        if isinstance(e, ir.LocalRef):
            return self.local(rule, e)
        if isinstance(e, ir.RuleRef):
            if e.field_name != "eligible":
                raise SqlUnsupportedError(f"rules.{e.rule_id}.{e.field_name} as a boolean")
            return self.rule_out(self.rs.rule(e.rule_id)).eligible
        if isinstance(e, ir.Unary):
            if e.op != "not":
                raise SqlUnsupportedError(f"unary '{e.op}' on a boolean", _where(e))
            x = self.other(rule, e.operand)
            return _V(_not(x.sql), x.layer)
        if isinstance(e, ir.Binary):
            op = e.op
            if op in ("and", "or"):
                a, b = self.other(rule, e.left), self.other(rule, e.right)
                sql = _and(a.sql, b.sql) if op == "and" else _or(a.sql, b.sql)
                return _V(sql, max(a.layer, b.layer))
            if op not in _CMP:
                raise SqlUnsupportedError(f"operator '{op}' as a boolean", _where(e))
            if e.exact is not None:
                left, right = e.exact
                if left is not None:
                    return self.ratio_test(rule, op, left, self.num(rule, e.right))
                assert right is not None
                return self.ratio_test(rule, ir.FLIP[op], right, self.num(rule, e.left))
            if e.left.ty.kind == ir.NUMBER:
                na, nb = self.align(self.num(rule, e.left), self.num(rule, e.right))
                return _V(_cmp(op, na.sql, nb.sql), max(na.layer, nb.layer))
            a, b = self.other(rule, e.left), self.other(rule, e.right)
            return _V(_cmp(op, a.sql, b.sql), max(a.layer, b.layer))
        if isinstance(e, ir.InList):
            if e.operand.ty.kind == ir.NUMBER:
                vals = self.align(self.num(rule, e.operand), *(self.num(rule, i) for i in e.items))
                x, items = vals[0], vals[1:]
            else:
                x = self.other(rule, e.operand)
                items = [self.other(rule, i) for i in e.items]
            layer = max([x.layer, *(i.layer for i in items)])
            if not items:
                return _V(exp.Boolean(this=e.negated))
            test: exp.Expr = exp.In(this=_p(x.sql), expressions=[_own(i.sql) for i in items])
            return _V(_not(test) if e.negated else test, layer)
        if isinstance(e, ir.IfElse):
            c = self.other(rule, e.cond)
            t, f = self.other(rule, e.then), self.other(rule, e.else_)
            return _V(_case([(c.sql, t.sql)], f.sql), max(c.layer, t.layer, f.layer))
        if isinstance(e, ir.Call) and e.func == "is_missing":
            mask = _miss_mask(self.miss(rule, e.args[0]))
            return _V(exp.Boolean(this=False)) if mask is None else mask
        if isinstance(e, ir.Call) and e.func == "coalesce":
            return self.coalesce(rule, e)
        raise SqlUnsupportedError(type(e).__name__, _where(e))

    # -- missing values -----------------------------------------------------------
    def miss(self, rule: CheckedRule, e: ir.Expr) -> _Miss:
        """Where `e` is missing (the laziness rules of interpret.Missing)."""
        key = id(e)
        entry = self.misses.get(key)
        if entry is None:
            entry = (e, self._miss(rule, e))
            self.misses[key] = entry
        return entry[1]

    def _dynamic(self, k: exp.Expr, layer: int) -> _Miss:
        """A kind computed once, as a column (it is read by every test built on it)."""
        return _Miss(k=self.bind(_V(k, layer)))

    def _gate(self, open_: _V, parts: Sequence[_Miss]) -> _Miss:
        return _gate_miss(self.bind(open_), parts)

    def kleene_miss(self, rule: CheckedRule, op: str, operands: Sequence[ir.Expr]) -> _Miss:
        """Where `a and b …` (`a or b …`) is missing: where no operand decides it and
        one is missing; it then needs what its missing operands need."""
        parts = [self.miss(rule, x) for x in operands]
        lacking = [i for i, p in enumerate(parts) if not p.never]
        if not lacking:
            return _NEVER
        same = _same_columns(parts)
        if same is not None:
            return same
        if len(lacking) == 1:
            # one operand can be missing: the others decide or let it through
            only = parts[lacking[0]]
            others = [self.other(rule, x) for i, x in enumerate(operands) if i != lacking[0]]
            if not others:
                return only
            sqls = [o.sql if op == "and" else _not(o.sql) for o in others]
            let_through = _V(_and(*sqls), max(o.layer for o in others))
            return self._gate(let_through, [only])
        return self._gate(self.undecided(rule, op, operands, parts), parts)

    def undecided(
        self, rule: CheckedRule, op: str, operands: Sequence[ir.Expr], parts: Sequence[_Miss]
    ) -> _V:
        """Where no operand of `and` (`or`) is known false (true)."""
        tests: list[exp.Expr] = []
        layer = 0
        for x, ms in zip(operands, parts, strict=True):
            value = self.other(rule, x)
            test = value.sql if op == "and" else _not(value.sql)
            mask = _miss_mask(ms)
            tests.append(test if mask is None else _or(mask.sql, test))
            layer = max(layer, value.layer, 0 if mask is None else mask.layer)
        # a NULL operand is missing, so its test is TRUE through the mask
        return _V(_and(*tests), layer)

    def _miss(self, rule: CheckedRule, e: ir.Expr) -> _Miss:
        if isinstance(e, ir.FactRef):
            policy = e.fact.missing
            if policy is MissingPolicy.REPORT:
                return _Miss(rep=frozenset((e.column,)))
            if policy is MissingPolicy.INELIGIBLE:
                return _Miss(inel=frozenset((e.column,)))
            return _NEVER
        if isinstance(e, ir.LocalRef):
            return self.local_miss(rule, e.name if e.kind != "score" else "score", e.kind)
        if isinstance(e, ir.RuleRef):
            return self.rule_out(self.rs.rule(e.rule_id)).miss
        if isinstance(e, ir.Binary) and e.op in ("and", "or"):
            # Kleene logic: present where an operand decides it (a known false for
            # and, a known true for or); elsewhere it needs what its operands need
            return self.kleene_miss(rule, e.op, _operands(e))
        if isinstance(e, ir.IfElse):
            mc = self.miss(rule, e.cond)
            ma, mb = self.miss(rule, e.then), self.miss(rule, e.else_)
            # a branch is taken where the test is known: what that says is present
            if_true = self.present_if(rule, e.cond, True)
            if_false = self.present_if(rule, e.cond, False)
            ma, mb = ma.without(if_true), mb.without(if_false)
            if ma.never and mb.never:
                return mc
            if all(m.k is None and m.gate is None for m in (mc, ma, mb)):
                # whichever branch is taken, the same columns are needed (and a
                # missing one is of the same kind): as strict as that union
                union = mc.columns | ma.columns
                if union == mc.columns | mb.columns and (
                    not (mc.inel | ma.inel | mb.inel) or (ma.rep | mb.rep) <= mc.columns
                ):
                    return _strict_miss(mc, ma, mb)
            ka, kb = _miss_kind(ma), _miss_kind(mb)
            then, else_ = ka or _V(_lit(0)), kb or _V(_lit(0))
            kc = _miss_kind(mc, gated=False)  # where the test is not known, it is missing
            if kc is None:
                c = self.other(rule, e.cond)
                k = _case([(c.sql, then.sql)], else_.sql)
                return self._dynamic(k, max(c.layer, then.layer, else_.layer))
            yes, no = self.known(rule, e.cond, True), self.known(rule, e.cond, False)
            k = _case([(yes.sql, then.sql), (no.sql, else_.sql)], kc.sql)
            layer = max(yes.layer, no.layer, then.layer, else_.layer, kc.layer)
            return self._dynamic(k, layer)
        if isinstance(e, ir.Call) and e.func == "is_missing":
            return _NEVER
        if isinstance(e, ir.Call) and e.func == "coalesce":
            used, _ = self.coalesce_args(rule, e)
            parts = [self.miss(rule, a) for a in used]
            if parts[-1].never:
                return _NEVER
            same = _same_columns(parts)
            if same is not None:
                return same
            # missing where every argument is, needing what all of them need
            masks = [m for m in (_miss_mask(p) for p in parts) if m is not None]
            every = _V(_and(*(m.sql for m in masks)), max(m.layer for m in masks))
            return self._gate(every, parts)
        return _strict_miss(*(self.miss(rule, c) for c in ir.children(e)))

    def known(self, rule: CheckedRule, e: ir.Expr, truth: bool) -> _V:
        """Where the boolean `e` is known (present) and equal to `truth`; built
        bottom-up over and / or / not, n-ary over chains of one operator."""
        key = (id(e), truth)
        entry = self.knowns.get(key)
        if entry is not None:
            return entry[1]
        out: _V
        if isinstance(e, ir.Binary) and e.op in ("and", "or"):
            parts = [self.known(rule, x, truth) for x in _operands(e)]
            every = (e.op == "and") == truth  # all true for and, all false for or
            sqls = [p.sql for p in parts]
            out = _V(_and(*sqls) if every else _or(*sqls), max(p.layer for p in parts))
        elif isinstance(e, ir.Unary) and e.op == "not":
            out = self.known(rule, e.operand, not truth)
        elif isinstance(e, ir.LocalRef) and e.kind in ("value", "condition"):
            out = self.local_known(rule, e, truth)
        else:
            out = self._known_leaf(self.other(rule, e), self.miss(rule, e), truth)
        self.knowns[key] = (e, out)
        return out

    @staticmethod
    def _known_leaf(value: _V, ms: _Miss, truth: bool) -> _V:
        test = value.sql if truth else _not(value.sql)
        mask = _miss_mask(ms)
        if mask is None:
            return _V(test, value.layer)
        # a missing value may be NULL: NOT TRUE AND NULL is FALSE
        return _V(_and(_not(mask.sql), test), max(mask.layer, value.layer))

    def local_known(self, rule: CheckedRule, e: ir.LocalRef, truth: bool) -> _V:
        key = (rule.id, e.name, truth)
        found = self.local_knowns.get(key)
        if found is not None:
            return found
        target = rule.values.get(e.name) or rule.conditions.get(e.name)
        if target is None:
            raise SqlUnsupportedError(f"unknown name {e.name}", _where(e))
        if isinstance(target, ir.Binary | ir.Unary) and target.op in ("and", "or", "not"):
            out = self.bind(self.known(rule, target, truth))
        else:  # the named value itself, computed once
            ms = self.local_miss(rule, e.name, e.kind)
            out = self.bind(self._known_leaf(self.other(rule, e), ms, truth))
        self.local_knowns[key] = out
        return out

    def local_miss(self, rule: CheckedRule, name: str, kind: str) -> _Miss:
        key = (rule.id, name)
        found = self.local_misses.get(key)
        if found is not None:
            return found
        if kind == "score":
            if rule.score is None:
                raise SqlUnsupportedError("score of a rule without score")
            target = rule.score
        elif kind == "item":
            target = rule.items[name]
        else:
            named = rule.values.get(name) or rule.conditions.get(name)
            if named is None:
                raise SqlUnsupportedError(f"unknown name {name}")
            target = named
        out = self.miss(rule, target)
        self.local_misses[key] = out
        return out

    def present_if(self, rule: CheckedRule, e: ir.Expr, truth: bool) -> frozenset[str]:
        """Columns that are present wherever the boolean `e` is known to equal `truth`."""
        if isinstance(e, ir.Binary) and e.op in ("and", "or"):
            left = self.present_if(rule, e.left, truth)
            right = self.present_if(rule, e.right, truth)
            # all operands are known when `and` is true or `or` is false
            return left | right if (e.op == "and") == truth else left & right
        if isinstance(e, ir.Unary) and e.op == "not":
            return self.present_if(rule, e.operand, not truth)
        if isinstance(e, ir.Call) and e.func == "is_missing":
            return frozenset() if truth else self.miss(rule, e.args[0]).always
        if isinstance(e, ir.LocalRef) and e.kind in ("value", "condition"):
            target = rule.values.get(e.name) or rule.conditions.get(e.name)
            if target is not None:
                return self.present_if(rule, target, truth)
        return self.miss(rule, e).always

    def value(self, rule: CheckedRule, e: ir.Expr) -> _V:
        return self.num(rule, e) if e.ty.kind == ir.NUMBER else self.other(rule, e)

    # -- named expressions and rule outputs ----------------------------------------
    def local(self, rule: CheckedRule, e: ir.LocalRef) -> _V:
        key = (rule.id, "score" if e.kind == "score" else e.name)
        if key in self.locals:
            return self.locals[key]
        if e.kind == "score":
            if rule.score is None:
                raise SqlUnsupportedError("score of a rule without score")
            out = self.num(rule, rule.score)
        elif e.kind == "item":
            out = self.num(rule, rule.items[e.name])
            mx = rule.item_max.get(e.name)
            if mx is not None:
                x, m = self.align(out, _num_const(mx))
                if x.const is not None and m.const is not None:
                    out = _num_const(min(x.const, m.const))
                else:
                    out = _V(_least_greatest(exp.Least, [x.sql, m.sql]), x.layer, x.scale)
        else:
            target = rule.values.get(e.name) or rule.conditions.get(e.name)
            if target is None:
                raise SqlUnsupportedError(f"unknown name {e.name}", _where(e))
            out = self.value(rule, target)
        out = self.bind(out)
        self.locals[key] = out
        return out

    def condition(self, rule: CheckedRule, name: str) -> _V:
        return self.local(rule, ir.LocalRef(ir.T_BOOL, None, 0, 0, name, "condition"))

    def rule_out(self, rule: CheckedRule) -> _RuleOut:
        if rule.id in self.rules:
            return self.rules[rule.id]
        # where eligibility is known to be true, where it is missing, and the columns
        # that are present wherever it is true
        if rule.eligible is not None:
            known = self.known(rule, rule.eligible, True)
            e_miss = self.miss(rule, rule.eligible)
            present = self.present_if(rule, rule.eligible, True)
        elif rule.conditions:
            names = list(rule.conditions)
            refs = [ir.LocalRef(ir.T_BOOL, None, 0, 0, n, "condition") for n in names]
            helds = [self.local_known(rule, r, True) for r in refs]
            known = _V(_and(*(h.sql for h in helds)), max(h.layer for h in helds))
            # all conditions, in Kleene logic: missing where none is known false
            e_miss = self.kleene_miss(rule, "and", refs)
            present = frozenset().union(
                *(self.present_if(rule, rule.conditions[n], True) for n in names)
            )
        else:
            known = _V(exp.Boolean(this=True))
            e_miss = _NEVER
            present = frozenset()
        # the amount is needed where eligible (so the columns `present` are there),
        # the score everywhere
        when_eligible = _NEVER
        if rule.amount is not None:
            needed = self.miss(rule, rule.amount).without(present)
            if not needed.never:
                when_eligible = self._gate(known, [needed])
        s_miss = _NEVER
        if rule.score is not None:
            s_miss = self.local_miss(rule, "score", "score")
        status = _strict_miss(e_miss, when_eligible, s_miss)
        if status.k is not None:  # read by the outputs and by rules referring to this one
            status = _Miss(status.inel, status.rep, self.bind(status.k), status.gate)
        # `known` already excludes a missing eligibility, and so a missing score
        # when the score needs nothing more (a pass mark)
        rest = _strict_miss(when_eligible, s_miss)
        if (
            e_miss.gate is None
            and rest.gate is None
            and rest.columns <= e_miss.columns
            and (rest.k is None or rest.k is e_miss.k)
        ):
            rest = _NEVER
        not_ok = _miss_mask(rest)
        test = known if not_ok is None else _V(_and(_not(not_ok.sql), known.sql), 0)
        layer = max(known.layer, 0 if not_ok is None else not_ok.layer)
        eligible = self.bind(
            _V(_case([(test.sql, exp.Boolean(this=True))], exp.Boolean(this=False)), layer),
            f"{rule.id}.__eligible",
        )
        if rule.amount is not None:
            a = self.round_to(self.num(rule, rule.amount), 2, rule.version.rounding)
            amount = _V(
                _case([(eligible.sql, a.sql)], _int(0)),
                max(a.layer, eligible.layer),
                2,
            )
        else:
            amount = _num_const(Decimal("0.00"))
        amount = self.bind(amount, f"{rule.id}.__amount_fen")
        score: _V | None = None
        if rule.score is not None:
            sv = self.local(rule, ir.LocalRef(ir.t_num(), None, 0, 0, "score", "score"))
            mask = _miss_mask(status)
            if mask is not None:
                sv = _V(
                    _case([(mask.sql, exp.Null())], sv.sql), max(sv.layer, mask.layer), sv.scale
                )
            score = self.bind(sv, f"{rule.id}.__score")
        out = _RuleOut(eligible, amount, score, status)
        self.rules[rule.id] = out
        return out

    def outputs(self, rule: CheckedRule) -> dict[str, tuple[exp.Expr, int]]:
        """Output name -> (expression, layer it reads)."""
        r = self.rule_out(rule)
        out: dict[str, tuple[exp.Expr, int]] = {}
        out["eligible"] = (r.eligible.sql, r.eligible.layer)
        fen = _cast(r.amount.sql, "DECIMAL(18, 0)")
        yuan = _mul(fen, _cast(exp.Literal.number("0.01"), "DECIMAL(3, 2)"))
        out["amount"] = (_cast(yuan, AMOUNT_SQL_TYPE), r.amount.layer)
        if r.score is not None:
            sc = self.rescale(r.score, INTERNAL_SCALE)
            as_dec = _cast(sc.sql, "DECIMAL(38, 0)")
            unit = _cast(
                exp.Literal.number(f"{Decimal(1).scaleb(-INTERNAL_SCALE):f}"),
                f"DECIMAL({INTERNAL_SCALE + 1}, {INTERNAL_SCALE})",
            )
            out["score"] = (
                _cast(_mul(as_dec, unit), SCORE_SQL_TYPE),
                sc.layer,
            )
        else:
            out["score"] = (_cast(exp.Null(), SCORE_SQL_TYPE), 0)
        names = list(rule.conditions)
        if len(names) > 63:
            raise SqlUnsupportedError(
                f"{rule.id}: more than 63 named conditions in one bit mask", rule.version.location
            )
        bits: list[exp.Expr] = []
        layer = 0
        for i, name in enumerate(names):
            cond = self.condition(rule, name)
            held = self.local_known(
                rule, ir.LocalRef(ir.T_BOOL, None, 0, 0, name, "condition"), True
            )
            bits.append(_case([(held.sql, _small(1 << i))], _small(0)))
            layer = max(layer, held.layer)
            guard = _miss_mask(self.local_miss(rule, name, "condition"))
            decided = (
                cond.sql if guard is None else _case([(guard.sql, exp.Null())], cond.sql.copy())
            )
            out[f"cond.{name}"] = (decided, max(cond.layer, 0 if guard is None else guard.layer))
        mask: exp.Expr = _small(0)
        for i, bit in enumerate(bits):
            mask = bit if i == 0 else _add(mask, bit)
        out["conditions"] = (_cast(mask, "BIGINT"), layer)
        kind = _miss_kind(r.miss)
        status = _small(0) if kind is None else kind.sql
        out["status"] = (_cast(status, "SMALLINT"), 0 if kind is None else kind.layer)
        return out


# ---------------------------------------------------------------------------
# The query
# ---------------------------------------------------------------------------


def _fact_sql_type(fact: FactDef) -> str:
    if fact.is_number:
        return f"DECIMAL(38, {fact.scale})"
    if fact.type is FactType.BOOLEAN:
        return "BOOLEAN"
    if fact.type is FactType.DATE:
        return "DATE"
    return "VARCHAR"


def _convert(col: exp.Expr, fact: FactDef) -> exp.Expr:
    """A facts-table column in the compiler's representation (numbers: scaled integers)."""
    if fact.is_number:
        as_dec = _cast(col, f"DECIMAL(38, {fact.scale})")
        scaled = _mul(as_dec, _small(10**fact.scale)) if fact.scale else as_dec
        value: exp.Expr = _cast(scaled, _INT)
    elif fact.type is FactType.BOOLEAN:
        value = _cast(col, "BOOLEAN")
    elif fact.type is FactType.DATE:
        value = _cast(col, "DATE")
    else:
        value = _cast(col, "VARCHAR")
    if fact.missing is MissingPolicy.ZERO:
        zero: exp.Expr
        if fact.is_number:
            zero = _int(0)
        elif fact.type is FactType.BOOLEAN:
            zero = exp.Boolean(this=False)
        else:
            zero = exp.Literal.string("")
        value = _func("COALESCE", value, zero)
    return value


def _table(name: str) -> exp.Table:
    parts = name.split(".")
    if len(parts) == 1:
        return exp.table_(exp.to_identifier(parts[0], quoted=True))
    return exp.table_(
        exp.to_identifier(parts[-1], quoted=True),
        db=exp.to_identifier(parts[-2], quoted=True),
    )


def _period_is(alias: str, column: str, period: str) -> exp.Expr:
    col = exp.column(column, table=alias, quoted=True)
    return _cmp("==", _cast(col, "VARCHAR"), exp.Literal.string(period))


def _base_select(rs: RuleSet, table: str, period_column: str | None) -> exp.Select:
    """Current-period facts, earlier periods joined in, converted and zero-filled."""
    needed = rs.fact_columns()
    current: list[exp.Expr] = [_alias(exp.column(ENTITY, table="f", quoted=True), ENTITY)]
    lags: dict[tuple[str, int], list[ir.FactRef]] = {}
    for col, ref in sorted(needed.items()):
        if ref.lag_unit is not None and ref.lag != 0:
            lags.setdefault((ref.lag_unit, ref.lag), []).append(ref)
            continue
        src = exp.column(ref.fact.id, table="f", quoted=True)
        current.append(_alias(_convert(src, ref.fact), col))
    select = exp.select(*current, copy=False).from_(_table(table).as_("f"), copy=False)
    if period_column is not None:
        select = select.where(_period_is("f", period_column, str(rs.period)), copy=False)
    for i, ((unit, n), refs) in enumerate(sorted(lags.items())):
        alias = f"p{i + 1}"
        for ref in refs:
            if period_column is None:
                null = _cast(exp.Null(), _fact_sql_type(ref.fact))
                select = select.select(_alias(_convert(null, ref.fact), ref.column), copy=False)
            else:
                src = exp.column(ref.fact.id, table=alias, quoted=True)
                select = select.select(_alias(_convert(src, ref.fact), ref.column), copy=False)
        if period_column is None:
            continue
        prior = str(rs.period.shift(unit, n))
        sub = (
            exp.select(_col(ENTITY), *(_col(r.fact.id) for r in refs), copy=False)
            .from_(_table(table), copy=False)
            .where(
                _cmp("==", _cast(_col(period_column), "VARCHAR"), exp.Literal.string(prior)),
                copy=False,
            )
        )
        on = _cmp(
            "==",
            exp.column(ENTITY, table="f", quoted=True),
            exp.column(ENTITY, table=alias, quoted=True),
        )
        joined = exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        select = select.join(joined, on=on, join_type="left", copy=False)
    return select


@dataclass
class SqlQuery:
    """A rule set compiled to one SQL query (a sqlglot tree); render it with `sql()`."""

    ruleset: RuleSet
    expression: exp.Query
    layout: str
    table: str
    condition_names: dict[str, list[str]] = field(default_factory=dict)
    scored: set[str] = field(default_factory=set)

    def sql(self, dialect: str = "duckdb", *, pretty: bool = False) -> str:
        """The query text for `dialect` (duckdb or postgres)."""
        tree = _for_dialect(self.expression, dialect)
        return tree.sql(dialect=dialect, pretty=pretty)

    def columns(self) -> list[str]:
        return [s.alias_or_name for s in self.expression.selects]


def _for_dialect(tree: exp.Query, dialect: str) -> exp.Query:
    if dialect not in DIALECTS:
        raise SqlUnsupportedError(f"dialect {dialect!r}", None, f"supported: {', '.join(DIALECTS)}")
    if dialect == "duckdb":
        return tree

    tree = tree.copy()
    for select in tree.find_all(exp.Select):
        if select.meta.get("zhenxing_layer") and not select.args.get("offset"):
            # an optimisation fence: PostgreSQL would otherwise inline each layer
            # into the next and compute shared intermediates once per use
            select.offset(0, copy=False)

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return _PG_INT.copy()
        return node

    out = tree.transform(swap)
    assert isinstance(out, exp.Query)
    return out


def compile_sql(
    ruleset: RuleSet,
    *,
    table: str = "facts",
    layout: str = "long",
    period_column: str | None = PERIOD,
) -> SqlQuery:
    """Compile every rule of `ruleset` (for its period) to one SQL query over `table`.

    `table` has `entity_id`, `period` (text or integer, e.g. 2024 or '2024-03';
    `period_column=None` when the table holds one period only) and one column per
    fact id. Raises `SqlUnsupportedError`, naming the construct and where it is
    written, if some part of a rule cannot be expressed in SQL.
    """
    if layout not in ("long", "wide"):
        raise ValueError(f"layout must be 'long' or 'wide', not {layout!r}")
    comp = _Compiler(ruleset)
    per_rule = {r.id: comp.outputs(r) for r in ruleset.rules}
    # stacked layers: __l0 = facts, __l{i+1} = SELECT *, temps of layer i FROM __l{i}
    ctes: list[tuple[str, exp.Select]] = [(_BASE, _base_select(ruleset, table, period_column))]
    for i, temps in enumerate(comp.layers):
        sel = exp.select(exp.Star(), *(_alias(sql, name) for name, sql in temps), copy=False)
        sel = sel.from_(exp.to_identifier(f"{_LAYER_PREFIX}{i}", quoted=True), copy=False)
        sel.meta["zhenxing_layer"] = True
        ctes.append((f"{_LAYER_PREFIX}{i + 1}", sel))
    last = exp.to_identifier(ctes[-1][0], quoted=True)
    entity = _col(ENTITY)
    query: exp.Query
    if layout == "wide":
        cols: list[exp.Expr] = [entity]
        for rule in ruleset.rules:
            outs = per_rule[rule.id]
            for key in ("eligible", "amount", "score", "status"):
                if key == "score" and rule.score is None:
                    continue
                cols.append(_alias(outs[key][0], f"{rule.id}.{key}"))
            for name in rule.conditions:
                sql = outs[f"cond.{name}"][0]
                cols.append(_alias(sql, f"{rule.id}.cond.{name}"))
        query = exp.select(*cols, copy=False).from_(last, copy=False)
    else:
        parts: list[exp.Select] = []
        for rule in ruleset.rules:
            outs = per_rule[rule.id]
            parts.append(
                exp.select(
                    entity.copy(),
                    _alias(exp.Literal.string(rule.id), "rule_id"),
                    *(
                        _alias(outs[k][0], k)
                        for k in ("eligible", "amount", "score", "conditions", "status")
                    ),
                    copy=False,
                ).from_(last.copy(), copy=False)
            )
        if not parts:
            query = (
                exp.select(
                    entity.copy(),
                    _alias(_cast(exp.Null(), "VARCHAR"), "rule_id"),
                    _alias(_cast(exp.Null(), "BOOLEAN"), "eligible"),
                    _alias(_cast(exp.Null(), AMOUNT_SQL_TYPE), "amount"),
                    _alias(_cast(exp.Null(), SCORE_SQL_TYPE), "score"),
                    _alias(_cast(exp.Null(), "BIGINT"), "conditions"),
                    _alias(_cast(exp.Null(), "SMALLINT"), "status"),
                    copy=False,
                )
                .from_(last, copy=False)
                .where(exp.Boolean(this=False), copy=False)
            )
        else:
            query = parts[0]
            for part in parts[1:]:
                query = exp.union(query, part, distinct=False, copy=False)
    for name, cte in ctes:
        query = query.with_(exp.to_identifier(name, quoted=True), as_=cte, copy=False)
    _check_tree(query)
    return SqlQuery(
        ruleset,
        query,
        layout,
        table,
        {r.id: list(r.conditions) for r in ruleset.rules},
        {r.id for r in ruleset.rules if r.score is not None},
    )


def _check_tree(tree: exp.Expr) -> None:
    """Every node of the tree has exactly one place (sqlglot nodes know one parent)."""
    for node in tree.walk():
        for child in node.iter_expressions():
            if child.parent is not node:  # pragma: no cover - a compiler bug
                raise AssertionError(f"shared SQL node: {child.sql()}")


def to_sql(
    ruleset: RuleSet,
    dialect: str = "duckdb",
    *,
    table: str = "facts",
    layout: str = "long",
    period_column: str | None = PERIOD,
    pretty: bool = False,
) -> str:
    """The query text of `compile_sql(...)` for `dialect` (duckdb or postgres)."""
    return compile_sql(ruleset, table=table, layout=layout, period_column=period_column).sql(
        dialect, pretty=pretty
    )


# ---------------------------------------------------------------------------
# Facts tables and running the query
# ---------------------------------------------------------------------------


def facts_table_columns(ruleset: RuleSet, *, period_column: str | None = PERIOD) -> dict[str, str]:
    """Column name -> SQL type of the facts table the query reads."""
    cols = {ENTITY: "VARCHAR"}
    if period_column is not None:
        cols[period_column] = "VARCHAR"
    for ref in sorted(ruleset.fact_columns().values(), key=lambda r: r.fact.id):
        cols.setdefault(ref.fact.id, _fact_sql_type(ref.fact))
    return cols


def create_facts_table(
    ruleset: RuleSet,
    table: str = "facts",
    dialect: str = "duckdb",
    *,
    temporary: bool = True,
    period_column: str | None = PERIOD,
) -> str:
    """`CREATE [TEMPORARY] TABLE` for a facts table the query can read."""
    schema = exp.Schema(
        this=_table(table),
        expressions=[
            exp.ColumnDef(
                this=exp.to_identifier(name, quoted=True), kind=exp.DataType.build(sql_type)
            )
            for name, sql_type in facts_table_columns(ruleset, period_column=period_column).items()
        ],
    )
    props = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    create = exp.Create(this=schema, kind="TABLE", properties=props)
    if dialect not in DIALECTS:
        raise SqlUnsupportedError(f"dialect {dialect!r}", None, f"supported: {', '.join(DIALECTS)}")
    return create.sql(dialect=dialect)


def _facts_frame(ruleset: RuleSet, table: Any, period_column: str | None) -> pl.DataFrame:
    """The facts as a Polars frame with exactly the columns of `facts_table_columns`."""
    facts: pl.DataFrame
    if isinstance(table, pl.LazyFrame):
        facts = table.collect()
    elif isinstance(table, pl.DataFrame):
        facts = table
    else:
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        facts = frame
    cols = facts_table_columns(ruleset, period_column=period_column)
    renames: dict[str, str] = {}
    for ref in ruleset.fact_columns().values():
        if ref.fact.id not in facts.columns:
            for alias in ref.fact.aliases:
                if alias in facts.columns:
                    renames[alias] = ref.fact.id
                    break
    facts = facts.rename(renames)
    exprs: list[pl.Expr] = []
    fact_defs = {ref.fact.id: ref.fact for ref in ruleset.fact_columns().values()}
    for name in cols:
        if name not in facts.columns:
            if name in (ENTITY, period_column):
                raise RulesError(
                    [error("data", None, detail=f"the facts table has no '{name}' column")]
                )
            fact = fact_defs[name]
            exprs.append(pl.lit(None, dtype=_polars_type(fact)).alias(name))
            continue
        col = pl.col(name)
        if name in (ENTITY, period_column):
            exprs.append(col.cast(pl.String))
        else:
            fact = fact_defs[name]
            dtype = facts.schema[name]
            if fact.type is FactType.ENUM or isinstance(dtype, pl.Enum | pl.Categorical):
                col = col.cast(pl.String)
            exprs.append(col)
    return facts.select(exprs)


def _polars_type(fact: FactDef) -> pl.DataType:
    if fact.is_number:
        return pl.Decimal(38, fact.scale)
    if fact.type is FactType.BOOLEAN:
        return pl.Boolean()
    if fact.type is FactType.DATE:
        return pl.Date()
    return pl.String()


def evaluate_duckdb(
    ruleset: RuleSet,
    facts: Any,
    *,
    layout: str = "long",
    connection: Any = None,
) -> pl.DataFrame:
    """Run the compiled SQL in DuckDB (an in-memory database unless `connection`)
    over a Polars frame or Arrow table of facts; returns a Polars frame."""
    import duckdb

    frame = _facts_frame(ruleset, facts, PERIOD if PERIOD in _columns(facts) else None)
    query = compile_sql(
        ruleset,
        table="__zhenxing_facts",
        layout=layout,
        period_column=PERIOD if PERIOD in frame.columns else None,
    )
    con = connection if connection is not None else duckdb.connect()
    con.register("__zhenxing_facts", frame.to_arrow())
    try:
        result = con.sql(query.sql("duckdb")).pl()
    finally:
        con.unregister("__zhenxing_facts")
        if connection is None:
            con.close()
    assert isinstance(result, pl.DataFrame)
    return result


def _columns(facts: Any) -> list[str]:
    if isinstance(facts, pl.LazyFrame):
        return facts.collect_schema().names()
    if isinstance(facts, pl.DataFrame):
        return facts.columns
    return list(getattr(facts, "column_names", []))


def evaluate_postgres(
    ruleset: RuleSet,
    facts: Any,
    conninfo: str,
    *,
    layout: str = "long",
    table: str = "zhenxing_facts",
) -> pl.DataFrame:
    """Load the facts into a temporary table on a PostgreSQL server (psycopg 3
    conninfo or URL), run the compiled SQL there, and return a Polars frame."""
    import psycopg
    from psycopg import sql as psql

    has_period = PERIOD in _columns(facts)
    period_column = PERIOD if has_period else None
    frame = _facts_frame(ruleset, facts, period_column)
    query = compile_sql(ruleset, table=table, layout=layout, period_column=period_column)
    with psycopg.connect(conninfo, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute(create_facts_table(ruleset, table, "postgres", period_column=period_column))
        copy_stmt = psql.SQL("COPY {} ({}) FROM STDIN").format(
            psql.Identifier(*table.split(".")),
            psql.SQL(", ").join(psql.Identifier(c) for c in frame.columns),
        )
        with cur.copy(copy_stmt) as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
        cur.execute(query.sql("postgres"))
        names = [d.name for d in cur.description or []]
        rows = cur.fetchall()
        conn.rollback()
    return _result_frame(names, rows, query)


def _result_frame(names: list[str], rows: list[tuple[Any, ...]], query: SqlQuery) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {}
    for name in names:
        if name == ENTITY or name == "rule_id":
            schema[name] = pl.String()
        elif name == "eligible" or name.endswith(".eligible") or ".cond." in name:
            schema[name] = pl.Boolean()
        elif name == "amount" or name.endswith(".amount"):
            schema[name] = pl.Decimal(18, 2)
        elif name == "score" or name.endswith(".score"):
            schema[name] = pl.Decimal(38, INTERNAL_SCALE)
        elif name == "conditions":
            schema[name] = pl.Int64()
        else:
            schema[name] = pl.Int16()
    del query
    return pl.DataFrame(rows, schema=schema, orient="row")


__all__ = [
    "DIALECTS",
    "SqlQuery",
    "SqlUnsupportedError",
    "compile_sql",
    "create_facts_table",
    "evaluate_duckdb",
    "evaluate_postgres",
    "facts_table_columns",
    "to_sql",
]
