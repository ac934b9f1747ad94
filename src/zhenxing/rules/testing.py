"""Running the YAML test cases written in rule files.

Each case is first checked against the rule version it tests: every fact name must
be a fact of the schema (its id or an alias; an earlier period as `fact@year-1`),
every key of the case and of its `expect` mapping must be one the runner knows,
and every condition named must be one of the rule's. A misspelt name would
otherwise test nothing, so it is an error with its file, line and column.

Each valid case is then run by the reference interpreter and by the compiled
(Polars) evaluation; both must give the expected result. The compiled evaluation
runs all the cases of one rule and period as one table — one compilation and one
query instead of one per case. If that fails, the cases of the batch are run one
by one, so that an error is reported against the case that caused it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from .check import CheckedRule, RuleSet, select_rules
from .diagnostics import Diagnostic, Location, RulesError, did_you_mean, error
from .document import RuleFolder, TestCase
from .interpret import STATUS_NAMES, RuleResult, interpret
from .ir import fact_column
from .schema import Period

ENGINES = ("interpret", "polars")

#: the keys of a test case, and of its `expect` mapping
CASE_FIELDS = ("name", "period", "facts", "expect")
EXPECT_FIELDS = ("eligible", "amount", "score", "status", "conditions")

# `fact@year-1`, `fact@month-3`: the fact's value N periods earlier
_LAG = re.compile(r"^(?P<name>[^@]+)@(?P<unit>year|month)-(?P<n>\d+)$")

# What an engine raises for a case it cannot run (bad values, a rule it cannot evaluate)
_ENGINE_ERRORS = (ValueError, RulesError, pl.exceptions.PolarsError)


@dataclass
class TestOutcome:
    rule_id: str
    case: TestCase
    engine: str
    passed: bool
    problems: list[str]
    #: located problems of the case itself (an unknown fact, a misspelt key, …)
    details: list[Diagnostic] = field(default_factory=list)

    def diagnostic(self) -> Diagnostic:
        return error(
            "test-failed",
            self.case.location,
            name=f"{self.rule_id} / {self.case.name} [{self.engine}]",
            detail="; ".join(self.problems),
        )

    def diagnostics(self) -> list[Diagnostic]:
        """What to report: the located problems of the case, else the failed run."""
        return list(self.details) if self.details else [self.diagnostic()]


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
    unknown = set(expect) - set(EXPECT_FIELDS)
    if unknown:
        problems.append(f"unknown expectation(s): {', '.join(sorted(unknown))}")
    return problems


# ---------------------------------------------------------------------------
# Checking a case against its rule
# ---------------------------------------------------------------------------


def _unknown(
    code: str, where: Location | None, written: str, candidates: list[str], **args: object
) -> Diagnostic:
    """A diagnostic for a name that is not one of `candidates`, with the closest one."""
    guess = did_you_mean(written, candidates)
    return error(
        code, where, "did-you-mean" if guess else None, {"name": guess} if guess else None, **args
    )


def _case_facts(case: TestCase, ruleset: RuleSet) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The case's facts keyed by column (fact id, or `fact@year-1` for an earlier
    period), aliases resolved; and the problems of its fact names."""
    schema = ruleset.schema
    facts: dict[str, Any] = {}
    written: dict[str, str] = {}  # column -> the key it was written as
    diags: list[Diagnostic] = []
    for raw_key, value in case.facts.items():
        key = str(raw_key)
        where = case.fact_locations.get(key, case.location)
        base, unit, lag = key, None, 0
        if "@" in key:
            m = _LAG.match(key)
            if (
                m is None
                or int(m["n"]) == 0
                or (m["unit"] == "month" and ruleset.period.kind == "year")
            ):
                diags.append(error("test-lag", where, name=case.name, key=key))
                continue
            base, unit, lag = m["name"], m["unit"], -int(m["n"])
        fact = schema.resolve(base)
        if fact is None:
            guess = did_you_mean(base, schema.names())
            diags.append(
                error(
                    "test-unknown-fact",
                    where,
                    "did-you-mean" if guess else "declare-fact",
                    {"name": guess + key[len(base) :]} if guess else None,
                    name=case.name,
                    fact=key,
                )
            )
            continue
        column = fact_column(fact.id, unit, lag)
        if column in written:
            diags.append(
                error(
                    "test-duplicate-fact",
                    where,
                    name=case.name,
                    fact=column,
                    first=written[column],
                    second=key,
                )
            )
            continue
        written[column] = key
        facts[column] = value.isoformat() if isinstance(value, dt.date) else value
    return facts, diags


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except ArithmeticError:
        return False


def _check_expect(case: TestCase, rule: CheckedRule) -> list[Diagnostic]:
    diags: list[Diagnostic] = []

    def bad_value(key: str, value: Any, zh: str, en: str, guess: str | None = None) -> None:
        diags.append(
            error(
                "test-value",
                (
                    case.condition_locations.get(key.removeprefix("conditions."))
                    if key.startswith("conditions.")
                    else case.expect_locations.get(key)
                )
                or case.location,
                "did-you-mean" if guess else None,
                {"name": guess} if guess else None,
                name=case.name,
                field=f"expect.{key}",
                value=value,
                expected_zh=zh,
                expected_en=en,
            )
        )

    statuses = list(STATUS_NAMES.values())
    for raw_key, value in case.expect.items():
        key = str(raw_key)
        if key not in EXPECT_FIELDS:
            diags.append(
                _unknown(
                    "test-unknown-field",
                    case.expect_locations.get(key, case.location),
                    key,
                    list(EXPECT_FIELDS),
                    name=case.name,
                    field=f"expect.{key}",
                    choices=", ".join(EXPECT_FIELDS),
                )
            )
        elif key == "eligible" and not isinstance(value, bool):
            bad_value(key, value, "true 或 false", "true or false")
        elif key in ("amount", "score") and value is not None and not _is_number(value):
            bad_value(key, value, "数值", "a number")
        elif key == "status" and str(value) not in statuses:
            zh, en = "、".join(statuses) + " 之一", "one of " + ", ".join(statuses)
            bad_value(key, value, zh, en, did_you_mean(str(value), statuses))
        elif key == "conditions" and value is not None:
            if not isinstance(value, dict):
                zh, en = "映射（条件名: true/false）", "a mapping (condition: true/false)"
                bad_value(key, value, zh, en)
                continue
            names = list(rule.conditions)
            for cname, want in value.items():
                if str(cname) not in rule.conditions:
                    diags.append(
                        _unknown(
                            "test-unknown-condition",
                            case.condition_locations.get(str(cname), case.location),
                            str(cname),
                            names,
                            name=case.name,
                            rule=rule.id,
                            condition=cname,
                            choices=", ".join(names) or "—",
                        )
                    )
                elif want is not None and not isinstance(want, bool):
                    bad_value(
                        f"conditions.{cname}",
                        want,
                        "true、false 或 null（未判定）",
                        "true, false or null (undecided)",
                    )
    return diags


def check_case(case: TestCase, ruleset: RuleSet) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Check a case against the rule set selected for its rule and period.

    Returns the facts to run (keyed by column, aliases resolved) and the problems:
    unknown keys of the case or of `expect`, unknown facts (with the closest name as
    a suggestion), bad earlier-period keys, facts given twice, unknown conditions,
    expected values of the wrong kind.
    """
    diags: list[Diagnostic] = []
    for key in case.key_locations:
        if key not in CASE_FIELDS:
            diags.append(
                _unknown(
                    "test-unknown-field",
                    case.key_locations[key],
                    key,
                    list(CASE_FIELDS),
                    name=case.name,
                    field=key,
                    choices=", ".join(CASE_FIELDS),
                )
            )
    facts, fact_diags = _case_facts(case, ruleset)
    diags.extend(fact_diags)
    diags.extend(_check_expect(case, ruleset.rule(case.rule_id)))
    return facts, diags


_Cache = dict[tuple[str, str], RuleSet | RulesError]


def _failed(case: TestCase, stage: str, diags: list[Diagnostic]) -> TestOutcome:
    problems = [d.message("en") + (f" ({d.hint('en')})" if d.hint("en") else "") for d in diags]
    return TestOutcome(case.rule_id, case, stage, False, problems, diags)


def _setup(
    catalogue: RuleFolder, case: TestCase, cache: _Cache
) -> tuple[RuleSet, dict[str, Any]] | TestOutcome:
    """The rule set and facts to run a case with, or the outcome that stops it."""
    period_at = case.key_locations.get("period", case.location)
    try:
        period = Period.parse(case.period)
    except ValueError:
        d = error("test-period", period_at, name=case.name, period=case.period)
        return _failed(case, "load", [d])
    version = catalogue.rules[case.rule_id].version_for(period)
    if version is None:
        d = error("test-no-version", period_at, name=case.name, period=period)
        return _failed(case, "load", [d])
    key = (case.rule_id, str(period))
    if key not in cache:
        try:
            cache[key] = select_rules(catalogue, period=period, rule_ids=[case.rule_id])
        except RulesError as exc:
            cache[key] = exc
    ruleset = cache[key]
    if isinstance(ruleset, RulesError):
        # the rule itself has errors: reported by the checks of the rule
        problems = [d.message("en") for d in ruleset.diagnostics]
        return TestOutcome(case.rule_id, case, "check", False, problems)
    if case.rule_id not in ruleset.ids:
        d = error(
            "test-period-kind", period_at, name=case.name, period=period, kind=version.period_kind
        )
        return _failed(case, "load", [d])
    facts, diags = check_case(case, ruleset)
    if diags:
        return _failed(case, "check", diags)
    return ruleset, facts


def check_cases(catalogue: RuleFolder, rule_ids: list[str] | None = None) -> list[Diagnostic]:
    """The problems of the test cases themselves, located in the rule files.

    Cases of a rule that does not check cleanly are skipped: the rule's own
    diagnostics say what is wrong.
    """
    cache: _Cache = {}
    out: list[Diagnostic] = []
    for rid in sorted(catalogue.rules):
        if rule_ids is not None and rid not in rule_ids:
            continue
        for case in catalogue.rules[rid].tests:
            setup = _setup(catalogue, case, cache)
            if isinstance(setup, TestOutcome):
                out.extend(setup.details)
    return out


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def _polars_results(ruleset: RuleSet, rule_id: str, rows: list[dict[str, Any]]) -> list[RuleResult]:
    """One compiled evaluation of `rule_id` for several cases' facts, in order.

    Conditions come out as held or not; the caller marks the undecided ones.
    """
    from .compile_polars import ENTITY, decode_mask, evaluate_wide, frame_from_rows

    frame = frame_from_rows(ruleset, [{**f, ENTITY: f"case{k}"} for k, f in enumerate(rows)])
    wide = evaluate_wide(ruleset, frame)
    by_entity = {row[ENTITY]: row for row in wide.iter_rows(named=True)}
    names = list(ruleset.rule(rule_id).conditions)
    out: list[RuleResult] = []
    for k in range(len(rows)):
        row = by_entity[f"case{k}"]
        score = row.get(f"{rule_id}.score")
        out.append(
            RuleResult(
                rule_id,
                bool(row[f"{rule_id}.eligible"]),
                Decimal(row[f"{rule_id}.amount_fen"]).scaleb(-2),
                Decimal(score) if score is not None else None,
                dict(decode_mask(int(row[f"{rule_id}.conditions"]), names)),
                int(row[f"{rule_id}.status"]),
            )
        )
    return out


def _polars_batch(
    ruleset: RuleSet,
    rule_id: str,
    rows: list[dict[str, Any]],
    reference: Callable[[int], RuleResult | Exception],
) -> list[RuleResult | Exception]:
    """The compiled results of a batch of cases (one evaluation; case by case if the
    batch fails, so that each error belongs to its case)."""
    results: list[RuleResult | Exception]
    try:
        results = list(_polars_results(ruleset, rule_id, rows))
    except _ENGINE_ERRORS:
        results = []
        for row in rows:
            try:
                results.extend(_polars_results(ruleset, rule_id, [row]))
            except _ENGINE_ERRORS as exc:
                results.append(exc)
    for k, result in enumerate(results):
        if isinstance(result, Exception) or all(result.conditions.values()):
            continue
        # the mask says which conditions held; the interpreter says which of the
        # others needed a missing fact (None) — also with status ok, where a
        # condition the result did not need can be unknown
        ref = reference(k)
        if isinstance(ref, Exception):
            results[k] = ref
            continue
        for n, v in ref.conditions.items():
            if v is None and not result.conditions[n]:
                result.conditions[n] = None
    return results


def _run_group(
    ruleset: RuleSet,
    rule_id: str,
    cases: list[tuple[TestCase, dict[str, Any]]],
    engines: tuple[str, ...],
) -> list[list[TestOutcome]]:
    """The outcomes of the cases of one rule and period, case by case."""
    interpreted: dict[int, RuleResult | Exception] = {}

    def reference(k: int) -> RuleResult | Exception:
        if k not in interpreted:
            try:
                interpreted[k] = interpret(ruleset, cases[k][1], rule_id)[rule_id]
            except (ValueError, RulesError) as exc:
                interpreted[k] = exc
        return interpreted[k]

    compiled: list[RuleResult | Exception] = []
    if any(engine != "interpret" for engine in engines):
        compiled = _polars_batch(ruleset, rule_id, [facts for _, facts in cases], reference)
    out: list[list[TestOutcome]] = []
    for k, (case, _facts) in enumerate(cases):
        outcomes: list[TestOutcome] = []
        for engine in engines:
            result = reference(k) if engine == "interpret" else compiled[k]
            if isinstance(result, Exception):
                outcomes.append(TestOutcome(rule_id, case, engine, False, [str(result)]))
                continue
            problems = compare_result(result, case.expect)
            outcomes.append(TestOutcome(rule_id, case, engine, not problems, problems))
        out.append(outcomes)
    return out


def _run(
    catalogue: RuleFolder, cases: list[TestCase], engines: tuple[str, ...]
) -> list[TestOutcome]:
    cache: _Cache = {}
    slots: list[list[TestOutcome]] = [[] for _ in cases]
    groups: dict[tuple[str, str], list[tuple[int, TestCase, dict[str, Any]]]] = {}
    rulesets: dict[tuple[str, str], RuleSet] = {}
    for i, case in enumerate(cases):
        setup = _setup(catalogue, case, cache)
        if isinstance(setup, TestOutcome):
            slots[i] = [setup]
            continue
        ruleset, facts = setup
        key = (case.rule_id, str(ruleset.period))
        rulesets[key] = ruleset
        groups.setdefault(key, []).append((i, case, facts))
    for key, members in groups.items():
        ran = _run_group(rulesets[key], key[0], [(c, f) for _, c, f in members], engines)
        for (i, _, _), outcomes in zip(members, ran, strict=True):
            slots[i] = outcomes
    return [o for slot in slots for o in slot]


def run_case(
    catalogue: RuleFolder, case: TestCase, engines: tuple[str, ...] = ENGINES
) -> list[TestOutcome]:
    """Check one test case, then run it with each engine."""
    return _run(catalogue, [case], engines)


def run_tests(
    catalogue: RuleFolder,
    rule_ids: list[str] | None = None,
    engines: tuple[str, ...] = ENGINES,
) -> list[TestOutcome]:
    """Check every YAML test case (of the given rules), then run it with each engine.

    The outcomes come case by case (rules in id order, cases in file order), one per
    engine — or one for a case that cannot run (its problems in `details`).
    """
    cases = [
        case
        for rid in sorted(catalogue.rules)
        if rule_ids is None or rid in rule_ids
        for case in catalogue.rules[rid].tests
    ]
    return _run(catalogue, cases, engines)


__all__ = [
    "CASE_FIELDS",
    "EXPECT_FIELDS",
    "TestOutcome",
    "check_case",
    "check_cases",
    "compare_result",
    "run_case",
    "run_tests",
]
