"""Excel in and out, shared by every part.

Export: any list as .xlsx with Chinese headers (`export_response`).

Import: a part declares an `ImportSpec` — the columns it expects, how each cell is
parsed and checked, and how the checked rows are written:

- `build_row`: the record a row creates, checked but not saved (the registry). Every
  row is built first, reading only; then all records are created in one short bulk
  transaction (`core.services.create_many_audited`). Preferred: on SQLite a transaction
  holds the database's write lock from start to end, and every other writer (a report
  saved on a page, the worker) waits for it — checking 6,000 rows inside it held the
  lock for 20 s.
- `write_rows`: one service call for the whole file (a department's list replaced as a
  whole, an area's monthly sheet, a bureau's facts sheet), which checks every row with
  a few bulk queries and writes in bulk: a short transaction whatever the length.
- `write_row`: the service that writes one row, called row by row inside one
  transaction: checking and writing interleave, so the lock is held throughout. None of
  the platform's imports uses it any more; a new import should not.

`run_import` reads the whole sheet, validates every row first, and writes all rows only
if none has an error; otherwise nothing is written and the caller gets an error report
(row, column, value, reason) to show as a page and as .xlsx. A downloadable template
per import comes from the same spec (`template_response`).

Fields that the sheet does not hold (which list, which year, …) come from the page's
form: the part builds the spec for them (its parsers and writer close over them), as
`policies.imports.ListImport` does.
"""

from __future__ import annotations

import datetime
import decimal
import io
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.db import IntegrityError, models, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from zhenxing.core import clock, scoping, sheets, validation
from zhenxing.core import money as _money
from zhenxing.core.roles import Action
from zhenxing.core.services import create_many_audited

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"  # amounts, in the unit their header names
COUNT_FORMAT = "#,##0"  # counts
MAX_ROW_ERRORS = 10_000  # reading a sheet stops after this many cell errors


class CellError(ValueError):
    """A cell's value is wrong; the message says why, in the user's language."""


class RowsRefused(Exception):
    """A whole-file writer (`ImportSpec.write_rows`) refuses rows of the file:
    `problems` are (row number, column key, reason)."""

    def __init__(self, problems: Sequence[tuple[int, str, str]]) -> None:
        super().__init__("; ".join(f"{row} {key}: {reason}" for row, key, reason in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as Excel shows it (header is row 1)
    column: str  # the column header
    value: str
    reason: str


@dataclass
class ImportColumn:
    header: str  # the Chinese header in the sheet and the template
    key: str  # the key in the parsed row dict
    parse: Callable[[Any], Any] = lambda v: v
    required: bool = False
    example: str = ""
    help: str = ""
    # Earlier headers of the same column in the same unit, still read (e.g. “值” for
    # “值（元）”). A header that names another unit, or none where the unit changed,
    # is refused rather than read in the wrong unit.
    aliases: Sequence[str] = ()


@dataclass
class ImportSpec:
    kind: str
    title: Any  # shown on the upload page: text or a lazily translated label
    columns: Sequence[ImportColumn]
    # Writes one validated row; raises CellError(column_key: message) for cross-field errors.
    write_row: Callable[[dict[str, Any], Any], Any] | None = None
    # Instead of `write_row`: the record one validated row creates, checked (scope, fields:
    # `core.services.check_new`) but not saved; raises CellError(column_key: message).
    # The import creates every row's record in one short bulk transaction.
    build_row: Callable[[dict[str, Any], Any], models.Model] | None = None
    # Optional whole-row check before anything is written: returns [(column_key, reason)].
    check_row: Callable[[dict[str, Any], Any], list[tuple[str, str]]] | None = None
    # Column keys whose values must not repeat within one file.
    unique: Sequence[str] = ()
    # Instead of `write_row`: writes every validated row in one call, given
    # [(row number, row)]; raises RowsRefused naming rows. What it returns is the
    # result's `outcome` (e.g. how many entries a replaced list gained and lost).
    write_rows: Callable[[list[tuple[int, dict[str, Any]]], Any], Any] | None = None
    # The model each row creates or changes, and the values every such record holds (the
    # source of a facts sheet): the import is offered only to users who may write that.
    writes: type[models.Model] | None = None
    writes_values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        writers = [self.write_row, self.write_rows, self.build_row]
        if sum(w is not None for w in writers) != 1:
            raise TypeError(
                f"import {self.kind}: give exactly one of build_row, write_rows and write_row"
            )


REGISTRY: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> ImportSpec:
    """Make an import available at /imports/<kind>/ and as `zhenxing import <kind> FILE`."""
    if spec.writes is None:
        raise TypeError(f"import {spec.kind}: say which model it `writes` (who may use it)")
    REGISTRY[spec.kind] = spec
    return spec


def may_import(user: Any, spec: ImportSpec) -> bool:
    """May the user use this import at all? (Each row is still checked for its own scope:
    area staff import their own area's rows.) The upload page, its template and the links
    to it ask this, so a role that may not write is never offered a sheet to upload."""
    if spec.writes is None:
        return False
    return scoping.can(user, Action.CREATE, model=spec.writes, values=spec.writes_values or None)


def imports_for(user: Any) -> list[ImportSpec]:
    """The registered imports the user may use."""
    return [spec for spec in REGISTRY.values() if may_import(user, spec)]


@dataclass
class ImportResult:
    ok: bool
    rows_total: int = 0
    rows_written: int = 0
    errors: list[RowError] = field(default_factory=list)
    outcome: Any = None  # what `ImportSpec.write_rows` returned

    def summary(self) -> str:
        """What a successful import tells the user (page, API, command line): the
        outcome's own `summary()` when it has one (rows filed, unchanged, skipped…)."""
        describe = getattr(self.outcome, "summary", None)
        if callable(describe):
            return str(describe())
        return gettext("导入成功：共 %(n)s 行") % {"n": self.rows_written}

    def error_report_xlsx(self) -> bytes:
        return build_xlsx(
            ["行号", "列", "值", "错误原因"],
            ([e.row, e.column, e.value, e.reason] for e in self.errors),
            sheet_name="错误报告",
            plain_columns={0},
        )


# --- cell parsers ---------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def text(value: Any) -> str:
    """A text cell, trimmed; a control character in it (NUL, escape…) is refused."""
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    try:
        return validation.check_text(str(value).strip())
    except validation.Refused as exc:
        raise CellError(exc.message) from exc


def money(value: Any) -> decimal.Decimal | None:
    """Yuan with at most two decimals, `1,234.5` or `1234.5` (header: “…（元）”)."""
    try:
        return _money.parse_yuan(value)
    except _money.NumberError as exc:
        raise CellError(exc.message) from exc


def wan(value: Any) -> decimal.Decimal | None:
    """An amount in 万元 (header: “…（万元）”), returned in yuan, exactly; at most six
    decimals (a whole number of fen)."""
    try:
        return _money.parse_wan(value)
    except _money.NumberError as exc:
        raise CellError(exc.message) from exc


# A number cell is bounded like a fact's value (26 digits, 6 of them decimals); a whole
# number like an integer column. A spreadsheet's 1e300 is a row error, not a crash later.
NUMBER_DIGITS, NUMBER_PLACES = 26, 6
INTEGER_LIMIT = 2**31


def number(value: Any) -> decimal.Decimal | None:
    """A decimal number, `1,234.5` or `1234.5`."""
    try:
        parsed = _money.parse_number(value)
        if parsed is None:
            return None
        return _money.check_number(parsed, max_digits=NUMBER_DIGITS, decimal_places=NUMBER_PLACES)
    except _money.NumberError as exc:
        raise CellError(exc.message) from exc


def integer(value: Any) -> int | None:
    """A whole number, `1,234` or `1234`."""
    try:
        parsed = _money.parse_number(value)
    except _money.NumberError as exc:
        raise CellError(f"“{_shown(value)}”不是整数") from exc
    if parsed is None:
        return None
    if abs(parsed) >= INTEGER_LIMIT:
        raise CellError(f"“{_shown(value)}”超出范围")
    if parsed != parsed.to_integral_value():
        raise CellError(f"“{_shown(value)}”不是整数")
    return int(parsed)


def _shown(value: Any) -> str:
    """A cell as the error report quotes it: never itself refused, control characters
    dropped, cut to 200 characters."""
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return validation.without_control_characters(str(value).strip())[:200]


def date(value: Any) -> datetime.date | None:
    if _blank(value):
        return None
    try:
        return validation.check_date(_date(value))
    except validation.Refused as exc:
        raise CellError(exc.message) from exc


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = str(value).strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise CellError(f"“{_shown(value)}”不是日期，应为 2024-05-31 这样的格式")


def choice(options: dict[str, str]) -> Callable[[Any], str]:
    """A cell holding one of `options` (label → code); the code or the label is accepted."""

    def parse(value: Any) -> str:
        if _blank(value):
            return ""
        raw = text(value)
        if raw in options:
            return options[raw]
        if raw in options.values():
            return raw
        raise CellError(f"“{raw}”不是可选值，可选：{'、'.join(options)}")

    return parse


# --- reading and writing workbooks ---------------------------------------------


def read_rows(data: bytes) -> list[list[Any]]:
    """All rows of the first sheet of an .xlsx/.csv/.xls/.ods file (small files: the
    exports and templates a test reads back). Imports read row by row (`parse_sheet`)."""
    try:
        return list(sheets.rows(data))
    except sheets.SheetError as exc:
        raise CellError(str(exc)) from exc


# How far a background import has got (`core.import_jobs` sets it for the file it runs):
# called with the number of rows read so far, every `_PROGRESS_EVERY` rows.
reading_progress: ContextVar[Callable[[int], None] | None] = ContextVar(
    "reading_progress", default=None
)
_PROGRESS_EVERY = 2000


def build_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_name: str = "Sheet1",
    notes: Sequence[str] = (),
    plain_columns: Collection[int] = (),
) -> bytes:
    """An .xlsx of `rows` under `headers`. Amounts (`Decimal`) show as 1,234.50 and
    whole numbers as 1,234 (`MONEY_FORMAT`, `COUNT_FORMAT`), except in the
    `plain_columns` (by position: years, row numbers), which show digits only."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet(_SHEET_NAME_BAD.sub("-", str(sheet_name))[:31] or "Sheet1")
    head = book.add_format({"bold": True, "bg_color": "#DCE6F4", "border": 1})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    money_format = book.add_format({"num_format": MONEY_FORMAT})
    count_format = book.add_format({"num_format": COUNT_FORMAT})
    widths = [max(8, len(str(h)) * 2 + 2) for h in headers]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, str(header), head)
    r = 0
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_string(r, col, "是" if value else "否")
            elif isinstance(value, decimal.Decimal):
                sheet.write_number(r, col, float(value), money_format)
            elif isinstance(value, int) and col not in plain_columns:
                sheet.write_number(r, col, value, count_format)
            elif isinstance(value, int | float):
                sheet.write_number(r, col, value)
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(
                    r,
                    col,
                    timezone.localtime(value).replace(tzinfo=None)
                    if timezone.is_aware(value)
                    else value,
                    date_format,
                )
            elif isinstance(value, datetime.date):
                sheet.write_datetime(
                    r, col, datetime.datetime.combine(value, datetime.time()), date_format
                )
            else:
                sheet.write_string(r, col, str(value))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width, 40))
    sheet.freeze_panes(1, 0)
    if notes:
        info = book.add_worksheet("说明")
        for i, note in enumerate(notes):
            info.write_string(i, 0, note)
        info.set_column(0, 0, 100)
    book.close()
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    stamp = clock.today().strftime("%Y%m%d")
    from urllib.parse import quote

    name = quote(f"{filename}-{stamp}.xlsx", safe="")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


def export_response(
    *, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    return xlsx_response(build_xlsx(headers, rows, sheet_name=filename), filename)


def template_bytes(spec: ImportSpec) -> bytes:
    headers = [c.header + ("*" if c.required else "") for c in spec.columns]
    example = [c.example for c in spec.columns]
    notes = [f"{spec.title}：第一行是表头（带 * 的列必填），从第二行起每行一条记录。"]
    notes += [f"{c.header}：{c.help}" for c in spec.columns if c.help]
    notes.append("导入时先校验全部行；任何一行有错则整批不导入，并给出错误报告。")
    return build_xlsx(
        headers, [example] if any(example) else [], sheet_name=spec.title, notes=notes
    )


def template_response(spec: ImportSpec) -> HttpResponse:
    return xlsx_response(template_bytes(spec), f"{spec.title}-模板")


# --- import -------------------------------------------------------------------


def _header_key(header: Any) -> str:
    return _shown(header).rstrip("*＊").strip()


_UNIT_SUFFIX = re.compile(r"\s*[（(][^（）()]*[）)]$")


def _without_unit(header: str) -> str:
    """“总投资（万元）” → “总投资”: the name of a column without the unit it names."""
    return _UNIT_SUFFIX.sub("", header)


def parse_sheet(
    spec: ImportSpec, data: bytes
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Parse and check every row; return the good rows and every error found.

    The sheet is read one row at a time (`core.sheets.rows`): what is kept is one dict per
    valid row, and reading stops with an error naming the limit as soon as the file holds
    more rows than `settings.IMPORT_MAX_ROWS`."""
    table = sheets.rows(data)
    try:
        header = next(table, None)
    except sheets.SheetError as exc:
        return [], [RowError(0, "文件", "", str(exc))]
    if header is None:
        return [], [RowError(1, "表头", "", "文件是空的")]
    try:
        return _parse_body(spec, header, table)
    except sheets.SheetError as exc:
        return [], [RowError(0, "文件", "", str(exc))]
    finally:
        table.close()


def _parse_body(
    spec: ImportSpec, header: list[Any], table: Iterator[list[Any]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    errors: list[RowError] = []
    header_row = [_header_key(h) for h in header]
    positions: dict[str, int] = {}
    # a column's name → the sheet's header of it: as it is (no unit), or without its unit
    bare_headers = {_without_unit(h): h for h in header_row if h}
    bare_headers.update({h: h for h in header_row if h})
    for column in spec.columns:
        accepted = [h for h in (column.header, *column.aliases) if h in header_row]
        if accepted:
            positions[column.key] = header_row.index(accepted[0])
        elif _without_unit(column.header) in bare_headers:
            # “营业收入” or “总投资（元）” where the template says “…（万元）”: reading it
            # would scale every amount; the unit must be the one the header names.
            found = bare_headers[_without_unit(column.header)]
            errors.append(
                RowError(
                    1,
                    found,
                    "",
                    f"列“{found}”的单位与模板不符：请用模板的表头“{column.header}”，"
                    "并按表头的单位填写",
                )
            )
        elif column.required:
            errors.append(RowError(1, column.header, "", f"缺少必需的列“{column.header}”"))
    if errors:
        return [], errors
    parsed: list[tuple[int, dict[str, Any]]] = []
    report = reading_progress.get()
    for index, raw in enumerate(table, start=2):
        if report is not None and index % _PROGRESS_EVERY == 0:
            report(index - 1)
        if all(_blank(v) for v in raw):
            continue
        row: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for column in spec.columns:
            pos = positions.get(column.key)
            value = raw[pos] if pos is not None and pos < len(raw) else None
            if column.required and _blank(value):
                row_errors.append(RowError(index, column.header, "", "必填项为空"))
                continue
            try:
                row[column.key] = column.parse(value)
            except CellError as exc:
                row_errors.append(RowError(index, column.header, _shown(value), str(exc)))
        errors.extend(row_errors)
        if not row_errors:
            parsed.append((index, row))
        if len(errors) >= MAX_ROW_ERRORS:
            # Nothing will be written; a longer list helps nobody and costs memory.
            errors.append(
                RowError(
                    index,
                    "文件",
                    "",
                    f"错误超过 {MAX_ROW_ERRORS:,} 处，第 {index} 行以后未再检查：请先改正这些",
                )
            )
            break
    return parsed, errors


def run_import(spec: ImportSpec, data: bytes, *, user: Any, dry_run: bool = False) -> ImportResult:
    """Validate every row, then write all of them in one transaction, or none."""
    rows, errors = parse_sheet(spec, data)
    headers = {c.key: c.header for c in spec.columns}
    if spec.check_row is not None:
        for index, row in rows:
            for key, reason in spec.check_row(row, user):
                errors.append(RowError(index, headers.get(key, key), _shown(row.get(key)), reason))
    for key in spec.unique:
        first_seen: dict[Any, int] = {}
        for index, row in rows:
            value = row.get(key)
            if value in (None, ""):
                continue
            if value in first_seen:
                errors.append(
                    RowError(
                        index,
                        headers.get(key, key),
                        _shown(value),
                        f"与第 {first_seen[value]} 行重复",
                    )
                )
            else:
                first_seen[value] = index
    parsed_rows = {index for index, _ in rows}
    total = len(rows) + len({e.row for e in errors if e.row >= 2} - parsed_rows)
    if errors:
        return ImportResult(ok=False, rows_total=total, errors=sorted(errors, key=_order))
    if dry_run:
        return ImportResult(ok=True, rows_total=total)
    if spec.write_rows is not None:
        return _write_all(spec, rows, user, total)
    if spec.build_row is not None:
        return _build_then_create(spec, rows, user, total)
    assert spec.write_row is not None
    written = 0
    try:
        with transaction.atomic():
            for index, row in rows:
                try:
                    spec.write_row(row, user)
                except CellError as exc:
                    key, _, reason = str(exc).partition(":")
                    errors.append(
                        RowError(
                            index, headers.get(key, key), _shown(row.get(key)), reason or str(exc)
                        )
                    )
                    continue
                written += 1
            if errors:
                raise _Rollback()
    except _Rollback:
        return ImportResult(ok=False, rows_total=total, errors=sorted(errors, key=_order))
    return ImportResult(ok=True, rows_total=total, rows_written=written)


def _row_error(spec: ImportSpec, index: int, row: dict[str, Any], exc: CellError) -> RowError:
    """A writer's CellError("column_key:reason") as the row's error under its header."""
    headers = {c.key: c.header for c in spec.columns}
    key, _, reason = str(exc).partition(":")
    return RowError(index, headers.get(key, key), text(row.get(key)), reason or str(exc))


CHANGED_MEANWHILE = (
    "校验之后、写入之前，有记录被他人修改（如同一代码已登记），没有导入任何数据；请重新导入"
)


def _build_then_create(
    spec: ImportSpec, rows: list[tuple[int, dict[str, Any]]], user: Any, total: int
) -> ImportResult:
    """Check every row by building its record (reads only, outside any transaction, so
    nobody waits), then create them all in one short transaction, or none."""
    assert spec.build_row is not None
    errors: list[RowError] = []
    built: list[models.Model] = []
    for index, row in rows:
        try:
            built.append(spec.build_row(row, user))
        except CellError as exc:
            errors.append(_row_error(spec, index, row, exc))
    if errors:
        return ImportResult(ok=False, rows_total=total, errors=sorted(errors, key=_order))
    try:
        create_many_audited(built, user=user)
    except IntegrityError:
        return ImportResult(
            ok=False, rows_total=total, errors=[RowError(0, "文件", "", CHANGED_MEANWHILE)]
        )
    return ImportResult(ok=True, rows_total=total, rows_written=len(built))


def _write_all(
    spec: ImportSpec, rows: list[tuple[int, dict[str, Any]]], user: Any, total: int
) -> ImportResult:
    """The whole file in one call of `spec.write_rows`, in one transaction."""
    assert spec.write_rows is not None
    headers = {c.key: c.header for c in spec.columns}
    values = dict(rows)
    try:
        with transaction.atomic():
            outcome = spec.write_rows(rows, user)
    except RowsRefused as refused:
        errors = [
            RowError(index, headers.get(key, key), _shown(values.get(index, {}).get(key)), reason)
            for index, key, reason in refused.problems
        ]
        return ImportResult(ok=False, rows_total=total, errors=sorted(errors, key=_order))
    return ImportResult(ok=True, rows_total=total, rows_written=len(rows), outcome=outcome)


class _Rollback(Exception):
    pass


def _order(error: RowError) -> tuple[int, str]:
    return (error.row, error.column)
