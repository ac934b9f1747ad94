"""The how-to-claim guide (申兑指南), written from the rule itself, in Chinese or English.

One walker (`_Words`) turns a rule's conditions and amount into sentences; the words
it joins come from a `Lexicon`, one per language. Rule wording comes from the
catalogue: `label` / `title` / `issuer` … in Chinese, `label_en` / `title_en` /
`issuer_en` … in English (tests/rules/test_catalogue_english.py keeps the shipped
catalogues complete). A parameter's or condition's `reference` quotes the Chinese
original: the English guide names the document (basis) instead of quoting it.

Pure Python (no Django), like domain.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from zhenxing.core import money
from zhenxing.rules import ir
from zhenxing.rules.check import PASS_CONDITION, CheckedRule, RuleSet
from zhenxing.rules.document import RuleVersion


@dataclass
class GuideCondition:
    label: str
    reference: str
    words: str


@dataclass
class GuideParameter:
    label: str
    value: str
    reference: str


@dataclass
class Guide:
    title: str
    who: str
    conditions: list[GuideCondition]
    eligible_words: str
    amount: str
    parameters: list[GuideParameter]
    facts: list[str]
    basis: str
    #: public text only (a rule's `source_note` and `notes` are internal)
    source: str
    summary: str
    validity: str
    verified: bool
    extra: dict[str, str] = field(default_factory=dict)
    title_en: str = ""
    summary_en: str = ""
    source_en: str = ""

    def public(self, english: bool) -> tuple[str, str, str]:
        """(title, summary, source) as the reader reads them; an English reader gets
        the Chinese title when there is no English one (it names the policy), but no
        Chinese summary or source."""
        if english:
            return self.title_en or self.title, self.summary_en, self.source_en
        return self.title, self.summary, self.source


ENTITY_WORDS = {"enterprise": "企业", "project": "项目"}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _date(day: dt.date, english: bool) -> str:
    if english:
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def fmt_number(value: Decimal | dt.date, unit: str, english: bool = False) -> str:
    """A parameter's or constant's value as the guide shows it: 300万元 / ¥3,000,000.00,
    15% , 2019年1月1日 / 1 Jan 2019."""
    if isinstance(value, dt.date):  # a date parameter
        return _date(value, english)
    if unit == "ratio":
        return f"{(value * 100).normalize():f}%"
    if unit == "yuan":
        if english:
            return f"¥{value:,.2f}"
        if value != 0 and value % money.WAN == 0:  # a whole number of 万元 reads as such
            return f"{(value / money.WAN).normalize():,f}万元"
        return f"{money.format_number(value)}元"
    if value == value.to_integral_value():
        return f"{value.normalize():f}"
    return f"{value:f}"


#: an enum fact's label that lists its values: 项目类别（战略性新兴产业 / 绿色制造 / …）
#: or "Project category (emerging | green | …)"
_LIST_IN_LABEL = {
    False: re.compile(r"^(.*?)（([^（）]+)）$"),
    True: re.compile(r"^(.*?)\s*\(([^()]+)\)$"),
}


def enum_words(fact: Any, english: bool = False) -> tuple[str, dict[str, str]]:
    """A short label and the readable name of each value of an enum fact whose label
    lists them (names split at "/" or "|")."""
    label = (fact.label_en if english else "") or fact.label or fact.id
    match = _LIST_IN_LABEL[english].match(label)
    values = list(fact.values or ())
    if match:
        names = [n.strip() for n in re.split(r"[|/]", match.group(2))]
        if len(names) == len(values):
            return match.group(1), dict(zip(values, names, strict=True))
    return label, {}


@dataclass(frozen=True)
class Lexicon:
    """The words of the guide in one language."""

    english: bool
    ops: dict[str, str]
    period_words: dict[str, str]
    rounding: dict[str, str]
    yes_no: tuple[str, str]
    unset: str
    no_amount: str
    and_or: tuple[str, str]
    paren: Callable[[str], str]
    quote: Callable[[str], str]
    unit_suffix: str  # stripped from a money parameter's label when it is quoted inline
    lag_year: Callable[[str, int], str]
    lag_month: Callable[[str, int], str]
    pass_mark: str
    rule_fields: dict[str, str]
    rule_ref: Callable[[str, str], str]
    negation: Callable[[str], str]
    minus: Callable[[str], str]
    in_list: Callable[[str, bool, str], str]
    list_joiner: str
    if_else: Callable[[str, str, str], str]
    score: str
    min_max: Callable[[str, list[str]], str]
    clip: Callable[[str, str, str], str]
    absolute: Callable[[str], str]
    rounded: Callable[[str, str, str], str]
    part_of_date: Callable[[str, str], str]
    band: Callable[[str, list[tuple[bool, str, str]], str], str]
    is_value: Callable[[str, bool, str], str]
    amount: Callable[[str, str], str]
    who: Callable[[str, bool, list[str]], str]


def _zh_min_max(func: str, args: list[str]) -> str:
    which = "较小者" if func == "min" else "较大者"
    listed = "；".join(f"{'①②③④⑤⑥⑦⑧⑨'[i] if i < 9 else i + 1}{a}" for i, a in enumerate(args))
    return f"取下列各项中的{which}：{listed}"


def _zh_band(operand: str, steps: list[tuple[bool, str, str]], default: str) -> str:
    text = "；".join(
        f"{'不超过' if at_most else '达到'}{threshold}的，为{value}"
        for at_most, threshold, value in steps
    )
    return f"按{operand}分档：{text}；其余为{default}"


def _en_band(operand: str, steps: list[tuple[bool, str, str]], default: str) -> str:
    text = "; ".join(
        f"{'up to' if at_most else 'from'} {threshold}: {value}"
        for at_most, threshold, value in steps
    )
    return f"by {operand}: {text}; otherwise {default}"


CHINESE = Lexicon(
    english=False,
    ops={
        "*": "×",
        "/": "÷",
        "+": "+",
        "-": "−",
        ">=": "不低于",
        ">": "大于",
        "<=": "不超过",
        "<": "小于",
        "==": "为",
        "!=": "不为",
    },
    period_words={
        "period_year": "兑付年度",
        "period_month": "兑付月份",
        "period_start": "兑付期间首日",
        "period_end": "兑付期间末日",
    },
    rounding={"half_up": "四舍五入", "half_even": "四舍六入五成双", "down": "舍去"},
    yes_no=("是", "否"),
    unset="（未设定）",
    no_amount="（本规则不计算金额）",
    and_or=("，且", "，或"),
    paren=lambda text: f"（{text}）",
    quote=lambda text: f"“{text}”",
    unit_suffix="（元）",
    lag_year=lambda label, n: f"{n}年前的{label}" if n > 1 else f"上一年度的{label}",
    lag_month=lambda label, n: f"{n}个月前的{label}",
    pass_mark="得分达到及格线",
    rule_fields={"eligible": "是否符合", "amount": "金额", "score": "得分"},
    rule_ref=lambda what, title: f"《{title}》的{what}",
    negation=lambda inner: f"不满足{inner}",
    minus=lambda inner: f"负的{inner}",
    in_list=lambda operand, negated, items: f"{operand}{'不' if negated else ''}属于 {items}",
    list_joiner="、",
    if_else=lambda cond, then, other: f"若{cond}，则{then}，否则{other}",
    score="评分",
    min_max=_zh_min_max,
    clip=lambda x, low, high: f"{x}（不低于{low}，不超过{high}）",
    absolute=lambda x: f"{x}的绝对值",
    rounded=lambda func, x, places: (
        f"{x}（四舍五入到{places}位小数）"
        if func == "round"
        else f"{x}（{'向下' if func == 'floor' else '向上'}取整到{places}位小数）"
    ),
    part_of_date=lambda func, x: f"{x}的{ {'year': '年份', 'month': '月份', 'day': '日'}[func] }",
    band=_zh_band,
    is_value=lambda label, equal, value: f"{label}{'为' if equal else '不为'}“{value}”",
    amount=lambda words, rounding: f"{words}；金额保留到分（{rounding}）",
    who=lambda entity, all_of, facts: (
        f"符合下列{'全部' if all_of else ''}条件的{ENTITY_WORDS.get(entity, entity)}。"
        f"本政策免申即享：无需申请，主管部门根据{('、'.join(facts)) or '有关数据'}"
        f"测算，经审批后直接兑付。"
    ),
)

ENGLISH = Lexicon(
    english=True,
    ops={
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
    },
    period_words={
        "period_year": "the year paid for",
        "period_month": "the month paid for",
        "period_start": "the first day of the period",
        "period_end": "the last day of the period",
    },
    rounding={"half_up": "rounded half up", "half_even": "rounded half to even", "down": "cut off"},
    yes_no=("yes", "no"),
    unset="(not set)",
    no_amount="(this rule computes no amount)",
    and_or=(", and ", ", or "),
    paren=lambda text: f"({text})",
    quote=lambda text: f'"{text}"',
    unit_suffix=" (yuan)",
    lag_year=lambda label, n: (
        f"{label} {n} years before" if n > 1 else f"{label} of the year before"
    ),
    lag_month=lambda label, n: f"{label} {n} months before",
    pass_mark="the score reaches the pass mark",
    rule_fields={"eligible": "eligibility", "amount": "amount", "score": "score"},
    rule_ref=lambda what, title: f"the {what} under “{title}”",
    negation=lambda inner: f"not {inner}",
    minus=lambda inner: f"minus {inner}",
    in_list=lambda operand, negated, items: (
        f"{operand} is {'not ' if negated else ''}one of {items}"
    ),
    list_joiner=", ",
    if_else=lambda cond, then, other: f"if {cond}, then {then}, otherwise {other}",
    score="the score",
    min_max=lambda func, args: (
        f"the {'smallest' if func == 'min' else 'largest'} of: "
        + "; ".join(f"({i + 1}) {a}" for i, a in enumerate(args))
    ),
    clip=lambda x, low, high: f"{x} (at least {low}, at most {high})",
    absolute=lambda x: f"the absolute value of {x}",
    rounded=lambda func, x, places: (
        f"{x} ({ {'round': 'rounded', 'floor': 'rounded down', 'ceil': 'rounded up'}[func] }"
        f" to {places} decimal places)"
    ),
    part_of_date=lambda func, x: f"the {func} of {x}",
    band=_en_band,
    is_value=lambda label, equal, value: f'{label} {"is" if equal else "is not"} "{value}"',
    amount=lambda words, rounding: f"{words}; the amount is {rounding} to the fen",
    who=lambda entity, all_of, facts: (
        f"{ {'enterprise': 'Enterprises', 'project': 'Projects'}.get(entity, entity) } that meet "
        f"{'all of ' if all_of else ''}the conditions below. No application is needed: the "
        f"department calculates the award from {', '.join(facts) or 'the data it holds'} "
        f"and pays it after approval."
    ),
)


def label_in(thing: Any, english: bool, fallback: str) -> str:
    """A fact's, parameter's or condition's label in the language (Chinese when it has
    no English)."""
    return ((thing.label_en if english else "") or thing.label or fallback) if thing else fallback


class _Words:
    def __init__(self, rs: RuleSet, rule: CheckedRule, lex: Lexicon) -> None:
        self.rs = rs
        self.rule = rule
        self.lex = lex
        self.params: dict[str, GuideParameter] = {}
        self.facts: dict[str, str] = {}

    def condition_label(self, name: str) -> str:
        info = self.rule.condition_info.get(name)
        if info is None and name == PASS_CONDITION:
            return self.lex.pass_mark
        return label_in(info, self.lex.english, name)

    def number(self, value: Decimal | dt.date, unit: str) -> str:
        return fmt_number(value, unit, self.lex.english)

    def param(self, e: ir.ParamRef) -> str:
        p = e.param
        pv = p.at(self.rs.period.first_day)
        value = self.rs.param(self.rule, p.name) if pv is not None else None
        shown = self.number(value, p.unit) if value is not None else self.lex.unset
        label = label_in(p, self.lex.english, p.name)
        reference = pv.reference if pv is not None and not self.lex.english else ""
        self.params.setdefault(p.name, GuideParameter(label, shown, reference))
        space = " " if self.lex.english else ""
        return label.removesuffix(self.lex.unit_suffix) + space + self.lex.paren(shown)

    def fact(self, e: ir.FactRef) -> str:
        label = enum_words(e.fact, self.lex.english)[0]
        self.facts.setdefault(e.fact.id, label)
        if e.lag_unit == "year" and e.lag:
            return self.lex.lag_year(label, -e.lag)
        if e.lag_unit == "month" and e.lag:
            return self.lex.lag_month(label, -e.lag)
        return label

    def const(self, e: ir.Const) -> str:
        v = e.value
        if isinstance(v, bool):
            return self.lex.yes_no[0] if v else self.lex.yes_no[1]
        if isinstance(v, Decimal):
            return self.number(v, e.ty.unit)
        if isinstance(v, dt.date):
            return _date(v, self.lex.english)
        return self.lex.quote(str(v))

    def __call__(self, e: ir.Expr, top: bool = True) -> str:
        lex = self.lex
        if isinstance(e, ir.Const):
            return self.const(e)
        if isinstance(e, ir.FactRef):
            return self.fact(e)
        if isinstance(e, ir.ParamRef):
            return self.param(e)
        if isinstance(e, ir.PeriodRef):
            return lex.period_words.get(e.name, e.name)
        if isinstance(e, ir.LocalRef):
            if e.kind == "value" and e.name in self.rule.values:
                return self(self.rule.values[e.name], top)
            if e.kind == "condition":
                return lex.quote(self.condition_label(e.name))
            return lex.score if e.kind == "score" else e.name
        if isinstance(e, ir.RuleRef):
            other = self.rs.rule(e.rule_id).version
            title = (other.title_en if lex.english else "") or other.title
            return lex.rule_ref(lex.rule_fields.get(e.field_name, e.field_name), title)
        if isinstance(e, ir.Unary):
            inner = self(e.operand, False)
            return lex.negation(inner) if e.op == "not" else lex.minus(inner)
        if isinstance(e, ir.Binary):
            return self._binary(e, top)
        if isinstance(e, ir.InList):
            english = lex.english
            names = (
                enum_words(e.operand.fact, english)[1] if isinstance(e.operand, ir.FactRef) else {}
            )
            items = lex.list_joiner.join(
                names.get(i.value, self(i, False))
                if isinstance(i, ir.Const) and isinstance(i.value, str)
                else self(i, False)
                for i in e.items
            )
            return lex.in_list(self(e.operand, False), e.negated, items)
        if isinstance(e, ir.IfElse):
            return lex.if_else(self(e.cond), self(e.then), self(e.else_))
        if isinstance(e, ir.Call):
            return self._call(e)
        if isinstance(e, ir.Band):
            steps = [
                (e.at_most, self(t, False), self(v, False))
                for t, v in zip(e.thresholds, e.values, strict=True)
            ]
            return lex.band(self(e.operand, False), steps, self(e.default, False))
        return e.text

    def _binary(self, e: ir.Binary, top: bool) -> str:
        named = self._enum_comparison(e)
        if named is not None:
            return named
        if e.op in ("and", "or"):
            joiner = self.lex.and_or[0] if e.op == "and" else self.lex.and_or[1]
            text = self(e.left, False) + joiner + self(e.right, False)
        else:
            text = f"{self(e.left, False)} {self.lex.ops.get(e.op, e.op)} {self(e.right, False)}"
        return text if top else self.lex.paren(text)

    def _call(self, e: ir.Call) -> str:
        lex = self.lex
        args = [self(a) for a in e.args]
        if e.func in ("min", "max"):
            return lex.min_max(e.func, args)
        if e.func == "clip":
            return lex.clip(args[0], args[1], args[2])
        if e.func == "abs":
            return lex.absolute(args[0])
        if e.func in ("round", "floor", "ceil"):
            return lex.rounded(e.func, args[0], args[1] if len(args) > 1 else "0")
        if e.func in ("year", "month", "day"):
            return lex.part_of_date(e.func, args[0])
        comma = ", " if lex.english else "，"
        return e.func + lex.paren(comma.join(args))

    def _enum_comparison(self, e: ir.Binary) -> str | None:
        if e.op not in ("==", "!="):
            return None
        fact_side, const_side = e.left, e.right
        if isinstance(fact_side, ir.Const):
            fact_side, const_side = const_side, fact_side
        if not (isinstance(fact_side, ir.FactRef) and isinstance(const_side, ir.Const)):
            return None
        label, names = enum_words(fact_side.fact, self.lex.english)
        value = names.get(str(const_side.value))
        if value is None:
            return None
        return self.lex.is_value(label, e.op == "==", value)


def guide(rs: RuleSet, rule_id: str, *, english: bool = False) -> Guide:
    """The how-to-claim guide of one rule, for the period of `rs`, in Chinese or English."""
    lex = ENGLISH if english else CHINESE
    rule = rs.rule(rule_id)
    v: RuleVersion = rule.version
    w = _Words(rs, rule, lex)
    conditions = []
    for name, e in rule.conditions.items():
        info = rule.condition_info.get(name)
        reference = info.reference if info and info.reference and not english else ""
        conditions.append(GuideCondition(w.condition_label(name), reference, w(e)))
    eligible_words = w(rule.eligible) if rule.eligible is not None else ""
    amount = lex.no_amount
    if rule.amount is not None:
        amount = lex.amount(w(rule.amount), lex.rounding.get(v.rounding, v.rounding))
    facts = sorted(w.facts.values())
    title, summary, source = (
        (v.title_en or v.title, v.summary_en, v.source_en)
        if english
        else (v.title, v.summary, v.source)
    )
    return Guide(
        title=title,
        who=lex.who(v.entity, rule.eligible is None, facts),
        conditions=conditions,
        eligible_words=eligible_words,
        amount=amount,
        parameters=list(w.params.values()),
        facts=facts,
        basis=v.legal_reference(english),
        source=source,
        summary=summary,
        validity=v.validity(),
        verified=v.verified,
        title_en=v.title_en,
        summary_en=v.summary_en,
        source_en=v.source_en,
    )
