"""Facts schema (`facts.yaml`), periods, and the numeric semantics shared by all backends."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
    localcontext,
)
from enum import Enum
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, Location, RulesError, error
from .yamlsrc import YList, YMap, load_yaml_file

# ---------------------------------------------------------------------------
# Numeric semantics (the language reference, "Numbers", states the same rules)
# ---------------------------------------------------------------------------

#: Products and quotients with more decimal places than this are rounded to it,
#: half to even. Sums and differences are always exact.
INTERNAL_SCALE = 10

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
#: what `quantize` also does: the functions floor() and ceil() (not a rule's `rounding`)
_QUANTIZE_MODES = {**ROUNDING_MODES, "floor": ROUND_FLOOR, "ceil": ROUND_CEILING}


def scale_of(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def quantize(value: Decimal, places: int, mode: str = "half_up") -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80
        return value.quantize(Decimal(1).scaleb(-places), rounding=_QUANTIZE_MODES[mode])


def dec_mul(a: Decimal, b: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80
        product = a * b
    if scale_of(product) > INTERNAL_SCALE:
        return quantize(product, INTERNAL_SCALE, "half_even")
    return product


def dec_div(a: Decimal, b: Decimal) -> Decimal:
    """a / b rounded half-even to INTERNAL_SCALE places; x / 0 is 0."""
    if b == 0:
        return Decimal(0)
    # Exact integer arithmetic: a = ia * 10^-sa, b = ib * 10^-sb.
    sa, sb = scale_of(a), scale_of(b)
    ia = int(a.scaleb(sa))
    ib = int(b.scaleb(sb))
    # q = a/b * 10^S = ia * 10^(S - sa + sb) / ib
    shift = INTERNAL_SCALE - sa + sb
    num = ia * 10**shift if shift >= 0 else ia
    den = ib if shift >= 0 else ib * 10 ** (-shift)
    negative = (num < 0) != (den < 0)
    q, r = divmod(abs(num), abs(den))
    twice = 2 * r
    if twice > abs(den) or (twice == abs(den) and q % 2 == 1):
        q += 1
    if negative:
        q = -q
    return Decimal(q).scaleb(-INTERNAL_SCALE)


def dec_add(a: Decimal, b: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80
        return a + b


def dec_sub(a: Decimal, b: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80
        return a - b


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------

_PERIOD_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A year (`2024`) or a month (`2024-03`)."""

    year: int
    month: int | None = None

    @classmethod
    def parse(cls, text: str | int | Period) -> Period:
        if isinstance(text, Period):
            return text
        m = _PERIOD_RE.match(str(text).strip())
        if not m:
            raise ValueError(f"bad period {text!r}: use YYYY or YYYY-MM")
        month = int(m.group(2)) if m.group(2) else None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"bad period {text!r}: month must be 01..12")
        return cls(int(m.group(1)), month)

    @property
    def kind(self) -> str:
        return "year" if self.month is None else "month"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    @property
    def last_day(self) -> dt.date:
        if self.month is None:
            return dt.date(self.year, 12, 31)
        nxt = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)

    def shift(self, unit: str, n: int) -> Period:
        if unit == "year":
            return Period(self.year + n, self.month)
        if unit == "month":
            if self.month is None:
                raise ValueError("cannot shift a year period by months")
            index = self.year * 12 + (self.month - 1) + n
            return Period(index // 12, index % 12 + 1)
        raise ValueError(f"unknown period unit {unit!r}")

    def __str__(self) -> str:
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"


# ---------------------------------------------------------------------------
# Facts
# ---------------------------------------------------------------------------


class FactType(Enum):
    DECIMAL = "decimal"
    RATIO = "ratio"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    TEXT = "text"
    DATE = "date"
    ENUM = "enum"


TYPE_ALIASES = {"money": "decimal", "count": "integer", "bool": "boolean", "string": "text"}
UNITS = ("yuan", "ratio", "count", "date", "days", "none")
DEFAULT_UNIT = {
    FactType.DECIMAL: "none",
    FactType.RATIO: "ratio",
    FactType.INTEGER: "count",
    FactType.BOOLEAN: "none",
    FactType.TEXT: "none",
    FactType.DATE: "date",
    FactType.ENUM: "none",
}
DEFAULT_SCALE = {FactType.DECIMAL: 2, FactType.RATIO: 6, FactType.INTEGER: 0}


class MissingPolicy(Enum):
    INELIGIBLE = "ineligible"
    ZERO = "zero"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class FactDef:
    id: str
    type: FactType
    unit: str
    label: str
    label_en: str = ""
    aliases: tuple[str, ...] = ()
    missing: MissingPolicy = MissingPolicy.INELIGIBLE
    values: tuple[str, ...] = ()  # enum values
    scale: int = 0
    entity: str | None = None  # None: any entity
    judgement: bool = False  # an expert-judgement input, not a registry fact
    location: Location | None = None

    @property
    def is_number(self) -> bool:
        return self.type in (FactType.DECIMAL, FactType.RATIO, FactType.INTEGER)

    def display(self) -> str:
        return f"{self.label}（{self.id}）" if self.label and self.label != self.id else self.id


@dataclass
class FactSchema:
    path: Path | None
    facts: dict[str, FactDef] = field(default_factory=dict)
    entities: dict[str, str] = field(default_factory=dict)  # id -> label
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> fact id

    def resolve(self, name: str) -> FactDef | None:
        if name in self.facts:
            return self.facts[name]
        fid = self.aliases.get(name)
        return self.facts[fid] if fid else None

    def names(self) -> list[str]:
        return [*self.facts, *self.aliases]

    def merged(self, other: FactSchema) -> FactSchema:
        """Union of two schemas; the same fact id must be declared identically."""
        out = FactSchema(self.path, dict(self.facts), dict(self.entities), dict(self.aliases))
        problems: list[Diagnostic] = []
        for fid, fact in other.facts.items():
            mine = out.facts.get(fid)
            if mine is None:
                out.facts[fid] = fact
            elif (mine.type, mine.unit, mine.missing, mine.values, mine.scale) != (
                fact.type,
                fact.unit,
                fact.missing,
                fact.values,
                fact.scale,
            ):
                problems.append(
                    error("duplicate", fact.location, name=f"{fid} (declared differently)")
                )
        if problems:
            raise RulesError(problems)
        out.entities.update(other.entities)
        out.aliases.update(other.aliases)
        return out


DEFAULT_ENTITIES = {"enterprise": "企业", "project": "项目"}


def parse_fact(fid: str, spec: Any, where: Location | None, diags: list[Diagnostic]) -> FactDef:
    """One fact declaration (from facts.yaml or a rule's `inputs:`)."""
    if not isinstance(spec, dict):
        diags.append(error("field-type", where, field=fid, expected="映射 / a mapping"))
        return FactDef(fid, FactType.DECIMAL, "none", fid, location=where)
    loc = spec.where("type").location() if isinstance(spec, YMap) else where
    raw_type = str(spec.get("type", "decimal"))
    raw_type = TYPE_ALIASES.get(raw_type, raw_type)
    try:
        ftype = FactType(raw_type)
    except ValueError:
        diags.append(
            error(
                "field-value",
                loc,
                field="type",
                value=raw_type,
                choices=", ".join([t.value for t in FactType] + list(TYPE_ALIASES)),
            )
        )
        ftype = FactType.DECIMAL
    default_unit = "yuan" if spec.get("type") == "money" else DEFAULT_UNIT[ftype]
    unit = str(spec.get("unit", default_unit))
    if unit not in UNITS:
        uloc = spec.where("unit").location() if isinstance(spec, YMap) else where
        diags.append(error("field-value", uloc, field="unit", value=unit, choices=", ".join(UNITS)))
        unit = default_unit
    raw_missing = str(spec.get("missing", "ineligible"))
    try:
        missing = MissingPolicy(raw_missing)
    except ValueError:
        mloc = spec.where("missing").location() if isinstance(spec, YMap) else where
        diags.append(
            error(
                "field-value",
                mloc,
                field="missing",
                value=raw_missing,
                choices="ineligible, zero, report",
            )
        )
        missing = MissingPolicy.INELIGIBLE
    if missing is MissingPolicy.ZERO and ftype in (FactType.DATE, FactType.ENUM):
        diags.append(error("missing-zero-type", where, name=fid, type=ftype.value))
    values: tuple[str, ...] = ()
    if ftype is FactType.ENUM:
        raw_values = spec.get("values")
        if not isinstance(raw_values, list) or not raw_values:
            diags.append(error("field-missing", where, field="values"))
        else:
            values = tuple(str(v) for v in raw_values)
    aliases_raw = spec.get("aliases", [])
    aliases = tuple(str(a) for a in aliases_raw) if isinstance(aliases_raw, list) else ()
    scale = int(spec.get("scale", DEFAULT_SCALE.get(ftype, 0)))
    if scale < 0 or scale > INTERNAL_SCALE:
        diags.append(
            error("field-value", where, field="scale", value=scale, choices=f"0..{INTERNAL_SCALE}")
        )
        scale = min(max(scale, 0), INTERNAL_SCALE)
    return FactDef(
        id=fid,
        type=ftype,
        unit=unit,
        label=str(spec.get("label", fid)),
        label_en=str(spec.get("label_en", "")),
        aliases=aliases,
        missing=missing,
        values=values,
        scale=scale,
        entity=str(spec["entity"]) if spec.get("entity") else None,
        judgement=bool(spec.get("judgement", False)),
        location=where,
    )


_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_facts_schema(path: Path) -> tuple[FactSchema, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    data = load_yaml_file(path)
    schema = FactSchema(path, entities=dict(DEFAULT_ENTITIES))
    if not isinstance(data, YMap):
        return schema, [error("field-type", Location(str(path), 1, 1), field="/", expected="映射")]
    ents = data.get("entities")
    if isinstance(ents, dict):
        for eid, spec in ents.items():
            label = spec.get("label", eid) if isinstance(spec, dict) else spec
            schema.entities[str(eid)] = str(label if label is not None else eid)
    elif isinstance(ents, list):
        for eid in ents:
            schema.entities[str(eid)] = str(eid)
    facts = data.get("facts")
    if not isinstance(facts, YMap):
        diags.append(error("field-missing", data.pos.location(), field="facts"))
        return schema, diags
    for fid, spec in facts.items():
        where = facts.key_where(fid).location()
        if not _ID_RE.match(str(fid)):
            diags.append(
                error(
                    "field-value",
                    where,
                    field="fact id",
                    value=fid,
                    choices="[A-Za-z_][A-Za-z0-9_]*",
                )
            )
            continue
        fact = parse_fact(str(fid), spec, where, diags)
        schema.facts[fact.id] = fact
        for alias in fact.aliases:
            if alias in schema.aliases or alias in facts:
                diags.append(error("duplicate", where, name=alias))
            schema.aliases[alias] = fact.id
        if fact.entity and fact.entity not in schema.entities:
            diags.append(
                error(
                    "entity-unknown",
                    where,
                    name=fact.entity,
                    choices=", ".join(schema.entities),
                )
            )
    return schema, diags


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, YList | list):
        return list(value)
    return [value]
