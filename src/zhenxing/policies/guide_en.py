"""The how-to-claim guide (申兑指南) in English, written from the same rule as the
Chinese one (`domain.guide`).

Rule wording comes from the catalogue's English fields: `title_en`, `summary_en`,
`source_en`, and `label_en` on facts, parameters and conditions. A label without
English is shown in Chinese (it is the rule's own name for the thing), so a missing
`label_en` is visible on the page and in tests/core/test_english_pages.py.
Pure Python (no Django), like domain.py.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from zhenxing.policies.domain import Guide, GuideCondition, GuideParameter
from zhenxing.rules import ir
from zhenxing.rules.check import PASS_CONDITION, CheckedRule, RuleSet
from zhenxing.rules.document import RuleVersion

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_OPS = {
    "*": "×",
    "/": "÷",
    "+": "+",
    "-": "−",
    ">=": "is at least",
    ">": "is more than",
    "<=": "is at most",
    "<": "is less than",
    "==": "is",
    "!=": "is not",
}
_PERIOD_WORDS = {
    "period_year": "the year paid for",
    "period_month": "the month paid for",
    "period_start": "the first day of the period",
    "period_end": "the last day of the period",
}
_ROUNDING = {"half_up": "rounded half up", "half_even": "rounded half to even", "down": "cut off"}
_ENTITY = {"enterprise": "enterprises", "project": "projects"}
_LIST_IN_LABEL = re.compile(r"^(.*?)\s*\(([^()]+)\)$")


def _date(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def fmt_number(value: Decimal | dt.date, unit: str) -> str:
    if isinstance(value, dt.date):
        return _date(value)
    if unit == "ratio":
        return f"{(value * 100).normalize():f}%"
    if unit == "yuan":
        return f"¥{value:,.2f}"
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def enum_words(fact: Any) -> tuple[str, dict[str, str]]:
    """The English label of an enum fact and a readable name per value, from
    `label_en` such as "Project category (emerging | green | smart | other)"."""
    label = fact.label_en or fact.label or fact.id
    values = list(fact.values or ())
    match = _LIST_IN_LABEL.match(fact.label_en or "")
    if match:
        names = [n.strip() for n in re.split(r"[|/]", match.group(2))]
        if len(names) == len(values):
            return match.group(1), dict(zip(values, names, strict=True))
    return label, {}


class _Words:
    def __init__(self, rs: RuleSet, rule: CheckedRule) -> None:
        self.rs = rs
        self.rule = rule
        self.params: dict[str, GuideParameter] = {}
        self.facts: dict[str, str] = {}

    def condition_label(self, name: str) -> str:
        info = self.rule.condition_info.get(name)
        if info is None:
            return "the score reaches the pass mark" if name == PASS_CONDITION else name
        return info.label_en or info.label or name

    def param(self, e: ir.ParamRef) -> str:
        p = e.param
        pv = p.at(self.rs.period.first_day)
        value = self.rs.param(self.rule, p.name) if pv is not None else None
        shown = fmt_number(value, p.unit) if value is not None else "(not set)"
        label = p.label_en or p.label or p.name
        # A parameter's reference quotes the Chinese original: the English guide names
        # the document (basis) instead of quoting it.
        self.params.setdefault(p.name, GuideParameter(label, shown, ""))
        return f"{label} ({shown})"

    def fact(self, e: ir.FactRef) -> str:
        label = enum_words(e.fact)[0]
        self.facts.setdefault(e.fact.id, label)
        if e.lag_unit == "year" and e.lag:
            return f"{label} {-e.lag} years before" if e.lag < -1 else f"{label} of the year before"
        if e.lag_unit == "month" and e.lag:
            return f"{label} {-e.lag} months before"
        return label

    def __call__(self, e: ir.Expr, top: bool = True) -> str:
        if isinstance(e, ir.Const):
            v = e.value
            if isinstance(v, bool):
                return "yes" if v else "no"
            if isinstance(v, Decimal):
                return fmt_number(v, e.ty.unit)
            if isinstance(v, dt.date):
                return _date(v)
            return f'"{v}"'
        if isinstance(e, ir.FactRef):
            return self.fact(e)
        if isinstance(e, ir.ParamRef):
            return self.param(e)
        if isinstance(e, ir.PeriodRef):
            return _PERIOD_WORDS.get(e.name, e.name)
        if isinstance(e, ir.LocalRef):
            if e.kind == "value" and e.name in self.rule.values:
                return self(self.rule.values[e.name], top)
            if e.kind == "condition":
                return f'"{self.condition_label(e.name)}"'
            return "the score" if e.kind == "score" else e.name
        if isinstance(e, ir.RuleRef):
            other = self.rs.rule(e.rule_id).version
            what = {"eligible": "eligibility", "amount": "amount", "score": "score"}
            title = other.title_en or other.title
            return f"the {what.get(e.field_name, e.field_name)} under “{title}”"
        if isinstance(e, ir.Unary):
            inner = self(e.operand, False)
            return f"not {inner}" if e.op == "not" else f"minus {inner}"
        if isinstance(e, ir.Binary):
            named = self._enum_comparison(e)
            if named is not None:
                return named
            if e.op in ("and", "or"):
                text = (
                    self(e.left, False)
                    + (", and " if e.op == "and" else ", or ")
                    + self(e.right, False)
                )
            else:
                text = f"{self(e.left, False)} {_OPS.get(e.op, e.op)} {self(e.right, False)}"
            return text if top else f"({text})"
        if isinstance(e, ir.InList):
            names = enum_words(e.operand.fact)[1] if isinstance(e.operand, ir.FactRef) else {}
            items = ", ".join(
                names.get(i.value, self(i, False))
                if isinstance(i, ir.Const) and isinstance(i.value, str)
                else self(i, False)
                for i in e.items
            )
            return f"{self(e.operand, False)} is {'not ' if e.negated else ''}one of {items}"
        if isinstance(e, ir.IfElse):
            return f"if {self(e.cond)}, then {self(e.then)}, otherwise {self(e.else_)}"
        if isinstance(e, ir.Call):
            return self._call(e)
        if isinstance(e, ir.Band):
            steps = "; ".join(
                f"{'up to' if e.at_most else 'from'} {self(t, False)}: {self(v, False)}"
                for t, v in zip(e.thresholds, e.values, strict=True)
            )
            return f"by {self(e.operand, False)}: {steps}; otherwise {self(e.default, False)}"
        return e.text

    def _call(self, e: ir.Call) -> str:
        args = [self(a) for a in e.args]
        if e.func in ("min", "max"):
            which = "smallest" if e.func == "min" else "largest"
            listed = "; ".join(f"({i + 1}) {a}" for i, a in enumerate(args))
            return f"the {which} of: {listed}"
        if e.func == "clip":
            return f"{args[0]} (at least {args[1]}, at most {args[2]})"
        if e.func == "abs":
            return f"the absolute value of {args[0]}"
        if e.func in ("round", "floor", "ceil"):
            places = args[1] if len(args) > 1 else "0"
            way = {"round": "rounded", "floor": "rounded down", "ceil": "rounded up"}[e.func]
            return f"{args[0]} ({way} to {places} decimal places)"
        if e.func in ("year", "month", "day"):
            return f"the {e.func} of {args[0]}"
        return f"{e.func}({', '.join(args)})"

    def _enum_comparison(self, e: ir.Binary) -> str | None:
        if e.op not in ("==", "!="):
            return None
        fact_side, const_side = e.left, e.right
        if isinstance(fact_side, ir.Const):
            fact_side, const_side = const_side, fact_side
        if not (isinstance(fact_side, ir.FactRef) and isinstance(const_side, ir.Const)):
            return None
        label, names = enum_words(fact_side.fact)
        value = names.get(str(const_side.value))
        if value is None:
            return None
        return f'{label} {"is" if e.op == "==" else "is not"} "{value}"'


def guide_en(rs: RuleSet, rule_id: str) -> Guide:
    """The how-to-claim guide of one rule in English, for the period of `rs`."""
    rule = rs.rule(rule_id)
    v: RuleVersion = rule.version
    w = _Words(rs, rule)
    conditions = []
    for name, e in rule.conditions.items():
        conditions.append(GuideCondition(w.condition_label(name), "", w(e)))
    eligible_words = w(rule.eligible) if rule.eligible is not None else ""
    amount = "(this rule computes no amount)"
    if rule.amount is not None:
        amount = (
            f"{w(rule.amount)}; the amount is {_ROUNDING.get(v.rounding, v.rounding)} to the fen"
        )
    facts = sorted(w.facts.values())
    who = (
        f"{_ENTITY.get(v.entity, v.entity).capitalize()} that meet "
        f"{'all of ' if rule.eligible is None else ''}the conditions below. No application "
        f"is needed: the department calculates the award from "
        f"{', '.join(facts) or 'the data it holds'} and pays it after approval."
    )
    return Guide(
        title=v.title_en or v.title,
        who=who,
        conditions=conditions,
        eligible_words=eligible_words,
        amount=amount,
        parameters=list(w.params.values()),
        facts=facts,
        basis=v.legal_reference(),
        source=v.source_en,
        summary=v.summary_en,
        validity=v.validity(),
        verified=v.verified,
        title_en=v.title_en,
        summary_en=v.summary_en,
        source_en=v.source_en,
    )
