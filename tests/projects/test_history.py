"""A project's audit trail: diffs against what was stored (also for records that came in by
`bulk_create`, as the demo and bulk imports write them), the changes of what hangs on the
project in one list newest first, and values shown as the pages show them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from zhenxing.core.periods import Period

D = datetime.date
MAY = Period(2024, 5)


def _bulk_project(world: Any) -> Any:
    """A project as the demo loader writes it: one INSERT, no historical copy, no entry."""
    from zhenxing.projects.models import Project

    (project,) = Project.objects.bulk_create(
        [
            Project(
                code="2023-210804-04-01-000777",
                name="鲅鱼圈批量导入项目",
                area=world.own_area,
                owner_name="营口测试钢铁有限公司",
                location="鲅鱼圈区临海工业区",
                total_investment=Decimal("120000000.00"),
                planned_start=D(2023, 4, 1),
                planned_finish=D(2025, 12, 31),
                status="continuing",
                status_since=D(2023, 4, 1),
                policy_category="green",
            )
        ]
    )
    assert not project.history.exists()
    return project


def test_the_first_edit_of_a_bulk_loaded_project_lists_only_what_changed(
    world: Any, client: Any, today: D
) -> None:
    """PATCH with only `description` lists exactly `description`, old → new (it listed
    about 20 fields as newly set when the diff was taken against a historical copy)."""
    project = _bulk_project(world)
    client.force_login(world.users["area"])
    response = client.patch(
        f"/api/v1/projects/{project.pk}",
        {"description": "新建冷轧生产线一条"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    history = client.get(f"/api/v1/projects/{project.pk}/history").json()
    assert [item["changes"] for item in history] == [
        [{"field": "description", "label": "建设内容", "old": "", "new": "新建冷轧生产线一条"}]
    ]
    assert history[0]["actor"] == "area" and history[0]["action"] == "update"


def test_a_locked_month_correction_of_a_bulk_loaded_report_lists_old_and_new(
    own_project: Any, world: Any, client: Any
) -> None:
    from zhenxing.core import audit
    from zhenxing.projects import services
    from zhenxing.projects.models import MonthlyReport

    (report,) = MonthlyReport.objects.bulk_create(
        [
            MonthlyReport(
                project=own_project,
                year=2024,
                month=5,
                investment=Decimal("800000.00"),
                version=1,
                progress_text="主体结构施工",
            )
        ]
    )
    services.report_submit(
        user=world.users["area"],
        project=own_project,
        period=MAY,
        investment=Decimal("850000"),
        progress_text="主体结构施工",
        expected_version=1,
        reason="统计局核定数调整",
    )
    entry = audit.entries_for(report).get()
    assert entry.reason == "统计局核定数调整"
    changed = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changed["investment"] == ("800000.00", "850000.00")
    assert "progress_text" not in changed and "project" not in changed
    client.force_login(world.users["area"])
    shown = client.get(f"/api/v1/projects/{own_project.pk}/history").json()[0]
    lines = {c["field"]: (c["label"], c["old"], c["new"]) for c in shown["changes"]}
    assert lines["investment"] == ("当月完成投资（元）", "800,000.00 元", "850,000.00 元")


def test_a_projects_history_holds_the_changes_of_what_hangs_on_it_newest_first(
    own_project: Any, world: Any, client: Any, today: D
) -> None:
    from zhenxing.projects import services
    from zhenxing.projects.models import KeyList

    admin = world.users["admin"]
    key_list = KeyList.objects.create(code="prov-major", name="省重大工程")
    services.project_add_to_key_list(
        user=admin, project=own_project, key_list=key_list, date=D(2024, 2, 1)
    )
    services.project_set_annual_plan(
        user=admin, project=own_project, year=2024, planned_investment=Decimal("30000000")
    )
    services.report_submit(
        user=admin, project=own_project, period=Period(2024, 6), investment=Decimal("1234567.5")
    )
    services.project_change_status(
        user=admin, project=own_project, status="completed", date=D(2024, 6, 20)
    )
    client.force_login(world.users["area"])
    items = client.get(f"/api/v1/projects/{own_project.pk}/history").json()
    kinds = {item["record_type"] for item in items}
    assert kinds >= {
        "projects.project",
        "projects.librarymembership",
        "projects.keylistentry",
        "projects.annualplan",
        "projects.monthlyreport",
        "projects.statuschange",
    }
    stamps = [(item["timestamp"], item["id"]) for item in items]
    assert stamps == sorted(stamps, reverse=True)
    assert items[0]["timestamp"].endswith("+08:00")  # local time, not UTC
    # the page lists the same entries with the same readable values
    page = client.get(f"/projects/{own_project.pk}/?tab=history").content.decode()
    assert page.count('<tr><td class="nowrap">') == len(items)
    assert "1,234,567.50 元" in page and "30,000,000.00 元" in page
    report = next(i for i in items if i["record_type"] == "projects.monthlyreport")
    assert {"field": "investment", "new": "1,234,567.50 元"}.items() <= next(
        c for c in report["changes"] if c["field"] == "investment"
    ).items()


def test_labels_and_choices_follow_the_readers_language(
    own_project: Any, world: Any, client: Any, today: D
) -> None:
    from zhenxing.projects import services

    services.project_update(user=world.users["admin"], project=own_project, policy_category="smart")
    client.force_login(world.users["area"])
    zh = client.get(f"/api/v1/projects/{own_project.pk}/history").json()[0]["changes"]
    assert zh == [
        {"field": "policy_category", "label": "政策类别", "old": "其他", "new": "智能制造"}
    ]
    en = client.get(f"/api/v1/projects/{own_project.pk}/history", HTTP_ACCEPT_LANGUAGE="en").json()[
        0
    ]["changes"]
    assert en[0]["label"] != "政策类别" and en[0]["new"] != "智能制造"
    assert all(ord(ch) < 0x2E80 for ch in en[0]["label"] + en[0]["new"])
