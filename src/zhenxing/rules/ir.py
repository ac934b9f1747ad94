"""The checked, resolved and typed form of expressions that every backend consumes.

The checker (`check.py`) turns the syntax tree into these nodes: names are resolved
to facts, parameters, named conditions/values, other rules' results or period
built-ins, and every node has a static type (kind and unit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .document import Parameter
    from .schema import FactDef
    from .yamlsrc import ExprSource

NUMBER, BOOL, TEXT, DATE, ERROR = "number", "bool", "text", "date", "error"


@dataclass(frozen=True, slots=True)
class Ty:
    kind: str
    unit: str = "none"
    enum: tuple[str, ...] | None = None
    enum_fact: str | None = None

    def __str__(self) -> str:
        if self.kind == NUMBER:
            return f"数值[{self.unit}]" if self.unit != "none" else "数值"
        return {BOOL: "布尔", TEXT: "文本", DATE: "日期", ERROR: "?"}.get(self.kind, self.kind)

    def english(self) -> str:
        if self.kind == NUMBER:
            return f"number[{self.unit}]" if self.unit != "none" else "number"
        return self.kind


T_BOOL = Ty(BOOL)
T_TEXT = Ty(TEXT)
T_DATE = Ty(DATE, "date")
T_ERR = Ty(ERROR)


def t_num(unit: str = "none") -> Ty:
    return Ty(NUMBER, unit)


@dataclass(eq=False, slots=True)
class Expr:
    ty: Ty
    src: ExprSource | None = field(repr=False)
    start: int
    end: int

    @property
    def text(self) -> str:
        if self.src is None:
            return ""
        return self.src.text[self.start : self.end]


@dataclass(eq=False, slots=True)
class Const(Expr):
    value: Decimal | bool | str | dt.date


@dataclass(eq=False, slots=True)
class FactRef(Expr):
    fact: FactDef
    lag_unit: str | None = None
    lag: int = 0

    @property
    def column(self) -> str:
        return fact_column(self.fact.id, self.lag_unit, self.lag)


def fact_column(fact_id: str, lag_unit: str | None, lag: int) -> str:
    if lag_unit is None or lag == 0:
        return fact_id
    return f"{fact_id}@{lag_unit}{lag:+d}"


@dataclass(eq=False, slots=True)
class ParamRef(Expr):
    param: Parameter


@dataclass(eq=False, slots=True)
class LocalRef(Expr):
    name: str
    kind: str  # "value" | "condition" | "item" | "score"


@dataclass(eq=False, slots=True)
class RuleRef(Expr):
    rule_id: str
    field_name: str  # "eligible" | "amount" | "score"


@dataclass(eq=False, slots=True)
class PeriodRef(Expr):
    name: str  # period_year | period_month | period_start | period_end


@dataclass(eq=False, slots=True)
class Unary(Expr):
    op: str  # "-" | "not"
    operand: Expr


@dataclass(eq=False, slots=True)
class Ratio:
    """A number decided exactly in a comparison: the quotient `num / den` (0 when
    `den` is 0), then each step `(op, constant)` applied to it in order — `*`, `/`
    (by a constant; by 0 gives 0), `+`, `-`, `r-` (constant − value) and `neg`
    (constant unused). Found by the checker (`ratio_of`), read by every backend."""

    num: Expr
    den: Expr
    steps: tuple[tuple[str, Expr | None], ...] = ()


@dataclass(eq=False, slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr
    #: comparisons only: (left, right) sides decided exactly by cross-multiplication
    #: (one of them a `Ratio`, the other None: evaluated as usual); None: as written
    exact: tuple[Ratio | None, Ratio | None] | None = None


@dataclass(eq=False, slots=True)
class InList(Expr):
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(eq=False, slots=True)
class IfElse(Expr):
    cond: Expr
    then: Expr
    else_: Expr


@dataclass(eq=False, slots=True)
class Call(Expr):
    func: str  # min max round floor ceil clip abs year month day
    args: tuple[Expr, ...]


@dataclass(eq=False, slots=True)
class Band(Expr):
    operand: Expr
    thresholds: tuple[Expr, ...]
    values: tuple[Expr, ...]
    default: Expr
    at_most: bool  # False: band (x >= t); True: band_below (x <= t)
    #: the operand as a quotient whose threshold tests are decided exactly
    exact: Ratio | None = None


def affine(
    steps: tuple[tuple[str, Expr | None], ...], value: Callable[[Expr], Decimal]
) -> tuple[Fraction, Fraction]:
    """(α, β) with steps(q) = α·q + β exactly; `value` gives each constant's value."""
    alpha, beta = Fraction(1), Fraction(0)
    for op, k in steps:
        if op == "neg":
            alpha, beta = -alpha, -beta
            continue
        assert k is not None
        c = Fraction(value(k))
        if op == "*":
            alpha, beta = alpha * c, beta * c
        elif op == "/":
            alpha, beta = (alpha / c, beta / c) if c != 0 else (Fraction(0), Fraction(0))
        elif op == "+":
            beta += c
        elif op == "-":
            beta -= c
        else:  # "r-": c − value
            alpha, beta = -alpha, c - beta
    return alpha, beta


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, InList):
        return (e.operand, *e.items)
    if isinstance(e, IfElse):
        return (e.cond, e.then, e.else_)
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Band):
        return (e.operand, *e.thresholds, *e.values, e.default)
    return ()


def walk(e: Expr) -> list[Expr]:
    out: list[Expr] = []
    stack = [e]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children(node))
    return out
