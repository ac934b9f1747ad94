"""Monthly reports: the reporting window and its lock, corrections with a reason, the
version check that stops a silent overwrite, and the area's Excel sheet (all or nothing).

"Today" is 2024-06-30: June 2024 is open (until 2024-07-10), May 2024 closed on
2024-06-10 and is locked.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.periods import Period
from zhenxing.core.services import DomainError

D = datetime.date
JUNE = Period(2024, 6)
MAY = Period(2024, 5)


def submit(user: Any, project: Any, period: Period = JUNE, **values: Any) -> Any:
    from zhenxing.projects import services

    values.setdefault("investment", Decimal("1000000.00"))
    return services.report_submit(user=user, project=project, period=period, **values)


# --- the window -----------------------------------------------------------------------


def test_the_month_is_open_while_it_runs_and_until_the_tenth_of_the_next(today: D, db: Any) -> None:
    from zhenxing.projects import reporting

    june, may = reporting.window(JUNE), reporting.window(MAY)
    assert (june.opens_on, june.deadline, june.open) == (D(2024, 6, 1), D(2024, 7, 10), True)
    assert (may.deadline, may.locked) == (D(2024, 6, 10), True)
    assert reporting.current_period() == JUNE


def test_a_reporting_window_row_moves_the_deadline(today: D, db: Any) -> None:
    from zhenxing.projects import reporting
    from zhenxing.projects.models import ReportingWindow

    ReportingWindow.objects.create(
        year=2024, month=5, opens_on=D(2024, 6, 1), deadline=D(2024, 7, 5)
    )
    assert reporting.window(MAY).open


def test_a_report_in_an_open_month_is_filed_without_a_reason(own_project: Any, world: Any) -> None:
    report = submit(
        world.users["area"],
        own_project,
        investment=Decimal("2500000.00"),
        progress_pct=Decimal("45"),
        progress_text="主体结构施工",
    )
    assert (report.version, report.investment, report.progress_pct) == (
        1,
        Decimal("2500000.00"),
        Decimal("45.00"),
    )
    assert report.submitted_by == world.users["area"] and report.submitted_at is not None


def test_a_month_still_to_come_is_refused(own_project: Any, world: Any) -> None:
    with pytest.raises(DomainError) as caught:
        submit(world.users["area"], own_project, period=Period(2024, 7))
    assert "尚未到来" in caught.value.errors["period"]


def test_a_month_whose_window_has_not_opened_is_refused(
    own_project: Any, world: Any, db: Any
) -> None:
    from zhenxing.projects.models import ReportingWindow

    ReportingWindow.objects.create(
        year=2024, month=6, opens_on=D(2024, 7, 1), deadline=D(2024, 7, 10)
    )
    with pytest.raises(DomainError) as caught:
        submit(world.users["area"], own_project)
    assert "2024-07-01 开始" in caught.value.errors["period"]


def test_locked_month_needs_a_reason_to_correct(own_project: Any, world: Any) -> None:
    from zhenxing.projects.models import MonthlyReport

    with pytest.raises(DomainError) as caught:
        submit(world.users["area"], own_project, period=MAY)
    assert "截止填报并锁定" in caught.value.errors["reason"]
    with pytest.raises(DomainError):
        submit(world.users["area"], own_project, period=MAY, reason="   ")
    assert not MonthlyReport.objects.exists()


def test_an_area_user_corrects_a_locked_month_with_a_reason_kept_in_the_history(
    own_project: Any, world: Any, settings: Any
) -> None:
    from zhenxing.core import audit

    settings.TODAY_OVERRIDE = "2024-05-31"
    report = submit(world.users["area"], own_project, period=MAY, investment=Decimal("800000"))
    settings.TODAY_OVERRIDE = "2024-06-30"
    corrected = submit(
        world.users["area"],
        own_project,
        period=MAY,
        investment=Decimal("850000"),
        expected_version=report.version,
        reason="统计局核定数调整",
    )
    assert corrected.version == 2 and corrected.investment == Decimal("850000.00")
    latest = audit.entries_for(corrected).first()
    assert latest is not None and latest.reason == "统计局核定数调整"
    assert {"field": "investment", "old": "800000.00", "new": "850000.00"}.items() <= next(
        c for c in latest.changes if c["field"] == "investment"
    ).items()


def test_second_save_with_the_same_version_is_refused(own_project: Any, world: Any) -> None:
    """Two people opened version 1; the first save wins, the second is told and writes nothing."""
    from zhenxing.projects import services

    first = submit(world.users["area"], own_project, investment=Decimal("100"))
    assert first.version == 1
    mine = submit(world.users["area"], own_project, investment=Decimal("200"), expected_version=1)
    assert mine.version == 2
    with pytest.raises(services.StaleVersion) as caught:
        submit(world.users["admin"], own_project, investment=Decimal("300"), expected_version=1)
    assert caught.value.message == "该月报已被他人修改（版本 2），请刷新后再改"
    assert caught.value.errors == {"version": caught.value.message}
    mine.refresh_from_db()
    assert (mine.investment, mine.version, mine.submitted_by) == (
        Decimal("200.00"),
        2,
        world.users["area"],
    )


def test_filing_a_month_someone_else_filed_meanwhile_is_refused(
    own_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    submit(world.users["admin"], own_project, investment=Decimal("100"))
    with pytest.raises(services.StaleVersion):
        submit(world.users["area"], own_project, investment=Decimal("999"), expected_version=None)
    assert own_project.reports.get().investment == Decimal("100.00")


def test_a_stale_version_is_refused_even_when_the_month_is_locked(
    own_project: Any, world: Any, settings: Any
) -> None:
    from zhenxing.projects import services

    settings.TODAY_OVERRIDE = "2024-05-31"
    submit(world.users["area"], own_project, period=MAY)
    submit(
        world.users["area"],
        own_project,
        period=MAY,
        expected_version=1,
        investment=Decimal("900000"),
    )
    settings.TODAY_OVERRIDE = "2024-06-30"
    with pytest.raises(services.StaleVersion):
        submit(world.users["area"], own_project, period=MAY, expected_version=1, reason="更正")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"investment": Decimal("-1")}, "investment"),
        ({"investment": Decimal("1.005")}, "investment"),
        ({"investment": None}, "investment"),
        ({"progress_pct": Decimal("100.5")}, "progress_pct"),
        ({"progress_text": "长" * 501}, "progress_text"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    own_project: Any, world: Any, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        submit(world.users["area"], own_project, **values)
    assert field in caught.value.errors


def test_area_staff_cannot_report_for_another_area(other_project: Any, world: Any) -> None:
    from zhenxing.core.scoping import PermissionDenied

    with pytest.raises(PermissionDenied):
        submit(world.users["area"], other_project)


# --- the Excel sheet -------------------------------------------------------------------

HEADERS = [
    "项目代码",
    "项目名称",
    "月份",
    "当月完成投资（万元）",
    "形象进度（%）",
    "形象进度说明",
    "存在问题",
    "修改原因",
]


def sheet(*rows: list[Any]) -> bytes:
    from zhenxing.core import excel

    return excel.build_xlsx(HEADERS, rows)


def run(user: Any, data: bytes) -> Any:
    from zhenxing.core import excel

    return excel.run_import(excel.REGISTRY["project-reports"], data, user=user)


def test_the_sheet_imports_every_row_converting_wan_to_yuan_exactly(make: Any, world: Any) -> None:
    a = make.project(world.own_area, name="甲项目")
    b = make.project(world.own_area, name="乙项目", code="")
    result = run(
        world.users["area"],
        sheet(
            [a.code, "", "2024-06", 1234.5678, 45, "主体施工", "", ""],
            ["", "乙项目", "2024年6月", "0.01", "", "", "用地手续未完成", ""],
        ),
    )
    assert result.ok, result.errors
    assert result.rows_written == 2
    ra, rb = a.reports.get(), b.reports.get()
    assert (ra.investment, ra.progress_pct, ra.progress_text) == (
        Decimal("12345678.00"),
        Decimal("45.00"),
        "主体施工",
    )
    assert (rb.investment, rb.problems, rb.submitted_by) == (
        Decimal("100.00"),
        "用地手续未完成",
        world.users["area"],
    )


def test_one_bad_row_stops_the_whole_sheet_and_every_error_is_reported(
    make: Any, world: Any, other_project: Any
) -> None:
    from zhenxing.projects.models import MonthlyReport

    good = make.project(world.own_area, name="好项目")
    result = run(
        world.users["area"],
        sheet(
            [good.code, "", "2024-06", 100, 10, "", "", ""],
            [other_project.code, "", "2024-06", 100, "", "", "", ""],
            ["", "没有这个项目", "2024-06", 100, "", "", "", ""],
            [good.code, "", "2024-13", "一百", 120, "", "", ""],
            [good.code, "", "2024-05", 100, "", "", "", ""],
            [good.code, "", "2024-06", 50, "", "", "", ""],
            [good.code, "", "2024-07", 50, "", "", "", ""],
            [good.code, "", "2024-06", 1.0000001, "", "", "", ""],
        ),
    )
    assert not result.ok
    assert MonthlyReport.objects.count() == 0
    found = {(e.row, e.column) for e in result.errors}
    assert found >= {
        (3, "项目代码"),  # another area's project: not found for this user
        (4, "项目名称"),
        (5, "月份"),
        (5, "当月完成投资（万元）"),
        (5, "形象进度（%）"),
        (6, "修改原因"),  # May is locked
        (7, "项目及月份"),  # duplicate of row 2
        (8, "月份"),  # July has not come
        (9, "当月完成投资（万元）"),  # more than six decimals in 万元
    }
    assert 2 not in {e.row for e in result.errors}
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "管辖范围" in reasons[(3, "项目代码")]
    assert reasons[(7, "项目及月份")] == "与第 2 行重复"
    report = result.error_report_xlsx()
    from zhenxing.core.excel import read_rows

    assert read_rows(report)[0] == ["行号", "列", "值", "错误原因"]


def test_a_locked_month_is_imported_when_the_row_gives_a_reason(
    own_project: Any, world: Any, settings: Any
) -> None:
    from zhenxing.core import audit

    settings.TODAY_OVERRIDE = "2024-05-20"
    first = run(world.users["area"], sheet([own_project.code, "", "2024-05", 80, "", "", "", ""]))
    assert first.ok, first.errors
    settings.TODAY_OVERRIDE = "2024-06-30"
    result = run(
        world.users["area"],
        sheet([own_project.code, "", "2024-05", 85, "", "", "", "核减重复统计"]),
    )
    assert result.ok, result.errors
    report = own_project.reports.get()
    assert (report.investment, report.version) == (Decimal("850000.00"), 2)
    assert audit.entries_for(report).first().reason == "核减重复统计"


def test_a_listed_project_without_figures_is_skipped_but_half_filled_rows_are_refused(
    make: Any, world: Any
) -> None:
    a, b = make.project(world.own_area), make.project(world.own_area)
    skipped = run(
        world.users["area"],
        sheet(
            [a.code, "", "2024-06", 5, "", "", "", ""], [b.code, "", "2024-06", "", "", "", "", ""]
        ),
    )
    assert skipped.ok, skipped.errors
    assert a.reports.exists() and not b.reports.exists()
    half = run(world.users["area"], sheet([b.code, "", "2024-06", "", 30, "", "", ""]))
    assert not half.ok and half.errors[0].column == "当月完成投资（万元）"


def test_a_name_that_does_not_match_the_code_is_refused(own_project: Any, world: Any) -> None:
    result = run(
        world.users["area"], sheet([own_project.code, "别的名字", "2024-06", 1, "", "", "", ""])
    )
    assert not result.ok
    assert result.errors[0].column == "项目名称"
    assert own_project.name in result.errors[0].reason


def test_the_template_and_the_upload_page_work(client: Any, world: Any, own_project: Any) -> None:
    from zhenxing.core.excel import read_rows

    client.force_login(world.users["area"])
    template = client.get("/imports/project-reports/template/")
    assert template.status_code == 200
    assert read_rows(template.content)[0][:4] == [
        "项目代码",
        "项目名称",
        "月份*",
        "当月完成投资（万元）",
    ]
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile(
        "june.xlsx", sheet([own_project.code, "", "2024-06", -5, "", "", "", ""])
    )
    page = client.post("/imports/project-reports/", {"file": bad})
    assert page.status_code == 200
    assert "金额不能为负数" in page.content.decode()
    assert not own_project.reports.exists()
    errors = client.get("/imports/project-reports/errors/")
    assert errors.status_code == 200
    good = SimpleUploadedFile(
        "june.xlsx", sheet([own_project.code, "", "2024-06", 5, "", "", "", ""])
    )
    done = client.post("/imports/project-reports/", {"file": good})
    assert done.status_code == 302
    assert own_project.reports.get().investment == Decimal("50000.00")


# --- many reports at once ---------------------------------------------------------------


def _item(project: Any, **values: Any) -> Any:
    from zhenxing.projects import services

    values.setdefault("investment", Decimal("100"))
    values.setdefault("period", JUNE)
    return services.ReportItem(project=project, **values)


def test_many_reports_are_written_with_history_and_the_same_audit_as_one_by_one(
    make: Any, world: Any
) -> None:
    from zhenxing.core import audit
    from zhenxing.projects import services

    user = world.users["area"]
    one, many = make.project(world.own_area), make.project(world.own_area)
    for project in (one, many):
        submit(user, project, investment=Decimal("100"), progress_text="开工")
    submit(user, one, investment=Decimal("250.50"), progress_pct=Decimal("30"), expected_version=1)
    saved = services.reports_submit_many(
        user=user,
        items=[
            _item(
                many, investment=Decimal("250.50"), progress_pct=Decimal("30"), expected_version=1
            )
        ],
    )
    assert (saved.created, saved.updated, saved.unchanged) == (0, 1, 0)
    [written] = saved.reports
    written.refresh_from_db()
    assert (written.version, written.investment, written.progress_text) == (
        2,
        Decimal("250.50"),
        "",
    )
    assert written.submitted_at is not None and written.submitted_at.tzinfo is not None
    assert written.history.count() == 2
    by_one, by_many = (audit.entries_for(r).first() for r in (one.reports.get(), written))

    def shape(entry: Any) -> list[tuple[str, Any, Any]]:
        return [
            (c["field"], c["old"], c["new"])
            for c in entry.changes
            if c["field"] not in {"submitted_at"}
        ]

    assert shape(by_one) == shape(by_many)
    assert [c["label"] for c in by_one.changes] == [c["label"] for c in by_many.changes]
    assert by_many.actor == user and by_many.area == world.own_area


def test_many_reports_refuse_every_bad_item_and_write_none(make: Any, world: Any) -> None:
    from zhenxing.projects import services
    from zhenxing.projects.models import MonthlyReport

    user = world.users["area"]
    a, b, c = (make.project(world.own_area) for _ in range(3))
    submit(world.users["admin"], c)
    with pytest.raises(services.BatchError) as caught:
        services.reports_submit_many(
            user=user,
            items=[
                _item(a),
                _item(b, period=MAY),  # locked, no reason
                _item(c),  # someone filed it: version 1 exists
                _item(a),  # the same project and month twice
                _item(c, investment=Decimal("-1"), period=MAY, reason="更正"),
            ],
        )
    errors = caught.value.item_errors
    # values, scope and the window first; the versions (item 2) once those pass
    assert set(errors) == {1, 3, 4}
    assert "reason" in errors[1] and "period" in errors[3] and "investment" in errors[4]
    assert MonthlyReport.objects.count() == 1


def test_many_reports_refuse_a_version_changed_since_it_was_read(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    user = world.users["area"]
    project = make.project(world.own_area)
    submit(user, project)
    submit(world.users["admin"], project, expected_version=1, investment=Decimal("7"))
    with pytest.raises(services.BatchError) as caught:
        services.reports_submit_many(user=user, items=[_item(project, expected_version=1)])
    assert caught.value.item_errors[0]["version"] == "该月报已被他人修改（版本 2），请刷新后再改"
    assert project.reports.get().investment == Decimal("7.00")


def test_many_reports_refuse_another_areas_project(
    own_project: Any, other_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    with pytest.raises(services.BatchError) as caught:
        services.reports_submit_many(
            user=world.users["area"], items=[_item(own_project), _item(other_project)]
        )
    assert list(caught.value.item_errors) == [1]
    assert not own_project.reports.exists()


def test_importing_a_changed_sheet_replaces_the_reports(own_project: Any, world: Any) -> None:
    assert run(world.users["area"], sheet([own_project.code, "", "2024-06", 12, "", "", "", ""])).ok
    again = run(world.users["area"], sheet([own_project.code, "", "2024-06", 13, "", "", "", ""]))
    assert again.ok, again.errors
    report = own_project.reports.get()
    assert (report.version, report.investment) == (2, Decimal("130000.00"))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_people_saving_at_the_same_moment_one_wins_and_the_other_is_told(
    world: Any, today: D
) -> None:
    """Two threads, two database connections, the same version: the row lock decides."""
    import threading

    from django.db import connection, connections

    from zhenxing.projects import services

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and concurrent connections")
    admin = world.users["admin"]
    project = services.project_create(
        user=admin, name="并发测试项目", area=world.own_area, total_investment=Decimal(100)
    )
    submit(admin, project, investment=Decimal("1"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(amount: str) -> None:
        try:
            barrier.wait()
            submit(admin, project, investment=Decimal(amount), expected_version=1)
            outcomes.append("saved")
        except services.StaleVersion:
            outcomes.append("stale")
        except Exception as error:  # reported in the assertion below
            outcomes.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(a,)) for a in ("2", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["saved", "stale"]
    report = project.reports.get()
    assert report.version == 2 and report.investment in (Decimal("2.00"), Decimal("3.00"))
