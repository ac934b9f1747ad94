"""Benchmark: peak memory of reading an import of a million rows (issue 9, item 5).

A 1.9 MB .xlsx holding a million rows took 1.86 GB when the whole sheet was turned into
Python lists before its rows were counted. This writes such a file (a million rows under
an eight-column header, zipped as Excel does), then parses it with `core.excel.parse_sheet`
in a fresh interpreter and reports the process's peak resident memory above what the
interpreter held before reading (`resource.getrusage`, which also sees memory allocated
outside Python, as calamine's is), the time, and what the import answered.

    ./zx bench import_memory [--rows 1000000]

To compare with the code before the change, run the same script with another checkout's
interpreter: `/path/to/other/.venv/bin/python benchmarks/import_memory.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_OOXML = "application/vnd.openxmlformats-"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PACKAGE}content-types">'
    f'<Default Extension="rels" ContentType="{_OOXML}package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    f'ContentType="{_OOXML}officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_OOXML}officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


HEADER = ["编号", "名称", "区域", "行业", "所有制", "成立日期", "员工数", "标记"]


def write_sheet(path: Path, rows: int) -> None:
    """An .xlsx with the eight columns of `HEADER` and `rows` rows below it: a number in
    the first column, a flag in the last, the others empty."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'.encode()
                + "".join(f'<c t="inlineStr"><is><t>{header}</t></is></c>' for header in HEADER)
                .join(("<row>", "</row>"))
                .encode()
            )
            # the other columns of the header: empty cells, and a flag in the last one
            filler = "<c/>" * (len(HEADER) - 2) + "<c><v>1</v></c>"
            chunk = []
            for r in range(2, rows + 2):
                # Cells without their optional reference, as some tools write them: the
                # file stays small (about 1.9 MB), the rows do not.
                chunk.append(f"<row><c><v>{r % 100_000}</v></c>{filler}</row>".encode())
                if len(chunk) == 10_000:
                    sheet.write(b"".join(chunk))
                    chunk = []
            sheet.write(b"".join(chunk) + b"</sheetData></worksheet>")


_CHILD = """
import json, os, resource, sys, time
os.environ.setdefault("ZHENXING_DEMO", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
import django
django.setup()
from zhenxing.core import excel
spec = excel.ImportSpec(
    kind="bench", title="bench", write_row=lambda row, user: None,
    columns=[excel.ImportColumn("编号", "n", excel.text, required=True),
             excel.ImportColumn("名称", "name", excel.text)],
)
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
rows, errors = excel.parse_sheet(spec, data)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows_kept": len(rows), "errors": [e.reason for e in errors[:1]],
                  "seconds": round(seconds, 2),
                  "peak_above_start_mb": round((peak - before) / 1024, 1),
                  "peak_mb": round(peak / 1024, 1)}, ensure_ascii=False))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="zhenxing-bench-"))
    path = folder / "million.xlsx"
    write_sheet(path, args.rows)
    print(f"file: {args.rows:,} rows, {path.stat().st_size / 1024 / 1024:.2f} MB")
    env = {**os.environ, "ZHENXING_DATA_DIR": str(folder)}
    answer = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        print(answer.stderr, file=sys.stderr)
        return 1
    result = json.loads(answer.stdout.strip().splitlines()[-1])
    print(
        f"peak memory {result['peak_mb']} MB ({result['peak_above_start_mb']} MB for reading), "
        f"{result['seconds']} s, rows kept {result['rows_kept']:,}, "
        f"answer: {result['errors'][0] if result['errors'] else 'no error'}"
    )
    path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
