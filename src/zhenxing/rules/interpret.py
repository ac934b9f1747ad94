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
    conditions: dict[str, bool | None]
    status: int = STATUS_OK
    missing: list[str] = field(default_factory=list)

    @property
    def amount_fen(self) -> int:
        return int(self.amount * 100)

    @property
    def failed(self) -> list[str]:
        return [k for k, v in self.conditions.items() if v is False]

    def condition_mask(self) -> int:
        return sum(1 << i for i, v in enumerate(self.conditions.values()) if v is True)


Trace = dict[int, Value]  # id(ir node) -> value


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
        self.locals: dict[tuple[str, str], Value] = {}

    # ------------------------------------------------------------------
    def rule(self, rule: CheckedRule) -> RuleResult:
        if rule.id in self.results:
            return self.results[rule.id]
        missing_inel: list[str] = []
        missing_rep: list[str] = []
        for col, ref in rule.facts.items():
            if self.row.get(col) is None:
                if ref.fact.missing is MissingPolicy.REPORT:
                    missing_rep.append(col)
                elif ref.fact.missing is MissingPolicy.INELIGIBLE:
                    missing_inel.append(col)
        missing = set(missing_inel) | set(missing_rep)
        status = (
            STATUS_MISSING_REPORT
            if missing_rep
            else STATUS_MISSING_INELIGIBLE
            if missing_inel
            else STATUS_OK
        )
        conditions: dict[str, bool | None] = {}
        for name, expr in rule.conditions.items():
            if missing and rule.reads.get(name, frozenset()) & missing:
                conditions[name] = None
            else:
                v = self.local(rule, name, "condition", expr)
                conditions[name] = bool(v)
        if status != STATUS_OK:
            result = RuleResult(
                rule.id,
                False,
                Decimal("0.00"),
                None,
                conditions,
                status,
                sorted(missing),
            )
        else:
            if rule.eligible is not None:
                eligible = bool(self.ev(rule, rule.eligible))
            else:
                eligible = all(v is True for v in conditions.values())
            score: Decimal | None = None
            if rule.score is not None:
                sv = self.ev(rule, rule.score)
                assert isinstance(sv, Decimal)
                score = sv
            amount = Decimal("0.00")
            if eligible and rule.amount is not None:
                av = self.ev(rule, rule.amount)
                assert isinstance(av, Decimal)
                amount = quantize(av, 2, rule.version.rounding)
            result = RuleResult(rule.id, eligible, amount, score, conditions)
        self.results[rule.id] = result
        return result

    def local(self, rule: CheckedRule, name: str, kind: str, expr: ir.Expr | None = None) -> Value:
        key = (rule.id, name)
        if key in self.locals:
            return self.locals[key]
        if kind == "score":
            assert rule.score is not None
            value = self.ev(rule, rule.score)
        elif kind == "item":
            value = self.ev(rule, rule.items[name])
            mx = rule.item_max.get(name)
            if mx is not None:
                assert isinstance(value, Decimal)
                value = min(value, mx)
        else:
            target = expr
            if target is None:
                target = rule.values.get(name) or rule.conditions.get(name)
            assert target is not None
            value = self.ev(rule, target)
        self.locals[key] = value
        return value

    # ------------------------------------------------------------------
    def ev(self, rule: CheckedRule, e: ir.Expr) -> Value:
        value = self._ev(rule, e)
        if self.trace is not None:
            self.trace[id(e)] = value
        return value

    def _ev(self, rule: CheckedRule, e: ir.Expr) -> Value:
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.FactRef):
            v = self.row.get(e.column)
            if v is None:
                raise _Missing(e.column)
            return v  # type: ignore[no-any-return]
        if isinstance(e, ir.ParamRef):
            return self.rs.param_value(rule, e.param.name)
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
            if e.field_name == "eligible":
                return res.eligible
            if e.field_name == "amount":
                return res.amount
            return res.score if res.score is not None else Decimal(0)
        if isinstance(e, ir.Unary):
            x = self.ev(rule, e.operand)
            if e.op == "not":
                return not x
            assert isinstance(x, Decimal)
            return x.copy_negate()
        if isinstance(e, ir.Binary):
            return self.binary(rule, e)
        if isinstance(e, ir.InList):
            x = self.ev(rule, e.operand)
            found = any(x == self.ev(rule, item) for item in e.items)
            return found != e.negated
        if isinstance(e, ir.IfElse):
            return self.ev(rule, e.then) if self.ev(rule, e.cond) else self.ev(rule, e.else_)
        if isinstance(e, ir.Call):
            return self.call(rule, e)
        if isinstance(e, ir.Band):
            x = _dec(self.ev(rule, e.operand))
            # a quotient is placed in its band by its exact value, like a comparison
            xv: Decimal | Fraction = x if e.exact is None else self.exact(rule, e.exact)
            pairs = list(zip(e.thresholds, e.values, strict=True))
            if e.at_most:
                for t, v in pairs:
                    if xv <= _dec(self.ev(rule, t)):
                        return self.ev(rule, v)
            else:
                for t, v in reversed(pairs):
                    if xv >= _dec(self.ev(rule, t)):
                        return self.ev(rule, v)
            return self.ev(rule, e.default)
        raise AssertionError(e)  # pragma: no cover

    def binary(self, rule: CheckedRule, e: ir.Binary) -> Value:
        op = e.op
        if op == "and":
            return bool(self.ev(rule, e.left)) and bool(self.ev(rule, e.right))
        if op == "or":
            return bool(self.ev(rule, e.left)) or bool(self.ev(rule, e.right))
        a = self.ev(rule, e.left)
        b = self.ev(rule, e.right)
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

    def call(self, rule: CheckedRule, e: ir.Call) -> Value:
        f = e.func
        args = [self.ev(rule, a) for a in e.args]
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
    return {r.id: ev.rule(r) for r in rules}


__all__ = [
    "STATUS_NAMES",
    "RuleResult",
    "interpret",
    "interpret_prepared",
    "normalize_value",
    "prepare_row",
]
