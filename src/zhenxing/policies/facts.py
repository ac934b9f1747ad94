"""Facts for policy runs, as Polars frames, read from the database at Arrow speed.

A run asks a *facts source* (`FactsSource`: `FactsRequest` → frame with `entity_id`,
`period` and one column per fact id) for the facts its rule reads. The default source:

1. the population — every enterprise of the registry, or every project (with the
   project's owner enterprise and area);
2. the registry's facts: for enterprises `enterprises.queries.facts_frame(...)` (the
   registry's yearly facts, with their source priority applied) when it exists, else the
   few facts the registry record itself holds; for projects the facts built here:
   `project_category` = the project's policy category, `fixed_asset_investment_completed`
   = the year's sum of its monthly reports (none filed: missing),
   `enterprise_fiscal_contribution` = the owner enterprise's yearly `fiscal_contribution`;
3. department lists (名单, `FactList`): for a fact and period a list covers, the list's
   values replace the registry's (a beneficiary not on the list has no value there).

Tests and benchmarks pass their own source (`frame_source(frame)`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection

from zhenxing.rules.schema import FactDef, FactType

ENTITY = "entity_id"
PERIOD = "period"


@dataclass(frozen=True)
class FactsRequest:
    beneficiary: str  # "enterprise" | "project"
    period_year: int
    fact_ids: tuple[str, ...]
    years_back: int = 0
    entity_ids: tuple[int, ...] | None = None
    # the population, when the caller has read it already (`population()`)
    known_population: Any = field(default=None, compare=False, repr=False)

    @property
    def years(self) -> list[int]:
        return list(range(self.period_year - self.years_back, self.period_year + 1))


FactsSource = Callable[[FactsRequest], pl.DataFrame]


def columns_of(rs: Any) -> tuple[dict[str, FactDef], int, list[tuple[str, str, int]]]:
    """What a rule set reads: (fact id → declaration, years read back,
    [(lagged column, fact id, years back)])."""
    decls: dict[str, FactDef] = {}
    lagged: list[tuple[str, str, int]] = []
    back = 0
    for column, ref in rs.fact_columns().items():
        decls[ref.fact.id] = ref.fact
        if ref.lag_unit == "year" and ref.lag:
            back = max(back, -ref.lag)
            lagged.append((column, ref.fact.id, -ref.lag))
    return decls, back, lagged


# ---------------------------------------------------------------------------
# Reading from the database
# ---------------------------------------------------------------------------


def read_frame(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Run a query and return its rows as a Polars frame of `schema`.

    PostgreSQL: `COPY (query) TO STDOUT` read by Polars' CSV reader; SQLite: one
    `fetchall` into a row-oriented frame. Dates arrive as ISO text and booleans as
    t/f (PostgreSQL) or 1/0 (SQLite); both are converted here. Read money as integer fen
    (`CAST(ROUND(x * 100) AS BIGINT)`) so that no float is involved.
    """
    postgres = connection.vendor == "postgresql"
    load: dict[str, Any] = {}
    for name, dtype in schema.items():
        if dtype == pl.Date:
            load[name] = pl.String
        elif dtype == pl.Boolean:
            load[name] = pl.String if postgres else pl.Int64
        else:
            load[name] = dtype
    with connection.cursor() as cursor:
        if postgres:
            raw = cursor.cursor  # psycopg's cursor
            query = raw.mogrify(sql, list(params)) if params else sql
            buffer = io.BytesIO()
            with raw.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            if buffer.tell() == 0:
                return pl.DataFrame(schema=schema)
            buffer.seek(0)
            frame = pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=load)
        else:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
            if not rows:
                return pl.DataFrame(schema=schema)
            frame = pl.DataFrame(rows, schema=load, orient="row")
    casts = []
    for name, dtype in schema.items():
        if dtype == pl.Date:
            casts.append(pl.col(name).str.slice(0, 10).str.to_date("%Y-%m-%d"))
        elif dtype == pl.Boolean:
            casts.append((pl.col(name) == "t") if postgres else (pl.col(name) == 1))
    return frame.with_columns(casts) if casts else frame


def fen_to_decimal(col: pl.Expr) -> pl.Expr:
    """Integer fen → Decimal(38, 2) yuan, exactly."""
    return (col.cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"), dtype=pl.Decimal(38, 2))).cast(
        pl.Decimal(38, 2)
    )


def id_filter(column: str, ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    if not ids:
        return " AND 1 = 0", []
    marks = ", ".join(["%s"] * len(ids))
    return f" AND {column} IN ({marks})", list(ids)


# ---------------------------------------------------------------------------
# The population
# ---------------------------------------------------------------------------


def population(beneficiary: str, entity_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """`entity_id`, `enterprise_id` (the enterprise, or the project's owner), `area_id`."""
    schema = {ENTITY: pl.Int64, "enterprise_id": pl.Int64, "area_id": pl.Int64}
    if beneficiary == "project":
        where, params = id_filter("id", entity_ids)
        # a voided project (作废) is no beneficiary of any policy
        sql = (
            "SELECT id, owner_enterprise_id, area_id FROM projects_project "
            f"WHERE voided_at IS NULL{where}"
        )
    else:
        where, params = id_filter("id", entity_ids)
        sql = f"SELECT id, id, area_id FROM enterprises_enterprise WHERE 1 = 1{where}"
    return read_frame(sql, params, schema)


# ---------------------------------------------------------------------------
# Typing fact columns
# ---------------------------------------------------------------------------


def fact_dtype(fact: FactDef) -> Any:
    if fact.type is FactType.BOOLEAN:
        return pl.Boolean
    if fact.type is FactType.DATE:
        return pl.Date
    if fact.type in (FactType.TEXT, FactType.ENUM):
        return pl.String
    return pl.Decimal(38, fact.scale)


def typed(col: pl.Expr, source: Any, fact: FactDef) -> pl.Expr:
    """A column in the fact's type: numbers as exact decimals (floats via their text),
    booleans from true/false/1/0/是/否, dates from ISO text."""
    target = fact_dtype(fact)
    if source == target:
        return col
    if fact.type is FactType.BOOLEAN:
        if source == pl.String:
            return col.str.to_lowercase().is_in(["true", "t", "1", "yes", "y", "是"])
        return col.cast(pl.Boolean)
    if fact.type is FactType.DATE:
        if source == pl.String:
            return col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        return col.cast(pl.Date)
    if fact.type in (FactType.TEXT, FactType.ENUM):
        return col.cast(pl.String)
    if source is not None and (source.is_float() if hasattr(source, "is_float") else False):
        col = col.cast(pl.String)
    return col.cast(target)


def conform(frame: pl.DataFrame, facts: dict[str, FactDef]) -> pl.DataFrame:
    """`entity_id` Int64, `period` String, and every fact column in its type (nulls where
    the frame has no column)."""
    schema = frame.schema
    cols = [pl.col(ENTITY).cast(pl.Int64), pl.col(PERIOD).cast(pl.String)]
    for fid, fact in facts.items():
        if fid in schema:
            cols.append(typed(pl.col(fid), schema[fid], fact).alias(fid))
        else:
            cols.append(pl.lit(None, dtype=fact_dtype(fact)).alias(fid))
    return frame.select(cols)


# ---------------------------------------------------------------------------
# The registry's facts
# ---------------------------------------------------------------------------


def _registry_enterprise_facts(req: FactsRequest, fact_ids: list[str]) -> pl.DataFrame | None:
    try:
        from zhenxing.enterprises import queries as enterprise_queries
    except ImportError:
        enterprise_queries = None  # type: ignore[assignment]
    facts_frame = getattr(enterprise_queries, "facts_frame", None)
    if facts_frame is not None:
        known = [f for f in fact_ids if _registry_knows(enterprise_queries, f)]
        if not known:
            return None
        frame = facts_frame(
            period_year=req.period_year,
            fact_ids=known,
            enterprise_ids=list(req.entity_ids) if req.entity_ids is not None else None,
            years_back=req.years_back,
        )
        return frame if isinstance(frame, pl.DataFrame) else pl.DataFrame(frame)
    # Without the registry's yearly facts: the facts the registry record itself holds.
    fields = {"first_above_size_date": "above_size_since", "registration_date": "registration_date"}
    wanted = [f for f in fact_ids if f in fields]
    if not wanted:
        return None
    where, params = id_filter("id", req.entity_ids)
    cols = ", ".join(fields[f] for f in wanted)
    frame = read_frame(
        f"SELECT id, {cols} FROM enterprises_enterprise WHERE 1 = 1{where}",
        params,
        {ENTITY: pl.Int64, **dict.fromkeys(wanted, pl.Date)},
    )
    return frame.with_columns(pl.lit(str(req.period_year)).alias(PERIOD))


def _registry_knows(enterprise_queries: Any, fact_id: str) -> bool:
    """Whether the registry keeps (or derives) a fact; facts only lists supply are not."""
    specs = getattr(enterprise_queries, "fact_specs", None)
    if specs is None:
        return True
    try:
        specs([fact_id])
    except ValueError:
        return False
    return True


def enterprise_yearly_fact(
    fact_id: str, years: list[int], enterprise_ids: list[int] | None
) -> pl.DataFrame:
    """One yearly fact of enterprises (`entity_id`, `period`, value) from the registry."""
    req = FactsRequest(
        "enterprise",
        max(years),
        (fact_id,),
        max(years) - min(years),
        tuple(enterprise_ids) if enterprise_ids is not None else None,
    )
    frame = _registry_enterprise_facts(req, [fact_id])
    if frame is None or fact_id not in frame.columns:
        return pl.DataFrame(schema={ENTITY: pl.Int64, PERIOD: pl.String, fact_id: pl.String})
    return frame.select(
        pl.col(ENTITY).cast(pl.Int64), pl.col(PERIOD).cast(pl.String), pl.col(fact_id)
    )


PROJECT_FACTS = (
    "project_category",
    "fixed_asset_investment_completed",
    "enterprise_fiscal_contribution",
)


def list_only(beneficiary: str, fact_ids: Sequence[str]) -> list[str]:
    """The facts of `fact_ids` that only department lists (名单) supply for this kind of
    beneficiary: without a list for a year, nobody has them that year."""
    if beneficiary == "project":
        return [f for f in fact_ids if f not in PROJECT_FACTS]
    try:
        from zhenxing.enterprises import queries as enterprise_queries
    except ImportError:
        return []
    return [f for f in fact_ids if not _registry_knows(enterprise_queries, f)]


def project_facts(req: FactsRequest) -> pl.DataFrame:
    """Project facts for the years of `req` (`entity_id` = project id)."""
    years = req.years
    pop = population("project", req.entity_ids)
    where, params = id_filter("id", req.entity_ids)
    category = read_frame(
        f"SELECT id, policy_category FROM projects_project WHERE 1 = 1{where}",
        params,
        {ENTITY: pl.Int64, "project_category": pl.String},
    )
    base = pop.join(pl.DataFrame({PERIOD: [str(y) for y in years]}), how="cross")
    frame = base.join(category, on=ENTITY, how="left")
    if "fixed_asset_investment_completed" in req.fact_ids:
        marks = ", ".join(["%s"] * len(years))
        rwhere, rparams = id_filter("project_id", req.entity_ids)
        invested = read_frame(
            "SELECT project_id, CAST(year AS TEXT), SUM(CAST(ROUND(investment * 100) AS BIGINT)) "
            f"FROM projects_monthlyreport WHERE year IN ({marks}){rwhere} "
            "GROUP BY project_id, year",
            [*years, *rparams],
            {ENTITY: pl.Int64, PERIOD: pl.String, "fen": pl.Int64},
        ).select(
            ENTITY, PERIOD, fen_to_decimal(pl.col("fen")).alias("fixed_asset_investment_completed")
        )
        frame = frame.join(invested, on=[ENTITY, PERIOD], how="left")
    if "enterprise_fiscal_contribution" in req.fact_ids:
        owners = [int(x) for x in pop["enterprise_id"].drop_nulls().unique().to_list()]
        fiscal = enterprise_yearly_fact("fiscal_contribution", years, owners)
        fiscal = fiscal.select(
            pl.col(ENTITY).alias("enterprise_id"),
            PERIOD,
            pl.col("fiscal_contribution").alias("enterprise_fiscal_contribution"),
        )
        frame = frame.join(fiscal, on=["enterprise_id", PERIOD], how="left")
    return frame.drop("enterprise_id", "area_id")


# ---------------------------------------------------------------------------
# Department lists (名单)
# ---------------------------------------------------------------------------


def list_facts(req: FactsRequest) -> tuple[pl.DataFrame, dict[str, set[str]]]:
    """The list values of the facts of `req` (`entity_id`, `period`, one column per fact
    listed) and, per fact, the periods a list covers."""
    periods = [str(y) for y in req.years]
    marks_f = ", ".join(["%s"] * len(req.fact_ids))
    marks_p = ", ".join(["%s"] * len(periods))
    lists = read_frame(
        "SELECT id, fact_id, period FROM policies_factlist "
        f"WHERE beneficiary = %s AND fact_id IN ({marks_f}) AND period IN ({marks_p})",
        [req.beneficiary, *req.fact_ids, *periods],
        {"list_id": pl.Int64, "fact_id": pl.String, PERIOD: pl.String},
    )
    covered: dict[str, set[str]] = {}
    for row in lists.iter_rows(named=True):
        covered.setdefault(row["fact_id"], set()).add(row[PERIOD])
    if lists.is_empty():
        return pl.DataFrame(schema={ENTITY: pl.Int64, PERIOD: pl.String}), covered
    ids = [int(i) for i in lists["list_id"].to_list()]
    where, params = id_filter("beneficiary_id", req.entity_ids)
    marks = ", ".join(["%s"] * len(ids))
    entries = read_frame(
        "SELECT fact_list_id, beneficiary_id, value FROM policies_factlistentry "
        f"WHERE fact_list_id IN ({marks}){where}",
        [*ids, *params],
        {"list_id": pl.Int64, ENTITY: pl.Int64, "value": pl.String},
    )
    long = entries.join(lists, on="list_id").select(ENTITY, PERIOD, "fact_id", "value")
    if long.is_empty():
        return pl.DataFrame(schema={ENTITY: pl.Int64, PERIOD: pl.String}), covered
    wide = long.pivot(on="fact_id", index=[ENTITY, PERIOD], values="value")
    return wide, covered


# ---------------------------------------------------------------------------
# The default source
# ---------------------------------------------------------------------------


def registry_source(req: FactsRequest, facts: dict[str, FactDef]) -> pl.DataFrame:
    """The registry's facts (without lists), conformed to the facts' types."""
    fact_ids = list(req.fact_ids)
    if req.beneficiary == "project":
        frame: pl.DataFrame | None = project_facts(req)
    else:
        frame = _registry_enterprise_facts(req, fact_ids)
    if frame is None:
        frame = pl.DataFrame(schema={ENTITY: pl.Int64, PERIOD: pl.String})
    return conform(frame, facts)


def combine(
    pop: pl.DataFrame,
    req: FactsRequest,
    facts: dict[str, FactDef],
    registry: pl.DataFrame,
    listed: pl.DataFrame,
    covered: dict[str, set[str]],
) -> pl.DataFrame:
    """Every entity of the population has a row for the run's period; earlier years have
    rows where some fact has a value. For each fact and period a list covers, the list's
    value replaces the registry's."""
    listed = conform(listed, {f: d for f, d in facts.items() if f in listed.columns})
    keys = pl.concat(
        [
            pop.select(ENTITY).with_columns(pl.lit(str(req.period_year)).alias(PERIOD)),
            registry.select(ENTITY, PERIOD),
            listed.select(ENTITY, PERIOD),
        ]
    ).unique()
    keys = keys.join(pop.select(ENTITY), on=ENTITY, how="semi")
    frame = keys.join(registry, on=[ENTITY, PERIOD], how="left")
    if listed.width > 2:
        renamed = listed.rename(
            {c: f"{c}#list" for c in listed.columns if c not in (ENTITY, PERIOD)}
        )
        frame = frame.join(renamed, on=[ENTITY, PERIOD], how="left")
        replace = []
        for fid, periods in covered.items():
            if fid not in facts:
                continue
            list_col = pl.col(f"{fid}#list") if f"{fid}#list" in frame.columns else pl.lit(None)
            replace.append(
                pl.when(pl.col(PERIOD).is_in(sorted(periods)))
                .then(list_col.cast(fact_dtype(facts[fid])))
                .otherwise(pl.col(fid))
                .alias(fid)
            )
        frame = frame.with_columns(replace).drop([c for c in frame.columns if c.endswith("#list")])
    elif covered:
        frame = frame.with_columns(
            pl.when(pl.col(PERIOD).is_in(sorted(periods)))
            .then(pl.lit(None, dtype=fact_dtype(facts[fid])))
            .otherwise(pl.col(fid))
            .alias(fid)
            for fid, periods in covered.items()
            if fid in facts
        )
    return frame


def default_source(facts: dict[str, FactDef]) -> FactsSource:
    """The platform's facts source for the facts `facts` (id → declaration)."""

    def source(req: FactsRequest) -> pl.DataFrame:
        pop = req.known_population
        if pop is None:
            pop = population(req.beneficiary, req.entity_ids)
        listed, covered = list_facts(req)
        # Facts that lists cover for every year asked need not be read from the registry.
        years = {str(y) for y in req.years}
        open_ids = tuple(f for f in req.fact_ids if covered.get(f, set()) != years)
        registry = registry_source(replace(req, fact_ids=open_ids), facts)
        return combine(pop, req, facts, registry, listed, covered)

    return source


def frame_source(frame: pl.DataFrame) -> Callable[[dict[str, FactDef]], FactsSource]:
    """A source that serves a given frame (tests, benchmarks, the dry run on an upload)."""

    def make(facts: dict[str, FactDef]) -> FactsSource:
        def source(req: FactsRequest) -> pl.DataFrame:
            data = frame
            if PERIOD not in data.columns:
                data = data.with_columns(pl.lit(str(req.period_year)).alias(PERIOD))
            if req.entity_ids is not None:
                data = data.filter(pl.col(ENTITY).is_in(list(req.entity_ids)))
            return conform(data, facts)

        return source

    return make


# ---------------------------------------------------------------------------
# Writing to the database
# ---------------------------------------------------------------------------


def write_frame(table: str, frame: pl.DataFrame, *, text_columns: Sequence[str] = ()) -> int:
    """Insert every row of `frame` (its column names are the table's) in bulk.

    PostgreSQL: `COPY … FROM STDIN` of the frame written as CSV by Polars (`text_columns`
    are NOT NULL text: an empty value is an empty string, not NULL). SQLite: one
    `executemany`. Decimal columns go as text, so no float is involved.
    """
    if frame.is_empty():
        return 0
    frame = frame.with_columns(
        pl.col(name).cast(pl.String) for name, dtype in frame.schema.items() if dtype.is_decimal()
    )
    columns = ", ".join(frame.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False)
            force = f", FORCE_NOT_NULL ({', '.join(text_columns)})" if text_columns else ""
            with cursor.cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv{force})"
            ) as copy:
                copy.write(buffer.getvalue())
        else:
            marks = ", ".join(["%s"] * frame.width)
            # the backend's own cursor: Django's debug wrapper would want len() of the rows
            cursor.cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", frame.iter_rows()
            )
    return frame.height
