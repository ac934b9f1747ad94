"""The portrait (精准画像): which tiers an enterprise's data meets, nearly meets, and the gaps.

Pure Python over the rules engine (no Django). The tier criteria are the rule catalogue's
`criteria/` rules (entity `enterprise`); each sub-folder names a tier. For one enterprise:

1. Its facts for the latest full fiscal year, with earlier years as `fact@year-1`.
2. Items only an expert or the application can settle are the rules' declared `inputs`.
   A required yes/no input is assumed "yes" and the condition is marked 待核实 (to be
   verified); a condition reading a missing numeric input is likewise left to verification.
3. The rule is evaluated with the reference interpreter (`zhenxing.rules.interpret`); the
   eligibility is then read in three-valued logic over the named conditions: met, not met,
   or unknown (a fact is missing).
4. When not met, the smallest sets of failed conditions (at most two) whose passing would
   make the rule pass are found; each condition gets its gaps (`zhenxing.rules.gaps`). The
   tier is "nearly met" when every condition of one such set is within NEAR_MARGIN of its
   threshold (the change is at most that share of the value to reach; for a score, of the
   pass mark). A rule with alternative routes (the gazelle's five, `a or b`) has several
   sets: the first all-close one is reported, else the first whose gaps can all be
   computed, else the first.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from zhenxing import rules
from zhenxing.enterprises.domain import TIER_LABELS, TierCode, gettext_noop
from zhenxing.rules import ir
from zhenxing.rules.check import CheckedRule, RuleSet
from zhenxing.rules.schema import FactDef, FactSchema, MissingPolicy, load_facts_schema

CATALOGUE_DIR = Path(rules.__file__).resolve().parent / "catalogue" / "yingkou"
CRITERIA_FOLDER = "criteria"
# Sub-folder of criteria/ → the tier its rules recognise.
TIER_OF_FOLDER = {
    "tech-sme": TierCode.TECH_SME,
    "high-tech": TierCode.HIGH_TECH,
    "innovative-sme": TierCode.INNOVATIVE_SME,
    "specialised-new": TierCode.SPECIALISED_NEW_SME,
    "little-giant": TierCode.LITTLE_GIANT,
    "above-size": TierCode.ABOVE_SIZE,
    "eaglet": TierCode.EAGLET,
    "gazelle": TierCode.GAZELLE,
    "unicorn": TierCode.UNICORN,
    "single-champion": TierCode.SINGLE_CHAMPION,
}
NEAR_MARGIN = Decimal("0.25")
MAX_SHORT = 2  # at most this many conditions short for "nearly met"

MET = "met"
NEARLY = "nearly"
NOT_MET = "not_met"
INCOMPLETE = "incomplete"  # a fact the rule needs is missing
JUDGEMENT = "judgement"  # nothing the data can decide: expert review only
STATUS_LABELS = {
    MET: gettext_noop("符合"),
    NEARLY: gettext_noop("接近"),
    NOT_MET: gettext_noop("未达到"),
    INCOMPLETE: gettext_noop("数据不全"),
    JUDGEMENT: gettext_noop("须评审认定"),
}


# --------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def catalogue(path: str) -> rules.Catalogue:
    return rules.load_catalogue(path)


@lru_cache(maxsize=4)
def facts_schema(path: str) -> FactSchema:
    """The catalogue's top-level facts.yaml."""
    schema, _diagnostics = load_facts_schema(Path(path) / "facts.yaml")
    return schema


def enterprise_facts(path: str) -> list[FactDef]:
    """The facts of the catalogue an enterprise can have (entity enterprise or any)."""
    return [f for f in facts_schema(path).facts.values() if f.entity in (None, "enterprise")]


def _tier_of(rule: rules.RuleVersion, root: Path) -> TierCode | None:
    try:
        parts = rule.file.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return None
    if len(parts) < 3 or parts[0] != CRITERIA_FOLDER:
        return None
    return TIER_OF_FOLDER.get(parts[1])


@lru_cache(maxsize=16)
def criteria(path: str, period: str) -> tuple[RuleSet, dict[str, TierCode]]:
    """The criteria rules in force in `period` (YYYY or YYYY-MM) and the tier of each."""
    cat = catalogue(path)
    root = Path(path)
    tiers: dict[str, TierCode] = {}
    for rule_id, rule in cat.rules.items():
        version = rule.version_for(period)
        if version is None or version.entity != "enterprise":
            continue
        tier = _tier_of(version, root)
        if tier is not None:
            tiers[rule_id] = tier
    ruleset = cat.select(entity="enterprise", period=period, rule_ids=sorted(tiers))
    return ruleset, {r.id: tiers[r.id] for r in ruleset.rules}


def columns_read(ruleset: RuleSet) -> tuple[list[str], int]:
    """The registry facts the rules read (not their inputs) and how many years back."""
    inputs = {name for r in ruleset.deps.values() for name in r.version.inputs}
    facts: set[str] = set()
    years_back = 0
    for ref in ruleset.fact_columns().values():
        if ref.fact.id in inputs:
            continue
        facts.add(ref.fact.id)
        if ref.lag_unit == "year":
            years_back = max(years_back, abs(ref.lag))
    return sorted(facts), years_back


def facts_row(frame_rows: Sequence[Mapping[str, Any]], year: int) -> dict[str, Any]:
    """One entity's rows of a facts frame → the interpreter's row for `year`
    (earlier years as `fact@year-N`)."""
    out: dict[str, Any] = {}
    for row in frame_rows:
        lag = year - int(row["period"])
        if lag < 0:
            continue
        for key, value in row.items():
            if key in ("entity_id", "period") or value is None:
                continue
            out[key if lag == 0 else f"{key}@year-{lag}"] = value
    return out


# --------------------------------------------------------------------------------------
# One enterprise against one rule
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapLine:
    fact: str
    fact_label: str
    current: Decimal | None
    target: Decimal | None
    change: Decimal | None
    message: str
    computable: bool


@dataclass
class Shortfall:
    condition: str
    label: str
    reference: str
    gaps: list[GapLine] = field(default_factory=list)
    note: str = ""  # e.g. the score against the pass mark
    close: bool = False


@dataclass
class Assessment:
    tier: TierCode
    tier_label: str
    rule_id: str
    title: str
    reference: str
    verified: bool
    status: str
    score: Decimal | None = None
    pending: list[str] = field(default_factory=list)  # conditions to be verified
    shortfalls: list[Shortfall] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # labels of missing facts

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _kleene_and(values: Sequence[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    if all(v is True for v in values):
        return True
    return None


def _kleene_or(values: Sequence[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


def _structure(rule: CheckedRule, e: ir.Expr, conds: Mapping[str, bool | None]) -> bool | None:
    if isinstance(e, ir.LocalRef) and e.kind == "condition":
        return conds.get(e.name)
    if isinstance(e, ir.Binary) and e.op in ("and", "or"):
        a = _structure(rule, e.left, conds)
        b = _structure(rule, e.right, conds)
        return _kleene_and([a, b]) if e.op == "and" else _kleene_or([a, b])
    if isinstance(e, ir.Unary) and e.op == "not":
        v = _structure(rule, e.operand, conds)
        return None if v is None else not v
    return None


def eligible_3v(rule: CheckedRule, conds: Mapping[str, bool | None]) -> bool | None:
    """The rule's eligibility over condition values True/False/None (unknown)."""
    if rule.eligible is None:
        return _kleene_and(list(conds.values()))
    return _structure(rule, rule.eligible, conds)


def _score_threshold(rs: RuleSet, rule: CheckedRule, e: ir.Expr) -> Decimal | None:
    """The pass mark of `score >= X` inside a condition, if it has one."""
    if isinstance(e, ir.Binary):
        if e.op in (">=", ">") and isinstance(e.left, ir.LocalRef) and e.left.kind == "score":
            if isinstance(e.right, ir.Const) and isinstance(e.right.value, Decimal):
                return e.right.value
            if isinstance(e.right, ir.ParamRef):
                return rs.param_value(rule, e.right.param.name)
        for child in (e.left, e.right):
            found = _score_threshold(rs, rule, child)
            if found is not None:
                return found
    return None


def _gap_lines(found: list[rules.Gap]) -> list[GapLine]:
    return [
        GapLine(
            g.fact or "",
            g.fact_label,
            g.current,
            g.target,
            g.change,
            g.message(),
            g.computable,
        )
        for g in found
    ]


def _is_close(line: GapLine) -> bool:
    if not line.computable or line.change is None or line.target is None:
        return False
    base = abs(line.target) or abs(line.change)
    return base > 0 and abs(line.change) <= NEAR_MARGIN * base


def assess(
    ruleset: RuleSet,
    rule_id: str,
    tier: TierCode,
    facts: Mapping[str, Any],
    known: Mapping[str, tuple[Any, str]] | None = None,
    *,
    fiscal_year: int | None = None,
) -> Assessment:
    """Evaluate one criteria rule for one enterprise's facts (see the module's notes).

    `known` gives rule inputs the registry settles: input id → (value, the reason shown)."""
    rule = ruleset.rule(rule_id)
    version = rule.version
    row: dict[str, Any] = dict(facts)
    reasons: dict[str, str] = {}
    for name, (value, reason) in (known or {}).items():
        if name in version.inputs:
            row[name] = value
            reasons[name] = reason
    assumed: set[str] = set()
    for name, spec in version.inputs.items():
        if row.get(name) is not None:
            continue
        if spec.missing is not MissingPolicy.ZERO and spec.type is rules.FactType.BOOLEAN:
            row[name] = True
            assumed.add(name)
    result = rules.interpret(ruleset, row, rule_id)[rule_id]
    inputs = set(version.inputs)
    missing_cols = set(result.missing)
    conds: dict[str, bool | None] = {}
    pending: list[str] = []  # names of conditions left to verification
    data_missing: set[str] = set()
    for name, value in result.conditions.items():
        reads = rule.reads.get(name, frozenset())
        if value is None:
            absent = reads & missing_cols
            facts_absent = {c for c in absent if c.split("@")[0] not in inputs}
            if facts_absent:
                data_missing |= facts_absent
                conds[name] = None
            else:
                conds[name] = True  # left to verification
                pending.append(name)
            continue
        conds[name] = value
        if value and reads & (assumed | (inputs & missing_cols)):
            pending.append(name)
    assessment = Assessment(
        tier=tier,
        tier_label=TIER_LABELS[tier],
        rule_id=rule_id,
        title=version.title,
        reference=version.legal_reference(),
        verified=version.verified,
        status=NOT_MET,
        score=result.score,
        pending=[rule.condition_label(n) for n in pending],
    )
    labels = {f.id: f.label for f in ruleset.schema.facts.values()}
    assessment.missing = sorted({missing_label(c, labels, fiscal_year) for c in data_missing})
    decided = [n for n in conds if n not in pending]
    if conds and not decided:
        assessment.status = JUDGEMENT
        return assessment
    verdict = eligible_3v(rule, conds)
    if verdict is True:
        assessment.status = MET
        return assessment
    if verdict is None:
        assessment.status = INCOMPLETE
        return assessment
    failed = [n for n, v in conds.items() if v is False]
    found: dict[str, Shortfall] = {}

    def shortfall_of(name: str) -> Shortfall:
        if name not in found:
            shortfall = _shortfall(ruleset, rule, name, row, result.score)
            decided_by = {c for c in rule.reads.get(name, frozenset()) if c in reasons}
            if decided_by and not shortfall.close:
                shortfall.note = "；".join(sorted({reasons[c] for c in decided_by}))
                shortfall.gaps = []
            found[name] = shortfall
        return found[name]

    short = _closest(_smallest_flips(rule, conds, failed), shortfall_of)
    assessment.shortfalls = [shortfall_of(name) for name in short or failed]
    if short and all(s.close for s in assessment.shortfalls):
        assessment.status = NEARLY
    return assessment


def missing_label(column: str, labels: Mapping[str, str], fiscal_year: int | None) -> str:
    """A missing fact column as shown: its label, and for an earlier year (`revenue@year-3`)
    which year — "营业收入（销售收入）（2020年）", or "（前3年）" when the fiscal year is not
    known — so that a missing base year is not read as the latest year missing."""
    fact, _, lag = column.partition("@")
    label = labels.get(fact, fact)
    if not lag:
        return label
    unit, _, count = lag.partition("-")
    if unit != "year" or not count.isdigit():
        return f"{label}（{lag}）"
    if fiscal_year is None:
        return f"{label}（前{int(count)}年）"
    return f"{label}（{fiscal_year - int(count)}年）"


def _smallest_flips(
    rule: CheckedRule, conds: Mapping[str, bool | None], failed: list[str]
) -> list[list[str]]:
    """Every smallest set (at most MAX_SHORT) of failed conditions whose passing would make
    the rule pass, in the conditions' order. A rule with alternative routes (`a or b`) has
    several."""
    for size in range(1, min(MAX_SHORT, len(failed)) + 1):
        flips = []
        for combo in itertools.combinations(failed, size):
            trial = dict(conds)
            for name in combo:
                trial[name] = True
            if eligible_3v(rule, trial) is True:
                flips.append(list(combo))
        if flips:
            return flips
    return []


def _closest(flips: list[list[str]], shortfall_of: Callable[[str], Shortfall]) -> list[str] | None:
    """The set to report: the first whose every condition is close (the tier is then nearly
    met), else the first whose every condition has a computable gap, else the first."""
    for flip in flips:
        if all(shortfall_of(name).close for name in flip):
            return flip
    for flip in flips:
        if all(shortfall_of(name).gaps for name in flip):
            return flip
    return flips[0] if flips else None


def _shortfall(
    ruleset: RuleSet,
    rule: CheckedRule,
    name: str,
    row: Mapping[str, Any],
    score: Decimal | None,
) -> Shortfall:
    info = rule.condition_info.get(name)
    shortfall = Shortfall(
        condition=name,
        label=rule.condition_label(name),
        reference=(info.reference if info and info.reference else ""),
    )
    mark = _score_threshold(ruleset, rule, rule.conditions[name])
    if mark is not None and score is not None and score < mark:
        missing = mark - score
        shortfall.note = (
            f"综合评价得分 {score.normalize():f} 分，"
            f"还差 {missing.normalize():f} 分达到 {mark.normalize():f} 分"
        )
        shortfall.close = missing <= NEAR_MARGIN * mark
        # The score's parts are bands: no fact-by-fact gap to add.
        return shortfall
    lines = _gap_lines(rules.gaps(ruleset, rule.id, row, conditions=[name]))
    shortfall.gaps = [g for g in lines if g.computable]
    shortfall.close = any(_is_close(g) for g in lines)
    if not shortfall.gaps:
        unreachable = [g for g in lines if "无法满足" in g.message]
        shortfall.note = (
            unreachable[0].message if unreachable else "该条件不是单项数值门槛，无法折算差距"
        )
    return shortfall


def assess_all(
    ruleset: RuleSet,
    tiers: Mapping[str, TierCode],
    facts: Mapping[str, Any],
    known: Mapping[str, tuple[Any, str]] | None = None,
    *,
    fiscal_year: int | None = None,
) -> list[Assessment]:
    """Every criteria rule for one enterprise, in the ladder's order. `fiscal_year` is the
    year of the current facts (it names the year of a missing earlier-year fact)."""
    order = {code: i for i, code in enumerate(TierCode)}
    out = [
        assess(ruleset, rid, tier, facts, known, fiscal_year=fiscal_year)
        for rid, tier in tiers.items()
    ]
    return sorted(out, key=lambda a: (order[a.tier], a.rule_id))
