"""The shared Excel helper: template, validation of every row, all or nothing, error report."""

from __future__ import annotations

from typing import Any

from zhenxing.core import excel


def _sheet(rows: list[list[Any]]) -> bytes:
    headers = ["统一社会信用代码", "企业名称", "所在区域", "行业代码", "所有制", "成立日期"]
    return excel.build_xlsx(headers, rows)


def test_the_template_has_the_chinese_headers_with_required_marks(world: Any, client: Any) -> None:
    client.force_login(world.users["area"])
    response = client.get("/imports/enterprises/template/")
    assert response.status_code == 200
    header = excel.read_rows(response.content)[0]
    assert header[:3] == ["统一社会信用代码*", "企业名称*", "所在区域*"]


def test_a_good_sheet_is_imported_whole(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT
    from zhenxing.enterprises.models import Enterprise

    data = _sheet(
        [
            ["91350100M000100Y43", "甲公司", "鲅鱼圈区", "3311", "民营", "2015-03-01"],
            ["91210804876543210L", "乙公司", "210804", "", "", ""],
        ]
    )
    result = excel.run_import(ENTERPRISE_IMPORT, data, user=world.users["area"])
    assert result.ok, result.errors
    assert result.rows_written == 2
    assert Enterprise.objects.get(name="甲公司").industry_id == "3311"


def test_one_bad_row_imports_nothing_and_names_row_column_value_and_reason(world: Any) -> None:
    from zhenxing.core.models import AuditEntry
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT
    from zhenxing.enterprises.models import Enterprise

    before = (Enterprise.objects.count(), AuditEntry.objects.count())
    data = _sheet(
        [
            ["91350100M000100Y43", "甲公司", "鲅鱼圈区", "3311", "民营", "2015-03-01"],
            ["91210804123456788G", "乙公司", "鲅鱼圈区", "9999", "国企", "2015-13-01"],
            ["91350100M000100Y43", "丙公司", "盖州市", "", "", ""],
        ]
    )
    result = excel.run_import(ENTERPRISE_IMPORT, data, user=world.users["area"])
    assert not result.ok
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before
    found = {(e.row, e.column) for e in result.errors}
    assert (3, "统一社会信用代码") in found
    assert (3, "行业代码") in found
    assert (3, "所有制") in found
    assert (3, "成立日期") in found
    assert (4, "所在区域") in found  # 盖州市 is not the area user's area
    assert (4, "统一社会信用代码") in found  # repeats row 2
    uscc_error = next(e for e in result.errors if (e.row, e.column) == (3, "统一社会信用代码"))
    assert uscc_error.value == "91210804123456788G" and "校验位应为 F" in uscc_error.reason
    report = excel.read_rows(result.error_report_xlsx())
    assert report[0] == ["行号", "列", "值", "错误原因"]
    assert len(report) == len(result.errors) + 1


def test_a_missing_required_column_is_reported_before_any_row(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    data = excel.build_xlsx(["企业名称"], [["甲公司"]])
    result = excel.run_import(ENTERPRISE_IMPORT, data, user=world.users["admin"])
    assert not result.ok
    assert {e.column for e in result.errors} == {"统一社会信用代码", "所在区域"}


def test_a_file_that_is_not_excel_gets_a_clear_message(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    result = excel.run_import(ENTERPRISE_IMPORT, b"not a spreadsheet", user=world.users["admin"])
    assert not result.ok and "Excel" in result.errors[0].reason


def test_the_upload_page_shows_errors_and_offers_the_report_as_xlsx(
    world: Any, client: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.users["area"])
    data = _sheet([["91210804123456788G", "乙公司", "鲅鱼圈区", "", "", ""]])
    page = client.post(
        "/imports/enterprises/",
        {"file": SimpleUploadedFile("x.xlsx", data, content_type=excel.XLSX_TYPE)},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "校验位应为 F" in text and "本次没有导入任何数据" in text
    report = client.get("/imports/enterprises/errors/")
    assert excel.read_rows(report.content)[1][0] == 2


def test_money_cells_are_exact_and_refuse_fractions_of_a_fen() -> None:
    import decimal

    import pytest

    assert excel.money(1234.5) == decimal.Decimal("1234.50")
    assert excel.money("1,234.56") == decimal.Decimal("1234.56")
    with pytest.raises(excel.CellError):
        excel.money("1.234")
    with pytest.raises(excel.CellError):
        excel.money("abc")


def test_import_and_export_from_the_command_line(world: Any, tmp_path: Any, capsys: Any) -> None:
    from zhenxing.cli import main
    from zhenxing.enterprises.models import Enterprise

    good = tmp_path / "good.xlsx"
    good.write_bytes(_sheet([["91350100M000100Y43", "命令行公司", "鲅鱼圈区", "", "", ""]]))
    assert main(["import", "enterprises", str(good), "--user", "area"]) == 0
    assert Enterprise.objects.filter(name="命令行公司").exists()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_sheet([["91210804123456788G", "坏公司", "鲅鱼圈区", "", "", ""]]))
    report = tmp_path / "errors.xlsx"
    assert main(["import", "enterprises", str(bad), "--user", "area", "--errors", str(report)]) == 1
    assert "第 2 行" in capsys.readouterr().err
    assert excel.read_rows(report.read_bytes())[1][1] == "统一社会信用代码"
    out = tmp_path / "list.xlsx"
    assert main(["export", "enterprises", str(out), "--user", "area"]) == 0
    names = {row[0] for row in excel.read_rows(out.read_bytes())[1:]}
    assert "命令行公司" in names and world.other_enterprise.name not in names


def _whole_file_spec(write: Any) -> excel.ImportSpec:
    return excel.ImportSpec(
        kind="whole-file",
        title="整表导入",
        columns=[
            excel.ImportColumn("名称", "name", excel.text, required=True),
            excel.ImportColumn("金额", "amount", excel.money),
        ],
        write_rows=write,
        unique=("name",),
    )


def test_a_whole_file_writer_gets_every_row_at_once_and_its_outcome_is_returned(
    world: Any,
) -> None:
    seen: list[Any] = []

    def write(rows: list[tuple[int, dict[str, Any]]], user: Any) -> str:
        seen.append(([index for index, _row in rows], user))
        return f"{len(rows)} 行"

    data = excel.build_xlsx(["名称", "金额"], [["甲", "1.50"], [None, None], ["乙", 2]])
    result = excel.run_import(_whole_file_spec(write), data, user=world.users["admin"])
    assert result.ok and result.rows_written == 2 and result.outcome == "2 行"
    assert seen == [([2, 4], world.users["admin"])]
    dry = excel.run_import(_whole_file_spec(write), data, user=None, dry_run=True)
    assert dry.ok and len(seen) == 1  # a dry run writes nothing


def test_a_whole_file_writer_refusing_rows_rolls_back_and_reports_them(world: Any) -> None:
    from zhenxing.core.models import Area

    def write(rows: list[tuple[int, dict[str, Any]]], user: Any) -> None:
        Area.objects.filter(code="210804").update(name="改名")
        raise excel.RowsRefused([(3, "amount", "超出预算")])

    data = excel.build_xlsx(["名称", "金额"], [["甲", "1"], ["乙", "999"]])
    result = excel.run_import(_whole_file_spec(write), data, user=world.users["admin"])
    assert not result.ok
    assert [(e.row, e.column, e.value, e.reason) for e in result.errors] == [
        (3, "金额", "999.00", "超出预算")
    ]
    assert Area.objects.get(code="210804").name == "鲅鱼圈区"


def test_an_import_writes_either_row_by_row_or_the_whole_file() -> None:
    import pytest

    with pytest.raises(TypeError):
        excel.ImportSpec(kind="x", title="x", columns=[])
    with pytest.raises(TypeError):
        excel.ImportSpec(
            kind="x",
            title="x",
            columns=[],
            write_row=lambda r, u: None,
            write_rows=lambda r, u: None,
        )


def test_sheet_names_excel_refuses_are_made_safe() -> None:
    data = excel.build_xlsx(["名称"], [["甲"]], sheet_name="级别（无 / 市级 / 省级）: [A]*?")
    assert excel.read_rows(data) == [["名称"], ["甲"]]
