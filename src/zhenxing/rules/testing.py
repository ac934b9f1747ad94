"""Running the YAML test cases written in rule files.

Each case is run by the reference interpreter and by the compiled (Polars)
evaluation; both must give the expected result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .check import RuleSet
from .diagnostics import Diagnostic, RulesError, error
from .document import Catalogue, TestCase
from .interpret import STATUS_NAMES, RuleResult, interpret
from .schema import Period

ENGINES = ("interpret", "polars")


@dataclass
class TestOutcome:
    rule_id: str
    case: TestCase
    engine: str
    passed: bool
    problems: list[str]

    def diagnostic(self) -> Diagnostic:
        return error(
            "test-failed",
            self.case.location,
            name=f"{self.rule_id} / {self.case.name} [{self.engine}]",
            detail="; ".join(self.problems),
        )


def _dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not a number")
    return Decimal(str(value))


def compare_result(result: RuleResult, expect: dict[str, Any]) -> list[str]:
    """Differences between a result and a test's `expect` mapping (empty if it passes)."""
    problems: list[str] = []
    if "eligible" in expect and bool(expect["eligible"]) != result.eligible:
        problems.append(f"eligible: expected {expect['eligible']}, got {result.eligible}")
    if "amount" in expect:
        want = _dec(expect["amount"]) or Decimal(0)
        if want != result.amount:
            problems.append(f"amount: expected {want}, got {result.amount}")
    if "score" in expect:
        want_s = _dec(expect["score"])
        if want_s != result.score:
            problems.append(f"score: expected {want_s}, got {result.score}")
    if "status" in expect:
        got = STATUS_NAMES[result.status]
        if str(expect["status"]) != got:
            problems.append(f"status: expected {expect['status']}, got {got}")
    conds = expect.get("conditions") or {}
    for name, want_c in conds.items():
        if name not in result.conditions:
            problems.append(f"condition {name}: no such condition")
        elif result.conditions[name] != want_c:
            problems.append(f"condition {name}: expected {want_c}, got {result.conditions[name]}")
    unknown = set(expect) - {"eligible", "amount", "score", "status", "conditions"}
    if unknown:
        problems.append(f"unknown expectation(s): {', '.join(sorted(unknown))}")
    return problems


def _polars_result(ruleset: RuleSet, rule_id: str, facts: dict[str, Any]) -> RuleResult:
    from .compile_polars import decode_mask, evaluate_wide, frame_from_rows

    frame = frame_from_rows(ruleset, [{**facts, "entity_id": "case"}])
    wide = evaluate_wide(ruleset, frame)
    names = list(ruleset.rule(rule_id).conditions)
    row = wide.row(0, named=True)
    mask = int(row[f"{rule_id}.conditions"])
    status = int(row[f"{rule_id}.status"])
    conditions: dict[str, bool | None] = dict(decode_mask(mask, names))
    if not all(conditions.values()):
        # the mask says which conditions held; the interpreter says which of the
        # others needed a missing fact (None) — also with status ok, where a
        # condition the result did not need can be unknown
        ref = interpret(ruleset, facts, rule_id)[rule_id]
        for n, v in ref.conditions.items():
            if v is None and not conditions[n]:
                conditions[n] = None
    score = row.get(f"{rule_id}.score")
    return RuleResult(
        rule_id,
        bool(row[f"{rule_id}.eligible"]),
        Decimal(row[f"{rule_id}.amount_fen"]).scaleb(-2),
        Decimal(score) if score is not None else None,
        conditions,
        status,
    )


def run_case(
    catalogue: Catalogue, case: TestCase, engines: tuple[str, ...] = ENGINES
) -> list[TestOutcome]:
    rule = catalogue.rules[case.rule_id]
    try:
        period = Period.parse(case.period)
    except ValueError as exc:
        return [TestOutcome(case.rule_id, case, "load", False, [str(exc)])]
    if rule.version_for(period) is None:
        return [
            TestOutcome(case.rule_id, case, "load", False, [f"no version in force in {period}"])
        ]
    try:
        ruleset = catalogue.select(period=period, rule_ids=[case.rule_id])
    except RulesError as exc:
        return [
            TestOutcome(
                case.rule_id, case, "check", False, [d.message("en") for d in exc.diagnostics]
            )
        ]
    if case.rule_id not in ruleset.ids:
        return [
            TestOutcome(
                case.rule_id, case, "load", False, [f"rule does not apply to period {period}"]
            )
        ]
    facts = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in case.facts.items()}
    outcomes: list[TestOutcome] = []
    for engine in engines:
        try:
            if engine == "interpret":
                result = interpret(ruleset, facts, case.rule_id)[case.rule_id]
            else:
                result = _polars_result(ruleset, case.rule_id, facts)
        except (ValueError, RulesError) as exc:
            outcomes.append(TestOutcome(case.rule_id, case, engine, False, [str(exc)]))
            continue
        problems = compare_result(result, case.expect)
        outcomes.append(TestOutcome(case.rule_id, case, engine, not problems, problems))
    return outcomes


def run_tests(
    catalogue: Catalogue,
    rule_ids: list[str] | None = None,
    engines: tuple[str, ...] = ENGINES,
) -> list[TestOutcome]:
    """Run every YAML test case (of the given rules) with each engine."""
    out: list[TestOutcome] = []
    for rid in sorted(catalogue.rules):
        if rule_ids is not None and rid not in rule_ids:
            continue
        for case in catalogue.rules[rid].tests:
            out.extend(run_case(catalogue, case, engines))
    return out


__all__ = ["TestOutcome", "compare_result", "run_case", "run_tests"]
