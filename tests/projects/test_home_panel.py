"""The projects part's 首页 panels: the figures are those of `projects.queries` for the
user's scope, the to-dos count what their links list, and other areas do not leak in.

"Today" is 2024-06-30: May 2024 is the latest closed month, June 2024 is being filed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core import scoping
from zhenxing.core.periods import Period
from zhenxing.projects.stewards import queries as steward_queries

D = datetime.date
MAY = Period(2024, 5)
JUNE = Period(2024, 6)


def panels_of(client: Any, user: Any) -> dict[str, Any]:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return {p.key: p for p in response.context["panels"]}


def figure(panel: Any, label: str) -> Any:
    return next(f for f in panel.figures if f.label == label)


def todo(panel: Any, starts: str) -> Any:
    return next(t for t in panel.todos if t.text.startswith(starts))


def report(project: Any, period: Period, amount: str) -> None:
    from zhenxing.projects.models import MonthlyReport

    MonthlyReport.objects.create(
        project=project, year=period.year, month=period.month, investment=Decimal(amount)
    )


# --- the latest closed month -----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "closed"),
    [(D(2024, 6, 30), MAY), (D(2024, 7, 10), MAY), (D(2024, 7, 11), JUNE), (D(2024, 1, 5), None)],
)
def test_the_latest_closed_month_is_the_last_one_past_its_deadline(
    db: Any, day: D, closed: Period | None
) -> None:
    from zhenxing.projects import reporting

    expected = closed or Period(2023, 11)  # on 01-05 December 2023 is still open
    assert reporting.last_closed_period(today=day) == expected


def test_a_later_deadline_keeps_a_month_open_and_the_figures_on_the_month_before(
    db: Any,
) -> None:
    from zhenxing.projects import reporting
    from zhenxing.projects.models import ReportingWindow

    ReportingWindow.objects.create(
        year=2024, month=5, opens_on=D(2024, 5, 1), deadline=D(2024, 7, 5)
    )
    assert reporting.last_closed_period(today=D(2024, 6, 30)) == Period(2024, 4)


# --- figures ---------------------------------------------------------------------------


def test_area_figures_are_the_queries_of_the_own_area_and_another_area_changes_nothing(
    own_project: Any, other_project: Any, world: Any, client: Any
) -> None:
    from zhenxing.projects import queries
    from zhenxing.projects.models import Project, StatusChange

    StatusChange.objects.create(project=own_project, status="new_start", date=D(2024, 3, 1))
    StatusChange.objects.create(project=other_project, status="resumed", date=D(2024, 4, 2))
    report(own_project, MAY, "40000000")
    report(own_project, Period(2023, 5), "32000000")
    report(other_project, Period(2024, 2), "10000000")

    area = panels_of(client, world.users["area"])["projects"]
    invest = figure(area, "累计完成投资")
    assert (figure(area, "开复工项目").value, invest.value, invest.delta) == (
        1,
        Decimal("0.40"),
        Decimal("25.00"),
    )
    expected = queries.figures(
        period=MAY, projects=scoping.visible(world.users["area"], Project.objects.all())
    )
    assert invest.value == (expected.investment_ytd / 100_000_000).quantize(Decimal("0.01"))
    assert invest.caption == "2024年1—5月" and invest.url == "/projects/figures/?period=2024-05"

    leader = panels_of(client, world.users["leader"])["projects"]
    assert figure(leader, "开复工项目").value == 2
    assert figure(leader, "累计完成投资").value == Decimal("0.50")

    # a new report in the other area moves the city's figure, not the area's
    report(other_project, MAY, "100000000")
    again = panels_of(client, world.users["area"])["projects"]
    assert [(f.label, f.value, f.delta) for f in again.figures] == [
        (f.label, f.value, f.delta) for f in area.figures
    ]
    leader = panels_of(client, world.users["leader"])["projects"]
    assert figure(leader, "累计完成投资").value == Decimal("1.50")


def test_the_plan_completion_shows_only_when_there_is_a_plan(
    own_project: Any, world: Any, client: Any
) -> None:
    from zhenxing.projects.models import AnnualPlan

    report(own_project, MAY, "30000000")
    area = panels_of(client, world.users["area"])["projects"]
    assert "年度计划完成率" not in [f.label for f in area.figures]
    AnnualPlan.objects.create(
        project=own_project, year=2024, planned_investment=Decimal("120000000")
    )
    area = panels_of(client, world.users["area"])["projects"]
    assert figure(area, "年度计划完成率").value == Decimal("25.00")


# --- to-dos ----------------------------------------------------------------------------


def test_the_missing_report_to_do_counts_the_rows_of_the_sheet_it_opens(
    own_project: Any, other_project: Any, make: Any, world: Any, client: Any
) -> None:
    from zhenxing.projects import services

    make.project(world.own_area, name="鲅鱼圈储备项目", status="reserve", library="reserve")
    area = panels_of(client, world.users["area"])["projects"]
    missing = todo(area, "2024年6月月报未填报")
    assert (missing.count, missing.severity) == (1, "warn")
    assert "2024-07-10" in missing.text
    sheet = client.get(missing.url)
    assert [row.project for row in sheet.context["rows"]] == [own_project]

    services.report_submit(
        user=world.users["area"], project=own_project, period=JUNE, investment="500000"
    )
    area = panels_of(client, world.users["area"])["projects"]
    assert todo(area, "2024年6月月报未填报").done
    assert client.get(missing.url).context["rows"] == []
    # the city's users have no area to file for
    leader = panels_of(client, world.users["leader"])["projects"]
    assert not [t for t in leader.todos if "月报" in t.text]


def test_overdue_problems_are_counted_in_the_user_scope_as_the_list_shows_them(
    own_project: Any, other_project: Any, world: Any, client: Any, settings: Any
) -> None:
    from zhenxing.core.models import Department
    from zhenxing.projects.stewards import services as steward_services

    gxj = Department.objects.get(code="gxj")
    settings.TODAY_OVERRIDE = "2024-05-01"
    for project, due in ((own_project, D(2024, 6, 1)), (other_project, D(2024, 6, 2))):
        steward_services.problem_raise(
            user=world.users["admin"],
            project=project,
            title="施工许可未办结",
            owner_department=gxj,
            due_date=due,
        )
    steward_services.problem_raise(
        user=world.users["admin"],
        project=own_project,
        title="电力接入",
        owner_department=gxj,
        due_date=D(2024, 7, 15),  # not yet due on 06-30
    )
    settings.TODAY_OVERRIDE = "2024-06-30"
    for role, expected in (("area", 1), ("leader", 2), ("dept", 2)):
        overdue = todo(panels_of(client, world.users[role])["projects"], "逾期未销号的问题")
        assert (overdue.count, overdue.severity) == (expected, "danger")
        assert client.get(overdue.url).context["count"] == expected


# --- the steward -----------------------------------------------------------------------


def test_the_steward_panel_shows_my_projects_problems_and_last_visit(
    own_project: Any, other_project: Any, world: Any, client: Any, settings: Any
) -> None:
    from zhenxing.core.models import Department, RoleAssignment
    from zhenxing.core.roles import Role
    from zhenxing.projects.models import Project
    from zhenxing.projects.stewards import services as steward_services

    admin, steward = world.users["admin"], world.users["steward"]
    other_steward = type(steward).objects.create_user(username="steward2", password="x-Y-9876z")
    RoleAssignment.objects.create(user=other_steward, role=Role.STEWARD)
    gxj = Department.objects.get(code="gxj")
    assert panels_of(client, steward)["stewards"].figures[0].value == 0  # a steward without

    steward_services.stewardship_assign(
        user=admin, project=own_project, leader=steward, since=D(2024, 1, 2)
    )
    steward_services.stewardship_assign(
        user=admin, project=other_project, leader=other_steward, since=D(2024, 1, 2)
    )
    settings.TODAY_OVERRIDE = "2024-05-01"
    for project in (own_project, other_project):
        steward_services.problem_raise(
            user=admin, project=project, title="环评", owner_department=gxj, due_date=D(2024, 6, 1)
        )
    steward_services.problem_raise(
        user=admin, project=own_project, title="用电", owner_department=gxj, due_date=D(2024, 8, 1)
    )
    settings.TODAY_OVERRIDE = "2024-06-30"
    steward_services.visit_record(
        user=admin, project=own_project, kind="site", date=D(2024, 6, 12), visitors="市领导"
    )
    steward_services.visit_record(
        user=admin, project=other_project, kind="phone", date=D(2024, 6, 25), visitors="市领导"
    )

    panel = panels_of(client, steward)["stewards"]
    assert [(f.label, f.value) for f in panel.figures] == [
        ("我的包保项目", 1),
        ("最近走访", D(2024, 6, 12)),
    ]
    assert figure(panel, "最近走访").caption == "距今 18 天"
    assert [(t.text, t.count) for t in panel.todos] == [("未销号的问题", 2), ("其中已逾期", 1)]
    totals = steward_queries.steward_totals(
        projects=Project.objects.filter(pk=own_project.pk), until=D(2024, 6, 30)
    )
    assert (totals["projects"], totals["problems_open"], totals["problems_overdue"]) == (1, 2, 1)
    for url in [panel.url, *(f.url for f in panel.figures), *(t.url for t in panel.todos)]:
        assert client.get(url).status_code == 200, url
    # the steward sees no city figures; a city user who stewards nothing gets no steward panel
    assert set(panels_of(client, steward)) == {"stewards"}
    assert "stewards" not in panels_of(client, world.users["dept"])
