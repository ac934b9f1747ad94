"""Reading facts files (CSV, Parquet, Excel) with clear errors (file, row, column).

A facts file has an `entity_id` column, an optional `period` column, and one
column per fact id (or alias). An empty cell is a missing value.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from .check import RuleSet
from .compile_polars import ENTITY, PERIOD, dec
from .diagnostics import Lang, Location, RulesError, error
from .schema import FactDef, FactType

_TRUE = ["true", "1", "yes", "y", "是", "t"]
_FALSE = ["false", "0", "no", "n", "否", "f"]


def _read_raw(path: Path) -> tuple[pl.DataFrame, bool]:
    """The file as a frame; True when every column is text (CSV, Excel)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy"), True
    if suffix == ".parquet":
        return pl.read_parquet(path), False
    if suffix in (".xlsx", ".xls", ".xlsm", ".ods"):
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_index(0).to_python()
        if not rows:
            return pl.DataFrame({ENTITY: []}, schema={ENTITY: pl.String}), True
        header = [str(h).strip() for h in rows[0]]
        data = {
            h: [_cell(r[i]) if i < len(r) else None for r in rows[1:]] for i, h in enumerate(header)
        }
        return pl.DataFrame(data, schema=dict.fromkeys(header, pl.String)), True
    raise RulesError([error("facts-format", Location(str(path), 1, 1))])


def _cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value)


def _convert_text(col: pl.Expr, fact: FactDef) -> pl.Expr:
    text = col.str.strip_chars()
    text = pl.when(text == "").then(None).otherwise(text)
    t = fact.type
    if fact.is_number:
        return text.str.replace_all(",", "").cast(dec(fact.scale), strict=False)
    if t is FactType.BOOLEAN:
        low = text.str.to_lowercase()
        return (
            pl.when(low.is_in(pl.lit(pl.Series(_TRUE)).implode()))
            .then(True)
            .when(low.is_in(pl.lit(pl.Series(_FALSE)).implode()))
            .then(False)
            .otherwise(None)
        )
    if t is FactType.DATE:
        return text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if t is FactType.ENUM:
        return pl.when(text.is_in(pl.lit(pl.Series(list(fact.values))).implode())).then(text)
    return text


def read_facts(
    path: str | Path, ruleset: RuleSet, period: str | None = None, *, lang: Lang = "zh"
) -> pl.DataFrame:
    """Read and validate a facts file for `ruleset`; raises RulesError naming the
    file, the row (as a spreadsheet would number it) and the column. `lang` is the
    language of the note on standard error about facts that have no column."""
    p = Path(path)
    if not p.is_file():
        raise RulesError([error("no-file", Location(str(p), 1, 1))])
    try:
        frame, textual = _read_raw(p)
    except RulesError:
        raise
    except Exception as exc:  # a malformed file: report, never a traceback
        raise RulesError([error("io", Location(str(p), 1, 1), detail=str(exc))]) from None
    columns = frame.columns
    if ENTITY not in columns:
        raise RulesError(
            [
                error(
                    "facts-column",
                    Location(str(p), 1, 1),
                    column=ENTITY,
                    label="主体编号" if lang == "zh" else "entity id",
                )
            ]
        )
    renames: dict[str, str] = {}
    needed: dict[str, FactDef] = {}
    for ref in ruleset.fact_columns().values():
        needed[ref.fact.id] = ref.fact
    for fid, fact in needed.items():
        if fid not in columns:
            for alias in fact.aliases:
                if alias in columns:
                    renames[alias] = fid
    if renames:
        frame = frame.rename(renames)
    absent = [fid for fid in needed if fid not in frame.columns]
    if absent and len(absent) == len(needed):
        raise RulesError(
            [
                error(
                    "facts-column",
                    Location(str(p), 1, 1),
                    column=fid,
                    label=needed[fid].label if lang == "zh" else needed[fid].label_en or fid,
                )
                for fid in absent
            ]
        )
    if absent:
        # A facts file in the shape of some rules (e.g. the 2019 subsidies) still runs the
        # whole catalogue: a fact with no column is missing for every entity, and each
        # fact's declared missing-value policy decides what that means. Say so on stderr.
        names = ", ".join(sorted(absent))
        print(
            f"{p}：{len(absent)} 个事实没有对应的列，按缺失处理：{names}"
            if lang == "zh"
            else f"{p}: no column for {len(absent)} fact(s), read as missing: {names}",
            file=sys.stderr,
        )
        frame = frame.with_columns([pl.lit(None, dtype=pl.String).alias(fid) for fid in absent])
    problems = []
    frame = frame.with_columns(pl.col(ENTITY).cast(pl.String))
    if PERIOD in frame.columns:
        frame = frame.with_columns(pl.col(PERIOD).cast(pl.String).fill_null(period or ""))
    elif period is not None:
        frame = frame.with_columns(pl.lit(period).alias(PERIOD))
    if frame[ENTITY].null_count():
        row = frame.with_row_index().filter(pl.col(ENTITY).is_null())["index"][0]
        raise RulesError([error("facts-entity-empty", _cell_loc(p, row, frame, ENTITY, textual))])
    keys = [ENTITY, PERIOD] if PERIOD in frame.columns else [ENTITY]
    dup = frame.with_row_index().filter(pl.struct(keys).is_duplicated())
    if dup.height:
        row = int(dup["index"][0])
        raise RulesError(
            [
                error(
                    "facts-entity-twice",
                    _cell_loc(p, row, frame, ENTITY, textual),
                    entity=dup[ENTITY][0],
                )
            ]
        )
    if textual:
        converted = frame.with_columns(
            [_convert_text(pl.col(fid), fact).alias(fid) for fid, fact in needed.items()]
        )
        for fid, fact in needed.items():
            raw = frame[fid].str.strip_chars()
            bad = converted.with_row_index().filter(
                pl.col(fid).is_null() & raw.is_not_null() & (raw != "")
            )
            if bad.height:
                row = int(bad["index"][0])
                value = frame[fid][row]
                expect_zh, expect_en = {
                    FactType.BOOLEAN: ("true/false", "true/false"),
                    FactType.DATE: ("YYYY-MM-DD", "YYYY-MM-DD"),
                    FactType.ENUM: (" | ".join(fact.values), " | ".join(fact.values)),
                }.get(
                    fact.type,
                    (
                        f"最多 {fact.scale} 位小数的数值",
                        f"a number with at most {fact.scale} decimals",
                    ),
                )
                problems.append(
                    error(
                        "facts-value",
                        _cell_loc(p, row, frame, fid, textual),
                        column=fid,
                        value=value,
                        expected_zh=expect_zh,
                        expected_en=expect_en,
                    )
                )
        if problems:
            raise RulesError(problems)
        frame = converted
    return frame


def _cell_loc(path: Path, row: int, frame: pl.DataFrame, column: str, textual: bool) -> Location:
    # spreadsheet numbering: header is row 1, first data row is row 2
    return Location(str(path), row + 2, frame.columns.index(column) + 1)
