"""Checking before running: parse, resolve names, check types and units, find cycles.

`check_version` turns one rule version into a `CheckedRule` (typed IR, see `ir.py`)
plus diagnostics; `check_catalogue` checks everything in a catalogue;
`select_rules` builds the `RuleSet` that the backends evaluate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from . import ast, ir
from .diagnostics import Diagnostic, Location, RulesError, did_you_mean, error, warning
from .ir import BOOL, DATE, ERROR, NUMBER, T_BOOL, T_DATE, T_ERR, T_TEXT, TEXT, Ty, t_num
from .parse import ParseError, parse_expression
from .schema import INTERNAL_SCALE, FactDef, FactSchema, FactType, MissingPolicy, Period
from .yamlsrc import ExprSource

if TYPE_CHECKING:
    from .document import NamedExpr, RuleFolder, RuleVersion

SCALAR_UNITS = ("none", "ratio")
RULE_FIELDS = ("eligible", "amount", "score")
PERIOD_BUILTINS = {
    "period_year": t_num("none"),
    "period_month": t_num("none"),
    "period_start": T_DATE,
    "period_end": T_DATE,
}
PASS_CONDITION = "pass_mark"


def unify_units(a: str, b: str) -> str | None:
    if a == b:
        return a
    if a == "none":
        return b
    if b == "none":
        return a
    return None


def mul_unit(a: str, b: str) -> str | None:
    if a in SCALAR_UNITS and b in SCALAR_UNITS:
        return "ratio" if "ratio" in (a, b) else "none"
    if a in SCALAR_UNITS:
        return b
    if b in SCALAR_UNITS:
        return a
    if a == "count":
        return b
    if b == "count":
        return a
    return None


def div_unit(a: str, b: str) -> str | None:
    if a == b:
        return "none" if a == "none" else "ratio"
    if b in SCALAR_UNITS or b == "count":
        return a
    return None


def _fact_type(fact: FactDef) -> Ty:
    if fact.type is FactType.BOOLEAN:
        return T_BOOL
    if fact.type is FactType.DATE:
        return T_DATE
    if fact.type is FactType.TEXT:
        return T_TEXT
    if fact.type is FactType.ENUM:
        return Ty(TEXT, enum=fact.values, enum_fact=fact.id)
    return t_num(fact.unit)


@dataclass
class CheckedRule:
    """One rule version, checked and resolved: what the backends run."""

    version: RuleVersion
    values: dict[str, ir.Expr] = field(default_factory=dict)
    conditions: dict[str, ir.Expr] = field(default_factory=dict)
    condition_info: dict[str, NamedExpr | None] = field(default_factory=dict)
    items: dict[str, ir.Expr] = field(default_factory=dict)
    item_max: dict[str, Decimal | None] = field(default_factory=dict)
    score: ir.Expr | None = None
    eligible: ir.Expr | None = None  # None: all conditions hold
    amount: ir.Expr | None = None
    rule_refs: set[str] = field(default_factory=set)
    params_used: set[str] = field(default_factory=set)
    # columns (fact id or lagged column) read by each named expression, transitively
    reads: dict[str, frozenset[str]] = field(default_factory=dict)
    facts: dict[str, ir.FactRef] = field(default_factory=dict)  # column -> a reference

    @property
    def id(self) -> str:
        return self.version.rule_id

    def columns_read(self) -> frozenset[str]:
        return frozenset(self.facts)

    def missing_columns(self, policy: MissingPolicy) -> list[str]:
        return sorted(c for c, ref in self.facts.items() if ref.fact.missing is policy)

    def condition_label(self, name: str, english: bool = False) -> str:
        """The condition's label (`label_en` in English, the Chinese one when it has none)."""
        info = self.condition_info.get(name)
        if name == PASS_CONDITION and info is None:
            return "the score reaches the pass mark" if english else "得分达到及格线"
        if info is None:
            return name
        return (info.label_en if english else "") or info.label or name


@dataclass
class RuleSet:
    """The rules in force for one period (and entity), ready to evaluate."""

    period: Period
    entity: str | None
    rules: list[CheckedRule]
    deps: dict[str, CheckedRule]
    schema: FactSchema
    overrides: dict[str, Decimal | dt.date] = field(default_factory=dict)

    def with_overrides(self, overrides: Mapping[str, Decimal | int | str | dt.date]) -> RuleSet:
        """A copy with parameter values replaced: keys `rule_id.param` or `param`.

        Raises RulesError for a key that names no parameter of these rules (with the
        closest name as a suggestion) and for a date given to a number parameter or
        the reverse: an override that changed nothing would pass for a result.
        """
        problems = self.override_problems(overrides)
        if problems:
            raise RulesError(problems)
        merged = dict(self.overrides)
        for k, v in overrides.items():
            merged[k] = v if isinstance(v, dt.date) else Decimal(str(v))
        return replace(self, overrides=merged)

    def override_problems(
        self, overrides: Mapping[str, Decimal | int | str | dt.date]
    ) -> list[Diagnostic]:
        """What is wrong with these overrides (see `with_overrides`); empty if nothing."""
        params = {
            (rid, name): p
            for rid, r in self.deps.items()
            for name, p in r.version.parameters.items()
        }
        plain = sorted({name for _, name in params})
        qualified = sorted(f"{rid}.{name}" for rid, name in params)
        problems: list[Diagnostic] = []
        for key, value in overrides.items():
            rid, dot, name = key.rpartition(".")
            if dot:
                targets = [p for (r, n), p in params.items() if (r, n) == (rid, name)]
                candidates = qualified
            else:
                targets = [p for (_, n), p in params.items() if n == name]
                candidates = plain
            if not targets:
                guess = did_you_mean(key, candidates)
                problems.append(
                    error(
                        "unknown-override",
                        None,
                        "did-you-mean" if guess else "override-choices",
                        {"name": guess} if guess else {"choices": ", ".join(candidates) or "—"},
                        name=key,
                    )
                )
                continue
            for param in targets:
                wants_date = param.unit == "date"
                if wants_date != isinstance(value, dt.date):
                    zh, en = (
                        ("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)")
                        if wants_date
                        else (
                            "数值",
                            "a number",
                        )
                    )
                    problems.append(
                        error(
                            "override-type",
                            None,
                            name=key,
                            value=value,
                            expected_zh=zh,
                            expected_en=en,
                        )
                    )
                    break
        return problems

    def param_value(self, rule: CheckedRule, name: str) -> Decimal:
        """A number parameter's value for the period (the checker keeps date
        parameters out of number contexts)."""
        value = self.param(rule, name)
        if not isinstance(value, Decimal):
            raise RulesError(
                [
                    error(
                        "field-type",
                        rule.version.parameters[name].location,
                        field=f"parameters.{name}",
                        expected="数值 / a number",
                    )
                ]
            )
        return value

    def param(self, rule: CheckedRule, name: str) -> Decimal | dt.date:
        """A parameter's value for the period: a number, or a date (unit `date`)."""
        key = f"{rule.id}.{name}"
        if key in self.overrides:
            return self.overrides[key]
        if name in self.overrides:
            return self.overrides[name]
        param = rule.version.parameters[name]
        pv = param.at(self.period.first_day)
        if pv is None or pv.value is None:
            raise RulesError(
                [
                    error(
                        "missing-parameter",
                        param.location,
                        "add-param-value",
                        {"date": self.period.first_day.isoformat()},
                        name=name,
                        date=self.period.first_day.isoformat(),
                    )
                ]
            )
        return pv.value

    def constant_value(self, rule: CheckedRule, e: ir.Expr) -> Decimal:
        """The value of a constant number (a literal, a parameter, or minus one)."""
        if isinstance(e, ir.Unary) and e.op == "-":
            return -self.constant_value(rule, e.operand)
        if isinstance(e, ir.ParamRef):
            return self.param_value(rule, e.param.name)
        assert isinstance(e, ir.Const) and isinstance(e.value, Decimal), e
        return e.value

    def rule(self, rule_id: str) -> CheckedRule:
        return self.deps[rule_id]

    def fact_columns(self) -> dict[str, ir.FactRef]:
        """Every column read by the selected rules and their dependencies."""
        out: dict[str, ir.FactRef] = {}
        for r in self.deps.values():
            out.update(r.facts)
        return out

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rules]


class _Checker:
    def __init__(self, version: RuleVersion, catalogue: RuleFolder | None) -> None:
        self.v = version
        self.cat = catalogue
        self.diags: list[Diagnostic] = []
        self.out = CheckedRule(version)
        try:
            self.schema = version.fact_schema()
        except RulesError as exc:
            self.diags.extend(exc.diagnostics)
            self.schema = version.schema
        self.named_src: dict[str, tuple[str, ExprSource]] = {}
        self.parsed: dict[str, ast.Node | None] = {}
        self.typed: dict[str, ir.Expr] = {}
        self.visiting: list[str] = []
        self.current_src: ExprSource | None = None
        self.local_reads: dict[str, set[str]] = {}
        self.local_deps: dict[str, set[str]] = {}
        self._reads_stack: list[set[str]] = []
        self._deps_stack: list[set[str]] = []

    # -- helpers ------------------------------------------------------------
    def loc(self, node: ast.Node | None, src: ExprSource | None = None) -> Location | None:
        s = src or self.current_src
        if s is None:
            return self.v.location
        return s.location(node.start if node is not None else 0)

    def err(
        self,
        code: str,
        node: ast.Node | None,
        suggestion: str | None = None,
        sargs: dict[str, str] | None = None,
        **args: object,
    ) -> None:
        where = self.loc(node)
        self.diags.append(error(code, where, suggestion, sargs, **args))

    def parse(self, key: str, src: ExprSource) -> ast.Node | None:
        if key in self.parsed:
            return self.parsed[key]
        try:
            node: ast.Node | None = parse_expression(src.text)
        except ParseError as exc:
            hint = "quote-expr" if ":" in src.text else None
            self.diags.append(
                error(
                    "syntax",
                    src.location(exc.offset),
                    hint,
                    detail=f"{exc.message} / {exc.message_en}",
                )
            )
            node = None
        self.parsed[key] = node
        return node

    # -- named expressions ---------------------------------------------------
    def named(self, key: str, node_for_error: ast.Node | None) -> ir.Expr | None:
        """Type a named expression (value, condition, item) on demand, detecting cycles."""
        if key in self.typed:
            return self.typed[key]
        if key in self.visiting:
            cycle = [*self.visiting[self.visiting.index(key) :], key]
            self.err("cycle", node_for_error, "break-cycle", path=" → ".join(cycle))
            return None
        _kind, src = self.named_src[key]
        node = self.parse(key, src)
        if node is None:
            return None
        self.visiting.append(key)
        saved_src = self.current_src
        self.current_src = src
        self._reads_stack.append(set())
        self._deps_stack.append(set())
        try:
            e = self.expr(node)
        finally:
            self.current_src = saved_src
            self.visiting.pop()
            reads = self._reads_stack.pop()
            deps = self._deps_stack.pop()
        self.local_reads[key] = reads
        self.local_deps[key] = deps
        self.typed[key] = e
        return e

    # -- expressions ---------------------------------------------------------
    def expr(self, n: ast.Node) -> ir.Expr:
        src = self.current_src
        if isinstance(n, ast.Num):
            return ir.Const(t_num("none"), src, n.start, n.end, n.value)
        if isinstance(n, ast.Str):
            return ir.Const(T_TEXT, src, n.start, n.end, n.value)
        if isinstance(n, ast.Bool):
            return ir.Const(T_BOOL, src, n.start, n.end, n.value)
        if isinstance(n, ast.DateLit):
            return ir.Const(T_DATE, src, n.start, n.end, n.value)
        if isinstance(n, ast.Name):
            return self.name(n)
        if isinstance(n, ast.Unary):
            x = self.expr(n.operand)
            if n.op == "not":
                self.want(x, BOOL, n.operand, "not")
                return ir.Unary(T_BOOL, src, n.start, n.end, "not", x)
            self.want(x, NUMBER, n.operand, "-")
            return ir.Unary(x.ty if x.ty.kind == NUMBER else T_ERR, src, n.start, n.end, "-", x)
        if isinstance(n, ast.Binary):
            return self.binary(n)
        if isinstance(n, ast.In):
            return self.inlist(n)
        if isinstance(n, ast.If):
            c = self.expr(n.cond)
            self.want(c, BOOL, n.cond, "if")
            a = self.expr(n.then)
            b = self.expr(n.else_)
            ty = self.join(a, b, n.else_, "if … then … else")
            return ir.IfElse(ty, src, n.start, n.end, c, a, b)
        if isinstance(n, ast.Call):
            return self.call(n)
        if isinstance(n, ast.ListLit | ast.Pairs):
            self.err(
                "type",
                n,
                detail="列表只能用于 in 或 band / a list is only allowed after 'in' or in band()",
            )
            return ir.Const(T_ERR, src, n.start, n.end, False)
        raise AssertionError(n)  # pragma: no cover

    def want(self, e: ir.Expr, kind: str, node: ast.Node, what: str) -> bool:
        if e.ty.kind in (kind, ERROR):
            return True
        zh = {NUMBER: "数值", BOOL: "布尔值（是/否）", TEXT: "文本", DATE: "日期"}[kind]
        self.err(
            "type",
            node,
            detail=f"「{what}」需要{zh}，但「{e.text}」是{e.ty} / '{what}' needs a {kind}, "
            f"but '{e.text}' is {e.ty.english()}",
        )
        return False

    def join(self, a: ir.Expr, b: ir.Expr, node: ast.Node, what: str) -> Ty:
        if ERROR in (a.ty.kind, b.ty.kind):
            return a.ty if b.ty.kind == ERROR else b.ty
        if a.ty.kind != b.ty.kind:
            self.err(
                "type",
                node,
                detail=f"「{what}」两边类型不同：{a.ty} 与 {b.ty} / '{what}' mixes "
                f"{a.ty.english()} and {b.ty.english()}",
            )
            return T_ERR
        if a.ty.kind == NUMBER:
            unit = unify_units(a.ty.unit, b.ty.unit)
            if unit is None:
                self.err(
                    "unit",
                    node,
                    "convert-unit",
                    detail=f"「{a.text}」是 {a.ty.unit}，「{b.text}」是 {b.ty.unit} / "
                    f"'{a.text}' is {a.ty.unit}, '{b.text}' is {b.ty.unit}",
                )
                return t_num(a.ty.unit)
            return t_num(unit)
        if a.ty.kind == TEXT and a.ty.enum and b.ty.enum is None:
            return a.ty
        return b.ty if b.ty.enum else a.ty

    def name(self, n: ast.Name) -> ir.Expr:
        src = self.current_src
        parts = n.parts
        if len(parts) == 1:
            nm = parts[0]
            if n.lag_unit is None:
                local = self.local_kind(nm)
                if local is not None:
                    kind, key = local
                    if self._deps_stack:
                        self._deps_stack[-1].add(key)
                    if kind == "score":
                        e = self.score_expr(n)
                        ty = e.ty if e is not None else T_ERR
                    elif kind == "pass_mark":
                        # typed through the score, which also catches a cycle through it
                        ty = T_BOOL if self.score_expr(n) is not None else T_ERR
                        kind = "condition"
                    else:
                        target = self.named(key, n)
                        ty = target.ty if target is not None else T_ERR
                    return ir.LocalRef(ty, src, n.start, n.end, nm, kind)
                if nm in self.v.parameters:
                    param = self.v.parameters[nm]
                    self.out.params_used.add(nm)
                    ty = T_DATE if param.unit == "date" else t_num(param.unit)
                    return ir.ParamRef(ty, src, n.start, n.end, param)
                if nm in PERIOD_BUILTINS:
                    return ir.PeriodRef(PERIOD_BUILTINS[nm], src, n.start, n.end, nm)
            fact = self.schema.resolve(nm)
            if fact is not None:
                return self.fact(n, fact)
            if n.lag_unit is not None and (self.local_kind(nm) or nm in self.v.parameters):
                self.err("lag-not-fact", n, name=nm)
                return ir.Const(T_ERR, src, n.start, n.end, False)
            candidates = [
                *self.named_src,
                *self.v.parameters,
                *PERIOD_BUILTINS,
                *self.schema.names(),
            ]
            guess = did_you_mean(nm, candidates)
            if guess:
                self.err("unknown-name", n, "did-you-mean", {"name": guess}, name=nm)
            else:
                self.err("unknown-fact", n, "declare-fact", name=nm)
            return ir.Const(T_ERR, src, n.start, n.end, False)
        if parts[0] == "rules" and len(parts) == 3 and parts[2] in RULE_FIELDS:
            return self.rule_ref(n, parts[1], parts[2])
        guess = None
        if parts[0] == "rules" and len(parts) == 3:
            guess = did_you_mean(parts[2], list(RULE_FIELDS))
        if guess:
            self.err(
                "unknown-name",
                n,
                "did-you-mean",
                {"name": f"rules.{parts[1]}.{guess}"},
                name=n.dotted,
            )
        else:
            self.err("unknown-name", n, name=n.dotted)
        return ir.Const(T_ERR, src, n.start, n.end, False)

    def fact(self, n: ast.Name, fact: FactDef) -> ir.Expr:
        if fact.entity and fact.entity != self.v.entity:
            self.err("fact-entity", n, name=fact.id, fact_entity=fact.entity, entity=self.v.entity)
        if n.lag_unit is not None and (
            n.lag_unit not in ("year", "month")
            or (n.lag_unit == "month" and self.v.period_kind == "year")
        ):
            self.err("lag-unit", n, unit=n.lag_unit, period=self.v.period_kind)
        ref = ir.FactRef(
            _fact_type(fact), self.current_src, n.start, n.end, fact, n.lag_unit, n.lag
        )
        col = ref.column
        self.out.facts.setdefault(col, ref)
        if self._reads_stack:
            self._reads_stack[-1].add(col)
        return ref

    def rule_ref(self, n: ast.Name, rule_id: str, fname: str) -> ir.Expr:
        src = self.current_src
        if self.cat is not None and rule_id not in self.cat.rules:
            guess = did_you_mean(rule_id, list(self.cat.rules))
            if guess:
                self.err("unknown-rule", n, "did-you-mean", {"name": guess}, name=rule_id)
            else:
                self.err("unknown-rule", n, name=rule_id)
            return ir.Const(T_ERR, src, n.start, n.end, False)
        if rule_id == self.v.rule_id:
            self.err("cycle", n, "break-cycle", path=f"{rule_id} → {rule_id}")
            return ir.Const(T_ERR, src, n.start, n.end, False)
        self.out.rule_refs.add(rule_id)
        ty = T_BOOL if fname == "eligible" else t_num("yuan" if fname == "amount" else "none")
        return ir.RuleRef(ty, src, n.start, n.end, rule_id, fname)

    def local_kind(self, nm: str) -> tuple[str, str] | None:
        if nm == "score" and self.v.score is not None:
            return ("score", "score")
        if nm in self.named_src:
            return (self.named_src[nm][0], nm)
        if nm == PASS_CONDITION and self.v.score is not None and self.v.score.pass_mark is not None:
            # the condition the pass mark makes, so `eligible` can combine it with others
            return ("pass_mark", PASS_CONDITION)
        return None

    def score_expr(self, n: ast.Node | None) -> ir.Expr | None:
        if self.out.score is not None:
            return self.out.score
        if "score" in self.visiting:
            self.err("cycle", n, "break-cycle", path=" → ".join([*self.visiting, "score"]))
            return None
        self.visiting.append("score")
        total: ir.Expr | None = None
        try:
            assert self.v.score is not None
            for item in self.v.score.items:
                e = self.named(item.id, n)
                if e is None:
                    continue
                ref: ir.Expr = ir.LocalRef(
                    e.ty, item.source, 0, len(item.source.text), item.id, "item"
                )
                total = (
                    ref
                    if total is None
                    else ir.Binary(t_num(e.ty.unit), None, 0, 0, "+", total, ref)
                )
        finally:
            self.visiting.pop()
        if total is None:
            total = ir.Const(t_num("none"), None, 0, 0, Decimal(0))
        self.out.score = total
        return total

    def binary(self, n: ast.Binary) -> ir.Expr:
        src = self.current_src
        a = self.expr(n.left)
        b = self.expr(n.right)
        op = n.op
        if op in ("and", "or"):
            self.want(a, BOOL, n.left, op)
            self.want(b, BOOL, n.right, op)
            return ir.Binary(T_BOOL, src, n.start, n.end, op, a, b)
        if op in ("==", "!=", "<", "<=", ">", ">="):
            if ERROR not in (a.ty.kind, b.ty.kind):
                if a.ty.kind != b.ty.kind:
                    self.err(
                        "type",
                        n,
                        detail=f"不能比较{a.ty}与{b.ty} / "
                        f"cannot compare {a.ty.english()} with {b.ty.english()}",
                    )
                elif a.ty.kind in (BOOL, TEXT) and op not in ("==", "!="):
                    self.err(
                        "type",
                        n,
                        detail=f"{a.ty}只能用 == 或 != 比较 / "
                        f"only == and != apply to {a.ty.english()}",
                    )
                elif a.ty.kind == NUMBER and unify_units(a.ty.unit, b.ty.unit) is None:
                    self.err(
                        "unit",
                        n,
                        "convert-unit",
                        detail=f"比较 {a.ty.unit} 与 {b.ty.unit}（「{a.text}」{op}「{b.text}」） / "
                        f"comparing "
                        f"{a.ty.unit} with {b.ty.unit}",
                    )
                elif a.ty.kind == TEXT:
                    self.enum_check(a, b, n.right)
                    self.enum_check(b, a, n.left)
            exact = None
            if a.ty.kind == NUMBER and b.ty.kind == NUMBER:
                ra, rb = self.ratio_of(a), self.ratio_of(b)
                # one quotient against any number: decided exactly; two quotients
                # (or none) keep the rounded semantics
                if (ra is None) != (rb is None):
                    exact = (ra, rb)
            return ir.Binary(T_BOOL, src, n.start, n.end, op, a, b, exact)
        # arithmetic
        if a.ty.kind == DATE and b.ty.kind == DATE and op == "-":
            return ir.Binary(t_num("days"), src, n.start, n.end, op, a, b)
        ok = self.want(a, NUMBER, n.left, op) & self.want(b, NUMBER, n.right, op)
        if not ok or ERROR in (a.ty.kind, b.ty.kind):
            return ir.Binary(T_ERR, src, n.start, n.end, op, a, b)
        ua, ub = a.ty.unit, b.ty.unit
        unit = (
            unify_units(ua, ub)
            if op in ("+", "-")
            else mul_unit(ua, ub)
            if op == "*"
            else div_unit(ua, ub)
        )
        if unit is None:
            opname = {"+": "相加", "-": "相减", "*": "相乘", "/": "相除"}[op]
            self.err(
                "unit",
                n,
                "convert-unit",
                detail=f"{ua}（「{a.text}」）与 {ub}（「{b.text}」）不能{opname} / cannot apply "
                f"'{op}' to {ua} and {ub}",
            )
            unit = ua
        return ir.Binary(t_num(unit), src, n.start, n.end, op, a, b)

    def ratio_of(self, e: ir.Expr) -> ir.Ratio | None:
        """`e` as a quotient `a / b`, possibly behind named values and then multiplied,
        divided, added to or subtracted from constants (literals, parameters) — the
        form a comparison decides exactly (see `ir.Ratio`). None for anything else."""
        if isinstance(e, ir.LocalRef) and e.kind == "value":
            target = self.typed.get(e.name)
            return None if target is None else self.ratio_of(target)
        if isinstance(e, ir.Unary) and e.op == "-" and e.ty.kind == NUMBER:
            inner = self.ratio_of(e.operand)
            return None if inner is None else _with_step(inner, "neg", None)
        if not (
            isinstance(e, ir.Binary)
            and e.op in ("+", "-", "*", "/")
            and e.left.ty.kind == NUMBER
            and e.right.ty.kind == NUMBER
        ):
            return None
        if self._is_constant(e.right):
            inner = self.ratio_of(e.left)
            if inner is not None:
                return _with_step(inner, e.op, e.right)
        if e.op != "/" and self._is_constant(e.left):
            inner = self.ratio_of(e.right)
            if inner is not None:
                return _with_step(inner, "r-" if e.op == "-" else e.op, e.left)
        if e.op == "/":
            return ir.Ratio(e.left, e.right)
        return None

    @classmethod
    def _is_constant(cls, e: ir.Expr) -> bool:
        """A number fixed once the rule set is built for a period."""
        if isinstance(e, ir.Const):
            return isinstance(e.value, Decimal)
        if isinstance(e, ir.ParamRef):
            return True
        return isinstance(e, ir.Unary) and e.op == "-" and cls._is_constant(e.operand)

    def enum_check(self, a: ir.Expr, b: ir.Expr, bnode: ast.Node) -> None:
        if not (a.ty.enum and isinstance(b, ir.Const) and isinstance(b.value, str)):
            return
        if b.value not in a.ty.enum:
            guess = did_you_mean(b.value, list(a.ty.enum))
            self.err(
                "enum-value",
                bnode,
                "did-you-mean" if guess else None,
                {"name": guess} if guess else None,
                value=b.value,
                fact=a.ty.enum_fact or a.text,
                choices=", ".join(a.ty.enum),
            )

    def inlist(self, n: ast.In) -> ir.Expr:
        src = self.current_src
        x = self.expr(n.operand)
        items = tuple(self.expr(i) for i in n.items)
        for node, item in zip(n.items, items, strict=True):
            if not isinstance(item, ir.Const | ir.ParamRef):
                self.err("constant-required", node, detail=item.text)
            elif item.ty.kind != ERROR and x.ty.kind != ERROR:
                if item.ty.kind != x.ty.kind:
                    self.err(
                        "type",
                        node,
                        detail=f"{item.ty} ∉ {x.ty} / "
                        f"{item.ty.english()} in a list of {x.ty.english()}",
                    )
                elif x.ty.kind == NUMBER and unify_units(x.ty.unit, item.ty.unit) is None:
                    self.err("unit", node, "convert-unit", detail=f"{x.ty.unit} / {item.ty.unit}")
                else:
                    self.enum_check(x, item, node)
        return ir.InList(T_BOOL, src, n.start, n.end, x, items, n.negated)

    def call(self, n: ast.Call) -> ir.Expr:
        src = self.current_src
        f = n.func
        if f in ("band", "band_below"):
            return self.band(n)
        args = [self.expr(a) for a in n.args]

        def arity(lo: int, hi: int | None = None) -> bool:
            hi_ = lo if hi is None else hi
            if not lo <= len(args) <= hi_:
                exp = str(lo) if hi is None else f"{lo}–{hi_}" if hi_ < 99 else f"≥{lo}"
                self.err("arity", n, name=f, expected=exp, got=len(args))
                return False
            return True

        if f in ("min", "max"):
            if not arity(1, 99):
                return ir.Call(T_ERR, src, n.start, n.end, f, tuple(args))
            ty = args[0].ty
            for node, a in zip(n.args, args, strict=True):
                self.want(a, NUMBER, node, f)
            for node, prev, a in zip(n.args[1:], args, args[1:], strict=False):
                # the type so far, shown under the previous argument's text in a message
                ty = self.join(ir.Const(ty, prev.src, prev.start, prev.end, False), a, node, f)
            return ir.Call(ty, src, n.start, n.end, f, tuple(args))
        if f == "clip":
            if not arity(3):
                return ir.Call(T_ERR, src, n.start, n.end, f, tuple(args))
            for node, a in zip(n.args, args, strict=True):
                self.want(a, NUMBER, node, f)
            ty = self.join(args[0], args[1], n.args[1], f)
            ty = self.join(ir.Const(ty, None, 0, 0, False), args[2], n.args[2], f)
            return ir.Call(ty, src, n.start, n.end, f, tuple(args))
        if f in ("round", "floor", "ceil"):
            if not arity(1, 2):
                return ir.Call(T_ERR, src, n.start, n.end, f, tuple(args))
            self.want(args[0], NUMBER, n.args[0], f)
            if len(args) == 1:
                args.append(ir.Const(t_num(), src, n.end, n.end, Decimal(0)))
            places = args[1]
            if not (
                isinstance(places, ir.Const)
                and isinstance(places.value, Decimal)
                and places.value == places.value.to_integral_value()
                and 0 <= places.value <= INTERNAL_SCALE
            ):
                self.err(
                    "constant-required",
                    n.args[1],
                    detail=f"{f} 的小数位数须为 0–{INTERNAL_SCALE} 的整数 / "
                    f"places must be an integer 0–{INTERNAL_SCALE}",
                )
            return ir.Call(args[0].ty, src, n.start, n.end, f, tuple(args))
        if f == "abs":
            if arity(1):
                self.want(args[0], NUMBER, n.args[0], f)
                return ir.Call(args[0].ty, src, n.start, n.end, f, tuple(args))
            return ir.Call(T_ERR, src, n.start, n.end, f, tuple(args))
        if f in ("year", "month", "day"):
            if arity(1):
                self.want(args[0], DATE, n.args[0], f)
            return ir.Call(t_num("none"), src, n.start, n.end, f, tuple(args))
        if f == "is_missing":
            if arity(1):
                self.never_missing_warning(args[0], n.args[0], f)
            return ir.Call(T_BOOL, src, n.start, n.end, f, tuple(args))
        if f == "coalesce":
            if not arity(2, 99):
                return ir.Call(T_ERR, src, n.start, n.end, f, tuple(args))
            ty = args[0].ty
            for node, prev, a in zip(n.args[1:], args, args[1:], strict=False):
                # the type so far, shown under the previous argument's text in a message
                ty = self.join(ir.Const(ty, prev.src, prev.start, prev.end, False), a, node, f)
            # an argument that is never missing makes the ones after it unreachable
            for node, a in zip(n.args[:-1], args[:-1], strict=True):
                if self.never_missing_warning(a, node, f):
                    break
            return ir.Call(ty, src, n.start, n.end, f, tuple(args))
        known = [
            "min",
            "max",
            "clip",
            "round",
            "floor",
            "ceil",
            "abs",
            "year",
            "month",
            "day",
            "band",
            "band_below",
            "coalesce",
            "is_missing",
        ]
        guess = did_you_mean(f, known)
        self.err(
            "unknown-function",
            n,
            "did-you-mean" if guess else None,
            {"name": guess} if guess else None,
            name=f,
        )
        return ir.Call(T_ERR, src, n.start, n.end, f, tuple(args))

    def never_missing_warning(self, e: ir.Expr, node: ast.Node, func: str) -> bool:
        """Warn when `e` can never be missing (so `func` has nothing to test)."""
        if e.ty.kind == ERROR or self.may_be_missing(e, frozenset()):
            return False
        where = self.loc(node)
        self.diags.append(warning("never-missing", where, "missing-policy", func=func, expr=e.text))
        return True

    def may_be_missing(self, e: ir.Expr, seen: frozenset[str]) -> bool:
        """Whether `e` can need a missing fact: one whose policy is not `zero` (those
        read as 0), another rule's result, or a named expression that can."""
        if isinstance(e, ir.FactRef):
            return e.fact.missing is not MissingPolicy.ZERO
        if isinstance(e, ir.RuleRef):
            return True
        if isinstance(e, ir.LocalRef):
            key = "score" if e.kind == "score" else e.name
            if key in seen:
                return False
            target = self.out.score if key == "score" else self.typed.get(key)
            return target is None or self.may_be_missing(target, seen | {key})
        if isinstance(e, ir.Call) and e.func == "is_missing":
            return False
        if isinstance(e, ir.Call) and e.func == "coalesce":
            return all(self.may_be_missing(a, seen) for a in e.args)
        return any(self.may_be_missing(c, seen) for c in ir.children(e))

    def band(self, n: ast.Call) -> ir.Expr:
        src = self.current_src
        if len(n.args) not in (2, 3) or not isinstance(n.args[1], ast.Pairs):
            self.err(
                "arity",
                n,
                name=n.func,
                expected="2–3: band(x, [阈值: 值, …], 默认值)",
                got=len(n.args),
            )
            return ir.Const(T_ERR, src, n.start, n.end, False)
        x = self.expr(n.args[0])
        self.want(x, NUMBER, n.args[0], n.func)
        thresholds: list[ir.Expr] = []
        values: list[ir.Expr] = []
        for tn, vn in n.args[1].pairs:
            t = self.expr(tn)
            if not self._is_const_number(t):
                self.err("constant-required", tn, detail=t.text)
            elif (
                x.ty.kind == NUMBER
                and t.ty.kind == NUMBER
                and unify_units(x.ty.unit, t.ty.unit) is None
            ):
                self.err("unit", tn, "convert-unit", detail=f"{x.ty.unit} / {t.ty.unit}")
            thresholds.append(t)
            values.append(self.expr(vn))
        lits = [self._const_value(t) for t in thresholds]
        if all(v is not None for v in lits):
            for i in range(1, len(lits)):
                a, b = lits[i - 1], lits[i]
                assert a is not None and b is not None
                if not a < b:
                    self.err("band-order", n.args[1].pairs[i][0], detail=f"{a} ≥ {b}")
        if len(n.args) == 3:
            default = self.expr(n.args[2])
        else:
            default = ir.Const(t_num("none"), src, n.end, n.end, Decimal(0))
        ty = values[0].ty if values else t_num()
        for node, v in zip([p[1] for p in n.args[1].pairs], values, strict=True):
            self.want(v, NUMBER, node, n.func)
            ty = self.join(ir.Const(ty, None, 0, 0, False), v, node, n.func)
        ty = self.join(ir.Const(ty, None, 0, 0, False), default, n.args[-1], n.func)
        return ir.Band(
            ty,
            src,
            n.start,
            n.end,
            x,
            tuple(thresholds),
            tuple(values),
            default,
            n.func == "band_below",
            self.ratio_of(x) if x.ty.kind == NUMBER else None,
        )

    @staticmethod
    def _is_const_number(e: ir.Expr) -> bool:
        if isinstance(e, ir.Const | ir.ParamRef) and e.ty.kind in (NUMBER, ERROR):
            return True
        return isinstance(e, ir.Unary) and e.op == "-" and isinstance(e.operand, ir.Const)

    @staticmethod
    def _const_value(e: ir.Expr) -> Decimal | None:
        if isinstance(e, ir.Const) and isinstance(e.value, Decimal):
            return e.value
        if (
            isinstance(e, ir.Unary)
            and isinstance(e.operand, ir.Const)
            and isinstance(e.operand.value, Decimal)
        ):
            return -e.operand.value
        return None

    # -- the rule -------------------------------------------------------------
    def run(self) -> CheckedRule:
        v = self.v
        out = self.out
        seen: set[str] = set()
        for group, kind in ((v.values, "value"), (v.conditions, "condition")):
            for ne in group:
                if ne.name in seen or ne.name in v.parameters:
                    self.diags.append(error("duplicate", ne.source.location(0), name=ne.name))
                seen.add(ne.name)
                self.named_src[ne.name] = (kind, ne.source)
        if v.score is not None:
            for item in v.score.items:
                if item.id in seen:
                    self.diags.append(error("duplicate", item.source.location(0), name=item.id))
                seen.add(item.id)
                self.named_src[item.id] = ("item", item.source)
                out.item_max[item.id] = item.max
        for ne in v.values:
            e = self.named(ne.name, None)
            if e is not None:
                out.values[ne.name] = e
        for ne in v.conditions:
            e = self.named(ne.name, None)
            if e is not None:
                out.conditions[ne.name] = e
                out.condition_info[ne.name] = ne
                if e.ty.kind not in (BOOL, ERROR):
                    self.diags.append(
                        error(
                            "type",
                            ne.source.location(0),
                            detail=f"条件必须是布尔值，「{ne.name}」是{e.ty} / "
                            "a condition must be boolean",
                        )
                    )
        if v.score is not None:
            for item in v.score.items:
                e = self.named(item.id, None)
                if e is not None:
                    out.items[item.id] = e
                    if e.ty.kind not in (NUMBER, ERROR):
                        self.diags.append(
                            error(
                                "type",
                                item.source.location(0),
                                detail=f"得分项必须是数值 / "
                                f"a score item must be a number ({e.ty.english()})",
                            )
                        )
            self.score_expr(None)
            if v.score.pass_mark is not None:
                if PASS_CONDITION in out.conditions:
                    self.diags.append(error("duplicate", v.score.location, name=PASS_CONDITION))
                score_ref = ir.LocalRef(t_num(), None, 0, 0, "score", "score")
                mark = ir.Const(t_num(), None, 0, 0, v.score.pass_mark)
                out.conditions[PASS_CONDITION] = ir.Binary(
                    T_BOOL, None, 0, 0, ">=", score_ref, mark
                )
                out.condition_info[PASS_CONDITION] = None
        for key, src, want in (
            ("__eligible__", v.eligible, BOOL),
            ("__amount__", v.amount, NUMBER),
        ):
            if src is None:
                continue
            node = self.parse(key, src)
            if node is None:
                continue
            self.current_src = src
            self._reads_stack.append(set())
            self._deps_stack.append(set())
            e = self.expr(node)
            self.local_reads[key] = self._reads_stack.pop()
            self.local_deps[key] = self._deps_stack.pop()
            self.current_src = None
            if e.ty.kind not in (want, ERROR):
                self.diags.append(
                    error(
                        "type",
                        src.location(0),
                        detail=f"「{key.strip('_')}」应为{'布尔值' if want == BOOL else '数值'} / "
                        f"must be {want}",
                    )
                )
            if want == NUMBER and e.ty.kind == NUMBER and e.ty.unit not in ("yuan", "none"):
                self.diags.append(
                    error(
                        "unit",
                        src.location(0),
                        "convert-unit",
                        detail=f"金额的单位应为元，实际为 {e.ty.unit} / "
                        f"an amount must be in yuan, not {e.ty.unit}",
                    )
                )
            if key == "__eligible__":
                out.eligible = e
            else:
                out.amount = e
        # transitive reads of each named expression (local references only)
        if self.local_reads.get("score") is None and v.score is not None:
            self.local_reads["score"] = set()
            self.local_deps["score"] = {i.id for i in v.score.items}
        if PASS_CONDITION in out.conditions and v.score is not None:
            self.local_reads[PASS_CONDITION] = set()
            self.local_deps[PASS_CONDITION] = {"score"}
        for key in list(self.local_reads):
            out.reads[key] = frozenset(self._closure(key))
        self._check_facts_list()
        self._check_parameters()
        return out

    def _closure(self, key: str) -> set[str]:
        seen: set[str] = set()
        cols: set[str] = set()
        stack = [key]
        while stack:
            k = stack.pop()
            if k in seen:
                continue
            seen.add(k)
            cols |= self.local_reads.get(k, set())
            stack.extend(self.local_deps.get(k, set()))
        return cols

    def _check_facts_list(self) -> None:
        v = self.v
        if v.facts_listed is None:
            return
        read = {ref.fact.id for ref in self.out.facts.values() if not ref.fact.judgement}
        listed = set()
        for name in v.facts_listed:
            fact = self.schema.resolve(name)
            if fact is None:
                guess = did_you_mean(name, self.schema.names())
                self.diags.append(
                    error(
                        "unknown-fact",
                        v.location,
                        "did-you-mean" if guess else "declare-fact",
                        {"name": guess} if guess else None,
                        name=name,
                    )
                )
                continue
            listed.add(fact.id)
        for fid in sorted(read - listed):
            self.diags.append(warning("fact-undeclared", v.location, "list-fact", name=fid))
        for fid in sorted(listed - read):
            self.diags.append(warning("fact-unused", v.location, name=fid))

    def _check_parameters(self) -> None:
        v = self.v
        days: list[dt.date] = []
        if v.valid_from is not None:
            days.append(v.valid_from)
        for name in sorted(self.out.params_used):
            param = v.parameters[name]
            check_days = list(days) + [
                pv.start for pv in param.values if v.applies_on(pv.start) and pv.value is None
            ]
            if not check_days and param.values:
                check_days = [param.values[0].start]
            for day in check_days:
                if param.at(day) is None:
                    self.diags.append(
                        error(
                            "missing-parameter",
                            param.location,
                            "add-param-value",
                            {"date": day.isoformat()},
                            name=name,
                            date=day.isoformat(),
                        )
                    )
                    break


def _with_step(r: ir.Ratio, op: str, k: ir.Expr | None) -> ir.Ratio:
    return ir.Ratio(r.num, r.den, (*r.steps, (op, k)))


def check_version(
    version: RuleVersion, catalogue: RuleFolder | None = None
) -> tuple[CheckedRule, list[Diagnostic]]:
    """Check one rule version; returns the checked rule and every diagnostic."""
    checker = _Checker(version, catalogue)
    checked = checker.run()
    return checked, checker.diags


_CHECK_CACHE_ATTR = "_checked_cache"


def _checked(cat: RuleFolder, version: RuleVersion) -> tuple[CheckedRule, list[Diagnostic]]:
    cache: dict[int, tuple[CheckedRule, list[Diagnostic]]] = cat.__dict__.setdefault(
        _CHECK_CACHE_ATTR, {}
    )
    key = id(version)
    if key not in cache:
        cache[key] = check_version(version, cat)
    return cache[key]


def _rule_cycles(cat: RuleFolder) -> list[Diagnostic]:
    """Cycles between rules through `rules.X.field` references (any versions)."""
    graph: dict[str, set[str]] = {}
    where: dict[str, object] = {}
    for rule in cat.rules.values():
        refs: set[str] = set()
        for v in rule.versions:
            checked, _ = _checked(cat, v)
            refs |= checked.rule_refs
            where[rule.id] = v.location
        graph[rule.id] = refs
    out: list[Diagnostic] = []
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cyc = [*path[path.index(nxt) :], nxt]
                key = frozenset(cyc)
                if key not in reported:
                    reported.add(key)
                    out.append(error("cycle", where.get(nxt), "break-cycle", path=" → ".join(cyc)))  # type: ignore[arg-type]
            elif state.get(nxt) is None and nxt in graph:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [])
    return out


def _version_overlaps(cat: RuleFolder) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in cat.rules.values():
        vs = rule.versions
        for i in range(len(vs)):
            for j in range(i + 1, len(vs)):
                a, b = vs[i], vs[j]
                a_from = a.valid_from or dt.date.min
                b_from = b.valid_from or dt.date.min
                a_to = a.valid_to or dt.date.max
                b_to = b.valid_to or dt.date.max
                if a_from <= b_to and b_from <= a_to:
                    out.append(
                        error(
                            "version-overlap",
                            b.location,
                            rule=rule.id,
                            a=a.validity(),
                            b=b.validity(),
                        )
                    )
            if i > 0:
                for fname in ("entity", "period_kind"):
                    if getattr(vs[i], fname) != getattr(vs[0], fname):
                        out.append(
                            error("version-mismatch", vs[i].location, rule=rule.id, field=fname)
                        )
    return out


def check_catalogue(cat: RuleFolder) -> list[Diagnostic]:
    """Every diagnostic of a catalogue: loading, each version, versions, rule cycles."""
    diags = list(cat.diagnostics)
    for rule in cat.rules.values():
        for v in rule.versions:
            diags.extend(_checked(cat, v)[1])
    diags.extend(_version_overlaps(cat))
    diags.extend(_rule_cycles(cat))
    return _dedupe(diags)


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    out: list[Diagnostic] = []
    for d in diags:
        key = (d.code, d.location, tuple(sorted(d.args.items())))
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _period_fits(kind: str, period: Period) -> bool:
    return kind == "once" or kind == period.kind


def select_rules(
    cat: RuleFolder,
    *,
    entity: str | None = None,
    period: Period | str | int | None = None,
    verified_only: bool = False,
    rule_ids: list[str] | None = None,
) -> RuleSet:
    load_errors = [d for d in cat.diagnostics if d.is_error]
    if load_errors:
        raise RulesError(load_errors)
    if period is None:
        raise ValueError("a period is required")
    p = Period.parse(str(period) if not isinstance(period, Period) else period)
    selected: list[CheckedRule] = []
    deps: dict[str, CheckedRule] = {}
    problems: list[Diagnostic] = []

    def take(rule_id: str) -> CheckedRule | None:
        if rule_id in deps:
            return deps[rule_id]
        rule = cat.rules.get(rule_id)
        version = rule.version_for(p) if rule else None
        if version is None:
            return None
        checked, diags = _checked(cat, version)
        errs = [d for d in diags if d.is_error]
        if errs:
            problems.extend(errs)
            return None
        deps[rule_id] = checked
        for ref in sorted(checked.rule_refs):
            if take(ref) is None and not problems:
                problems.append(error("unknown-rule", version.location, name=f"{ref} ({p})"))
        return checked

    ids = rule_ids if rule_ids is not None else sorted(cat.rules)
    for rid in ids:
        rule = cat.rules.get(rid)
        if rule is None:
            problems.append(error("unknown-rule", None, name=rid))
            continue
        version = rule.version_for(p)
        if version is None:
            continue
        if entity is not None and version.entity != entity:
            continue
        if not _period_fits(version.period_kind, p):
            continue
        if verified_only and not version.verified:
            continue
        checked = take(rid)
        if checked is not None:
            selected.append(checked)
    cycles = _rule_cycles(cat)
    if cycles:
        problems.extend(c for c in cycles if any(r.id in c.args.get("path", "") for r in selected))
    if problems:
        raise RulesError(_dedupe(problems))
    schema: FactSchema | None = None
    try:
        for r in deps.values():
            s = r.version.fact_schema()
            schema = s if schema is None else schema.merged(s)
    except RulesError:
        raise
    if schema is None:
        schema = FactSchema(None)
    return RuleSet(p, entity, selected, deps, schema)


__all__ = ["CheckedRule", "RuleSet", "check_catalogue", "check_version", "select_rules"]
