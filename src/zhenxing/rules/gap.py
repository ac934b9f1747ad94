"""Gap analysis: how far a failed threshold condition is from passing, fact by fact.

For a failed condition such as `rd_expense / revenue >= 0.03`, `rd_expense >= 1000000`
or `a + b >= c`, and for each fact it reads, the smallest change of that fact —
holding every other fact fixed — that makes the condition hold:
"研发费用还差 12.3 万元即可达到 3%".

How: the condition is taken apart symbolically (typed IR, `ir.py`). Comparisons
`L op R` whose difference `L − R` is affine in the fact (`a·x + b`, where `a` and `b`
are built from sub-expressions that do not read the fact — a division by such a
sub-expression is fine, a division *by* the fact is not) give a half-line of
passing values; `and`, `or` and `not` combine half-lines. The nearest passing
value on the fact's grid (its declared decimal places) is then checked with the
exact evaluator and nudged by a grid step where the engine's rounding (10 places
for quotients) moves the boundary. Anything else — `min`, `if`, bands, `round`,
equality, membership, a fact in a denominator — is reported as not computable
rather than guessed.

`near_misses` does the same for a whole population at once: the rule is evaluated
by the Polars engine, the entities that fail by exactly one condition are kept,
the parts `a` and `b` of each comparison are evaluated as columns (exact engine,
then Float64 for the estimate), and every estimate is confirmed with the exact
engine on the fact's grid — so the gaps reported are exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from . import ir
from .check import CheckedRule, RuleSet
from .diagnostics import Lang
from .interpret import Value, _Eval, _Missing, interpret_prepared, prepare_row
from .schema import FactDef, FactType

ELIGIBLE = "eligible"  # the pseudo-condition of a rule with an `eligible` but no named conditions
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}
_SEARCH = 6  # grid steps tried around an estimate


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """The smallest change of one fact that makes one failed condition hold.

    `reason` is None when the gap was computed; otherwise one of
    `not-threshold` (no numeric comparison to reach), `non-linear` (the fact
    enters through min/if/band/round/a division by it…), `unreachable` (no value
    of this fact alone makes the condition hold) or `unverified` (the estimate
    could not be confirmed by the exact evaluator).
    """

    rule_id: str
    condition: str
    condition_label: str
    fact: str | None
    fact_label: str
    unit: str
    current: Decimal | None = None
    target: Decimal | None = None
    change: Decimal | None = None
    op: str | None = None  # the comparison, oriented with the fact's side on the left
    threshold: Decimal | None = None  # what the fact's side must reach, when one comparison
    threshold_unit: str = "none"
    reason: str | None = None
    fact_label_en: str = ""
    detail: str = ""
    condition_label_en: str = ""

    @property
    def computable(self) -> bool:
        return self.reason is None

    def message(self, lang: Lang = "zh") -> str:
        return _message(self, lang)

    def __str__(self) -> str:
        return self.message()


# ---------------------------------------------------------------------------
# Formatting (shared by the per-entity and the vectorised paths)
# ---------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value != 0 else "0"
    return text


def _ceil_places(value: Decimal, places: int) -> Decimal:
    """|value| rounded up to `places` decimals."""
    scaled = Fraction(abs(value)) * 10**places
    return Decimal(math.ceil(scaled)).scaleb(-places)


def amount_text(change: Decimal, unit: str, lang: Lang = "zh") -> str:
    """|change| in words: money in 万元 with one or two decimals (rounded up; below
    1 万元 in 元 with two decimals), ratios in percentage points, counts as integers
    (rounded up)."""
    value = abs(change)
    if unit == "yuan":
        if value >= 10000:
            wan = _ceil_places(value / 10000, 2)
            text = f"{wan:.2f}"
            if text.endswith("0"):
                text = text[:-1]
            if lang == "zh":
                return f"{text} 万元"
        fen = _ceil_places(value, 2)
        return f"{fen:.2f} 元" if lang == "zh" else f"{fen:,.2f} yuan"
    if unit == "ratio":
        pp = _ceil_places(value * 100, 2)
        return f"{_plain(pp)} 个百分点" if lang == "zh" else f"{_plain(pp)} percentage points"
    if unit in ("count", "days"):
        n = math.ceil(Fraction(value))
        if unit == "days":
            return f"{n} 天" if lang == "zh" else f"{n} days"
        return str(n)
    return _plain(value)


def threshold_text(value: Decimal, unit: str, lang: Lang = "zh") -> str:
    if unit == "ratio":
        return f"{_plain(value * 100)}%"
    if unit == "yuan":
        if abs(value) >= 10000 and value % 100 == 0:
            if abs(value) >= 10**8 and value % 10**6 == 0:
                return f"{_plain(value / 10**8)} 亿元" if lang == "zh" else f"{value:,.0f} yuan"
            return f"{_plain(value / 10000)} 万元" if lang == "zh" else f"{value:,.0f} yuan"
        return f"{value:,.2f} 元" if lang == "zh" else f"{value:,.2f} yuan"
    if unit == "days":
        return f"{_plain(value)} 天" if lang == "zh" else f"{_plain(value)} days"
    return _plain(value)


_GOAL_ZH = {">=": "达到", ">": "超过", "<=": "不超过", "<": "低于"}
_GOAL_EN = {">=": "reach", ">": "exceed", "<=": "stay at or below", "<": "go below"}


def _joiner(unit: str, lang: Lang) -> str:
    """What goes between the amount and the rest: no space after a Chinese unit."""
    return "" if lang == "zh" and unit in ("yuan", "ratio", "days") else " "


def _around(g: Gap, lang: Lang, up: bool) -> tuple[str, str]:
    """The text before and after the amount of a computed gap."""
    name = g.fact_label if lang == "zh" else (g.fact_label_en or g.fact or "")
    if lang == "zh":
        verb = "还差 " if up else "需减少 "
        if g.threshold is not None and g.op in _GOAL_ZH:
            goal = f"即可{_GOAL_ZH[g.op]} {threshold_text(g.threshold, g.threshold_unit)}"
        else:
            goal = f"即可满足「{g.condition_label}」"
        return f"{name}{verb}", f"{_joiner(g.unit, lang)}{goal}"
    if g.threshold is not None and g.op in _GOAL_EN:
        goal = f"to {_GOAL_EN[g.op]} {threshold_text(g.threshold, g.threshold_unit, 'en')}"
    else:
        goal = f"to satisfy '{g.condition_label_en or g.condition_label}'"
    return f"{name} needs {'+' if up else '-'}", f" {goal}"


def _message(g: Gap, lang: Lang) -> str:
    zh = lang == "zh"
    name = g.fact_label if zh else (g.fact_label_en or g.fact or "")
    cond = g.condition_label if zh else (g.condition_label_en or g.condition_label)
    if g.reason == "not-threshold":
        return (
            f"「{cond}」不是对数值事实的门槛条件，无法计算差距"
            if zh
            else f"'{cond}' is not a threshold on a numeric fact; no gap can be computed"
        )
    if g.reason == "non-linear":
        return (
            f"「{cond}」对{name}不是线性门槛（{g.detail}），无法计算差距"
            if zh
            else f"'{cond}' is not a linear threshold in {name} ({g.detail}); no gap computed"
        )
    if g.reason == "unreachable":
        return (
            f"仅调整{name}无法满足「{cond}」"
            if zh
            else f"changing {name} alone cannot satisfy '{cond}'"
        )
    if g.reason is not None or g.change is None:
        return (
            f"{name}：「{cond}」的差距无法精确确定"
            if zh
            else f"{name}: the gap to '{cond}' could not be determined exactly"
        )
    before, after = _around(g, lang, g.change > 0)
    return f"{before}{amount_text(g.change, g.unit, lang)}{after}"


# ---------------------------------------------------------------------------
# Symbolic terms: sums, products and quotients of fact-independent parts
# ---------------------------------------------------------------------------


class _NotComputable(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class _T:
    """A term: a literal (`lit`), a sub-expression that does not read the fact
    (`leaf`), or an operation on terms (`op` in + - * / neg)."""

    op: str
    lit: Fraction | None = None
    leaf: ir.Expr | None = None
    args: tuple[_T, ...] = ()
    rule: CheckedRule | None = None


_ZERO = _T("lit", Fraction(0))
_ONE = _T("lit", Fraction(1))


def _lit(value: Fraction) -> _T:
    return _T("lit", value)


def _op(op: str, *args: _T) -> _T:
    if all(a.op == "lit" for a in args):
        vals = [a.lit for a in args]
        assert all(v is not None for v in vals)
        x = vals[0]
        assert x is not None
        if op == "neg":
            return _lit(-x)
        y = vals[1]
        assert y is not None
        if op == "+":
            return _lit(x + y)
        if op == "-":
            return _lit(x - y)
        if op == "*":
            return _lit(x * y)
        return _lit(Fraction(0) if y == 0 else x / y)
    if op == "+" and args[0] == _ZERO:
        return args[1]
    if op in ("+", "-") and args[1] == _ZERO:
        return args[0]
    if op == "*" and (args[0] == _ZERO or args[1] == _ZERO):
        return _ZERO
    if op == "*" and args[0] == _ONE:
        return args[1]
    if op in ("*", "/") and args[1] == _ONE:
        return args[0]
    if op == "/" and args[0] == _ZERO:
        return _ZERO
    if op == "-" and args[0] == _ZERO:
        return _T("neg", args=(args[1],))
    return _T(op, args=args)


def _leaves(t: _T, out: list[tuple[CheckedRule, ir.Expr]]) -> None:
    if t.op == "leaf":
        assert t.leaf is not None and t.rule is not None
        if not any(e is t.leaf for _, e in out):
            out.append((t.rule, t.leaf))
    for a in t.args:
        _leaves(a, out)


@dataclass(frozen=True)
class _Cmp:
    op: str  # oriented: a·x + b  op  0
    a: _T
    b: _T
    side: str  # "left", "right" or "both": where the fact is
    subject: ir.Expr  # the side with the fact
    other: ir.Expr  # the side without the fact (the threshold)
    rule: CheckedRule

    @property
    def threshold_unit(self) -> str:
        unit = self.other.ty.unit
        return self.subject.ty.unit if unit == "none" else unit

    @property
    def oriented_op(self) -> str:
        """The comparison with the fact's side on the left."""
        return self.op if self.side == "left" else _FLIP[self.op]


@dataclass(frozen=True)
class _Node:
    """A condition's structure in one fact: and / or / not / cmp / const."""

    kind: str
    cmp: _Cmp | None = None
    expr: ir.Expr | None = None  # const: a boolean sub-expression without the fact
    rule: CheckedRule | None = None
    args: tuple[_Node, ...] = ()


class _Analyser:
    """Takes a condition apart with respect to one fact column."""

    def __init__(self, rs: RuleSet, rule: CheckedRule, column: str) -> None:
        self.rs = rs
        self.rule = rule
        self.column = column

    def depends(self, rule: CheckedRule, e: ir.Expr) -> bool:
        for node in ir.walk(e):
            if isinstance(node, ir.FactRef) and node.column == self.column:
                return True
            if isinstance(node, ir.LocalRef):
                key = "score" if node.kind == "score" else node.name
                if self.column in rule.reads.get(key, frozenset()):
                    return True
            if isinstance(node, ir.RuleRef) and self.rule_reads(node.rule_id):
                return True
        return False

    def rule_reads(self, rule_id: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether another rule's results read the fact (directly or through others)."""
        other = self.rs.rule(rule_id)
        if self.column in other.facts:
            return True
        return any(self.rule_reads(r, seen | {rule_id}) for r in other.rule_refs if r not in seen)

    def leaf(self, rule: CheckedRule, e: ir.Expr) -> _T:
        if isinstance(e, ir.Const) and isinstance(e.value, Decimal):
            return _lit(Fraction(e.value))
        if isinstance(e, ir.ParamRef) and e.ty.kind == ir.NUMBER:
            return _lit(Fraction(self.rs.param_value(rule, e.param.name)))
        return _T("leaf", leaf=e, rule=rule)

    def affine(self, rule: CheckedRule, e: ir.Expr) -> tuple[_T, _T]:
        """(a, b) with e = a·x + b, or _NotComputable."""
        if not self.depends(rule, e):
            return _ZERO, self.leaf(rule, e)
        if isinstance(e, ir.FactRef):
            return _ONE, _ZERO
        if isinstance(e, ir.LocalRef):
            if e.kind == "score":
                assert rule.score is not None
                return self.affine(rule, rule.score)
            if e.kind == "item":
                if rule.item_max.get(e.name) is not None:
                    raise _NotComputable("non-linear", f"{e.name} (max {rule.item_max[e.name]})")
                return self.affine(rule, rule.items[e.name])
            target = rule.values.get(e.name)
            if target is None:
                raise _NotComputable("not-threshold")
            return self.affine(rule, target)
        if isinstance(e, ir.Unary) and e.op == "-":
            a, b = self.affine(rule, e.operand)
            return _op("neg", a), _op("neg", b)
        if isinstance(e, ir.Binary) and e.op in ("+", "-", "*", "/"):
            if e.op in ("+", "-"):
                a1, b1 = self.affine(rule, e.left)
                a2, b2 = self.affine(rule, e.right)
                return _op(e.op, a1, a2), _op(e.op, b1, b2)
            if e.op == "*":
                if not self.depends(rule, e.left):
                    k = self.leaf(rule, e.left)
                    a2, b2 = self.affine(rule, e.right)
                    return _op("*", k, a2), _op("*", k, b2)
                if not self.depends(rule, e.right):
                    k = self.leaf(rule, e.right)
                    a1, b1 = self.affine(rule, e.left)
                    return _op("*", a1, k), _op("*", b1, k)
                raise _NotComputable("non-linear", e.text or "x·x")
            if self.depends(rule, e.right):
                raise _NotComputable("non-linear", e.text or "…/x")
            den = self.leaf(rule, e.right)
            a1, b1 = self.affine(rule, e.left)
            return _op("/", a1, den), _op("/", b1, den)
        raise _NotComputable("non-linear", e.text or type(e).__name__)

    def structure(self, rule: CheckedRule, e: ir.Expr) -> _Node:
        if not self.depends(rule, e):
            return _Node("const", expr=e, rule=rule)
        if isinstance(e, ir.LocalRef) and e.kind == "condition":
            return self.structure(rule, rule.conditions[e.name])
        if isinstance(e, ir.LocalRef) and e.kind == "value" and e.ty.kind == ir.BOOL:
            return self.structure(rule, rule.values[e.name])
        if isinstance(e, ir.Binary) and e.op in ("and", "or"):
            return _Node(e.op, args=(self.structure(rule, e.left), self.structure(rule, e.right)))
        if isinstance(e, ir.Unary) and e.op == "not":
            return _Node("not", args=(self.structure(rule, e.operand),))
        if (
            isinstance(e, ir.Binary)
            and e.op in _FLIP
            and e.left.ty.kind == ir.NUMBER
            and e.right.ty.kind == ir.NUMBER
        ):
            in_left = self.depends(rule, e.left)
            in_right = self.depends(rule, e.right)
            a1, b1 = self.affine(rule, e.left)
            a2, b2 = self.affine(rule, e.right)
            a, b = _op("-", a1, a2), _op("-", b1, b2)
            side = "both" if in_left and in_right else "left" if in_left else "right"
            subject, other = (e.left, e.right) if side != "right" else (e.right, e.left)
            return _Node("cmp", cmp=_Cmp(e.op, a, b, side, subject, other, rule))
        if isinstance(e, ir.Binary) and e.left.ty.kind == ir.NUMBER and e.op in ("==", "!="):
            raise _NotComputable("not-threshold")
        if isinstance(e, ir.IfElse | ir.Binary):
            raise _NotComputable("non-linear", e.text or type(e).__name__)
        raise _NotComputable("not-threshold")


# ---------------------------------------------------------------------------
# Sets of grid points: unions of closed integer intervals (None = unbounded)
# ---------------------------------------------------------------------------

Interval = tuple[int | None, int | None]


def _norm(ivs: list[Interval]) -> list[Interval]:
    def lo_key(iv: Interval) -> float:
        return -math.inf if iv[0] is None else iv[0]

    out: list[Interval] = []
    for lo, hi in sorted((iv for iv in ivs if _nonempty(iv)), key=lo_key):
        if out:
            plo, phi = out[-1]
            if phi is None or (lo is not None and lo <= phi + 1):
                new_hi = None if phi is None or hi is None else max(phi, hi)
                out[-1] = (plo, new_hi)
                continue
        out.append((lo, hi))
    return out


def _nonempty(iv: Interval) -> bool:
    lo, hi = iv
    return lo is None or hi is None or lo <= hi


def _intersect(x: list[Interval], y: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a_lo, a_hi in x:
        for b_lo, b_hi in y:
            lo = b_lo if a_lo is None else a_lo if b_lo is None else max(a_lo, b_lo)
            hi = b_hi if a_hi is None else a_hi if b_hi is None else min(a_hi, b_hi)
            out.append((lo, hi))
    return _norm(out)


def _complement(x: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    start: int | None = None
    first = True
    for lo, hi in _norm(x):
        if lo is not None:
            out.append((None if first else start, lo - 1))
        first = False
        if hi is None:
            return _norm(out)
        start = hi + 1
    out.append((None if first else start, None))
    return _norm(out)


def _nearest(x: list[Interval], k0: int) -> int | None:
    best: int | None = None
    for lo, hi in _norm(x):
        if (lo is None or lo <= k0) and (hi is None or k0 <= hi):
            return k0
        cand = lo if lo is not None and lo > k0 else hi
        assert cand is not None
        if (
            best is None
            or abs(cand - k0) < abs(best - k0)
            or (abs(cand - k0) == abs(best - k0) and cand > best)
        ):
            best = cand
    return best


def _half_line(op: str, c: Fraction, scale: int) -> Interval:
    """Grid points k (x = k·10^-scale) with x op c."""
    v = c * 10**scale
    if op == ">=":
        return (math.ceil(v), None)
    if op == ">":
        return (math.floor(v) + 1, None)
    if op == "<=":
        return (None, math.floor(v))
    return (None, math.ceil(v) - 1)


# ---------------------------------------------------------------------------
# One entity
# ---------------------------------------------------------------------------


def _fraction(value: Value) -> Fraction:
    assert isinstance(value, Decimal)
    return Fraction(value)


class _Exact:
    """Exact evaluation of terms and conditions for one prepared row."""

    def __init__(self, rs: RuleSet, row: dict[str, Any]) -> None:
        self.rs = rs
        self.row = row
        self.ev = _Eval(rs, row)

    def term(self, t: _T) -> Fraction:
        if t.op == "lit":
            assert t.lit is not None
            return t.lit
        if t.op == "leaf":
            assert t.leaf is not None and t.rule is not None
            return _fraction(self.ev.ev(t.rule, t.leaf))
        vals = [self.term(a) for a in t.args]
        if t.op == "neg":
            return -vals[0]
        if t.op == "+":
            return vals[0] + vals[1]
        if t.op == "-":
            return vals[0] - vals[1]
        if t.op == "*":
            return vals[0] * vals[1]
        return Fraction(0) if vals[1] == 0 else vals[0] / vals[1]

    def feasible(self, n: _Node, scale: int) -> list[Interval]:
        if n.kind == "const":
            assert n.expr is not None and n.rule is not None
            return [(None, None)] if bool(self.ev.ev(n.rule, n.expr)) else []
        if n.kind == "and":
            return _intersect(self.feasible(n.args[0], scale), self.feasible(n.args[1], scale))
        if n.kind == "or":
            return _norm(self.feasible(n.args[0], scale) + self.feasible(n.args[1], scale))
        if n.kind == "not":
            return _complement(self.feasible(n.args[0], scale))
        assert n.cmp is not None
        a, b = self.term(n.cmp.a), self.term(n.cmp.b)
        op = n.cmp.op
        if a == 0:
            holds = {">=": b >= 0, ">": b > 0, "<=": b <= 0, "<": b < 0}[op]
            return [(None, None)] if holds else []
        if a < 0:
            op = _FLIP[op]
        return [_half_line(op, -b / a, scale)]


def _condition_expr(rule: CheckedRule, name: str) -> ir.Expr:
    if name == ELIGIBLE and name not in rule.conditions:
        assert rule.eligible is not None
        return rule.eligible
    return rule.conditions[name]


def _condition_reads(rule: CheckedRule, name: str) -> frozenset[str]:
    if name == ELIGIBLE and name not in rule.conditions:
        return rule.reads.get("__eligible__", frozenset())
    return rule.reads.get(name, frozenset())


def _label(rule: CheckedRule, name: str, english: bool = False) -> str:
    if name == ELIGIBLE and name not in rule.conditions:
        return "eligibility" if english else "资格条件"
    return rule.condition_label(name, english)


def _candidate_facts(rule: CheckedRule, name: str) -> list[ir.FactRef]:
    """The current-period numeric facts a condition reads (the ones a gap can name)."""
    out = []
    for col in sorted(_condition_reads(rule, name)):
        ref = rule.facts.get(col)
        if ref is not None and ref.lag_unit is None and ref.fact.is_number:
            out.append(ref)
    return out


def _holds(rs: RuleSet, rule: CheckedRule, expr: ir.Expr, row: dict[str, Any]) -> bool | None:
    try:
        return bool(_Eval(rs, row).ev(rule, expr))
    except _Missing:
        return None


def _grid(value: Decimal, scale: int) -> int:
    return int(value.scaleb(scale))


def _base_gap(rule: CheckedRule, name: str, fact: FactDef | None) -> Gap:
    return Gap(
        rule.id,
        name,
        _label(rule, name),
        fact.id if fact else None,
        fact.label if fact else "",
        fact.unit if fact else "none",
        fact_label_en=(fact.label_en or fact.id) if fact else "",
        condition_label_en=_label(rule, name, english=True),
    )


def _threshold(
    rs: RuleSet, node: _Node, row: dict[str, Any], ref: ir.FactRef
) -> tuple[str | None, Decimal | None, str]:
    """(op with the fact's side on the left, threshold, its unit) when the condition
    is one comparison whose other side does not read the fact — and the message
    "即可达到 T" cannot be misread: the fact's side is the fact itself, or T is in
    another unit (a ratio reached by changing an amount). Else (None, None, "none")."""
    if node.kind != "cmp" or node.cmp is None or node.cmp.side == "both":
        return None, None, "none"
    c = node.cmp
    subject_is_fact = isinstance(c.subject, ir.FactRef) and c.subject.column == ref.column
    if not subject_is_fact and c.threshold_unit == ref.fact.unit:
        return None, None, "none"
    try:
        value = _Eval(rs, row).ev(c.rule, c.other)
    except _Missing:
        return None, None, "none"
    if not isinstance(value, Decimal):
        return None, None, "none"
    return c.oriented_op, value, c.threshold_unit


def condition_gap(
    ruleset: RuleSet,
    rule: CheckedRule,
    name: str,
    ref: ir.FactRef,
    row: dict[str, Any],
) -> Gap:
    """The gap of one fact for one condition, for one prepared row (see `prepare_row`)."""
    fact = ref.fact
    base = _base_gap(rule, name, fact)
    expr = _condition_expr(rule, name)
    analyser = _Analyser(ruleset, rule, ref.column)
    try:
        node = analyser.structure(rule, expr)
    except _NotComputable as exc:
        return replace(base, reason=exc.reason, detail=exc.detail)
    current = row.get(ref.column)
    if not isinstance(current, Decimal):
        return replace(base, reason="unverified")
    scale = fact.scale
    k0 = _grid(current, scale)
    exact = _Exact(ruleset, row)
    try:
        feasible = exact.feasible(node, scale)
    except _Missing:
        return replace(base, current=current, reason="unverified")
    k = _nearest(feasible, k0)
    if k is None:
        return replace(base, current=current, reason="unreachable")
    k = _confirm(lambda kk: _holds_at(ruleset, rule, expr, row, ref.column, kk, scale), k, k0)
    if k is None:
        return replace(base, current=current, reason="unverified")
    target = Decimal(k).scaleb(-scale)
    op, threshold, t_unit = _threshold(ruleset, node, row, ref)
    return replace(
        base,
        current=current,
        target=target,
        change=target - current,
        op=op,
        threshold=threshold,
        threshold_unit=t_unit,
    )


def _holds_at(
    rs: RuleSet,
    rule: CheckedRule,
    expr: ir.Expr,
    row: dict[str, Any],
    column: str,
    k: int,
    scale: int,
) -> bool:
    changed = dict(row)
    changed[column] = Decimal(k).scaleb(-scale)
    return _holds(rs, rule, expr, changed) is True


def _confirm(holds: Callable[[int], bool], k: int, k0: int) -> int | None:
    """The grid point nearest to k0 in the direction of k where the condition holds,
    starting from the estimate k and moving at most _SEARCH steps either way."""
    if k == k0:
        return None
    d = 1 if k > k0 else -1
    for _ in range(_SEARCH):
        if not holds(k):
            k += d
            continue
        while k - d != k0 and holds(k - d):
            k -= d
        return k
    return None


def gaps(
    ruleset: RuleSet,
    rule_id: str,
    facts_row: Mapping[str, Any],
    *,
    conditions: list[str] | None = None,
) -> list[Gap]:
    """For each failed condition of `rule_id` (or of `conditions`), the smallest
    change of each numeric fact it reads that makes it hold, others fixed.

    `facts_row` is one entity's facts, as for `interpret`. Conditions that are not
    linear thresholds yield a `Gap` with a `reason` instead of a number.
    """
    rule = ruleset.rule(rule_id)
    row = prepare_row(ruleset, facts_row)
    result = interpret_prepared(ruleset, row, rule_id)[rule_id]
    if conditions is not None:
        failed = [n for n in conditions if result.conditions.get(n) is False]
    else:
        failed = [n for n, v in result.conditions.items() if v is False]
    if (
        conditions is None
        and not rule.conditions
        and rule.eligible is not None
        and not result.eligible
        and result.status == 0
    ):
        failed = [ELIGIBLE]
    out: list[Gap] = []
    for name in failed:
        refs = _candidate_facts(rule, name)
        if not refs:
            out.append(replace(_base_gap(rule, name, None), reason="not-threshold"))
            continue
        for ref in refs:
            out.append(condition_gap(ruleset, rule, name, ref, row))
    return out


def summarize(found: list[Gap], lang: Lang = "zh") -> dict[str, list[str]]:
    """Messages per condition: each computed gap, then one line for the facts whose
    gap cannot be computed because the condition is not linear in them."""
    out: dict[str, list[str]] = {}
    nonlinear: dict[str, list[Gap]] = {}
    for g in found:
        if g.reason == "non-linear":
            nonlinear.setdefault(g.condition, []).append(g)
        else:
            out.setdefault(g.condition, []).append(g.message(lang))
    for cond, items in nonlinear.items():
        if len(items) == 1:
            out.setdefault(cond, []).append(items[0].message(lang))
            continue
        if lang == "zh":
            names = "、".join(g.fact_label for g in items)
            text = f"「{items[0].condition_label}」对{names}不是线性门槛，无法计算差距"
        else:
            names = ", ".join(g.fact_label_en or g.fact or "" for g in items)
            label = items[0].condition_label_en or items[0].condition_label
            text = f"'{label}' is not a linear threshold in {names}; no gap"
        out.setdefault(cond, []).append(text)
    return out


# ---------------------------------------------------------------------------
# A population: near misses
# ---------------------------------------------------------------------------


@dataclass
class _Margin:
    relative: Fraction | None = None
    absolute: dict[str, Decimal] = field(default_factory=dict)


def _parse_margin(margin: Any, rs: RuleSet) -> _Margin:
    if isinstance(margin, Mapping):
        out: dict[str, Decimal] = {}
        for key, value in margin.items():
            fact = rs.schema.resolve(str(key))
            out[fact.id if fact else str(key)] = Decimal(str(value))
        return _Margin(absolute=out)
    return _Margin(relative=Fraction(Decimal(str(margin))))


def _engine_to_grid(col: str, dtype: pl.DataType, scale: int) -> pl.Expr:
    """A numeric column of `prepare_facts` output as integers on the fact's grid
    (the engine keeps numbers as Decimal or as their scaled integers)."""
    if isinstance(dtype, pl.Decimal):
        shift = scale - (dtype.scale or 0)
        expr = pl.col(col).to_physical().cast(pl.Int128)
        return expr * 10**shift if shift > 0 else expr
    return pl.col(col).cast(pl.Int128)


def _grid_to_engine(k: pl.Expr, dtype: pl.DataType, scale: int) -> pl.Expr:
    if isinstance(dtype, pl.Decimal):
        unit = pl.lit(Decimal(1).scaleb(-scale), dtype=pl.Decimal(38, scale))
        return (k.cast(pl.Decimal(38, 0)) * unit).cast(dtype)
    return k.cast(dtype)


def _grid_to_decimal(k: pl.Expr, scale: int) -> pl.Expr:
    unit = pl.lit(Decimal(1).scaleb(-scale), dtype=pl.Decimal(38, scale))
    return (k.cast(pl.Decimal(38, 0)) * unit).cast(pl.Decimal(38, scale))


def _ceil_div(a: pl.Expr, b: int) -> pl.Expr:
    """ceil(a / b) for a ≥ 0."""
    if b <= 1:
        return a
    quotient: pl.Expr = (a + (b - 1)).floordiv(b)
    return quotient


def _scaled(units: pl.Expr, scale: int, places: int) -> pl.Expr:
    """ceil(units × 10^(places − scale)): a non-negative grid value at `places` decimals."""
    if places >= scale:
        return units * int(10 ** (places - scale))
    return _ceil_div(units, 10 ** (scale - places))


def _s(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.String)


def _zfill2(e: pl.Expr) -> pl.Expr:
    return _s(e).str.zfill(2)


def amount_text_expr(units: pl.Expr, scale: int, unit: str) -> pl.Expr:
    """`amount_text` (Chinese) as a Polars expression over |change| on the fact's grid
    (non-negative integers, value × 10^scale)."""
    if unit == "yuan":
        wan2 = _scaled(units, scale + 2, 0)  # hundredths of 万元 (100 元), rounded up
        frac = wan2 % 100
        wan = pl.concat_str(
            [
                _s(wan2 // 100),
                pl.lit("."),
                pl.when(frac % 10 == 0).then(_s(frac // 10)).otherwise(_zfill2(frac)),
                pl.lit(" 万元"),
            ]
        )
        fen = _scaled(units, scale, 2)
        yuan = pl.concat_str([_s(fen // 100), pl.lit("."), _zfill2(fen % 100), pl.lit(" 元")])
        return pl.when(units >= 10 ** (scale + 4)).then(wan).otherwise(yuan)
    if unit == "ratio":
        pp = _scaled(units, scale, 4)  # hundredths of a percentage point
        frac = pp % 100
        tail = (
            pl.when(frac == 0)
            .then(pl.lit(""))
            .when(frac % 10 == 0)
            .then(pl.concat_str([pl.lit("."), _s(frac // 10)]))
            .otherwise(pl.concat_str([pl.lit("."), _zfill2(frac)]))
        )
        return pl.concat_str([_s(pp // 100), tail, pl.lit(" 个百分点")])
    if unit in ("count", "days"):
        n = _s(_ceil_div(units, 10**scale))
        return pl.concat_str([n, pl.lit(" 天")]) if unit == "days" else n
    text = _s(_grid_to_decimal(units, scale))
    return text.str.replace(r"0+$", "").str.replace(r"\.$", "")


def _float_term(t: _T, leaf_cols: dict[int, str]) -> pl.Expr:
    if t.op == "lit":
        assert t.lit is not None
        return pl.lit(float(t.lit), dtype=pl.Float64)
    if t.op == "leaf":
        assert t.leaf is not None
        return pl.col(leaf_cols[id(t.leaf)])
    args = [_float_term(a, leaf_cols) for a in t.args]
    if t.op == "neg":
        return -args[0]
    if t.op == "+":
        return args[0] + args[1]
    if t.op == "-":
        return args[0] - args[1]
    if t.op == "*":
        return args[0] * args[1]
    return pl.when(args[1] == 0).then(0.0).otherwise(args[0] / args[1])


_NEGATE = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
_DNF_LIMIT = 16

#: a literal of a conjunction: a comparison, or a fact-free condition (negated or not)
_Lit = tuple[_Cmp | None, ir.Expr | None, CheckedRule | None]


def _dnf(n: _Node, negate: bool = False) -> list[list[_Lit]] | None:
    """The condition as an `or` of `and`s of literals (None if that gets too big)."""
    if n.kind == "not":
        return _dnf(n.args[0], not negate)
    if n.kind == "const":
        assert n.expr is not None
        e = ir.Unary(ir.T_BOOL, None, 0, 0, "not", n.expr) if negate else n.expr
        return [[(None, e, n.rule)]]
    if n.kind == "cmp":
        assert n.cmp is not None
        c = replace(n.cmp, op=_NEGATE[n.cmp.op]) if negate else n.cmp
        return [[(c, None, None)]]
    left, right = _dnf(n.args[0], negate), _dnf(n.args[1], negate)
    if left is None or right is None:
        return None
    is_or = (n.kind == "or") != negate  # De Morgan under a `not`
    out = left + right if is_or else [a + b for a in left for b in right]
    return out if len(out) <= _DNF_LIMIT else None


def _synthetic(
    rule: CheckedRule,
    tag: str,
    *,
    score: ir.Expr | None = None,
    conditions: dict[str, ir.Expr] | None = None,
) -> CheckedRule:
    """A copy of `rule` under another id that computes only `score` or `conditions`."""
    version = replace(rule.version, rule_id=f"{rule.id}__{tag}")
    return replace(
        rule,
        version=version,
        conditions=dict(conditions or {}),
        condition_info={},
        score=score,
        eligible=None,
        amount=None,
    )


def _ruleset_of(rs: RuleSet, rules: list[CheckedRule], source: CheckedRule) -> RuleSet:
    overrides = dict(rs.overrides)
    for key, value in rs.overrides.items():
        if key.startswith(f"{source.id}."):
            param = key.split(".", 1)[1]
            for r in rules:
                overrides[f"{r.id}.{param}"] = value
    deps = dict(rs.deps)
    deps.update({r.id: r for r in rules})
    return RuleSet(rs.period, rs.entity, rules, deps, rs.schema, overrides)


def _eval_wide(rs: RuleSet, frame: pl.DataFrame) -> pl.DataFrame:
    """The Polars engine's wide results for already prepared facts."""
    from .compile_polars import column_stats, compile_rules

    lf = frame.lazy()
    return compile_rules(rs, column_stats(rs, lf)).select(lf).collect()


_RESULT_SCHEMA: dict[str, pl.DataType] = {
    "entity_id": pl.String(),
    "rule_id": pl.String(),
    "condition": pl.String(),
    "condition_label": pl.String(),
    "fact": pl.String(),
    "fact_label": pl.String(),
    "current": pl.Decimal(38, 2),
    "target": pl.Decimal(38, 2),
    "change": pl.Decimal(38, 2),
    "message": pl.String(),
}


def near_misses(
    ruleset: RuleSet,
    rule_id: str,
    facts: Any,
    *,
    margin: Decimal | float | str | Mapping[str, Decimal | float | int | str] = Decimal("0.1"),
) -> pl.DataFrame:
    """Entities that fail `rule_id` by exactly one condition, with a gap within `margin`.

    `facts`: as for `evaluate` (Polars frame, Arrow table or Parquet path).
    `margin`: a number is relative — the fact's change is at most that share of the
    value it must reach (0.1: within 10 %; for `x >= T` that is 10 % of T); a
    mapping fact id (or alias) → largest change in the fact's unit is absolute
    (`{"rd_expense": 200000, "employees": 10}`; facts not listed are left out).

    One row per entity and fact: `entity_id, rule_id, condition, condition_label,
    fact, fact_label, current, target, change, message` — exact decimals (at the
    largest scale of the facts listed), the message in Chinese as `Gap.message`.
    A rule with an `eligible` expression and no named conditions has one
    condition, `eligible`.
    """
    from .compile_polars import ENTITY, prepare_facts

    rule = ruleset.rule(rule_id)
    marg = _parse_margin(margin, ruleset)
    one = RuleSet(
        ruleset.period, ruleset.entity, [rule], ruleset.deps, ruleset.schema, ruleset.overrides
    )
    prepared = prepare_facts(one, facts).collect()
    names = list(rule.conditions)
    rid = rule.id
    wide = _eval_wide(one, prepared)
    keep = (pl.col(f"{rid}.status") == 0) & ~pl.col(f"{rid}.eligible")
    if not names and rule.eligible is not None:
        names = [ELIGIBLE]
        failed_idx = pl.lit(0, dtype=pl.Int64)
    elif not names:
        return pl.DataFrame(schema=_RESULT_SCHEMA)
    else:
        mask = pl.col(f"{rid}.conditions").cast(pl.UInt64)
        missing_bits = pl.lit((1 << len(names)) - 1, dtype=pl.UInt64) ^ mask
        keep = keep & (mask.bitwise_count_ones() == len(names) - 1)
        failed_idx = missing_bits.bitwise_trailing_zeros().cast(pl.Int64)
    cands = wide.filter(keep).select(pl.col(ENTITY), failed_idx.alias("__failed"))
    frame = prepared.join(cands, on=ENTITY, how="inner", maintain_order="right")
    parts: list[pl.DataFrame] = []
    for idx, name in enumerate(names):
        sub = frame.filter(pl.col("__failed") == idx).drop("__failed")
        if sub.height == 0:
            continue
        for ref in _candidate_facts(rule, name):
            part = _near_for(one, rule, name, ref, sub, marg)
            if part is not None and part.height:
                parts.append(part)
    if not parts:
        return pl.DataFrame(schema=_RESULT_SCHEMA)
    places = max(_decimal_scale(p.schema["current"]) for p in parts)
    same = [
        p.with_columns(
            pl.col(c).cast(pl.Decimal(38, places)) for c in ("current", "target", "change")
        )
        for p in parts
    ]
    return pl.concat(same, how="vertical").sort([ENTITY, "condition", "fact"])


def _decimal_scale(dtype: pl.DataType) -> int:
    return int(dtype.scale or 0) if isinstance(dtype, pl.Decimal) else 0


def _near_for(
    rs: RuleSet,
    rule: CheckedRule,
    name: str,
    ref: ir.FactRef,
    sub: pl.DataFrame,
    marg: _Margin,
) -> pl.DataFrame | None:
    """Near-miss rows of one condition and one fact, for the entities failing only it."""
    fact = ref.fact
    if marg.relative is None and fact.id not in marg.absolute:
        return None
    expr = _condition_expr(rule, name)
    try:
        node = _Analyser(rs, rule, ref.column).structure(rule, expr)
    except _NotComputable:
        return None
    scale = fact.scale
    dtype = sub.schema[ref.column]
    dnf = _dnf(node)
    if dnf is None:
        found = _exact_rows(rs, rule, name, ref, sub)
    else:
        estimated, unsure = _estimate(rule, ref, dnf, rs, sub, dtype, scale)
        found = _verify(rs, rule, name, ref, estimated, dtype, scale)
        if unsure.height:
            found = pl.concat([found, _exact_rows(rs, rule, name, ref, unsure)], how="vertical")
    if found.height == 0:
        return None
    k0 = _engine_to_grid(ref.column, dtype, scale)
    done = found.with_columns(k0.alias("__k0")).with_columns(
        (pl.col("__k") - pl.col("__k0")).alias("__dk")
    )
    if marg.relative is not None:
        frac = marg.relative
        within = pl.col("__dk").abs() * frac.denominator <= pl.col("__k").abs() * frac.numerator
    else:
        within = pl.col("__dk").abs() <= math.floor(Fraction(marg.absolute[fact.id]) * 10**scale)
    done = done.filter(within)
    if done.height == 0:
        return None
    return _result_rows(rs, rule, name, ref, node, done, scale)


def _estimate(
    rule: CheckedRule,
    ref: ir.FactRef,
    dnf: list[list[_Lit]],
    rs: RuleSet,
    sub: pl.DataFrame,
    dtype: pl.DataType,
    scale: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A Float64 estimate of the nearest passing grid point per row (`__k`), and the
    rows where the estimate is unusable (left to the exact per-entity path).

    Each conjunction of the condition's DNF is an interval of the fact (its
    comparisons are half-lines; its fact-free parts must hold); the estimate is the
    nearest end of the nearest interval."""
    leaves: list[tuple[CheckedRule, ir.Expr]] = []
    consts: dict[int, tuple[str, ir.Expr, CheckedRule]] = {}
    for conj in dnf:
        for c, e, r in conj:
            if c is not None:
                _leaves(c.a, leaves)
                _leaves(c.b, leaves)
            elif e is not None and r is not None and id(e) not in consts:
                consts[id(e)] = (f"c{len(consts)}", e, r)
    synth: list[CheckedRule] = []
    leaf_cols: dict[int, str] = {}
    for i, (r, e) in enumerate(leaves):
        syn = _synthetic(r, f"leaf{i}", score=e)
        synth.append(syn)
        leaf_cols[id(e)] = f"{syn.id}.score"
    if consts:
        conds = {key: e for key, e, _ in consts.values()}
        synth.append(_synthetic(rule, "consts", conditions=conds))
    frame = sub
    if synth:
        values = _eval_wide(_ruleset_of(rs, synth, rule), sub)
        cols = [pl.col(c).cast(pl.Float64) for c in leaf_cols.values()]
        if consts:
            cols.append(pl.col(f"{rule.id}__consts.conditions").cast(pl.Int64).alias("__consts"))
        frame = sub.with_columns(values.select(cols))
    const_bit = {eid: 1 << i for i, eid in enumerate(consts)}
    factor = float(10**scale)
    k0 = _engine_to_grid(ref.column, dtype, scale).cast(pl.Float64)
    targets: list[pl.Expr] = []
    inside: list[pl.Expr] = []
    for conj in dnf:
        lower: list[pl.Expr] = []
        upper: list[pl.Expr] = []
        empty: list[pl.Expr] = []
        for c, e, _ in conj:
            if c is None:
                assert e is not None
                bit = const_bit[id(e)]
                empty.append((pl.col("__consts") & bit) == 0)
                continue
            a = _float_term(c.a, leaf_cols)
            b = _float_term(c.b, leaf_cols)
            v = -b / a * factor
            strict = c.op in (">", "<")
            lo = (v.floor() + 1) if strict else v.ceil()
            hi = (v.ceil() - 1) if strict else v.floor()
            # x·a + b op 0: a > 0 keeps the direction of op, a < 0 flips it
            is_lower = (a > 0) if c.op in (">", ">=") else (a < 0)
            lower.append(pl.when(is_lower).then(lo))
            upper.append(pl.when((a != 0) & ~is_lower).then(hi))
            holds = {">=": b >= 0, ">": b > 0, "<=": b <= 0, "<": b < 0}[c.op]
            empty.append((a == 0) & ~holds)  # a constant part that fails
        lo_all = pl.max_horizontal(lower) if lower else pl.lit(None, dtype=pl.Float64)
        hi_all = pl.min_horizontal(upper) if upper else pl.lit(None, dtype=pl.Float64)
        no_room = (lo_all > hi_all).fill_null(False)
        if empty:
            no_room = no_room | pl.any_horizontal(empty)
        below = lo_all.is_not_null() & (k0 < lo_all)
        above = hi_all.is_not_null() & (k0 > hi_all)
        targets.append(pl.when(~no_room & below).then(lo_all).when(~no_room & above).then(hi_all))
        inside.append(~no_room & ~below & ~above)
    dist = [(t - k0).abs() for t in targets]
    best = pl.min_horizontal(dist)
    # the nearest interval end; between two equally near, the larger value
    target = pl.max_horizontal(
        [pl.when(d == best).then(t) for d, t in zip(dist, targets, strict=True)]
    )
    sane = target.is_finite() & (target.abs() < 2.0**100)
    frame = frame.with_columns(
        pl.any_horizontal(inside).alias("__unsure"),
        pl.when(sane).then(target).cast(pl.Int128).alias("__k"),
    )
    unsure = pl.col("__unsure") | (pl.col("__k").is_null() & target.is_not_null())
    keep = [*sub.columns, "__k"]
    return (
        frame.filter(~pl.col("__unsure") & pl.col("__k").is_not_null()).select(keep),
        frame.filter(unsure).select(sub.columns),
    )


def _verify(
    rs: RuleSet,
    rule: CheckedRule,
    name: str,
    ref: ir.FactRef,
    est: pl.DataFrame,
    dtype: pl.DataType,
    scale: int,
) -> pl.DataFrame:
    """Confirm every estimate with the exact engine — the condition holds at `__k`
    and not one grid step nearer the current value — moving it where it does not."""
    if est.height == 0:
        return est
    check = _synthetic(rule, "check", conditions={"c": _condition_expr(rule, name)})
    check_rs = _ruleset_of(rs, [check], rule)
    k0 = _engine_to_grid(ref.column, dtype, scale)
    pending = est.with_columns(
        pl.when(pl.col("__k") > k0).then(1).otherwise(-1).cast(pl.Int128).alias("__d")
    )
    done: list[pl.DataFrame] = []
    for _ in range(_SEARCH):
        if pending.height == 0:
            break
        at_k = pending.with_columns(_grid_to_engine(pl.col("__k"), dtype, scale).alias(ref.column))
        nearer = pending.with_columns(
            _grid_to_engine(pl.col("__k") - pl.col("__d"), dtype, scale).alias(ref.column)
        )
        both = pl.concat([at_k, nearer], how="vertical").drop("__k", "__d")
        held = _eval_wide(check_rs, both)[f"{check.id}.conditions"].cast(pl.Int64) == 1
        n = pending.height
        pending = pending.with_columns(
            held.slice(0, n).alias("__ok"), held.slice(n, n).alias("__ok_nearer")
        )
        nearer_is_current = (pl.col("__k") - pl.col("__d")) == k0
        good = pl.col("__ok") & (~pl.col("__ok_nearer") | nearer_is_current)
        done.append(pending.filter(good).drop("__d", "__ok", "__ok_nearer"))
        pending = (
            pending.filter(~good)
            .with_columns(
                pl.when(pl.col("__ok"))
                .then(pl.col("__k") - pl.col("__d"))
                .otherwise(pl.col("__k") + pl.col("__d"))
                .alias("__k")
            )
            .drop("__ok", "__ok_nearer")
        )
    if pending.height:  # estimates that did not settle: the exact per-entity path
        done.append(_exact_rows(rs, rule, name, ref, pending.drop("__k", "__d")))
    return pl.concat(done, how="vertical")


def _row_values(rs: RuleSet, frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of prepared facts as the interpreter's values (exact decimals)."""
    needed = {c: r for c, r in rs.fact_columns().items() if c in frame.columns}
    out: list[dict[str, Any]] = []
    for row in frame.select(list(needed)).iter_rows(named=True):
        values: dict[str, Any] = {}
        for col, ref in needed.items():
            v = row[col]
            if v is not None and ref.fact.is_number and not isinstance(v, Decimal):
                v = Decimal(int(v)).scaleb(-ref.fact.scale)
            elif v is not None and ref.fact.type is FactType.ENUM:
                v = str(v)
            values[col] = v
        out.append(values)
    return out


def _exact_rows(
    rs: RuleSet, rule: CheckedRule, name: str, ref: ir.FactRef, sub: pl.DataFrame
) -> pl.DataFrame:
    """The exact per-entity computation (conditions with or/not, and a fallback)."""
    ks: list[int | None] = []
    for values in _row_values(rs, sub):
        g = condition_gap(rs, rule, name, ref, values)
        ks.append(None if g.target is None else _grid(g.target, ref.fact.scale))
    out = sub.with_columns(pl.Series("__k", ks, dtype=pl.Int128))
    return out.filter(pl.col("__k").is_not_null())


def _reads_facts(rule: CheckedRule, e: ir.Expr) -> bool:
    for node in ir.walk(e):
        if isinstance(node, ir.FactRef | ir.RuleRef):
            return True
        if isinstance(node, ir.LocalRef):
            key = "score" if node.kind == "score" else node.name
            if rule.reads.get(key):
                return True
    return False


def _result_rows(
    rs: RuleSet,
    rule: CheckedRule,
    name: str,
    ref: ir.FactRef,
    node: _Node,
    done: pl.DataFrame,
    scale: int,
) -> pl.DataFrame:
    from .compile_polars import ENTITY

    fact = ref.fact
    base = _base_gap(rule, name, fact)
    columns = [
        pl.col(ENTITY).cast(pl.String),
        pl.lit(rule.id).alias("rule_id"),
        pl.lit(name).alias("condition"),
        pl.lit(_label(rule, name)).alias("condition_label"),
        pl.lit(fact.id).alias("fact"),
        pl.lit(fact.label).alias("fact_label"),
        _grid_to_decimal(pl.col("__k0"), scale).alias("current"),
        _grid_to_decimal(pl.col("__k"), scale).alias("target"),
        _grid_to_decimal(pl.col("__dk"), scale).alias("change"),
    ]
    cmp = node.cmp if node.kind == "cmp" else None
    if cmp is not None and cmp.side != "both" and _reads_facts(cmp.rule, cmp.other):
        # the threshold differs between entities: messages one by one
        messages = []
        for values, k, dk in zip(
            _row_values(rs, done), done["__k"].to_list(), done["__dk"].to_list(), strict=True
        ):
            op, threshold, t_unit = _threshold(rs, node, values, ref)
            change = Decimal(int(dk)).scaleb(-scale)
            target = Decimal(int(k)).scaleb(-scale)
            g = replace(
                base,
                current=target - change,
                target=target,
                change=change,
                op=op,
                threshold=threshold,
                threshold_unit=t_unit,
            )
            messages.append(g.message())
        return done.select(*columns, pl.Series("message", messages, dtype=pl.String))
    op, threshold, t_unit = _threshold(rs, node, {}, ref)
    g = replace(base, op=op, threshold=threshold, threshold_unit=t_unit)
    up_before, up_after = _around(g, "zh", True)
    down_before, down_after = _around(g, "zh", False)
    amount = amount_text_expr(pl.col("__dk").abs(), scale, fact.unit)
    message = (
        pl.when(pl.col("__dk") > 0)
        .then(pl.concat_str([pl.lit(up_before), amount, pl.lit(up_after)]))
        .otherwise(pl.concat_str([pl.lit(down_before), amount, pl.lit(down_after)]))
    )
    return done.select(*columns, message.alias("message"))


__all__ = [
    "ELIGIBLE",
    "Gap",
    "amount_text",
    "amount_text_expr",
    "condition_gap",
    "gaps",
    "near_misses",
    "summarize",
    "threshold_text",
]
