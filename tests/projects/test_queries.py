"""The figures of `projects.queries` on small hand-made data: what each one counts."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.periods import Period
from zhenxing.projects.stewards import queries as steward_queries

D = datetime.date
MAY = Period(2024, 5)
NEW_YEAR = D(2024, 1, 1)


class Builder:
    """Projects with their status history, memberships, plans and reports, by hand."""

    def __init__(self) -> None:
        from zhenxing.core.models import Area

        self.areas = {a.code: a for a in Area.objects.all()}
        self.count = 0

    def project(
        self,
        *,
        area: str = "210804",
        total: str = "100000000",
        history: list[tuple[str, datetime.date]] | None = None,
        name: str | None = None,
    ) -> Any:
        from zhenxing.projects.models import Project, StatusChange

        self.count += 1
        history = history or [("continuing", D(2023, 1, 1))]
        project = Project.objects.create(
            name=name or f"测试项目{self.count}",
            code=f"2023-210804-04-01-{self.count:06d}",
            area=self.areas[area],
            total_investment=Decimal(total),
            status=history[-1][0],
            status_since=history[-1][1],
        )
        for status, day in history:
            StatusChange.objects.create(project=project, status=status, date=day)
        return project

    def member(
        self,
        project: Any,
        library: str,
        entered: datetime.date,
        left: datetime.date | None = None,
    ) -> None:
        from zhenxing.projects.models import LibraryMembership

        LibraryMembership.objects.create(
            project=project, library=library, entered_on=entered, left_on=left
        )

    def key_list(self, code: str, name: str, parent: Any = None) -> Any:
        from zhenxing.projects.models import KeyList

        return KeyList.objects.create(code=code, name=name, parent=parent)

    def on_list(
        self,
        project: Any,
        key_list: Any,
        entered: datetime.date = NEW_YEAR,
        left: datetime.date | None = None,
    ) -> None:
        from zhenxing.projects.models import KeyListEntry

        KeyListEntry.objects.create(
            project=project, key_list=key_list, entered_on=entered, left_on=left
        )

    def report(self, project: Any, year: int, month: int, amount: str) -> None:
        from zhenxing.projects.models import MonthlyReport

        MonthlyReport.objects.create(
            project=project, year=year, month=month, investment=Decimal(amount)
        )

    def plan(self, project: Any, year: int, amount: str) -> None:
        from zhenxing.projects.models import AnnualPlan

        AnnualPlan.objects.create(project=project, year=year, planned_investment=Decimal(amount))


@pytest.fixture
def build(ref: None) -> Builder:
    return Builder()


def figures(**kwargs: Any) -> Any:
    from zhenxing.projects import queries

    return queries.figures(**{"period": MAY, **kwargs})


# --- 开复工 ---------------------------------------------------------------------------


def test_a_project_resumed_in_march_counts_in_january_to_may(build: Builder) -> None:
    build.project(
        history=[
            ("new_start", D(2022, 5, 1)),
            ("continuing", D(2023, 1, 1)),
            ("resumed", D(2024, 3, 12)),
        ]
    )
    assert figures().started_or_resumed == 1
    assert figures(period=Period(2024, 2)).started_or_resumed == 0


def test_a_project_started_last_year_does_not_count(build: Builder) -> None:
    build.project(history=[("new_start", D(2023, 9, 1)), ("continuing", D(2024, 1, 1))])
    assert figures().started_or_resumed == 0
    assert figures(period=Period(2023, 12)).started_or_resumed == 1


def test_a_start_in_june_is_not_in_january_to_may(build: Builder) -> None:
    build.project(history=[("reserve", D(2023, 3, 1)), ("new_start", D(2024, 6, 1))])
    assert figures().started_or_resumed == 0
    assert figures(period=Period(2024, 6)).started_or_resumed == 1


def test_a_project_started_and_resumed_in_the_same_months_counts_once(build: Builder) -> None:
    build.project(
        history=[
            ("new_start", D(2024, 1, 5)),
            ("continuing", D(2024, 2, 1)),
            ("resumed", D(2024, 3, 1)),
        ]
    )
    assert figures().started_or_resumed == 1


# --- investment, year on year, plan ----------------------------------------------------


def test_investment_is_months_one_to_n_against_the_same_months_last_year(
    build: Builder,
) -> None:
    project = build.project()
    for month in (1, 5, 6):
        build.report(project, 2024, month, "1000000.50")
        build.report(project, 2023, month, "800000.25")
    build.report(project, 2022, 3, "999.00")
    result = figures()
    assert result.investment_ytd == Decimal("2000001.00")
    assert result.investment_ytd_last_year == Decimal("1600000.50")
    # (2000001.00 - 1600000.50) / 1600000.50 = 25.00 %
    assert result.investment_ytd_yoy_pct == Decimal("25.00")


def test_year_on_year_with_a_zero_base_is_none(build: Builder) -> None:
    project = build.project()
    build.report(project, 2024, 2, "5000.00")
    result = figures()
    assert result.investment_ytd == Decimal("5000.00")
    assert result.investment_ytd_last_year == Decimal("0.00")
    assert result.investment_ytd_yoy_pct is None


def test_plan_completion_is_ytd_over_the_annual_plan(build: Builder) -> None:
    one, two = build.project(), build.project()
    build.plan(one, 2024, "3000000")
    build.plan(two, 2024, "1000000")
    build.plan(two, 2023, "9999999")
    build.report(one, 2024, 3, "1000000")
    result = figures()
    assert result.annual_plan == Decimal("4000000.00")
    assert result.plan_completion_pct == Decimal("25.00")


def test_no_plan_means_no_completion_percentage(build: Builder) -> None:
    build.report(build.project(), 2024, 3, "1000000")
    assert figures().plan_completion_pct is None


def test_empty_scope_is_all_zeros(build: Builder) -> None:
    result = figures()
    assert result.started_or_resumed == 0
    assert result.investment_ytd == Decimal("0.00")
    assert result.libraries["construction"].count == 0
    assert result.libraries["construction"].total_investment == Decimal("0.00")


# --- libraries -------------------------------------------------------------------------


def test_a_project_in_two_libraries_counts_once_in_each(build: Builder) -> None:
    project = build.project(total="250000000")
    build.member(project, "construction", D(2023, 4, 1))
    build.member(project, "key", D(2024, 2, 1))
    other = build.project(total="50000000")
    build.member(other, "construction", D(2023, 4, 1))
    libraries = figures().libraries
    assert libraries["construction"].count == 2
    assert libraries["construction"].total_investment == Decimal("300000000.00")
    assert libraries["key"].count == 1
    assert libraries["key"].total_investment == Decimal("250000000.00")
    assert libraries["reserve"].count == 0


def test_two_stays_in_one_library_count_the_project_once(build: Builder) -> None:
    project = build.project(total="70000000")
    build.member(project, "construction", D(2022, 4, 1))
    build.member(project, "construction", D(2023, 4, 1))  # overlapping, bad data
    construction = figures().libraries["construction"]
    assert (construction.count, construction.total_investment) == (1, Decimal("70000000.00"))


def test_membership_is_as_at_the_end_of_the_period(build: Builder) -> None:
    left_before = build.project(total="1000")
    build.member(left_before, "reserve", D(2023, 1, 1), D(2024, 4, 30))
    left_after = build.project(total="2000")
    build.member(left_after, "reserve", D(2023, 1, 1), D(2024, 6, 15))
    left_on_the_day = build.project(total="4000")
    build.member(left_on_the_day, "reserve", D(2023, 1, 1), D(2024, 5, 31))
    entered_later = build.project(total="8000")
    build.member(entered_later, "reserve", D(2024, 6, 1))
    entered_on_the_day = build.project(total="16000")
    build.member(entered_on_the_day, "reserve", D(2024, 5, 31))
    reserve = figures().libraries["reserve"]
    assert reserve.count == 2
    assert reserve.total_investment == Decimal("18000.00")  # left_after + entered_on_the_day


# --- key lists -------------------------------------------------------------------------


def test_the_same_project_on_two_sub_lists_counts_once_in_the_parent(build: Builder) -> None:
    parent = build.key_list("gcc", "港产城")
    port = build.key_list("gcc-port", "港口", parent)
    industry = build.key_list("gcc-industry", "港口产业", parent)
    both = build.project(total="300")
    build.on_list(both, port)
    build.on_list(both, industry)
    only_parent = build.project(total="20")
    build.on_list(only_parent, parent)
    only_industry = build.project(total="1")
    build.on_list(only_industry, industry)
    removed = build.project(total="5000")
    build.on_list(removed, port, D(2023, 1, 1), D(2024, 3, 1))
    totals = {k.code: (k.count, k.total_investment) for k in figures().key_lists}
    assert totals == {
        "gcc": (3, Decimal("321.00")),
        "gcc-port": (1, Decimal("300.00")),
        "gcc-industry": (2, Decimal("301.00")),
    }


def test_key_lists_are_listed_even_when_empty(build: Builder) -> None:
    build.key_list("province", "省重大工程")
    assert [(k.name, k.count) for k in figures().key_lists] == [("省重大工程", 0)]


# --- scope and areas -------------------------------------------------------------------


def _two_areas(build: Builder) -> tuple[Any, Any, Any]:
    bayuquan = build.project(area="210804", total="100")
    gaizhou = build.project(area="210881", total="10")
    park = build.project(area="P03", total="1")  # a park inside 鲅鱼圈区, its own area
    for project, amount in ((bayuquan, "300"), (gaizhou, "30"), (park, "3")):
        build.member(project, "construction", D(2023, 1, 1))
        build.report(project, 2024, 4, amount)
        project.status_changes.create(status="resumed", date=D(2024, 4, 1))
    return bayuquan, gaizhou, park


def test_area_narrows_to_the_projects_of_that_area_only(build: Builder) -> None:
    _two_areas(build)
    city = figures()
    assert (city.started_or_resumed, city.investment_ytd) == (3, Decimal("333.00"))
    assert city.area_code is None
    bayuquan = figures(area=build.areas["210804"])
    assert bayuquan.area_code == "210804"
    assert (bayuquan.started_or_resumed, bayuquan.investment_ytd) == (1, Decimal("300.00"))
    assert bayuquan.libraries["construction"].total_investment == Decimal("100.00")
    park = figures(area=build.areas["P03"])
    assert park.investment_ytd == Decimal("3.00")


def test_figures_by_area_lists_areas_with_projects_in_display_order(build: Builder) -> None:
    from zhenxing.projects import queries

    _two_areas(build)
    rows = queries.figures_by_area(period=MAY)
    assert [r.area_code for r in rows] == ["210804", "210881", "P03"]
    assert [r.investment_ytd for r in rows] == [
        Decimal("300.00"),
        Decimal("30.00"),
        Decimal("3.00"),
    ]
    assert sum(r.started_or_resumed for r in rows) == figures().started_or_resumed
    for row in rows:
        assert row == figures(area=build.areas[row.area_code])


def test_the_callers_scope_limits_every_figure(build: Builder) -> None:
    from zhenxing.projects.models import Project

    _two_areas(build)
    scoped = Project.objects.filter(area__code="210804")
    result = figures(projects=scoped)
    assert result.investment_ytd == Decimal("300.00")
    assert result.libraries["construction"].count == 1
    assert figures(projects=scoped, area=build.areas["210881"]).investment_ytd == Decimal("0.00")
    assert figures(projects=Project.objects.all()) == figures()
    assert figures(projects=Project.objects.none()).libraries["construction"].count == 0


def test_scoping_visible_querysets_work_as_scope(build: Builder, world: Any) -> None:
    from zhenxing.core import scoping
    from zhenxing.projects.models import Project

    _two_areas(build)
    own = figures(projects=scoping.visible(world.users["area"], Project.objects.all()))
    assert own.investment_ytd == Decimal("300.00")
    city = figures(projects=scoping.visible(world.users["leader"], Project.objects.all()))
    assert city.investment_ytd == Decimal("333.00")


# --- drill-down rows and the project chart --------------------------------------------


def test_project_rows_give_each_projects_figures(build: Builder) -> None:
    from zhenxing.projects import queries
    from zhenxing.projects.models import Project

    one = build.project(name="甲项目")
    build.report(one, 2024, 2, "110")
    build.report(one, 2023, 2, "100")
    build.plan(one, 2024, "440")
    build.project(name="乙项目")
    rows = queries.project_rows(period=MAY, projects=Project.objects.order_by("name"))
    assert [r["name"] for r in rows] == ["乙项目", "甲项目"]
    first, second = rows[1], rows[0]
    assert first["area_name"] == "鲅鱼圈区"
    assert first["status_label"] == "续建"
    assert (first["investment_ytd"], first["investment_ytd_last_year"]) == (
        Decimal("110.00"),
        Decimal("100.00"),
    )
    assert first["investment_ytd_yoy_pct"] == Decimal("10.00")
    assert first["plan_completion_pct"] == Decimal("25.00")
    assert second["investment_ytd"] == Decimal("0.00")
    assert second["plan_completion_pct"] is None


def test_monthly_series_runs_from_the_first_report_with_the_plan_spread_evenly(
    build: Builder,
) -> None:
    from zhenxing.projects import queries

    project = build.project()
    build.report(project, 2023, 11, "100")
    build.report(project, 2024, 2, "50")
    build.report(project, 2024, 9, "999")  # after `until`
    build.plan(project, 2023, "1200")
    build.plan(project, 2024, "2400")
    series = queries.monthly_series(project=project, until=Period(2024, 3))
    assert [str(r["period"]) for r in series] == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
        "2024-03",
    ]
    assert [r["investment"] for r in series] == [Decimal(x) for x in ("100", "0", "0", "50", "0")]
    assert [r["cumulative"] for r in series] == [
        Decimal(x) for x in ("100", "100", "100", "150", "150")
    ]
    assert [r["planned_cumulative"] for r in series] == [
        Decimal(x) for x in ("1100", "1200", "1400", "1600", "1800")
    ]
    assert queries.monthly_series(project=build.project(), until=MAY) == []


# --- stewards --------------------------------------------------------------------------


def test_steward_totals_count_as_at_the_day(build: Builder, world: Any) -> None:
    from zhenxing.core.models import Department
    from zhenxing.projects.models import Problem, Stewardship, Visit

    leader, other_leader = world.users["leader"], world.users["steward"]
    gxj = Department.objects.get(code="gxj")
    one, two, three = (build.project(total=t) for t in ("100", "200", "400"))
    build.project(total="800")  # no steward
    Stewardship.objects.create(project=one, leader=leader, since=D(2023, 5, 1))
    Stewardship.objects.create(project=two, leader=leader, since=D(2023, 5, 1))
    Stewardship.objects.create(project=three, leader=other_leader, since=D(2024, 7, 1))
    for kind, day in [
        ("site", D(2024, 1, 2)),
        ("site", D(2024, 6, 30)),
        ("phone", D(2024, 2, 2)),
        ("county_team", D(2024, 3, 3)),
        ("site", D(2024, 7, 1)),  # after the day
    ]:
        Visit.objects.create(project=one, kind=kind, date=day, visitors="张副市长")

    def problem(due: datetime.date, closed: datetime.date | None) -> None:
        Problem.objects.create(
            project=two,
            title="用地手续",
            owner_department=gxj,
            raised_on=D(2024, 1, 10),
            due_date=due,
            status="closed" if closed else "open",
            closed_on=closed,
        )

    problem(D(2024, 3, 1), D(2024, 2, 20))  # closed
    problem(D(2024, 3, 1), None)  # open, overdue
    problem(D(2024, 8, 1), None)  # open, not yet due
    problem(D(2024, 5, 1), D(2024, 7, 5))  # closed only after the day: open and overdue
    totals = steward_queries.steward_totals(until=D(2024, 6, 30))
    assert totals["projects"] == 2
    assert totals["total_investment"] == Decimal("300.00")
    assert totals["leaders"] == 1
    assert totals["visits"] == {"site": 2, "phone": 1, "city_team": 0, "county_team": 1}
    assert totals["visits_total"] == 4
    assert (totals["problems_closed"], totals["problems_open"], totals["problems_overdue"]) == (
        1,
        3,
        2,
    )
    later = steward_queries.steward_totals(until=D(2024, 7, 31))
    assert (later["projects"], later["leaders"], later["total_investment"]) == (
        3,
        2,
        Decimal("700.00"),
    )
    from zhenxing.projects.models import Project

    scoped = steward_queries.steward_totals(
        projects=Project.objects.filter(pk=one.pk), until=D(2024, 6, 30)
    )
    assert (scoped["projects"], scoped["problems_total"]) == (1, 0)
