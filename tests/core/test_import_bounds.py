"""Bad input bounded: an uploaded sheet is read row by row, and refused — with the bound
named — for its size, what its zip unpacks to, and its rows, counted while reading.

A 1.9 MB .xlsx with a million rows took 1.86 GB: the whole sheet became Python lists
before its rows were counted (`benchmarks/import_memory.py` measures it).
"""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenxing.core import excel, sheets

HEADERS = ["统一社会信用代码", "企业名称", "所在区域"]


def _without_dimension(data: bytes) -> bytes:
    """The same .xlsx without its declared extent (as some tools write it): the rows can
    only be counted by reading them."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            target.writestr(item, content)
    return out.getvalue()


def _sheet(count: int) -> bytes:
    return excel.build_xlsx(HEADERS, ([f"9121080412345678{i:02d}", "甲"] for i in range(count)))


def test_reading_stops_at_the_limit_and_names_it(settings: Any, monkeypatch: Any) -> None:
    """A large workbook is read row by row (openpyxl): reading stops at the limit. A
    small one is read whole by calamine and refused before any row is handed on."""
    settings.IMPORT_MAX_ROWS = 50
    data = _without_dimension(_sheet(500))
    with pytest.raises(sheets.TooManyRows, match="50 行"):
        next(sheets.rows(data))
    monkeypatch.setattr(sheets, "_CALAMINE_UNPACKED", 0)  # as if the file were large
    read = []
    with pytest.raises(sheets.TooManyRows, match="50 行"):
        for row in sheets.rows(data):
            read.append(row)
    assert len(read) == 51  # the header and 50 rows; the 51st row below it is refused


def test_a_sheet_declaring_too_many_rows_is_refused_before_reading_them(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 50
    with pytest.raises(sheets.TooManyRows):
        next(sheets.rows(_sheet(500)))


def test_csv_is_read_line_by_line_with_the_same_limit(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = 10
    lines = "统一社会信用代码,企业名称\n" + "".join(f"{i},甲\n" for i in range(1000))
    generator = sheets.rows(lines.encode("utf-8"))
    assert next(generator) == ["统一社会信用代码", "企业名称"]
    assert [next(generator) for _ in range(10)][-1] == ["9", "甲"]
    with pytest.raises(sheets.TooManyRows):
        next(generator)


def test_an_import_over_the_limit_is_one_clear_error(world: Any, settings: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    settings.IMPORT_MAX_ROWS = 20
    result = excel.run_import(
        ENTERPRISE_IMPORT, _without_dimension(_sheet(100)), user=world.users["admin"]
    )
    assert not result.ok
    assert [e.reason for e in result.errors] == [
        "文件超过 20 行的上限（表头以下）：请分成几个文件导入"
    ]


def test_memory_stays_small_however_many_rows_the_file_holds(settings: Any) -> None:
    """Before, every row of the file was in memory before the count: 100,000 rows here."""
    settings.IMPORT_MAX_ROWS = 200
    data = _without_dimension(
        excel.build_xlsx(
            [*HEADERS, "a", "b", "c", "d", "e"],
            (["代码", "企业", "鲅鱼圈区", i, i, i, i, i] for i in range(100_000)),
        )
    )
    spec = excel.ImportSpec(
        kind="bench",
        title="bench",
        write_row=lambda row, user: None,
        columns=[excel.ImportColumn("企业名称", "name", excel.text, required=True)],
    )
    excel.parse_sheet(spec, _sheet(1))  # the reader's modules are loaded: not the file's
    tracemalloc.start()
    try:
        rows, errors = excel.parse_sheet(spec, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == [] and "200 行" in errors[0].reason
    assert peak < 16 * 1024 * 1024, peak  # the old reader: 61 MB; this one about 9 MB


def test_a_zip_bomb_is_refused_before_it_is_unpacked(settings: Any) -> None:
    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (5 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 20 * 1024
    with pytest.raises(sheets.SheetError, match="解压后超过 1 MB"):
        next(sheets.rows(data))


def test_the_upload_size_is_bounded(world: Any, client: Any, settings: Any) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    client.force_login(world.users["area"])
    big = SimpleUploadedFile("x.xlsx", _sheet(200), content_type=excel.XLSX_TYPE)
    page = client.post("/imports/enterprises/", {"file": big})
    assert page.status_code == 200
    assert "文件太大（上限 0.000976562 MB）" in page.content.decode()
    api = client.post(
        "/api/v1/projects/reports/import",
        {"file": SimpleUploadedFile("x.xlsx", _sheet(200))},
    )
    assert api.status_code == 400 and "文件太大" in api.json()["title"]


def test_a_csv_sheet_imports_like_an_xlsx(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT
    from zhenxing.enterprises.models import Enterprise

    text = "统一社会信用代码,企业名称,所在区域\n91350100M000100Y43,甲公司,鲅鱼圈区\n"
    for encoding in ("utf-8-sig", "gb18030"):
        Enterprise.objects.filter(name="甲公司").delete()
        result = excel.run_import(
            ENTERPRISE_IMPORT, text.encode(encoding), user=world.users["area"]
        )
        assert result.ok, (encoding, result.errors)
        assert Enterprise.objects.filter(name="甲公司").exists()


def test_reading_stops_after_too_many_cell_errors(world: Any, monkeypatch: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    monkeypatch.setattr(excel, "MAX_ROW_ERRORS", 5)
    data = excel.build_xlsx(HEADERS, ([f"坏代码{i}", "甲", "鲅鱼圈区"] for i in range(50)))
    _rows, errors = excel.parse_sheet(ENTERPRISE_IMPORT, data)
    assert len(errors) == 6
    assert "以后未再检查" in errors[-1].reason


def test_rows_keep_their_excel_row_numbers_after_empty_rows(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    data = excel.build_xlsx(
        HEADERS, [["91350100M000100Y43", "甲", "鲅鱼圈区"], [], [], ["坏代码", "乙", "鲅鱼圈区"]]
    )
    _rows, errors = excel.parse_sheet(ENTERPRISE_IMPORT, data)
    assert {e.row for e in errors} == {5}


def test_reading_reports_its_progress(world: Any, monkeypatch: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    monkeypatch.setattr(excel, "_PROGRESS_EVERY", 10)
    seen: list[int] = []
    token = excel.reading_progress.set(seen.append)
    try:
        excel.parse_sheet(ENTERPRISE_IMPORT, _sheet(35))
    finally:
        excel.reading_progress.reset(token)
    assert seen == [9, 19, 29]
