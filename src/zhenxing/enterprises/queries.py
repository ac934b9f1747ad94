"""Every aggregate read of the enterprise part: the facts frame the rules read, tier counts,
expiry reminders, the profile's facts table, the portrait, the pool funnel.

`facts_frame` is the interface the policies app runs over the whole registry (300,000 to
1,000,000 enterprises): it moves data with one SQL statement per table, as a few large text
blocks concatenated inside the database (SQLite `group_concat`, PostgreSQL `string_agg`) that
Polars parses — never row by row through the ORM or a cursor — and it reads only the values
marked `effective` (the source the declared priority picks, kept up to date by the services)
through a covering partial index.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.utils.translation import gettext

from zhenxing.core import clock
from zhenxing.enterprises import criteria, domain
from zhenxing.enterprises.domain import Derivation, TierCode, ValueType
from zhenxing.enterprises.models import (
    Enterprise,
    FactDefinition,
    FactValue,
    PoolEntry,
    Tier,
    TierEvent,
)

ENTITY = "entity_id"
PERIOD = "period"
_US = "\x1f"  # field separator of the text blocks (SQLite path)
_RS = "\x1e"  # record separator
# Above this many ids, filter in Polars instead of an SQL IN list.
_SQL_ID_LIST_LIMIT = 2000


def catalogue_dir() -> str:
    return str(getattr(settings, "RULES_CATALOGUE_DIR", criteria.CATALOGUE_DIR))


# --------------------------------------------------------------------------------------
# Fact definitions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactSpec:
    code: str
    pk: int | None  # None: declared but not yet in the table (no stored values)
    label: str
    value_type: ValueType
    scale: int
    derivation: Derivation

    @property
    def dtype(self) -> pl.DataType:
        return polars_dtype(self.value_type, self.scale)


def polars_dtype(value_type: ValueType, scale: int) -> pl.DataType:
    if value_type is ValueType.INTEGER:
        return pl.Int64()
    if value_type in domain.NUMERIC:
        return pl.Decimal(38, scale)
    if value_type is ValueType.BOOLEAN:
        return pl.Boolean()
    if value_type is ValueType.DATE:
        return pl.Date()
    return pl.String()


def _catalogue_spec(code: str) -> FactSpec | None:
    for fact in criteria.enterprise_facts(catalogue_dir()):
        if fact.id == code:
            kind = ValueType(fact.type.value)
            return FactSpec(
                code,
                None,
                fact.label,
                kind,
                fact.scale,
                domain.DERIVATIONS.get(code, Derivation.STORED),
            )
    for extra in domain.EXTRA_FACTS:
        if extra.id == code:
            scale = domain.DEFAULT_SCALE.get(extra.value_type, 0)
            return FactSpec(code, None, extra.label, extra.value_type, scale, Derivation.STORED)
    return None


def fact_specs(codes: Iterable[str]) -> dict[str, FactSpec]:
    """The definitions of `codes` (one query); an unknown code raises ValueError."""
    wanted = list(dict.fromkeys(codes))
    rows = FactDefinition.objects.filter(code__in=wanted).values_list(
        "code", "pk", "label", "value_type", "scale", "derivation"
    )
    found = {
        code: FactSpec(code, pk, label, ValueType(kind), scale, Derivation(derivation))
        for code, pk, label, kind, scale, derivation in rows
    }
    unknown = []
    for code in wanted:
        if code not in found:
            spec = _catalogue_spec(code)
            if spec is None:
                unknown.append(code)
            else:
                found[code] = spec
    if unknown:
        raise ValueError(f"unknown fact ids: {', '.join(sorted(unknown))}")
    return {code: found[code] for code in wanted}


# --------------------------------------------------------------------------------------
# Moving data: text blocks parsed by Polars
# --------------------------------------------------------------------------------------


def _id_filter(column: str, ids: Sequence[int] | None) -> str:
    if ids is None or len(ids) > _SQL_ID_LIST_LIMIT:
        return ""
    if not ids:
        return " AND 1 = 0"
    return f" AND {column} IN ({', '.join(str(int(i)) for i in ids)})"


def _aggregated() -> bool:
    """SQLite and PostgreSQL both concatenate rows into one text inside the database
    (`group_concat` / `string_agg`): a few large strings cross into Python instead of a
    Python object per row (psycopg's COPY, too, hands over one message per row)."""
    return connection.vendor in ("sqlite", "postgresql")


# The separators as SQL string literals (a function such as char(31) would run per row).
_US_SQL = f"'{_US}'"
_RS_SQL = f"'{_RS}'"


def _agg(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"string_agg({expr}, {_RS_SQL})"
    return f"group_concat({expr}, {_RS_SQL})"


def _joined(exprs: Sequence[str]) -> str:
    return f" || {_US_SQL} || ".join(exprs)


def _read(
    select: Sequence[tuple[str, str]],
    table: str,
    where: str,
    schema: dict[str, pl.DataType],
    *,
    not_null: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """Run `SELECT exprs FROM table WHERE where` and return it as a Polars frame.

    `select` is [(SQL expression, column name)]; every expression must give text, a
    number, a date or NULL (`not_null` names those that never do). The SQL is built from
    the caller's constants only (ids and years are formatted as integers), never from
    user text."""
    names = [name for _expr, name in select]
    text_schema = {name: pl.String() for name in names}
    if _aggregated():
        parts = _joined(
            [
                f"CAST({expr} AS TEXT)"
                if name in not_null
                else f"coalesce(CAST({expr} AS TEXT), '')"
                for expr, name in select
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_agg(parts)} FROM {table} WHERE {where}")
            row = cursor.fetchone()
        text = row[0] if row else None
        if not text:
            return pl.DataFrame(schema=schema)
        frame = _parse_block(text, text_schema)
    else:  # pragma: no cover - other backends: a plain cursor
        exprs = ", ".join(f"{expr}" for expr, _ in select)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {exprs} FROM {table} WHERE {where}")
            rows = [[None if v is None else str(v) for v in r] for r in cursor.fetchall()]
        frame = pl.DataFrame(rows, schema=text_schema, orient="row")
    return frame.with_columns(
        [_from_text(pl.col(name), dtype).alias(name) for name, dtype in schema.items()]
    )


def _parse_block(text: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """One concatenated block (fields \x1f, records \x1e) as a frame."""
    return pl.read_csv(
        io.StringIO(text + _RS),
        has_header=False,
        schema=schema,
        separator=_US,
        eol_char=_RS,
        quote_char=None,
    )


def _from_text(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String():
        return pl.when(col == "").then(None).otherwise(col)
    if dtype == pl.Boolean():
        return (
            pl.when((col == "") | col.is_null()).then(None).otherwise(col.is_in(["1", "t", "true"]))
        )
    if dtype == pl.Date():
        return col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    return col.cast(dtype, strict=False)


def _as_bool(col: pl.Expr) -> pl.Expr:
    """Stored "true"/"false" → Boolean (null stays null)."""
    return pl.when(col.is_null()).then(None).otherwise(col == "true")


def _typed(col: pl.Expr, spec: FactSpec) -> pl.Expr:
    if spec.value_type is ValueType.BOOLEAN:
        return _as_bool(col)
    if spec.value_type is ValueType.DATE:
        return col.str.to_date("%Y-%m-%d")
    return col.cast(spec.dtype)


# --------------------------------------------------------------------------------------
# The facts frame
# --------------------------------------------------------------------------------------


def facts_frame(
    *,
    period_year: int,
    fact_ids: list[str],
    enterprise_ids: list[int] | None = None,
    years_back: int = 2,
) -> pl.DataFrame:
    """One row per enterprise and year `period_year - years_back .. period_year`.

    Columns: `entity_id` (Int64, the enterprise id), `period` (Int64, the year), then one
    column per fact id in the order asked: Decimal(38, scale) for money, decimal and ratio
    facts, Int64 for integers, Boolean, Date, or String; null when missing. A stored fact
    is the value of the highest-priority source that has one; derived facts (see
    `domain.DERIVATIONS`) come from the registry and the tier records, a stored value
    winning where one is allowed. Raises ValueError for an unknown fact id.
    """
    if years_back < 0:
        raise ValueError("years_back must be >= 0")
    specs = fact_specs(fact_ids)
    first_year = period_year - years_back
    years = list(range(first_year, period_year + 1))
    ids = None if enterprise_ids is None else sorted({int(i) for i in enterprise_ids})

    needs_registry = any(
        s.derivation in (Derivation.REGISTRY, Derivation.REGISTRY_DEFAULT, Derivation.SUM_3Y)
        for s in specs.values()
    )
    base = _enterprises(ids, with_registry=needs_registry)
    grid = base.select(ENTITY).join(
        pl.DataFrame({PERIOD: years}, schema={PERIOD: pl.Int64}), how="cross"
    )

    # Stored values: the facts asked for, and the yearly facts the 3-year sums add up.
    stored = {c: s for c, s in specs.items() if s.derivation in domain.IMPORTABLE_DERIVATIONS}
    sums = {c: domain.SUM_OF[c] for c, s in specs.items() if s.derivation is Derivation.SUM_3Y}
    addends = fact_specs(set(sums.values()) - set(stored)) if sums else {}
    lo = first_year - (2 if sums else 0)
    values = _stored_values({**stored, **addends}, lo, period_year, ids)
    # One lazy plan for every join and derivation, collected once at the end.
    frame = grid.lazy()
    for code, spec in stored.items():
        if code in values:
            frame = frame.join(values[code].lazy(), on=[ENTITY, PERIOD], how="left")
        else:
            frame = frame.with_columns(pl.lit(None, dtype=spec.dtype).alias(code))

    if sums:
        frame = _add_sums(frame, values, sums, specs, base)
    if needs_registry:
        frame = frame.join(base.lazy(), on=ENTITY, how="left")
        frame = _add_registry(frame, specs)
    tier_codes = [c for c, s in specs.items() if s.derivation is Derivation.TIER]
    if tier_codes:
        frame = _add_tier_facts(frame, tier_codes, ids, years)

    columns = [pl.col(ENTITY), pl.col(PERIOD)] + [
        pl.col(code).cast(spec.dtype).alias(code) for code, spec in specs.items()
    ]
    return frame.select(columns).sort([ENTITY, PERIOD]).collect()


def _enterprises(ids: list[int] | None, *, with_registry: bool) -> pl.DataFrame:
    table = Enterprise._meta.db_table
    select = [("id", ENTITY)]
    schema: dict[str, pl.DataType] = {ENTITY: pl.Int64()}
    if with_registry:
        select += [
            ("registration_date", "_registered"),
            ("above_size_since", "_above_size_since"),
            ("industry_id", "_industry"),
            ("uscc", "_uscc"),
        ]
        schema.update(
            {
                "_registered": pl.Date(),
                "_above_size_since": pl.Date(),
                "_industry": pl.String(),
                "_uscc": pl.String(),
            }
        )
    frame = _read(
        select, table, "1 = 1" + _id_filter("id", ids), schema, not_null=frozenset({ENTITY})
    )
    if ids is not None and len(ids) > _SQL_ID_LIST_LIMIT:
        frame = frame.filter(pl.col(ENTITY).is_in(ids))
    return frame


def _stored_values(
    specs: dict[str, FactSpec], lo: int, hi: int, ids: list[int] | None
) -> dict[str, pl.DataFrame]:
    """The effective stored values of each fact for the years lo..hi: fact id → frame
    (`entity_id`, `period`, the typed value). One SQL statement."""
    by_pk = {s.pk: s for s in specs.values() if s.pk is not None}
    if not by_pk:
        return {}
    where = (
        f"effective AND fact_id IN ({', '.join(str(int(pk)) for pk in sorted(by_pk))})"
        f" AND year >= {int(lo)} AND year <= {int(hi)}" + _id_filter("enterprise_id", ids)
    )
    table = FactValue._meta.db_table
    parts: dict[int, list[pl.DataFrame]] = {}
    if _aggregated():
        # One block per fact and year (on SQLite in the covering index's order): neither
        # the year nor the fact id is repeated on every row.
        value = _joined(["CAST(enterprise_id AS TEXT)", "value"])
        sql = (
            f"SELECT fact_id, year, {_agg(value)} FROM {table} WHERE {where} GROUP BY fact_id, year"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            blocks = cursor.fetchall()
        for fact_id, year, text in blocks:
            block = _parse_block(text, {ENTITY: pl.Int64(), "_v": pl.String()})
            parts.setdefault(int(fact_id), []).append(
                block.with_columns(pl.lit(int(year), dtype=pl.Int64).alias(PERIOD))
            )
    else:  # pragma: no cover - other backends
        long = _read(
            [("enterprise_id", ENTITY), ("year", PERIOD), ("fact_id", "_fact"), ("value", "_v")],
            table,
            where,
            {ENTITY: pl.Int64(), PERIOD: pl.Int64(), "_fact": pl.Int64(), "_v": pl.String()},
        )
        for (fact_id,), part in long.partition_by("_fact", as_dict=True).items():
            parts[int(fact_id)] = [part.drop("_fact")]
    out: dict[str, pl.DataFrame] = {}
    for pk, frames in parts.items():
        spec = by_pk[pk]
        frame = pl.concat(frames, how="vertical")
        if ids is not None and len(ids) > _SQL_ID_LIST_LIMIT:
            frame = frame.filter(pl.col(ENTITY).is_in(ids))
        out[spec.code] = frame.select(
            pl.col(ENTITY), pl.col(PERIOD), _typed(pl.col("_v"), spec).alias(spec.code)
        )
    return out


def _add_sums(
    frame: pl.LazyFrame,
    values: dict[str, pl.DataFrame],
    sums: dict[str, str],
    specs: dict[str, FactSpec],
    base: pl.DataFrame,
) -> pl.LazyFrame:
    """近三个会计年度…总额 = the yearly fact over the year and the two before it; with fewer
    than three fiscal years since registration, over the years since (not given: null)."""
    registered = (
        base.select(ENTITY, pl.col("_registered").dt.year().alias("_reg_year"))
        if "_registered" in base.columns
        else base.select(ENTITY, pl.lit(None, dtype=pl.Int32).alias("_reg_year"))
    )
    for total, yearly in sums.items():
        if yearly in values:
            series = values[yearly].select(ENTITY, PERIOD, pl.col(yearly).alias("_v"))
        else:
            series = pl.DataFrame(
                schema={ENTITY: pl.Int64, PERIOD: pl.Int64, "_v": specs[total].dtype}
            )
        parts = []
        for lag in range(3):
            parts.append(
                series.with_columns((pl.col(PERIOD) + lag).alias(PERIOD))
                .rename({"_v": f"_v{lag}"})
                .lazy()
            )
        joined = frame.select(ENTITY, PERIOD)
        for part in parts:
            joined = joined.join(part, on=[ENTITY, PERIOD], how="left")
        joined = joined.join(registered.lazy(), on=ENTITY, how="left")
        needed = (
            pl.when(pl.col("_reg_year").is_null())
            .then(3)
            .otherwise(pl.min_horizontal(pl.lit(3), pl.col(PERIOD) - pl.col("_reg_year") + 1))
        )
        present = pl.sum_horizontal([pl.col(f"_v{lag}").is_not_null() for lag in range(3)])
        total_expr = pl.sum_horizontal([pl.col(f"_v{lag}").fill_null(0) for lag in range(3)])
        joined = joined.with_columns(
            pl.when((present >= needed) & (present > 0))
            .then(total_expr)
            .otherwise(None)
            .cast(specs[total].dtype)
            .alias("_derived")
        ).select(ENTITY, PERIOD, "_derived")
        frame = (
            frame.join(joined, on=[ENTITY, PERIOD], how="left")
            .with_columns(pl.coalesce(pl.col(total), pl.col("_derived")).alias(total))
            .drop("_derived")
        )
    return frame


def _industry_section(code: pl.Expr) -> pl.Expr:
    """GB/T 4754-2017 section letter of a code (B 06–12, C 13–43, D 44–46; others: other)."""
    division = code.str.slice(0, 2).cast(pl.Int32, strict=False)
    return (
        pl.when(code.str.contains(r"^[A-T]$"))
        .then(code)
        .when(division.is_between(6, 12))
        .then(pl.lit("B"))
        .when(division.is_between(13, 43))
        .then(pl.lit("C"))
        .when(division.is_between(44, 46))
        .then(pl.lit("D"))
        .when(division.is_not_null())
        .then(pl.lit("other"))
        .otherwise(None)
    )


def _add_registry(frame: pl.LazyFrame, specs: dict[str, FactSpec]) -> pl.LazyFrame:
    exprs = []
    for code in specs:
        if code == "registration_date":
            exprs.append(pl.col("_registered").alias(code))
        elif code == "first_above_size_date":
            exprs.append(pl.col("_above_size_since").alias(code))
        elif code == "resident_enterprise":
            # Every enterprise of the registry is registered in an area of the city.
            exprs.append(pl.coalesce(pl.col(code), pl.lit(True)).alias(code))
        elif code == "industrial_legal_person":
            section = _industry_section(pl.col("_industry"))
            derived = (
                pl.when(section.is_null())
                .then(None)
                .otherwise(
                    section.is_in(sorted(domain.INDUSTRY_SECTIONS))
                    & pl.col("_uscc").str.starts_with("91")
                )
            )
            exprs.append(pl.coalesce(pl.col(code), derived).alias(code))
    frame = frame.with_columns(exprs) if exprs else frame
    if "first_above_size_date" in specs:
        frame = _first_above_size_from_tiers(frame)
    return frame


def _first_above_size_from_tiers(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Where the registry has no first above-size date, the first 规上 listing's date."""
    first = (
        Tier.objects.filter(code=TierCode.ABOVE_SIZE)
        .values("enterprise_id")
        .order_by()
        .annotate(first=Min("issued_on"))
        .values_list("enterprise_id", "first")
    )
    rows = list(first)
    if not rows:
        return frame
    tiers = pl.DataFrame(rows, schema={ENTITY: pl.Int64, "_first_tier": pl.Date}, orient="row")
    return (
        frame.join(tiers.lazy(), on=ENTITY, how="left")
        .with_columns(
            pl.coalesce(pl.col("first_above_size_date"), pl.col("_first_tier")).alias(
                "first_above_size_date"
            )
        )
        .drop("_first_tier")
    )


# Tier-derived facts: (tier codes, levels or None for any, "held" or "granted").
TIER_FACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None, str]] = {
    "has_high_tech_certificate": ((TierCode.HIGH_TECH,), None, "held"),
    "holds_specialized_new_title": ((TierCode.SPECIALISED_NEW_SME,), None, "held"),
    "recognized_high_tech_in_period": ((TierCode.HIGH_TECH,), None, "granted"),
    "recognized_specialized_new_provincial_in_period": (
        (TierCode.SPECIALISED_NEW_SME, TierCode.LITTLE_GIANT),
        (domain.Level.PROVINCIAL, domain.Level.NATIONAL),
        "granted",
    ),
}


def _add_tier_facts(
    frame: pl.LazyFrame, codes: list[str], ids: list[int] | None, years: list[int]
) -> pl.LazyFrame:
    """Held on the period's last day (or today, for the current year); granted in the year."""
    today = clock.today()
    days = pl.DataFrame(
        {PERIOD: years, "_day": [min(datetime.date(y, 12, 31), today) for y in years]},
        schema={PERIOD: pl.Int64, "_day": pl.Date},
    )
    tier_codes = sorted({t for c in codes for t in TIER_FACTS[c][0]})
    code_list = ", ".join(f"'{c}'" for c in tier_codes)  # constants of TierCode
    held = _read(
        [
            ("enterprise_id", ENTITY),
            ("code", "_code"),
            ("level", "_level"),
            ("issued_on", "_issued"),
            ("expires_on", "_expires"),
            ("ended_on", "_ended"),
        ],
        Tier._meta.db_table,
        f"code IN ({code_list})" + _id_filter("enterprise_id", ids),
        {
            ENTITY: pl.Int64(),
            "_code": pl.String(),
            "_level": pl.String(),
            "_issued": pl.Date(),
            "_expires": pl.Date(),
            "_ended": pl.Date(),
        },
    )
    granted = _read(
        [("enterprise_id", ENTITY), ("code", "_code"), ("level", "_level"), ("date", "_date")],
        TierEvent._meta.db_table,
        f"kind = '{domain.EventKind.GRANTED.value}' AND code IN ({code_list})"
        f" AND date >= '{years[0]}-01-01' AND date <= '{years[-1]}-12-31'"
        + _id_filter("enterprise_id", ids),
        {ENTITY: pl.Int64(), "_code": pl.String(), "_level": pl.String(), "_date": pl.Date()},
    )
    for code in codes:
        tiers, levels, how = TIER_FACTS[code]
        if how == "held":
            rows = held.filter(pl.col("_code").is_in(list(tiers)))
            if levels is not None:
                rows = rows.filter(pl.col("_level").is_in(list(levels)))
            flags = (
                rows.join(days, how="cross")
                .filter(
                    (pl.col("_issued") <= pl.col("_day"))
                    & (pl.col("_expires").is_null() | (pl.col("_expires") >= pl.col("_day")))
                    & (pl.col("_ended").is_null() | (pl.col("_ended") > pl.col("_day")))
                )
                .select(ENTITY, PERIOD)
                .unique()
            )
        else:
            rows = granted.filter(pl.col("_code").is_in(list(tiers)))
            if levels is not None:
                rows = rows.filter(pl.col("_level").is_in(list(levels)))
            flags = rows.select(
                ENTITY, pl.col("_date").dt.year().cast(pl.Int64).alias(PERIOD)
            ).unique()
        flags = flags.with_columns(pl.lit(True).alias("_flag"))
        frame = (
            frame.join(flags.lazy(), on=[ENTITY, PERIOD], how="left")
            .with_columns(pl.col("_flag").fill_null(False).alias(code))
            .drop("_flag")
        )
    return frame


# --------------------------------------------------------------------------------------
# The profile (年度数据 tab): per fact and year, every source, the value read, conflicts
# --------------------------------------------------------------------------------------


@dataclass
class SourceValue:
    source: str
    source_label: str
    value: Any
    as_of: datetime.date
    effective: bool


@dataclass
class FactCell:
    year: int
    value: Any = None  # what the rules read (after priority and derivation)
    sources: list[SourceValue] = field(default_factory=list)
    conflict: bool = False
    derived: bool = False


@dataclass
class FactRow:
    code: str
    label: str
    unit: str
    value_type: str
    group: str
    cells: list[FactCell]

    @property
    def has_conflict(self) -> bool:
        return any(c.conflict for c in self.cells)

    @property
    def display_unit(self) -> str:
        if self.unit == "yuan":
            return "万元"
        if self.unit == "ratio":
            return "%"
        if self.unit == "count":
            return "人" if self.group == "人员" else "项"
        return {"years_in_niche": "年", "digital_level": "级"}.get(self.code, "")


def profile_facts(enterprise: Enterprise, years: Sequence[int]) -> list[FactRow]:
    """The 一企一档 facts table: the value the rules read per fact and year, with every
    source's value and a conflict mark where sources disagree."""
    definitions = list(FactDefinition.objects.all())
    if not definitions or not years:
        return []
    frame = facts_frame(
        period_year=max(years),
        fact_ids=[d.code for d in definitions],
        enterprise_ids=[enterprise.pk],
        years_back=max(years) - min(years),
    )
    read = {int(r[PERIOD]): r for r in frame.to_dicts()}
    values = FactValue.objects.filter(enterprise=enterprise, year__in=list(years)).order_by()
    by_key: dict[tuple[int, int], list[FactValue]] = {}
    for v in values:
        by_key.setdefault((v.fact_id, v.year), []).append(v)
    labels = dict(zip(domain.Source, domain.SOURCE_LABELS.values(), strict=True))
    rows = []
    for d in sorted(definitions, key=lambda d: (domain.group_order(d.code), d.sort_order)):
        cells = []
        for year in years:
            stored = sorted(
                by_key.get((d.pk, year), []),
                key=lambda v: d.priority.index(domain.Source(v.source)),
            )
            cell = FactCell(year=year, value=read.get(year, {}).get(d.code))
            cell.sources = [
                SourceValue(
                    v.source,
                    labels[domain.Source(v.source)],
                    domain.typed(v.value, d.value_type),
                    v.as_of,
                    v.effective,
                )
                for v in stored
            ]
            cell.conflict = len({str(s.value) for s in cell.sources}) > 1 and any(
                domain.values_differ(a.value, b.value, d.value_type) for a in stored for b in stored
            )
            cell.derived = not stored and cell.value is not None
            cells.append(cell)
        if all(c.value is None and not c.sources for c in cells):
            continue
        rows.append(
            FactRow(d.code, d.short_label, d.unit, d.value_type, domain.group_of(d.code), cells)
        )
    return rows


# --------------------------------------------------------------------------------------
# Tiers: counts on a date, gains in a span, expiring certificates
# --------------------------------------------------------------------------------------


def held_q(day: datetime.date, prefix: str = "") -> Q:
    p = prefix
    return (
        Q(**{f"{p}issued_on__lte": day})
        & (Q(**{f"{p}expires_on__isnull": True}) | Q(**{f"{p}expires_on__gte": day}))
        & (Q(**{f"{p}ended_on__isnull": True}) | Q(**{f"{p}ended_on__gt": day}))
    )


def _combined(by_code: dict[str, set[int]]) -> dict[str, int]:
    counts = {code.value: len(by_code.get(code.value, set())) for code in TierCode}
    counts[domain.EAGLET_OR_GAZELLE] = len(
        by_code.get(TierCode.EAGLET, set()) | by_code.get(TierCode.GAZELLE, set())
    )
    counts[domain.SPECIALISED_NEW_ALL] = len(
        by_code.get("little_giant@national", set())
        | by_code.get("specialised_new_sme@provincial", set())
    )
    return counts


def _distinct_by_code(rows: Iterable[tuple[int, str, str]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for enterprise_id, code, level in rows:
        out.setdefault(code, set()).add(enterprise_id)
        out.setdefault(f"{code}@{level}", set()).add(enterprise_id)
    return out


def tier_counts(*, on: datetime.date, tiers: QuerySet[Tier] | None = None) -> dict[str, int]:
    """Enterprises holding each tier on `on` (an enterprise counts under every tier it
    holds, once per tier), plus `eaglet_or_gazelle` and `specialised_new_all`."""
    qs = tiers if tiers is not None else Tier.objects.all()
    rows = qs.filter(held_q(on)).order_by().values_list("enterprise_id", "code", "level").distinct()
    return _combined(_distinct_by_code(rows))


def tier_gains(
    *, start: datetime.date, end: datetime.date, events: QuerySet[TierEvent] | None = None
) -> dict[str, int]:
    """Enterprises newly recognised (a `granted` event) for each tier between the dates."""
    qs = events if events is not None else TierEvent.objects.all()
    rows = (
        qs.filter(kind=domain.EventKind.GRANTED, date__gte=start, date__lte=end)
        .order_by()
        .values_list("enterprise_id", "code", "level")
        .distinct()
    )
    return _combined(_distinct_by_code(rows))


def expiring(
    tiers: QuerySet[Tier], *, today: datetime.date | None = None, days: int | None = None
) -> QuerySet[Tier]:
    """Certificates held today that expire within `days` and have no renewal yet (即将到期)."""
    day = today or clock.today()
    horizon = day + datetime.timedelta(days=days or domain.EXPIRY_WARNING_DAYS)
    return (
        tiers.filter(held_q(day), expires_on__isnull=False, expires_on__lte=horizon)
        .exclude(renewals__isnull=False)
        .order_by("expires_on", "enterprise__name")
    )


def tiers_held(enterprise: Enterprise, on: datetime.date) -> list[Tier]:
    return list(
        Tier.objects.filter(held_q(on), enterprise=enterprise).order_by("code", "-issued_on")
    )


# --------------------------------------------------------------------------------------
# The portrait
# --------------------------------------------------------------------------------------


def known_inputs(enterprise: Enterprise) -> dict[str, tuple[Any, str]]:
    """Rule inputs the registry already settles, with the reason shown: a large enterprise
    is not an SME, so the SME ladder's general requirements (being an SME among them) fail."""
    if enterprise.size_class == "large":
        return {"sme_general_requirements": (False, "登记为大型企业，不属于中小企业")}
    return {}


@dataclass
class Portrait:
    enterprise: Enterprise
    as_of: datetime.date
    fiscal_year: int
    held: list[Tier]
    assessments: list[criteria.Assessment]
    no_criteria: list[tuple[str, str]]  # (code, label) of tiers the catalogue cannot assess

    def by_status(self, status: str) -> list[criteria.Assessment]:
        return [a for a in self.assessments if a.status == status]

    @property
    def met(self) -> list[criteria.Assessment]:
        return self.by_status(criteria.MET)

    @property
    def nearly(self) -> list[criteria.Assessment]:
        return self.by_status(criteria.NEARLY)

    @property
    def other(self) -> list[criteria.Assessment]:
        return [a for a in self.assessments if a.status not in (criteria.MET, criteria.NEARLY)]


def portrait(enterprise: Enterprise, *, today: datetime.date | None = None) -> Portrait:
    """Tiers held today; the catalogue's criteria rules in force today evaluated on the
    latest full fiscal year (today's year − 1, earlier years as `@year-N`)."""
    day = today or clock.today()
    fiscal_year = day.year - 1
    ruleset, tiers = criteria.criteria(catalogue_dir(), f"{day.year}-{day.month:02d}")
    fact_ids, years_back = criteria.columns_read(ruleset)
    frame = facts_frame(
        period_year=fiscal_year,
        fact_ids=fact_ids,
        enterprise_ids=[enterprise.pk],
        years_back=years_back,
    )
    row = criteria.facts_row(frame.to_dicts(), fiscal_year)
    assessments = criteria.assess_all(
        ruleset, tiers, row, known_inputs(enterprise), fiscal_year=fiscal_year
    )
    assessed = set(tiers.values())
    return Portrait(
        enterprise=enterprise,
        as_of=day,
        fiscal_year=fiscal_year,
        held=tiers_held(enterprise, day),
        assessments=assessments,
        no_criteria=[
            (c.value, gettext(domain.TIER_LABELS[c])) for c in TierCode if c not in assessed
        ],
    )


# --------------------------------------------------------------------------------------
# The cultivation pool
# --------------------------------------------------------------------------------------


@dataclass
class FunnelTable:
    year: int
    target: str
    target_label: str
    rows: list[domain.FunnelRow]
    total: int


def pool_funnel(entries: QuerySet[PoolEntry], *, year: int) -> list[FunnelTable]:
    """Per target tier: entries of `year` at each stage now and having reached it."""
    counts = (
        entries.filter(year=year)
        .order_by()
        .values_list("target", "stage", "furthest")
        .annotate(n=Count("id"))
    )
    by_target: dict[str, list[tuple[str, int]]] = {}
    for target, stage, furthest, n in counts:
        by_target.setdefault(target, []).extend([(stage, furthest)] * n)
    tables = []
    for code in TierCode:
        items = by_target.get(code.value)
        if not items:
            continue
        tables.append(
            FunnelTable(
                year,
                code.value,
                gettext(domain.TIER_LABELS[code]),
                domain.funnel(items),
                len(items),
            )
        )
    return tables


def pool_years(entries: QuerySet[PoolEntry]) -> list[int]:
    return sorted(set(entries.order_by().values_list("year", flat=True).distinct()), reverse=True)
