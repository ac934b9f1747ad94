"""Explanations: why one entity does or does not qualify, in readable Chinese.

Every sub-expression is shown with its value, every condition with ✓ or ✗ (a failed
threshold condition with its gap: "研发费用还差 12.3 万元即可达到 3%"), and the
rule's legal references (issuer, document number, article) head the trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import ir
from .check import CheckedRule, RuleSet
from .diagnostics import Lang
from .gap import ELIGIBLE, gaps, summarize
from .interpret import STATUS_NAMES, Missing, RuleResult, Trace, interpret


def fmt_value(value: Any, unit: str = "none", lang: Lang = "zh") -> str:
    if value is None:
        return "（缺失）" if lang == "zh" else "(missing)"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"
        if unit == "yuan":
            text = f"{value:,.2f} 元" if lang == "zh" else f"¥{value:,.2f}"
        elif unit == "ratio":
            pct = (value * 100).normalize()
            text = f"{text}（{pct:f}%）" if lang == "zh" else f"{text} ({pct:f}%)"
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    return f"“{value}”" if lang == "zh" else f'"{value}"'


@dataclass
class Explanation:
    rule: CheckedRule
    result: RuleResult
    lines: list[str]

    def text(self) -> str:
        return "\n".join(self.lines)

    def __str__(self) -> str:
        return self.text()


def fact_names(rs: RuleSet, columns: Iterable[str], lang: Lang = "zh") -> str:
    """Columns as readers know them: 销售收入（revenue）、1年前的销售收入（revenue@year-1）"""
    refs = rs.fact_columns()
    out: list[str] = []
    for col in sorted(columns):
        ref = refs.get(col)
        if ref is None:
            out.append(col)
            continue
        name = ref.fact.label if lang == "zh" else (ref.fact.label_en or ref.fact.id)
        if ref.lag:
            unit = {"year": "年", "month": "个月"}.get(ref.lag_unit or "", "期")
            when = f"{-ref.lag}{unit}前的" if lang == "zh" else f"{ref.lag_unit}{ref.lag:+d}: "
            name = f"{when}{name}"
        out.append(f"{name}（{col}）" if lang == "zh" else f"{name} ({col})")
    return "、".join(out) if lang == "zh" else ", ".join(out)


class _Writer:
    def __init__(self, rs: RuleSet, rule: CheckedRule, trace: Trace, lang: Lang) -> None:
        self.rs = rs
        self.rule = rule
        self.trace = trace
        self.lang = lang
        self.lines: list[str] = []

    def missing(self, value: Missing) -> str:
        names = fact_names(self.rs, value.columns, self.lang)
        return f"缺失：{names}" if self.lang == "zh" else f"missing: {names}"

    def fallback(self, e: ir.Call) -> str:
        """Which argument a coalesce fell back to, and why (nothing when it took the first)."""
        skipped: list[str] = []
        taken = [a for a in e.args if not isinstance(self.trace.get(id(a)), Missing)]
        if not taken or taken[0] is e.args[0]:  # the first argument was there
            return ""
        arg = taken[0]
        i = e.args.index(arg) + 1
        for earlier in e.args[: i - 1]:
            lacking = self.trace.get(id(earlier))
            assert isinstance(lacking, Missing)
            skipped.extend(lacking.columns)
        text = arg.text or fmt_value(self.trace.get(id(arg)), arg.ty.unit, self.lang)
        names = fact_names(self.rs, skipped, self.lang)
        if self.lang == "zh":
            return f"［前面的项缺失（缺少{names}），改取第 {i} 项「{text}」］"
        return f" [earlier arguments missing ({names}); took argument {i}, {text}]"

    def node(self, e: ir.Expr, depth: int) -> None:
        if isinstance(e, ir.Const):
            return
        pad = "    " * depth
        value = self.trace.get(id(e), _NOT_EVALUATED)
        if value is _NOT_EVALUATED:
            shown = "（未计算）" if self.lang == "zh" else "(not evaluated)"
        elif isinstance(value, Missing):
            shown = self.missing(value)
        else:
            shown = fmt_value(value, e.ty.unit, self.lang)
            if isinstance(e, ir.Call) and e.func == "coalesce":
                shown += self.fallback(e)
        label = e.text or _describe(e)
        extra = ""
        if isinstance(e, ir.FactRef):
            name = e.fact.label if self.lang == "zh" else (e.fact.label_en or e.fact.id)
            extra = self.aside(name) if name and name != label else ""
            if e.fact.judgement:
                extra += "［专家评审输入］" if self.lang == "zh" else " [expert-judgement input]"
        elif isinstance(e, ir.ParamRef):
            pv = e.param.at(self.rs.period.first_day)
            # a reference quotes the Chinese original: an English reader gets the basis
            ref = pv.reference if pv and self.lang == "zh" else ""
            meaning = e.param.label if self.lang == "zh" else (e.param.label_en or e.param.label)
            extra = self.aside(meaning) if meaning != e.param.name else ""
            if ref:
                extra += f"［依据：{ref}］" if self.lang == "zh" else f" [source: {ref}]"
        ratio = _exact_ratio(e)
        if ratio is not None:
            extra += self.exact_note(ratio)
        self.lines.append(f"{pad}· {label}{extra} = {shown}")
        if isinstance(e, ir.FactRef | ir.ParamRef | ir.LocalRef | ir.PeriodRef | ir.RuleRef):
            return
        for child in ir.children(e):
            self.node(child, depth + 1)

    def aside(self, text: str) -> str:
        return f"（{text}）" if self.lang == "zh" else f" ({text})"

    def exact_note(self, r: ir.Ratio) -> str:
        """The exact value a comparison or band decided on (the named value shows
        the quotient rounded to 10 places), when the trace has all its parts."""
        parts: list[Decimal] = []
        for node in (r.num, r.den, *(k for _, k in r.steps if k is not None)):
            value = self.trace.get(id(node))
            if not isinstance(value, Decimal):
                return ""
            parts.append(value)
        known = dict(zip((id(k) for _, k in r.steps if k is not None), parts[2:], strict=True))
        alpha, beta = ir.affine(r.steps, lambda k: known[id(k)])
        a, b = Fraction(parts[0]), Fraction(parts[1])
        text = _fraction_text(alpha * (a / b if b else Fraction(0)) + beta)
        if self.lang == "zh":
            return f"［按精确值 {text} 判定］"
        return f" [decided on the exact value {text}]"


def _exact_ratio(e: ir.Expr) -> ir.Ratio | None:
    if isinstance(e, ir.Binary) and e.exact is not None:
        return e.exact[0] or e.exact[1]
    if isinstance(e, ir.Band):
        return e.exact
    return None


def _fraction_text(q: Fraction, places: int = 20) -> str:
    """A decimal with up to `places` places; "…" when it goes on."""
    sign = "-" if q < 0 else ""
    q = abs(q)
    whole, rest = divmod(q.numerator, q.denominator)
    digits = ""
    while rest and len(digits) < places:
        rest *= 10
        digit, rest = divmod(rest, q.denominator)
        digits += str(digit)
    tail = "…" if rest else ""
    return f"{sign}{whole}" + (f".{digits}{tail}" if digits else "")


class _NotEvaluated:
    pass


_NOT_EVALUATED = _NotEvaluated()


def _describe(e: ir.Expr) -> str:
    if isinstance(e, ir.LocalRef):
        return e.name
    if isinstance(e, ir.Binary):
        return f"{_describe(e.left)} {e.op} {_describe(e.right)}"
    return type(e).__name__


def _gap_lines(
    ruleset: RuleSet,
    rule: CheckedRule,
    result: RuleResult,
    facts: Mapping[str, Any],
    lang: Lang,
) -> dict[str, list[str]]:
    """Per failed condition, the gap of each fact it reads (gap analysis)."""
    if result.eligible and not result.failed:
        return {}
    head = "差距：" if lang == "zh" else "gap: "
    return {
        cond: [f"      ↳ {head}{text}" for text in texts]
        for cond, texts in summarize(gaps(ruleset, rule.id, facts), lang).items()
    }


def explain(
    ruleset: RuleSet, rule_id: str, facts: Mapping[str, Any], lang: Lang = "zh"
) -> Explanation:
    """Evaluate one rule for one entity and describe every step."""
    trace: Trace = {}
    rule = ruleset.rule(rule_id)
    result = interpret(ruleset, facts, rule_id, trace=trace)[rule_id]
    v = rule.version
    w = _Writer(ruleset, rule, trace, lang)
    zh = lang == "zh"
    colon = "：" if zh else ": "  # full-width in Chinese text only
    title = v.title if zh else (v.title_en or v.title)
    rule_id = f"（{v.rule_id}）" if zh else f" ({v.rule_id})"
    w.lines.append(f"{'规则' if zh else 'Rule'}{colon}{title}{rule_id}")
    ref = v.legal_reference(english=not zh)
    if ref:
        w.lines.append(f"{'依据' if zh else 'Source'}{colon}{ref}")
    source = v.source if zh else v.source_en  # public text only; never `source_note`
    if source:
        w.lines.append(f"{'出处' if zh else 'Reference'}{colon}{source}")
    w.lines.append(
        f"{'版本' if zh else 'Version'}{colon}{v.validity()}{'　' if zh else '  '}"
        f"{'期间' if zh else 'Period'}{colon}{ruleset.period}"
    )
    if not v.verified:
        w.lines.append("⚠ 暂定规则（未核实），不用于兑付" if zh else "⚠ provisional (unverified)")
    if result.status:
        miss = fact_names(ruleset, result.missing, lang)
        w.lines.append(
            (f"结论：无法判定——缺少事实 {miss}（{STATUS_NAMES[result.status]}）")
            if zh
            else f"Result: undecided — missing facts {miss} ({STATUS_NAMES[result.status]})"
        )
    elif result.eligible:
        amount = f"，金额 {result.amount:,.2f} 元" if rule.amount is not None else ""
        w.lines.append(
            f"结论：符合条件{amount}" if zh else f"Result: eligible, ¥{result.amount:,.2f}"
        )
    else:
        failed = ("、" if zh else ", ").join(
            rule.condition_label(n, english=not zh) for n in result.failed
        )
        failed = failed or "—"
        w.lines.append(
            f"结论：不符合条件（未满足：{failed}）" if zh else f"Result: not eligible ({failed})"
        )
    if result.score is not None:
        w.lines.append(f"{'得分' if zh else 'Score'}{colon}{fmt_value(result.score)}")
    if rule.values:
        w.lines.append("中间值：" if zh else "Values:")
        for name, e in rule.values.items():
            got = trace.get(id(e), _NOT_EVALUATED)
            if got is _NOT_EVALUATED:
                shown = "（未计算）" if zh else "(not evaluated)"
            elif isinstance(got, Missing):
                shown = w.missing(got)
            else:
                shown = fmt_value(got, e.ty.unit, lang)
            w.lines.append(f"  {name} = {shown}")
            for child in [e]:
                w.node(child, 2)
    gap_lines = _gap_lines(ruleset, rule, result, facts, lang)
    if rule.conditions:
        w.lines.append("条件：" if zh else "Conditions:")
        for name, e in rule.conditions.items():
            held = result.conditions.get(name)
            mark = "✓" if held else ("?" if held is None else "✗")
            info = rule.condition_info.get(name)
            label = rule.condition_label(name, english=not zh)
            article = ""
            if info and info.reference and zh:
                article = f"［{info.reference}］" if zh else f" [{info.reference}]"
            flag = "" if held or held is None else ("  ← 未满足" if zh else "  ← failed")
            lacking = trace.get(id(e))
            if held is None and isinstance(lacking, Missing):
                names = fact_names(ruleset, lacking.columns, lang)
                flag = f"  ← 无法判定：缺少{names}" if zh else f"  ← unknown: missing {names}"
            w.lines.append(f"  {mark} {label}{article}{colon}{e.text or name}{flag}")
            w.lines.extend(gap_lines.get(name, []))
            w.node(e, 2)
    if rule.score is not None and rule.items:
        w.lines.append("得分项：" if zh else "Score items:")
        for iid, e in rule.items.items():
            mx = rule.item_max.get(iid)
            cap = "" if mx is None else f"（上限 {mx}）" if zh else f" (at most {mx})"
            w.lines.append(f"  {iid}{cap}{colon.strip()}")
            w.node(e, 2)
    if rule.eligible is not None:
        w.lines.append("资格判定：" if zh else "Eligibility:")
        w.lines.extend(gap_lines.get(ELIGIBLE, []))
        w.node(rule.eligible, 1)
    if rule.amount is not None and result.status == 0:
        if result.eligible:
            heading = (
                f"金额（{v.rounding}，保留到分）：" if zh else f"Amount ({v.rounding} to the fen):"
            )
        else:  # the formula's value, shown so the reader sees every step; nothing is paid
            heading = (
                "金额（不符合条件，不予兑付；以下为按公式计算的值）："
                if zh
                else "Amount (not eligible, nothing is paid; what the formula gives):"
            )
        w.lines.append(heading)
        w.node(rule.amount, 1)
    return Explanation(rule, result, w.lines)


__all__ = ["Explanation", "explain", "fact_names", "fmt_value"]
