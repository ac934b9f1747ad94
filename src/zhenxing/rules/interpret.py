"""The reference interpreter: one entity at a time, Python `Decimal`, no shortcuts.

This is the ground truth the vectorised (Polars) and SQL backends are tested
against. It implements the semantics of docs/rules-language.md directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import ir
from .check import CheckedRule, RuleSet
from .schema import (
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

Value = Decimal | bool | str | dt.date

STATUS_OK = 0
STATUS_MISSING_INELIGIBLE = 1
STATUS_MISSING_REPORT = 2
STATUS_NAMES = {0: "ok", 1: "missing_ineligible", 2: "missing_report"}


@dataclass
class RuleResult:
    rule_id: str
    eligible: bool
    amount: Decimal  # yuan, 2 decimal places
    score: Decimal | None
    conditions: dict[str, bool | None]  # None: the condition needs a missing fact
    status: int = STATUS_OK
    #: missing facts (columns) that the result needed, and those that made a
    #: condition unknown (which can happen with status ok, when another one decided)
    missing: list[str] = field(default_factory=list)

    @property
    def amount_fen(self) -> int:
        return int(self.amount * 100)

    @property
    def failed(self) -> list[str]:
        return [k for k, v in self.conditions.items() if v is False]

    def condition_mask(self) -> int:
        return sum(1 << i for i, v in enumerate(self.conditions.values()) if v is True)


@dataclass(frozen=True, slots=True)
class Missing:
    """The outcome of an expression whose value needs missing facts: which ones.

    A fact with policy `zero` is never missing (it reads as 0). Only what an
    evaluation actually needs counts: the branch of an `if` that is taken, the
    arguments of `coalesce` up to the first present one, the side of `and`/`or`
    that decides (Kleene logic); every other operator needs all its operands.
    """

    columns: frozenset[str]


Trace = dict[int, Value | Missing]  # id(ir node) -> value (or what it lacked)


def _union(*parts: Missing) -> Missing:
    return Missing(frozenset().union(*(p.columns for p in parts)))


def _kleene_and(values: list[Value | Missing]) -> Value | Missing:
    """False if any is false; else missing if any is missing; else true."""
    if any(v is False for v in values):
        return False
    lacking = [v for v in values if isinstance(v, Missing)]
    return _union(*lacking) if lacking else True


def _kleene_or(values: list[Value | Missing]) -> Value | Missing:
    if any(v is True for v in values):
        return True
    lacking = [v for v in values if isinstance(v, Missing)]
    return _union(*lacking) if lacking else False


class _Eval:
    def __init__(
        self,
        ruleset: RuleSet,
        row: Mapping[str, Any],
        trace: Trace | None = None,
    ) -> None:
        self.rs = ruleset
        self.row = row
        self.trace = trace
        self.results: dict[str, RuleResult] = {}
        self.locals: dict[tuple[str, str], Value | Missing] = {}
        # per rule: the missing columns its result needed (empty when decided)
        self.needed: dict[str, frozenset[str]] = {}
        self.policies = {c: ref.fact.missing for c, ref in ruleset.fact_columns().items()}

    def status_of(self, columns: frozenset[str]) -> int:
        if not columns:
            return STATUS_OK
        if any(self.policies.get(c) is MissingPolicy.REPORT for c in columns):
            return STATUS_MISSING_REPORT
        return STATUS_MISSING_INELIGIBLE

    # ------------------------------------------------------------------
    def rule(self, rule: CheckedRule) -> RuleResult:
        """The result: eligibility, then the amount (only when eligible) and the score;
        its status says whether any of them needed a missing fact."""
        if rule.id in self.results:
            return self.results[rule.id]
        conditions: dict[str, bool | None] = {}
        values: list[Value | Missing] = []
        unknown: set[str] = set()
        for name, expr in rule.conditions.items():
            v = self.local(rule, name, "condition", expr)
            values.append(v)
            if isinstance(v, Missing):
                conditions[name] = None
                unknown |= v.columns
            else:
                conditions[name] = bool(v)
        # eligible: the expression, or all conditions (in Kleene logic)
        target = rule.eligible
        elig = _kleene_and(values) if target is None else self.value(rule, target)
        needed: set[str] = set()
        eligible = False
        amount = Decimal("0.00")
        if isinstance(elig, Missing):
            needed |= elig.columns
        else:
            eligible = bool(elig)
        if eligible and rule.amount is not None:
            av = self.value(rule, rule.amount)
            if isinstance(av, Missing):
                needed |= av.columns
            else:
                assert isinstance(av, Decimal)
                amount = quantize(av, 2, rule.version.rounding)
        score: Decimal | None = None
        if rule.score is not None:
            sv = self.local(rule, "score", "score")
            if isinstance(sv, Missing):
                needed |= sv.columns
            else:
                assert isinstance(sv, Decimal)
                score = sv
        status = self.status_of(frozenset(needed))
        self.needed[rule.id] = frozenset(needed)
        missing = sorted(needed | unknown)
        if status != STATUS_OK:
            result = RuleResult(rule.id, False, Decimal("0.00"), None, conditions, status, missing)
        else:
            result = RuleResult(rule.id, eligible, amount, score, conditions, status, missing)
        self.results[rule.id] = result
        return result

    def trace_the_rest(self, rule: CheckedRule) -> None:
        """Evaluate, for the trace only, what the result did not need: every named
        value and score item, and the amount of an entity that is not eligible.

        Evaluation is lazy — a value that only the amount reads is not computed when
        a condition fails — but an explanation must show every intermediate value.
        The result is already decided; nothing here changes it.
        """
        for name in rule.values:
            self.local(rule, name, "value")
        for name in rule.items:
            self.local(rule, name, "item")
        if rule.amount is not None and self.trace is not None and id(rule.amount) not in self.trace:
            self.value(rule, rule.amount)

    def local(
        self, rule: CheckedRule, name: str, kind: str, expr: ir.Expr | None = None
    ) -> Value | Missing:
        key = (rule.id, name)
        if key in self.locals:
            return self.locals[key]
        value: Value | Missing
        if kind == "score":
            assert rule.score is not None
            value = self.value(rule, rule.score)
        elif kind == "item":
            value = self.value(rule, rule.items[name])
            mx = rule.item_max.get(name)
            if mx is not None and not isinstance(value, Missing):
                assert isinstance(value, Decimal)
                value = min(value, mx)
        else:
            target = expr
            if target is None:
                target = rule.values.get(name) or rule.conditions.get(name)
            assert target is not None
            value = self.value(rule, target)
        self.locals[key] = value
        return value

    # ------------------------------------------------------------------
    def ev(self, rule: CheckedRule, e: ir.Expr) -> Value:
        """The value of `e`; raises `_Missing` when it needs a missing fact."""
        value = self.value(rule, e)
        if isinstance(value, Missing):
            raise _Missing(min(value.columns, default=""))
        return value

    def value(self, rule: CheckedRule, e: ir.Expr) -> Value | Missing:
        value = self._ev(rule, e)
        if self.trace is not None:
            self.trace[id(e)] = value
        return value

    def _ev(self, rule: CheckedRule, e: ir.Expr) -> Value | Missing:
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.FactRef):
            v = self.row.get(e.column)
            if v is None:
                return Missing(frozenset((e.column,)))
            return v  # type: ignore[no-any-return]
        if isinstance(e, ir.ParamRef):
            return self.rs.param(rule, e.param.name)
        if isinstance(e, ir.LocalRef):
            if e.kind == "score":
                return self.local(rule, "score", "score")
            if e.kind == "item":
                return self.local(rule, e.name, "item")
            return self.local(rule, e.name, e.kind)
        if isinstance(e, ir.PeriodRef):
            p = self.rs.period
            if e.name == "period_year":
                return Decimal(p.year)
            if e.name == "period_month":
                return Decimal(p.month or 1)
            if e.name == "period_start":
                return p.first_day
            return p.last_day
        if isinstance(e, ir.RuleRef):
            res = self.rule(self.rs.rule(e.rule_id))
            if res.status != STATUS_OK:
                # undecided there: missing here too, for the same facts (same kind)
                return Missing(self.needed[e.rule_id])
            if e.field_name == "eligible":
                return res.eligible
            if e.field_name == "amount":
                return res.amount
            return res.score if res.score is not None else Decimal(0)
        if isinstance(e, ir.Unary):
            x = self.value(rule, e.operand)
            if isinstance(x, Missing):
                return x
            if e.op == "not":
                return not x
            assert isinstance(x, Decimal)
            return x.copy_negate()
        if isinstance(e, ir.Binary):
            return self.binary(rule, e)
        if isinstance(e, ir.InList):
            x = self.value(rule, e.operand)
            items = [self.value(rule, item) for item in e.items]
            lacking = [v for v in (x, *items) if isinstance(v, Missing)]
            if lacking:
                return _union(*lacking)
            found = any(x == item for item in items)
            return found != e.negated
        if isinstance(e, ir.IfElse):
            c = self.value(rule, e.cond)
            if isinstance(c, Missing):
                return c
            return self.value(rule, e.then) if c else self.value(rule, e.else_)
        if isinstance(e, ir.Call):
            return self.call(rule, e)
        if isinstance(e, ir.Band):
            # strict: every part is needed, whichever band is taken
            parts = [self.value(rule, p) for p in (e.operand, *e.thresholds, *e.values, e.default)]
            lacking = [v for v in parts if isinstance(v, Missing)]
            if lacking:
                return _union(*lacking)
            x = _dec(parts[0])  # type: ignore[arg-type]
            # a quotient is placed in its band by its exact value, like a comparison
            xv: Decimal | Fraction = x if e.exact is None else self.exact(rule, e.exact)
            k = len(e.thresholds)
            pairs = list(zip(parts[1 : 1 + k], parts[1 + k : 1 + 2 * k], strict=True))
            if e.at_most:
                for tv, v in pairs:
                    if xv <= _dec(tv):  # type: ignore[arg-type]
                        return v
            else:
                for tv, v in reversed(pairs):
                    if xv >= _dec(tv):  # type: ignore[arg-type]
                        return v
            return parts[-1]
        raise AssertionError(e)  # pragma: no cover

    def binary(self, rule: CheckedRule, e: ir.Binary) -> Value | Missing:
        op = e.op
        if op in ("and", "or"):
            sides = [self.value(rule, e.left), self.value(rule, e.right)]
            bools: list[Value | Missing] = [v if isinstance(v, Missing) else bool(v) for v in sides]
            return _kleene_and(bools) if op == "and" else _kleene_or(bools)
        a = self.value(rule, e.left)
        b = self.value(rule, e.right)
        if isinstance(a, Missing) or isinstance(b, Missing):
            return _union(*(v for v in (a, b) if isinstance(v, Missing)))
        if e.exact is not None:
            # a quotient against a threshold: decided on exact values, so a ratio a
            # fraction of a fen short of 3 % never rounds up to 3 % (a and b above
            # are still evaluated: the trace shows the rounded named value)
            left, right = e.exact
            x = self.exact(rule, left) if left is not None else Fraction(_dec(a))
            y = self.exact(rule, right) if right is not None else Fraction(_dec(b))
            return _CMP[op](x, y)
        if op in _CMP:
            return _CMP[op](a, b)
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            return Decimal((a - b).days)
        assert isinstance(a, Decimal) and isinstance(b, Decimal)
        if op == "+":
            return dec_add(a, b)
        if op == "-":
            return dec_sub(a, b)
        if op == "*":
            return dec_mul(a, b)
        return dec_div(a, b)

    def exact(self, rule: CheckedRule, r: ir.Ratio) -> Fraction:
        """The exact value of a quotient with its constant steps (x / 0 is 0)."""
        a = _dec(self.ev(rule, r.num))
        b = _dec(self.ev(rule, r.den))
        q = Fraction(0) if b == 0 else Fraction(a) / Fraction(b)
        alpha, beta = ir.affine(r.steps, lambda k: _dec(self.ev(rule, k)))
        return alpha * q + beta

    def call(self, rule: CheckedRule, e: ir.Call) -> Value | Missing:
        f = e.func
        if f == "is_missing":
            return isinstance(self.value(rule, e.args[0]), Missing)
        if f == "coalesce":
            lacking: list[Missing] = []
            for a in e.args:
                v = self.value(rule, a)
                if not isinstance(v, Missing):
                    return v
                lacking.append(v)
            return _union(*lacking)
        values = [self.value(rule, a) for a in e.args]
        absent = [v for v in values if isinstance(v, Missing)]
        if absent:
            return _union(*absent)
        args: list[Value] = [v for v in values if not isinstance(v, Missing)]
        if f == "min":
            return min(args)  # type: ignore[type-var,unused-ignore]
        if f == "max":
            return max(args)  # type: ignore[type-var,unused-ignore]
        if f == "clip":
            x, lo, hi = args
            return min(max(x, lo), hi)  # type: ignore[type-var,operator,unused-ignore]
        if f == "abs":
            x = args[0]
            assert isinstance(x, Decimal)
            return x.copy_abs()
        if f in ("round", "floor", "ceil"):
            x, places = args
            assert isinstance(x, Decimal) and isinstance(places, Decimal)
            n = int(places)
            mode = "half_up" if f == "round" else f
            return quantize(x, n, mode) if scale_of(x) > n else x
        d = args[0]
        assert isinstance(d, dt.date)
        return Decimal(d.year if f == "year" else d.month if f == "month" else d.day)


def _dec(value: Value) -> Decimal:
    assert isinstance(value, Decimal)
    return value


class _Missing(Exception):
    def __init__(self, column: str) -> None:
        self.column = column


_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def prepare_row(ruleset: RuleSet, row: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise one entity's facts: exact decimals, missing-as-zero where declared.

    Keys are fact ids (or aliases), lagged columns as `fact@year-1`. None or a
    missing key is a missing value.
    """
    out: dict[str, Any] = {}
    for col, ref in ruleset.fact_columns().items():
        raw = row.get(col)
        if raw is None:
            # the same column under a Chinese alias: `营业收入` or `营业收入@year-1`
            lag = col[len(ref.fact.id) :]
            for alias in ref.fact.aliases:
                if row.get(alias + lag) is not None:
                    raw = row.get(alias + lag)
                    break
        out[col] = normalize_value(ref.fact, raw)
        if out[col] is None and ref.fact.missing is MissingPolicy.ZERO:
            out[col] = zero_of(ref.fact)
    return out


def zero_of(fact: FactDef) -> Value:
    if fact.type is FactType.BOOLEAN:
        return False
    if fact.type is FactType.TEXT:
        return ""
    return Decimal(0)


_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def normalize_value(fact: FactDef, raw: Any) -> Value | None:
    """Convert an input value to the fact's type; raises ValueError if impossible."""
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip() == "":
        return None
    t = fact.type
    if t is FactType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    if t in (FactType.TEXT, FactType.ENUM):
        text = str(raw)
        if t is FactType.ENUM and text not in fact.values:
            raise ValueError(f"{text!r} is not one of {', '.join(fact.values)}")
        return text
    if t is FactType.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            raise ValueError(f"not a date (YYYY-MM-DD): {raw!r}") from None
    if isinstance(raw, bool):
        raise ValueError(f"not a number: {raw!r}")
    if isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        try:
            value = Decimal(str(raw).replace(",", "").strip())
        except ArithmeticError:
            raise ValueError(f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {raw!r}")
    # a count given with a fraction is wrong data, not something to round away
    if t is FactType.INTEGER and value != value.to_integral_value():
        raise ValueError(f"not an integer: {raw!r}")
    if scale_of(value) > fact.scale:
        value = quantize(value, fact.scale, "half_even")
    return value


def interpret(
    ruleset: RuleSet,
    facts: Mapping[str, Any],
    rule_id: str | None = None,
    *,
    trace: Trace | None = None,
) -> dict[str, RuleResult]:
    """Evaluate the rule set (or one rule) for one entity's facts.

    With `trace`, every node evaluated is recorded there (id of the node → value),
    including the named values, score items and amount that the result did not need.
    `facts` maps fact ids (or aliases; lagged values as `fact@year-1`) to values;
    they are normalised with `prepare_row`.
    """
    row = prepare_row(ruleset, facts)
    return interpret_prepared(ruleset, row, rule_id, trace=trace)


def interpret_prepared(
    ruleset: RuleSet,
    row: Mapping[str, Any],
    rule_id: str | None = None,
    *,
    trace: Trace | None = None,
) -> dict[str, RuleResult]:
    ev = _Eval(ruleset, row, trace)
    rules = ruleset.rules if rule_id is None else [ruleset.rule(rule_id)]
    results = {r.id: ev.rule(r) for r in rules}
    if trace is not None:  # a trace is for explaining: it shows every step
        for r in rules:
            ev.trace_the_rest(r)
    return results


__all__ = [
    "STATUS_NAMES",
    "Missing",
    "RuleResult",
    "interpret",
    "interpret_prepared",
    "normalize_value",
    "prepare_row",
]
