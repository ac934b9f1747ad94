"""Monthly reports that a city can trust: an unchanged report writes nothing, an unusual
figure is filed only when confirmed and stays marked, and the area's month sheet writes
through `reports_submit_many`, flagging only the rows that are wrong.

"Today" is 2024-06-30: June 2024 is open, May 2024 is locked. The test projects have a
total investment of 50,000,000 yuan (5,000 万元).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhenxing.core.periods import Period

JUNE = Period(2024, 6)
HEADERS = [
    "项目代码",
    "项目名称",
    "月份",
    "当月完成投资（万元）",
    "形象进度（%）",
    "形象进度说明",
    "存在问题",
    "修改原因",
    "超常确认",
]


def sheet(*rows: list[Any]) -> bytes:
    from zhenxing.core import excel

    return excel.build_xlsx(HEADERS, [row + [""] * (len(HEADERS) - len(row)) for row in rows])


def run(user: Any, data: bytes) -> Any:
    from zhenxing.core import excel

    return excel.run_import(excel.REGISTRY["project-reports"], data, user=user)


def submit(user: Any, project: Any, period: Period = JUNE, **values: Any) -> Any:
    from zhenxing.projects import services

    return services.report_submit(user=user, project=project, period=period, **values)


# --- unchanged: nothing written --------------------------------------------------------


def test_reimporting_an_unchanged_sheet_writes_nothing_and_keeps_the_reporter(
    make: Any, world: Any
) -> None:
    from zhenxing.core import audit

    a, blank = make.project(world.own_area), make.project(world.own_area)
    data = sheet([a.code, "", "2024-06", 12, 30, "主体施工"], [blank.code, "", "2024-06"])
    first = run(world.users["area"], data)
    assert first.ok, first.errors
    assert first.summary() == "导入成功：填报 1 行，未变化 0 行，跳过空白行 1 行"
    report = a.reports.get()
    entries, history = audit.entries_for(report).count(), report.history.count()
    again = run(world.users["admin"], data)
    assert again.ok, again.errors
    assert again.summary() == "导入成功：填报 0 行，未变化 1 行，跳过空白行 1 行"
    report.refresh_from_db()
    assert (report.version, report.submitted_by) == (1, world.users["area"])
    assert audit.entries_for(report).count() == entries and report.history.count() == history


def test_an_unchanged_locked_month_needs_no_reason(
    own_project: Any, world: Any, settings: Any
) -> None:
    settings.TODAY_OVERRIDE = "2024-05-31"
    data = sheet([own_project.code, "", "2024-05", 80])
    assert run(world.users["area"], data).ok
    settings.TODAY_OVERRIDE = "2024-06-30"
    again = run(world.users["area"], data)
    assert again.ok, again.errors
    changed = run(world.users["area"], sheet([own_project.code, "", "2024-05", 81]))
    assert not changed.ok and changed.errors[0].column == "修改原因"


def test_the_same_values_through_the_one_report_service_write_nothing(
    own_project: Any, world: Any
) -> None:
    report = submit(world.users["area"], own_project, investment=Decimal("1000"))
    again = submit(world.users["admin"], own_project, investment=Decimal("1000.00"))
    again.refresh_from_db()
    assert (again.pk, again.version, again.submitted_by) == (report.pk, 1, world.users["area"])


def test_the_upload_page_the_api_and_the_command_line_count_the_rows_apart(
    client: Any, make: Any, world: Any, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhenxing.cli import main

    a, b = make.project(world.own_area), make.project(world.own_area)
    submit(world.users["area"], a, investment=Decimal("50000"))
    data = sheet([a.code, "", "2024-06", 5], [b.code, "", "2024-06"])
    client.force_login(world.users["area"])
    page = client.post(
        "/imports/project-reports/", {"file": SimpleUploadedFile("s.xlsx", data)}, follow=True
    )
    assert "填报 0 行，未变化 1 行，跳过空白行 1 行" in page.content.decode()
    api = client.post(
        "/api/v1/projects/reports/import",
        {"file": SimpleUploadedFile("s.xlsx", sheet([b.code, "", "2024-06", 7]))},
    )
    assert api.status_code == 200, api.content
    assert api.json()["filed"] == 1 and api.json()["unchanged"] == 0
    path = tmp_path / "s.xlsx"
    path.write_bytes(data)
    assert main(["import", "project-reports", str(path), "--user", "area"]) == 0


def test_a_refused_api_import_names_the_row_and_column(
    client: Any, own_project: Any, world: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.users["area"])
    bad = sheet([own_project.code, "", "2024-06", -5])
    answer = client.post(
        "/api/v1/projects/reports/import", {"file": SimpleUploadedFile("s.xlsx", bad)}
    )
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "第 2 行 当月完成投资（万元）"


# --- unusual figures -------------------------------------------------------------------


def test_a_figure_above_the_remaining_investment_needs_a_confirmation(
    own_project: Any, world: Any
) -> None:
    from zhenxing.core.services import DomainError

    may = Period(2024, 5)
    submit(
        world.users["area"], own_project, period=may, investment=Decimal(45_000_000), reason="补报"
    )
    with pytest.raises(DomainError) as caught:
        submit(world.users["area"], own_project, investment=Decimal("6000000"))
    assert "剩余投资 500.00 万元" in caught.value.errors["confirm"]
    assert not own_project.reports.filter(month=6).exists()
    report = submit(world.users["area"], own_project, investment=Decimal("6000000"), confirm=True)
    assert report.unusual_confirmed_by == world.users["area"]
    assert "超过项目剩余投资" in report.unusual_note
    # a change of its text keeps the confirmed figure's mark without asking again
    again = submit(
        world.users["area"],
        own_project,
        investment=Decimal("6000000"),
        progress_text="设备进场",
        expected_version=1,
    )
    assert again.unusual_note == report.unusual_note and again.version == 2


def test_a_figure_far_above_the_usual_month_needs_a_confirmation_by_the_setting(
    own_project: Any, world: Any, settings: Any
) -> None:
    from zhenxing.core.services import DomainError

    for month in (2, 3, 4):
        submit(
            world.users["area"],
            own_project,
            period=Period(2024, month),
            investment=Decimal(100_000),
            reason="补报",
        )
    submit(
        world.users["area"],
        own_project,
        period=Period(2024, 5),
        investment=Decimal(0),
        reason="补报",
    )
    assert submit(world.users["area"], own_project, investment=Decimal(500_000)).unusual_note == ""
    settings.REPORT_UNUSUAL_FACTOR = 3
    with pytest.raises(DomainError) as caught:
        submit(world.users["area"], own_project, investment=Decimal(400_000), expected_version=1)
    assert "中位数 10.00 万元的 4.0 倍（超过 3 倍）" in caught.value.errors["confirm"]


def test_the_api_answers_400_naming_confirm_and_then_files_the_marked_report(
    client: Any, own_project: Any, world: Any
) -> None:
    client.force_login(world.users["area"])
    url = f"/api/v1/projects/{own_project.pk}/reports/2024-06"
    refused = client.put(url, {"investment": "60000000.00"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert error["field"] == "confirm" and "超过项目剩余投资" in error["message"]
    done = client.put(
        url, {"investment": "60000000.00", "confirm": True}, content_type="application/json"
    )
    assert done.status_code == 201
    assert done.json()["unusual_confirmed_by"] == str(world.users["area"])
    assert "超过项目剩余投资" in done.json()["unusual_note"]


def test_the_import_takes_a_confirmation_per_row_in_its_column(
    own_project: Any, world: Any
) -> None:
    refused = run(world.users["area"], sheet([own_project.code, "", "2024-06", 6000]))
    assert not refused.ok
    assert refused.errors[0].column == "超常确认" and "填“是”" in refused.errors[0].reason
    done = run(
        world.users["area"], sheet([own_project.code, "", "2024-06", 6000, "", "", "", "", "是"])
    )
    assert done.ok, done.errors
    assert own_project.reports.get().unusual_confirmed_by == world.users["area"]


def test_the_report_form_asks_with_a_checkbox_keeping_what_was_typed(
    client: Any, own_project: Any, world: Any
) -> None:
    client.force_login(world.users["area"])
    url = f"/projects/{own_project.pk}/reports/2024-06/"
    assert 'name="confirm"' not in client.get(url).content.decode()
    asked = client.post(url, {"investment": "6000", "progress_text": "设备进场", "version": "0"})
    page = asked.content.decode()
    assert asked.status_code == 200 and 'name="confirm"' in page
    assert "超过项目剩余投资" in page and "设备进场" in page
    done = client.post(
        url, {"investment": "6000", "progress_text": "设备进场", "version": "0", "confirm": "on"}
    )
    assert done.status_code == 302
    tab = client.get(f"/projects/{own_project.pk}/?tab=reports&year=2024").content.decode()
    assert "超常，已确认" in tab


# --- the month sheet ---------------------------------------------------------------------


def test_one_bad_cell_flags_only_its_row_not_the_blank_ones(
    client: Any, make: Any, world: Any
) -> None:
    """/projects/reports/?area=210804&period=2024-06&missing=1, `abc` typed in one row."""
    bad, *blank = (make.project(world.own_area, name=f"项目{i}") for i in range(3))
    client.force_login(world.users["area"])
    url = f"/projects/reports/?area={world.own_area.code}&period=2024-06&missing=1"
    data = {f"p{p.pk}-version": "0" for p in (bad, *blank)}
    page = client.post(url, {**data, f"p{bad.pk}-investment": "abc"}).content.decode()
    assert page.count('<tr class="has-error">') == 1
    assert "这个字段是必填项" not in page and "abc" in page


def test_the_sheet_writes_through_the_batch_service_and_counts_the_rows(
    client: Any, make: Any, world: Any
) -> None:
    from zhenxing.projects.models import MonthlyReport

    kept, changed, new, blank = (make.project(world.own_area) for _ in range(4))
    for project in (kept, changed):
        submit(world.users["admin"], project, investment=Decimal("10000"))
    client.force_login(world.users["area"])
    url = f"/projects/reports/?area={world.own_area.code}&period=2024-06"
    data = {
        f"p{kept.pk}-investment": "1",
        f"p{kept.pk}-version": "1",
        f"p{changed.pk}-investment": "2",
        f"p{changed.pk}-version": "1",
        f"p{new.pk}-investment": "3",
        f"p{new.pk}-version": "0",
        f"p{blank.pk}-version": "0",
    }
    page = client.post(url, data, follow=True).content.decode()
    assert "填报 2 个项目，未变化 1 个，空白未填 1 个" in page
    assert kept.reports.get().submitted_by == world.users["admin"]
    assert MonthlyReport.objects.filter(project=changed, version=2).exists()
    # an unusual row shows its checkbox with the warning; the others keep what was typed
    asked = client.post(
        url,
        {**data, f"p{changed.pk}-investment": "6000", f"p{changed.pk}-version": "2"},
    ).content.decode()
    assert f'name="p{changed.pk}-confirm"' in asked and "超过项目剩余投资" in asked
    assert f'name="p{new.pk}-confirm"' not in asked
    confirmed = {
        **data,
        f"p{changed.pk}-investment": "6000",
        f"p{changed.pk}-version": "2",
        f"p{changed.pk}-confirm": "on",
        f"p{new.pk}-version": "1",
    }
    assert client.post(url, confirmed).status_code == 302
    assert "超常，已确认" in client.get(url).content.decode()
