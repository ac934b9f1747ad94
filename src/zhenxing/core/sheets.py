"""Reading an uploaded sheet one row at a time, within bounds, so that no file can
exhaust the server.

A 1.9 MB .xlsx holding a million rows used to take 1.86 GB while the whole sheet was
turned into Python lists before its rows were counted. Here:

- the upload's size is bounded (`settings.IMPORT_MAX_BYTES`), and before an .xlsx/.ods
  (a zip) is opened, the sizes its members unpack to are added up and refused over
  `settings.IMPORT_MAX_UNPACKED_BYTES` (a "zip bomb" of a few kB unpacking to gigabytes);
- .xlsx is read by openpyxl in read-only mode (the sheet's XML is parsed as a stream),
  .csv line by line (UTF-8, with or without BOM, or GB18030 as Chinese Excel saves it),
  .xls / .ods by calamine (an .xls holds at most 65,536 rows by its format; an .ods is
  bounded by its unpacked size);
- `rows()` stops after `settings.IMPORT_MAX_ROWS` rows below the header and raises
  `TooManyRows` naming the limit: a million-row file is refused after reading 200,001.

`core.excel.parse_sheet` reads through `rows()`; what it keeps is one dict per valid row.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Generator, Iterator
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (BIFF in an OLE compound file)
_SNIFF = 64 * 1024  # bytes looked at to tell a CSV's encoding
# An .xlsx unpacking to at most this is read with calamine (fast, whole sheet at once);
# a larger one with openpyxl, one row at a time (slower, memory bounded whatever the rows).
_CALAMINE_UNPACKED = 4 * 1024 * 1024


class SheetError(ValueError):
    """The file cannot be read, or is beyond a bound; the message says which, for the user."""


class TooManyRows(SheetError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            gettext("文件超过 %(limit)s 行的上限（表头以下）：请分成几个文件导入")
            % {"limit": f"{limit:,}"}
        )
        self.limit = limit


def max_bytes() -> int:
    return int(settings.IMPORT_MAX_BYTES)


def max_rows() -> int:
    return int(settings.IMPORT_MAX_ROWS)


def too_large_message() -> str:
    return gettext("文件太大（上限 %(mb)s MB）") % {"mb": _megabytes(max_bytes())}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def check_size(size: int | None) -> None:
    """Refuse an upload over `settings.IMPORT_MAX_BYTES` before it is read."""
    if size is not None and size > max_bytes():
        raise SheetError(too_large_message())


def rows(data: bytes, *, limit: int | None = None) -> Generator[list[Any], None, None]:
    """The rows of the first sheet, header first, one list of cell values at a time.

    Raises `SheetError` for a file that is not a sheet or is beyond a bound, and
    `TooManyRows` once more than `limit` (default `settings.IMPORT_MAX_ROWS`) rows follow
    the header — before reading further."""
    check_size(len(data))
    limit = max_rows() if limit is None else limit
    for count, row in enumerate(_read(data, limit)):
        if count > limit:  # row 0 is the header
            raise TooManyRows(limit)
        yield row


def estimated_rows(data: bytes) -> int | None:
    """Roughly how many rows the file holds, without reading them (to decide whether to
    import it in the background): an .xlsx's declared dimension, a CSV's lines."""
    if data.startswith(_ZIP):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                return None
            _check_unpacked(data)
            book = _open_xlsx(data)
            try:
                return book.worksheets[0].max_row if book.worksheets else None
            finally:
                book.close()
        except Exception:  # unreadable or too large: `rows()` will say so
            return None
    if data.startswith(_OLE):
        return None
    return data.count(b"\n") + 1


def _read(data: bytes, limit: int) -> Iterator[list[Any]]:
    if data.startswith(_ZIP):
        _check_unpacked(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        if "xl/workbook.xml" in names:
            if _unpacked_size(data) <= _CALAMINE_UNPACKED:
                # A small workbook (an area's monthly sheet): calamine reads it several
                # times faster than openpyxl, and its memory is bounded by the small XML.
                yield from _calamine_rows(data, limit)
            else:
                yield from _xlsx_rows(data, limit)
            return
        if "content.xml" in names:  # OpenDocument (.ods)
            yield from _calamine_rows(data, limit)
            return
        raise _unreadable()
    if data.startswith(_OLE):
        yield from _calamine_rows(data, limit)
        return
    yield from _csv_rows(data)


def _unreadable() -> SheetError:
    return SheetError(gettext("无法读取文件：请上传 Excel 文件（.xlsx）或 CSV 文件"))


def _check_unpacked(data: bytes) -> None:
    """Refuse a zip whose members unpack to more than the bound, before unpacking any.
    (zipfile stops each member at its declared size, so the sum cannot be lied about.)"""
    unpacked = _unpacked_size(data)
    bound = int(settings.IMPORT_MAX_UNPACKED_BYTES)
    if unpacked > bound:
        raise SheetError(
            gettext("文件解压后超过 %(mb)s MB 的上限，不予读取") % {"mb": _megabytes(bound)}
        )


def _unpacked_size(data: bytes) -> int:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _unreadable() from exc


def _open_xlsx(data: bytes) -> Any:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no default style" and the like: not the user's
        return openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )


def _xlsx_rows(data: bytes, limit: int) -> Iterator[list[Any]]:
    try:
        book = _open_xlsx(data)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _unreadable() from exc
    try:
        if not book.worksheets:
            return
        sheet = book.worksheets[0]
        # Excel declares the sheet's extent first: a file saying it holds more rows than
        # the limit is refused without reading them.
        declared = sheet.max_row
        if declared is not None and declared > limit + 1:
            raise TooManyRows(limit)
        # The declared dimension may lie (A1:A5 over a million rows, or A1:XFD1048576
        # over three): read what the sheet holds, not what it claims.
        sheet.reset_dimensions()
        try:
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        except Exception as exc:
            raise _unreadable() from exc
    finally:
        book.close()


def _calamine_rows(data: bytes, limit: int) -> Iterator[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        lines = sheet.iter_rows()
    except Exception as exc:  # calamine raises several error types for a bad file
        raise _unreadable() from exc
    if sheet.height > limit + 1:  # the sheet is read whole: refuse before any row
        raise TooManyRows(limit)
    # calamine's rows start at row 1 but at the first used column: put them back in place
    # so that positions match the header's.
    start_col = (sheet.start or (0, 0))[1]
    for row in lines:
        yield [None] * start_col + list(row)


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    """A CSV, line by line. Recognised by being text whose first line holds a comma
    (every import has at least two columns); anything else is not a sheet."""
    head = data[:_SNIFF]
    if b"\x00" in head:
        raise _unreadable()
    encoding = _csv_encoding(head)
    first_line = head.split(b"\n", 1)[0]
    try:
        first_text = first_line.decode(encoding, errors="strict")
    except UnicodeDecodeError as exc:
        raise _unreadable() from exc
    if "," not in first_text:
        raise _unreadable()
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        for row in reader:
            yield [cell if cell != "" else None for cell in row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SheetError(
            gettext("CSV 文件第 %(line)s 行附近无法读取：请另存为 UTF-8 编码的 CSV 或 .xlsx")
            % {"line": reader.line_num + 1}
        ) from exc


def _csv_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) if the start decodes so, else GB18030 (what Chinese
    Excel writes for “CSV”)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the sniff's end is fine
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"
