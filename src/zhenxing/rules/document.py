"""Rule documents: one YAML file per rule (policy article or criterion).

`read_rule_folder(path, kind)` reads every `*.yaml` under a folder (except
`facts.yaml`) and attaches to each rule the nearest `facts.yaml` at or above its
folder; `loader.load_catalogue(path)` wraps it and returns a `Catalogue`.
See docs/rules-language.md for the format.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from .diagnostics import Diagnostic, Location, RulesError, error, warning
from .schema import (
    ROUNDING_MODES,
    FactDef,
    FactSchema,
    MissingPolicy,
    Period,
    load_facts_schema,
    parse_fact,
)
from .yamlsrc import ExprSource, Pos, YList, YMap, load_yaml_file

ENTITY_PERIODS = ("year", "month", "once")
_RULE_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME_RE = re.compile(r"^(?!\d)\w+$")

KNOWN_FIELDS = {
    "id",
    "title",
    "title_en",
    "issuer",
    "issuer_en",
    "document",
    "document_en",
    "article",
    "article_en",
    "source",
    "source_en",
    "source_note",
    "verified",
    "valid_from",
    "valid_to",
    "entity",
    "period",
    "facts",
    "inputs",
    "parameters",
    "values",
    "conditions",
    "eligible",
    "amount",
    "score",
    "rounding",
    "tests",
    "versions",
    "summary",
    "summary_en",
    "description",
    "notes",
    "tags",
}


@dataclass(frozen=True)
class ParamValue:
    start: dt.date
    value: Decimal | dt.date | None  # None ends the parameter; a date when unit is "date"
    reference: str
    location: Location | None


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    unit: str
    values: tuple[ParamValue, ...]
    location: Location | None
    label_en: str = ""

    def at(self, day: dt.date) -> ParamValue | None:
        """The value in force on `day` (latest start on or before it), or None."""
        found: ParamValue | None = None
        for pv in self.values:
            if pv.start <= day:
                found = pv
        if found is None or found.value is None:
            return None
        return found


@dataclass(frozen=True)
class NamedExpr:
    name: str
    source: ExprSource
    label: str = ""
    label_en: str = ""
    reference: str = ""


@dataclass(frozen=True)
class ScoreItem:
    id: str
    source: ExprSource
    title: str = ""
    title_en: str = ""
    max: Decimal | None = None
    reference: str = ""


@dataclass(frozen=True)
class Score:
    items: tuple[ScoreItem, ...]
    pass_mark: Decimal | None
    location: Location | None


@dataclass(frozen=True)
class TestCase:
    name: str
    period: str
    facts: dict[str, Any]
    expect: dict[str, Any]
    location: Location | None
    rule_id: str = ""
    #: where each key was written, so that a misspelt one can be pointed at:
    #: the case's own keys, the fact names, the `expect` keys, and the condition
    #: names under `expect.conditions`
    key_locations: dict[str, Location] = field(default_factory=dict)
    fact_locations: dict[str, Location] = field(default_factory=dict)
    expect_locations: dict[str, Location] = field(default_factory=dict)
    condition_locations: dict[str, Location] = field(default_factory=dict)


@dataclass
class RuleVersion:
    rule_id: str
    title: str
    entity: str
    period_kind: str
    file: Path
    location: Location | None
    schema: FactSchema
    title_en: str = ""
    issuer: str = ""
    document: str = ""
    article: str = ""
    #: the same in English (an English reader never reads the Chinese basis)
    issuer_en: str = ""
    document_en: str = ""
    article_en: str = ""
    source: str = ""
    verified: bool = True
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    facts_listed: tuple[str, ...] | None = None
    inputs: dict[str, FactDef] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    values: tuple[NamedExpr, ...] = ()
    conditions: tuple[NamedExpr, ...] = ()
    eligible: ExprSource | None = None
    amount: ExprSource | None = None
    score: Score | None = None
    rounding: str = "half_up"
    #: public text: what the rule grants, for enterprises and the public (Chinese, English)
    summary: str = ""
    summary_en: str = ""
    source_en: str = ""
    #: internal remarks, never shown to enterprises or the public: where the rule's
    #: wording was found, what is still to verify
    source_note: str = ""
    notes: str = ""

    def applies_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)

    def validity(self) -> str:
        a = self.valid_from.isoformat() if self.valid_from else "…"
        b = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{a}–{b}"

    def legal_reference(self, english: bool = False) -> str:
        """Issuer, document number and article: in English from their `*_en` fields
        (those without English are left out rather than shown in Chinese)."""
        if english:
            parts = [p for p in (self.issuer_en, self.document_en, self.article_en) if p]
            return ", ".join(parts)
        parts = [p for p in (self.issuer, self.document, self.article) if p]
        return " ".join(parts)

    def fact_schema(self) -> FactSchema:
        """The schema with this rule's declared inputs added."""
        if not self.inputs:
            return self.schema
        extra = FactSchema(None, dict(self.inputs), {}, {})
        for fact in self.inputs.values():
            for alias in fact.aliases:
                extra.aliases[alias] = fact.id
        return self.schema.merged(extra)


@dataclass
class Rule:
    id: str
    versions: list[RuleVersion] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)

    def version_for(self, period: Period | str) -> RuleVersion | None:
        p = Period.parse(period)
        for v in self.versions:
            if v.applies_on(p.first_day):
                return v
        return None

    @property
    def latest(self) -> RuleVersion:
        return max(self.versions, key=lambda v: v.valid_from or dt.date.min)


@dataclass
class RuleFolder:
    """The rules read from a folder, by id, with the problems met reading them.

    Nothing here is checked yet: `loader.Catalogue` adds selecting and checking on
    top (it lives higher up because it needs the checker and the test runner).
    """

    root: Path
    rules: dict[str, Rule] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


class _Ctx:
    def __init__(self, file: Path, lines: list[str]) -> None:
        self.file = file
        self.lines = lines
        self.diags: list[Diagnostic] = []
        self.facts_searched: tuple[Path, ...] = ()

    def expr(self, m: YMap | YList, key: Any, text: Any) -> ExprSource | None:
        pos: Pos = m.where(key)
        if isinstance(text, bool):
            text = "true" if text else "false"
        if isinstance(text, int | Decimal):
            text = str(text)
        if not isinstance(text, str):
            self.diags.append(
                error(
                    "field-type",
                    pos.location(),
                    field=str(key),
                    expected="表达式文本 / an expression",
                )
            )
            return None
        return ExprSource(text, pos, self.lines)


def _as_date(value: Any, where: Location, fname: str, diags: list[Diagnostic]) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        diags.append(error("field-type", where, field=fname, expected="日期 YYYY-MM-DD / a date"))
        return None


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.replace(",", ""))
        except ArithmeticError:
            return None
    return None


def _parse_parameters(raw: Any, ctx: _Ctx, default_ref: str) -> dict[str, Parameter]:
    out: dict[str, Parameter] = {}
    if raw is None:
        return out
    if not isinstance(raw, YMap):
        ctx.diags.append(error("field-type", None, field="parameters", expected="映射 / a mapping"))
        return out
    for name, spec in raw.items():
        where = raw.key_where(name).location()
        if not _NAME_RE.match(str(name)):
            ctx.diags.append(
                error("field-value", where, field="parameter", value=name, choices="a name")
            )
            continue
        label, label_en, unit, ref = str(name), "", "none", default_ref
        values: list[ParamValue] = []
        if isinstance(spec, YMap):
            label = str(spec.get("label", name))
            label_en = str(spec.get("label_en", ""))
            unit = str(spec.get("unit", "none"))
            ref = str(spec.get("reference", default_ref))
            vals = spec.get("values")
            if vals is None and "value" in spec:
                vals = {dt.date(1900, 1, 1): spec["value"]}
            if not isinstance(vals, dict):
                ctx.diags.append(error("field-missing", where, field=f"parameters.{name}.values"))
                continue
            for start, item in vals.items():
                vloc = vals.key_where(str(start)).location() if isinstance(vals, YMap) else where
                day = _as_date(start, vloc, "parameter start date", ctx.diags)
                if day is None:
                    continue
                vref = ref
                value_raw = item
                if isinstance(item, dict):
                    value_raw = item.get("value")
                    vref = str(item.get("reference", ref))
                value: Decimal | dt.date | None = None
                if value_raw is not None and unit == "date":
                    value = _as_date(value_raw, vloc, f"parameters.{name}", ctx.diags)
                    if value is None:
                        continue
                elif value_raw is not None:
                    value = _as_decimal(value_raw)
                if value_raw is not None and value is None:
                    ctx.diags.append(
                        error(
                            "field-type",
                            vloc,
                            field=f"parameters.{name}",
                            expected="数值 / a number",
                        )
                    )
                    continue
                values.append(ParamValue(day, value, vref, vloc))
        elif isinstance(spec, dt.date):
            # `cutoff: 2019-01-01`: a date parameter in its short form
            unit = "date"
            values.append(ParamValue(dt.date(1900, 1, 1), spec, ref, where))
        else:
            value = _as_decimal(spec)
            if value is None:
                ctx.diags.append(
                    error(
                        "field-type", where, field=f"parameters.{name}", expected="数值 / a number"
                    )
                )
                continue
            values.append(ParamValue(dt.date(1900, 1, 1), value, ref, where))
        values.sort(key=lambda pv: pv.start)
        out[str(name)] = Parameter(str(name), label, unit, tuple(values), where, label_en)
    return out


def _parse_named(raw: Any, ctx: _Ctx, fname: str) -> tuple[NamedExpr, ...]:
    out: list[NamedExpr] = []
    if raw is None:
        return ()
    if not isinstance(raw, YMap):
        ctx.diags.append(error("field-type", None, field=fname, expected="映射 / a mapping"))
        return ()
    for name, spec in raw.items():
        where = raw.key_where(name).location()
        if not _NAME_RE.match(str(name)):
            ctx.diags.append(error("field-value", where, field=fname, value=name, choices="a name"))
            continue
        if isinstance(spec, YMap):
            src = ctx.expr(spec, "expr", spec.get("expr"))
            if src is None:
                continue
            out.append(
                NamedExpr(
                    str(name),
                    src,
                    str(spec.get("label", "")),
                    str(spec.get("label_en", "")),
                    str(spec.get("reference", "")),
                )
            )
        else:
            src = ctx.expr(raw, name, spec)
            if src is not None:
                out.append(NamedExpr(str(name), src))
    return tuple(out)


def _parse_score(raw: Any, ctx: _Ctx, pos: Pos) -> Score | None:
    if raw is None:
        return None
    if not isinstance(raw, YMap):
        ctx.diags.append(
            error("field-type", pos.location(), field="score", expected="映射 / a mapping")
        )
        return None
    items: list[ScoreItem] = []
    raw_items = raw.get("items")
    if not isinstance(raw_items, YMap):
        ctx.diags.append(error("field-missing", raw.pos.location(), field="score.items"))
        return None
    for iid, spec in raw_items.items():
        where = raw_items.key_where(iid).location()
        if isinstance(spec, YMap):
            src = ctx.expr(spec, "points", spec.get("points"))
            mx = _as_decimal(spec.get("max")) if spec.get("max") is not None else None
            if src is None:
                continue
            items.append(
                ScoreItem(
                    str(iid),
                    src,
                    str(spec.get("title", "")),
                    str(spec.get("title_en", "")),
                    mx,
                    str(spec.get("reference", "")),
                )
            )
        else:
            src = ctx.expr(raw_items, iid, spec)
            if src is not None:
                items.append(ScoreItem(str(iid), src))
        del where
    pm = raw.get("pass_mark")
    pass_mark = _as_decimal(pm) if pm is not None else None
    return Score(tuple(items), pass_mark, raw.pos.location())


def _parse_tests(raw: Any, ctx: _Ctx, rule_id: str) -> list[TestCase]:
    out: list[TestCase] = []
    if raw is None:
        return out
    if not isinstance(raw, YList):
        ctx.diags.append(error("field-type", None, field="tests", expected="列表 / a list"))
        return out
    for i, spec in enumerate(raw):
        where = raw.where(i).location()
        if not isinstance(spec, YMap):
            ctx.diags.append(
                error("field-type", where, field="tests[]", expected="映射 / a mapping")
            )
            continue
        facts = spec.get("facts") or {}
        expect = spec.get("expect") or {}
        if "period" not in spec:
            ctx.diags.append(error("field-missing", where, field="tests[].period"))
            continue
        bad = [k for k, v in (("facts", facts), ("expect", expect)) if not isinstance(v, dict)]
        for key in bad:
            ctx.diags.append(
                error(
                    "field-type",
                    spec.where(key).location(),
                    field=f"tests[].{key}",
                    expected="映射 / a mapping",
                )
            )
        if bad:
            continue
        conditions = expect.get("conditions")
        out.append(
            TestCase(
                str(spec.get("name", f"#{i + 1}")),
                str(spec["period"]),
                dict(facts),
                dict(expect),
                where,
                rule_id,
                key_locations=_key_locations(spec),
                fact_locations=_key_locations(facts),
                expect_locations=_key_locations(expect),
                condition_locations=_key_locations(conditions),
            )
        )
    return out


def _key_locations(mapping: Any) -> dict[str, Location]:
    """Where each key of a YAML mapping was written (empty for anything else)."""
    if not isinstance(mapping, YMap):
        return {}
    return {str(k): mapping.key_where(str(k)).location() for k in mapping}


def _parse_version(
    data: YMap, ctx: _Ctx, schema: FactSchema | None, file: Path, rule_pos: Location
) -> RuleVersion | None:
    diags = ctx.diags
    for key in data:
        if key not in KNOWN_FIELDS:
            diags.append(warning("field-unknown", data.key_where(key).location(), field=key))
    missing = [f for f in ("id", "title", "entity") if not data.get(f)]
    for f in missing:
        diags.append(error("field-missing", data.pos.location(), field=f))
    if missing:
        return None
    rule_id = str(data["id"])
    if not _RULE_ID_RE.match(rule_id):
        diags.append(
            error(
                "field-value",
                data.where("id").location(),
                field="id",
                value=rule_id,
                choices="[a-z][a-z0-9_]*",
            )
        )
    if schema is None:
        folders = ", ".join(str(f) for f in ctx.facts_searched)
        diags.append(error("no-facts-schema", rule_pos, folders=folders))
        return None
    entity = str(data["entity"])
    if entity not in schema.entities:
        diags.append(
            error(
                "entity-unknown",
                data.where("entity").location(),
                name=entity,
                choices=", ".join(schema.entities),
            )
        )
    period_kind = str(data.get("period", "year"))
    if period_kind not in ENTITY_PERIODS:
        diags.append(
            error(
                "field-value",
                data.where("period").location(),
                field="period",
                value=period_kind,
                choices=", ".join(ENTITY_PERIODS),
            )
        )
    rounding = str(data.get("rounding", "half_up"))
    if rounding not in ROUNDING_MODES:
        diags.append(
            error(
                "field-value",
                data.where("rounding").location(),
                field="rounding",
                value=rounding,
                choices=", ".join(ROUNDING_MODES),
            )
        )
        rounding = "half_up"
    verified = data.get("verified", True)
    if not isinstance(verified, bool):
        diags.append(
            error(
                "field-type",
                data.where("verified").location(),
                field="verified",
                expected="true/false",
            )
        )
        verified = True
    inputs: dict[str, FactDef] = {}
    raw_inputs = data.get("inputs")
    if isinstance(raw_inputs, YMap):
        for fid, spec in raw_inputs.items():
            loc = raw_inputs.key_where(fid).location()
            fact = parse_fact(str(fid), spec, loc, diags)
            if not (isinstance(spec, dict) and "missing" in spec):
                fact = FactDef(**{**_fact_fields(fact), "missing": MissingPolicy.REPORT})
            inputs[fact.id] = FactDef(**{**_fact_fields(fact), "judgement": True})
    facts_listed: tuple[str, ...] | None = None
    if "facts" in data:
        raw_facts = data.get("facts")
        if isinstance(raw_facts, list):
            facts_listed = tuple(str(f) for f in raw_facts)
        else:
            diags.append(
                error(
                    "field-type",
                    data.where("facts").location(),
                    field="facts",
                    expected="列表 / a list",
                )
            )
    doc_ref = " ".join(str(data.get(k, "")) for k in ("document", "article") if data.get(k))
    version = RuleVersion(
        rule_id=rule_id,
        title=str(data["title"]),
        title_en=str(data.get("title_en", "")),
        entity=entity,
        period_kind=period_kind,
        file=file,
        location=rule_pos,
        schema=schema,
        issuer=str(data.get("issuer", "")),
        document=str(data.get("document", "")),
        article=str(data.get("article", "")),
        issuer_en=str(data.get("issuer_en", "")),
        document_en=str(data.get("document_en", "")),
        article_en=str(data.get("article_en", "")),
        source=str(data.get("source", "")),
        source_en=str(data.get("source_en", "")),
        source_note=str(data.get("source_note", "")),
        notes=str(data.get("notes", "")),
        verified=verified,
        valid_from=_as_date(
            data.get("valid_from"), data.where("valid_from").location(), "valid_from", diags
        ),
        valid_to=_as_date(
            data.get("valid_to"), data.where("valid_to").location(), "valid_to", diags
        ),
        facts_listed=facts_listed,
        inputs=inputs,
        parameters=_parse_parameters(data.get("parameters"), ctx, doc_ref),
        values=_parse_named(data.get("values"), ctx, "values"),
        conditions=_parse_named(data.get("conditions"), ctx, "conditions"),
        eligible=ctx.expr(data, "eligible", data["eligible"]) if "eligible" in data else None,
        amount=ctx.expr(data, "amount", data["amount"]) if "amount" in data else None,
        score=_parse_score(data.get("score"), ctx, data.where("score")),
        rounding=rounding,
        # `description` is the former name of `summary`
        summary=str(data.get("summary", data.get("description", ""))),
        summary_en=str(data.get("summary_en", "")),
    )
    _check_public_text(data, diags)
    return version


#: Words that mark an internal remark (where a text was found, what is still to check):
#: they belong in `source_note` / `notes`, never in what enterprises and the public read.
INTERNAL_MARKERS = ("种子资料", "兑付前须", "须以原文核对", "待核实", "TODO", "FIXME")
#: An English sentence inside Chinese text (three or more Latin words in a row).
_ENGLISH_IN_CHINESE = re.compile(r"[A-Za-z]+(?:[ ,;:'()-]+[A-Za-z]+){2,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: The public fields of a rule document; `*_en` fields hold the English.
PUBLIC_FIELDS = ("title", "summary", "description", "source", "issuer", "document", "article")


def _check_public_text(data: YMap, diags: list[Diagnostic]) -> None:
    """Refuse internal remarks and English notes in the public fields."""
    for name in (*PUBLIC_FIELDS, *(f"{f}_en" for f in PUBLIC_FIELDS)):
        text = data.get(name)
        if not isinstance(text, str):
            continue
        where = data.where(name).location()
        marker = next((m for m in INTERNAL_MARKERS if m in text), None)
        if marker is not None:
            diags.append(error("internal-remark", where, field=name, marker=marker))
        elif not name.endswith("_en") and _HAN.search(text):
            english = _ENGLISH_IN_CHINESE.search(text)
            if english is not None:
                diags.append(
                    error("english-in-chinese", where, field=name, text=english.group(0)[:40])
                )


def _fact_fields(fact: FactDef) -> dict[str, Any]:
    return {name: getattr(fact, name) for name in FactDef.__dataclass_fields__}


#: a folder holding one of these is the top of a project: the search for facts.yaml
#: stops there (after looking in it), so it never reaches someone else's files
FACTS_SEARCH_STOPS = (".git", "pyproject.toml", ".hg")


@dataclass(frozen=True)
class FactsLookup:
    """The facts schema found for a folder, and the folders looked in, nearest first."""

    schema: FactSchema | None
    searched: tuple[Path, ...]


def _nearest_schema(
    folder: Path, cache: dict[Path, FactsLookup], diags: list[Diagnostic]
) -> FactsLookup:
    """The nearest facts.yaml at or above `folder`: a rule folder inside a catalogue
    (`--rules …/criteria/tech-sme`) uses the catalogue's list two folders up. The
    search stops at the first facts.yaml, at a project's top (`FACTS_SEARCH_STOPS`)
    or at the top of the file system."""
    chain: list[Path] = []
    current = folder
    found: FactsLookup | None = None
    while True:
        if current in cache:
            found = cache[current]
            break
        chain.append(current)
        candidate = current / "facts.yaml"
        if candidate.is_file():
            try:
                schema, sd = load_facts_schema(candidate)
            except RulesError as exc:
                diags.extend(exc.diagnostics)
                schema = None
            else:
                diags.extend(sd)
            found = FactsLookup(schema, ())
            break
        if current.parent == current or any((current / m).exists() for m in FACTS_SEARCH_STOPS):
            found = FactsLookup(None, ())
            break
        current = current.parent
    # every folder on the way shares the answer; what it searched starts at itself
    for i, c in enumerate(chain):
        cache[c] = FactsLookup(found.schema, (*chain[i:], *found.searched))
    return cache[folder]


def load_rule_file(
    path: Path, schema: FactSchema | None, facts_searched: tuple[Path, ...] = ()
) -> tuple[list[RuleVersion], list[TestCase], list[Diagnostic]]:
    """Parse one rule file: its versions, its test cases, and any problems found.

    `facts_searched` are the folders looked in for facts.yaml (named in the error
    when `schema` is None)."""
    try:
        data = load_yaml_file(path)
    except RulesError as exc:
        return [], [], exc.diagnostics
    lines = path.read_text(encoding="utf-8").splitlines()
    ctx = _Ctx(path, lines)
    ctx.facts_searched = facts_searched or (path.parent,)
    if not isinstance(data, YMap):
        return (
            [],
            [],
            [
                error(
                    "field-type", Location(str(path), 1, 1), field="/", expected="映射 / a mapping"
                )
            ],
        )
    rule_pos = data.pos.location()
    base = YMap({k: v for k, v in data.items() if k not in ("versions", "tests")})
    base.pos, base.key_pos, base.value_pos = data.pos, data.key_pos, data.value_pos
    versions: list[RuleVersion] = []
    tests = _parse_tests(data.get("tests"), ctx, str(data.get("id", "")))
    raw_versions = data.get("versions")
    if raw_versions is None:
        v = _parse_version(base, ctx, schema, path, rule_pos)
        if v is not None:
            versions.append(v)
    elif not isinstance(raw_versions, YList):
        ctx.diags.append(
            error(
                "field-type",
                data.where("versions").location(),
                field="versions",
                expected="列表 / a list",
            )
        )
    else:
        for i, raw in enumerate(raw_versions):
            if not isinstance(raw, YMap):
                ctx.diags.append(
                    error(
                        "field-type",
                        raw_versions.where(i).location(),
                        field="versions[]",
                        expected="映射 / a mapping",
                    )
                )
                continue
            merged = YMap({**base, **{k: v for k, v in raw.items() if k != "tests"}})
            merged.pos = raw.pos
            merged.key_pos = {**base.key_pos, **raw.key_pos}
            merged.value_pos = {**base.value_pos, **raw.value_pos}
            v = _parse_version(merged, ctx, schema, path, raw.pos.location())
            if v is not None:
                versions.append(v)
            tests.extend(_parse_tests(raw.get("tests"), ctx, str(merged.get("id", ""))))
    return versions, tests, ctx.diags


Folder = TypeVar("Folder", bound=RuleFolder)


def read_rule_folder(path: str | Path, kind: type[Folder]) -> Folder:
    """Read every rule under `path` (a folder, searched recursively, or one file)
    into a new `kind` (`RuleFolder` or a subclass such as `loader.Catalogue`).

    Reading never raises for problems in the files: they are collected in
    `.diagnostics`.
    """
    root = Path(path).resolve()
    cat = kind(root if root.is_dir() else root.parent)
    if not root.exists():
        cat.diagnostics.append(
            error("io", Location(str(path), 1, 1), detail="no such file or folder")
        )
        return cat
    files = (
        [root]
        if root.is_file()
        else sorted(
            p
            for p in root.rglob("*")
            if p.suffix in (".yaml", ".yml")
            and p.name not in ("facts.yaml", "facts.yml")
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    )
    cache: dict[Path, FactsLookup] = {}
    for file in files:
        lookup = _nearest_schema(file.parent, cache, cat.diagnostics)
        versions, tests, diags = load_rule_file(file, lookup.schema, lookup.searched)
        cat.diagnostics.extend(diags)
        for v in versions:
            rule = cat.rules.setdefault(v.rule_id, Rule(v.rule_id))
            rule.versions.append(v)
        for t in tests:
            if t.rule_id in cat.rules:
                cat.rules[t.rule_id].tests.append(t)
    for rule in cat.rules.values():
        rule.versions.sort(key=lambda v: v.valid_from or dt.date.min)
    return cat


def require_clean(cat: RuleFolder) -> None:
    errors = [d for d in cat.diagnostics if d.is_error]
    if errors:
        raise RulesError(errors)


__all__ = [
    "NamedExpr",
    "ParamValue",
    "Parameter",
    "Rule",
    "RuleFolder",
    "RuleVersion",
    "Score",
    "ScoreItem",
    "TestCase",
    "load_rule_file",
    "read_rule_folder",
    "require_clean",
]
