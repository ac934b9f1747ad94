"""The demo reproduces the published figures (营口日报, `shared/docs/domain.md` §2–3)
through the platform's own queries, from item-level records, at their published precision.

The demo is loaded once for the module. The published numbers are written out here, not
taken from the generator, so that a change there cannot move the target with it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from zhenxing.core.periods import Period
from zhenxing.projects.stewards import queries as steward_queries

AS_AT = datetime.date(2024, 6, 30)
JUNE = Period(2024, 6)  # libraries and lists are as at 2024-06-30
MAY = Period(2024, 5)  # 1–5月累计
BN = Decimal(10**9)
FIVE_PCT = Decimal("0.05")


def bn(amount: Decimal, places: str) -> Decimal:
    """Yuan as billions, rounded half-up at the published precision (e.g. "0.1")."""
    return (amount / BN).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Reference data, accounts, enterprises and the projects, loaded once for the module.

    Loaded inside a transaction that is rolled back after the module's last test; each
    test's own transaction nests in it as a savepoint.
    """
    from django.db import transaction

    from zhenxing.core.reference import load_reference
    from zhenxing.demo import loader
    from zhenxing.demo.projects import load_projects

    with django_db_blocker.unblock(), transaction.atomic():
        load_reference()
        loader.load_enterprises()
        loader.load_accounts("Demo-Passw0rd-1")
        load_projects(today=AS_AT)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def june(demo: Any, db: Any) -> Any:
    from zhenxing.projects import queries

    return queries.figures(period=JUNE)


@pytest.fixture
def may(demo: Any, db: Any) -> Any:
    from zhenxing.projects import queries

    return queries.figures(period=MAY)


def key_list(figures: Any, name: str) -> Any:
    return next(k for k in figures.key_lists if k.name == name)


# --- as at 2024-06-30 ------------------------------------------------------------------


def test_construction_library_833_projects_320_5_bn(june: Any) -> None:
    construction = june.libraries["construction"]
    assert construction.count == 833
    assert bn(construction.total_investment, "0.1") == Decimal("320.5")


def test_reserve_library_1321_projects_725_1_bn(june: Any) -> None:
    reserve = june.libraries["reserve"]
    assert reserve.count == 1321
    assert bn(reserve.total_investment, "0.1") == Decimal("725.1")


def test_province_major_works_21_projects_116_17_bn(june: Any) -> None:
    province = key_list(june, "省重大工程")
    assert province.count == 21
    assert bn(province.total_investment, "0.01") == Decimal("116.17")


def test_central_local_cooperation_15_projects_about_140_bn(june: Any) -> None:
    central = key_list(june, "央地合作")
    assert central.count == 15
    assert bn(central.total_investment, "1") == Decimal("140")


def test_port_city_lists_as_published(june: Any) -> None:
    expected = {
        "港产城": (172, "155.5"),
        "港口": (7, "21.4"),
        "港口产业": (109, "91.6"),
        "城市": (36, "42.5"),
    }
    for name, (count, total) in expected.items():
        totals = key_list(june, name)
        assert (totals.count, bn(totals.total_investment, "0.1")) == (count, Decimal(total)), name


def test_key_library_holds_every_key_list_and_steward_project(june: Any) -> None:
    from zhenxing.projects.models import KeyListEntry, Stewardship

    listed = set(KeyListEntry.objects.values_list("project_id", flat=True))
    listed |= set(Stewardship.objects.values_list("project_id", flat=True))
    assert june.libraries["key"].count == len(listed)


# --- January to May 2024 ---------------------------------------------------------------


def test_591_projects_started_or_resumed_in_january_to_may(may: Any) -> None:
    assert may.started_or_resumed == 591


def test_investment_january_to_may_20_31_bn_up_7_5_pct(may: Any) -> None:
    assert bn(may.investment_ytd, "0.01") == Decimal("20.31")
    assert may.investment_ytd_yoy_pct is not None
    assert may.investment_ytd_yoy_pct.quantize(Decimal("0.1")) == Decimal("7.5")


def test_the_areas_add_up_to_the_city(may: Any) -> None:
    from zhenxing.projects import queries

    rows = queries.figures_by_area(period=MAY)
    assert len(rows) == 9  # six counties and three parks
    assert sum(r.started_or_resumed for r in rows) == may.started_or_resumed
    assert sum(r.investment_ytd for r in rows) == may.investment_ytd
    assert sum(r.libraries["construction"].count for r in rows) == (
        may.libraries["construction"].count
    )


# --- stewards --------------------------------------------------------------------------


def test_33_steward_projects_205_5_bn_31_leaders(demo: Any, db: Any) -> None:

    totals = steward_queries.steward_totals(until=AS_AT)
    assert totals["projects"] == 33
    assert bn(totals["total_investment"], "0.1") == Decimal("205.5")
    assert totals["leaders"] == 31


def test_visits_and_problems_as_published(demo: Any, db: Any) -> None:

    totals = steward_queries.steward_totals(until=AS_AT)
    assert totals["visits"] == {"site": 49, "phone": 44, "city_team": 37, "county_team": 152}
    assert totals["problems_closed"] == 38
    assert totals["problems_open"] > 0
    assert 0 < totals["problems_overdue"] < totals["problems_open"]


def test_leaders_are_city_leaders_and_the_steward_account_is_one(demo: Any, db: Any) -> None:
    from zhenxing.core.models import RoleAssignment
    from zhenxing.projects.models import Stewardship

    leaders = set(Stewardship.objects.values_list("leader_id", flat=True))
    with_role = set(
        RoleAssignment.objects.filter(user_id__in=leaders, role="leader").values_list(
            "user_id", flat=True
        )
    )
    assert with_role == leaders
    per_leader = defaultdict(int)
    for leader_id in Stewardship.objects.values_list("leader_id", flat=True):
        per_leader[leader_id] += 1
    assert sorted(per_leader.values(), reverse=True)[:3] == [2, 2, 1]
    assert Stewardship.objects.filter(leader__username="steward").exists()


# --- the records behind the figures ----------------------------------------------------


def test_no_generated_record_carries_more_than_5_pct_of_a_figure(demo: Any, db: Any) -> None:
    """Projects against the library, list and steward totals; monthly reports and each
    project's Jan–May sum against the Jan–May investment. The newspaper's named projects
    are exempt. 港口 (7 projects) allows 1.5 × the fair share: 5 % cannot hold there."""
    from zhenxing.demo.projects import NAMED_NAMES
    from zhenxing.projects import queries
    from zhenxing.projects.models import (
        KeyList,
        KeyListEntry,
        LibraryMembership,
        MonthlyReport,
        Project,
        Stewardship,
    )

    june = queries.figures(period=JUNE)
    generated = Project.objects.exclude(name__in=NAMED_NAMES)

    def largest(projects: Any) -> Decimal:
        return max(projects.values_list("total_investment", flat=True))

    for library in ("construction", "reserve"):
        members = generated.filter(
            pk__in=LibraryMembership.objects.filter(queries.open_on(AS_AT), library=library).values(
                "project_id"
            )
        )
        assert largest(members) <= FIVE_PCT * june.libraries[library].total_investment, library
    for totals in june.key_lists:
        cap = FIVE_PCT if totals.count >= 20 else Decimal("1.5") / totals.count
        lists = [
            totals.code,
            *KeyList.objects.filter(parent__code=totals.code).values_list("code", flat=True),
        ]
        on_list = generated.filter(
            pk__in=KeyListEntry.objects.filter(
                queries.open_on(AS_AT), key_list__code__in=lists
            ).values("project_id")
        )
        assert largest(on_list) <= cap * totals.total_investment, totals.name
    steward = steward_queries.steward_totals(until=AS_AT)
    stewarded = generated.filter(pk__in=Stewardship.objects.values("project_id"))
    assert largest(stewarded) <= FIVE_PCT * steward["total_investment"]

    may = queries.figures(period=MAY)
    ytd_cap = FIVE_PCT * may.investment_ytd
    reports = MonthlyReport.objects.filter(
        project__in=generated, year=2024, month__lte=5
    ).values_list("project_id", "investment")
    per_project: dict[int, Decimal] = defaultdict(Decimal)
    for project_id, amount in reports:
        assert amount <= ytd_cap
        per_project[project_id] += amount
    assert max(per_project.values()) <= ytd_cap
    last_year = FIVE_PCT * may.investment_ytd_last_year
    assert (
        max(
            MonthlyReport.objects.filter(
                project__in=generated, year=2023, month__lte=5
            ).values_list("investment", flat=True)
        )
        <= last_year
    )


def test_named_projects_are_in_the_demo(demo: Any, db: Any) -> None:
    from zhenxing.projects.models import Project

    expected = {
        "中交营口LNG接收站项目": ("11.6", "construction"),
        "营口陆上风电项目": ("11.2", "construction"),
        "冬季清洁取暖项目": ("10.8", "construction"),
        "建发盛海多金属回收项目": ("15.2", "construction"),
        "营口海上风电项目": ("55.0", "signed"),
        "新能源装备产业园项目": ("20.0", "signed"),
        "大东沟金矿项目": ("10.2", "signed"),
        "象屿铝业升级改造项目": ("0.8", "construction"),
        "营口钢铁、嘉晨燃化复产项目": ("3.0", "construction"),
    }
    named = {p.name: p for p in Project.objects.filter(name__in=expected)}
    for name, (total, stage) in expected.items():
        project = named[name]
        assert bn(project.total_investment, "0.1") == Decimal(total), name
        if stage == "signed":
            assert project.status == "signed"
            assert project.status_since.year == 2023
        else:
            assert project.status in ("new_start", "continuing", "resumed")
    assert named["象屿铝业升级改造项目"].total_investment == Decimal("790000000.00")
    assert named["营口钢铁、嘉晨燃化复产项目"].owner_enterprise.name == "营口钢铁有限公司"


def test_every_status_history_follows_the_lifecycle(demo: Any, db: Any) -> None:
    from zhenxing.projects.domain import Status, check_transition
    from zhenxing.projects.models import Project, StatusChange

    histories: dict[int, list[tuple[Status, datetime.date]]] = defaultdict(list)
    for project_id, status, day in StatusChange.objects.order_by(
        "project_id", "date", "id"
    ).values_list("project_id", "status", "date"):
        check_transition(histories[project_id], Status(status), day)
        histories[project_id].append((Status(status), day))
        assert day <= AS_AT
    for project_id, status, since in Project.objects.values_list("id", "status", "status_since"):
        assert histories[project_id][-1] == (Status(status), since)


def test_codes_areas_clusters_and_reports_are_consistent(demo: Any, db: Any) -> None:
    from django.db.models import Sum

    from zhenxing.core.codes import project_code
    from zhenxing.projects.models import MonthlyReport, Project

    projects = list(Project.objects.select_related("area__parent", "cluster__scheme"))
    for project in projects:
        parsed = project_code.parse(project.code, today=AS_AT)
        host = project.area.parent if project.area.is_park else project.area
        assert parsed.area == host.code
        if project.cluster is not None:
            assert project.cluster.scheme.code == "2023-4-4-N"
    assert {p.area.code for p in projects} == {
        "210802", "210803", "210804", "210811", "210881", "210882", "P01", "P02", "P03",
    }  # fmt: skip
    done = dict(
        MonthlyReport.objects.values("project_id")
        .annotate(s=Sum("investment"))
        .values_list("project_id", "s")
    )
    assert all(done.get(p.pk, 0) <= p.total_investment for p in projects)
    months = set(MonthlyReport.objects.values_list("year", "month").distinct())
    assert months == {(2023, m) for m in range(1, 13)} | {(2024, m) for m in range(1, 7)}
    june, may = (MonthlyReport.objects.filter(year=2024, month=m).count() for m in (6, 5))
    assert 0 < june < may  # June is partly filed on 30 June


def test_loading_again_changes_nothing(demo: Any, db: Any) -> None:
    from zhenxing.demo.projects import load_projects
    from zhenxing.projects.models import MonthlyReport, Project

    before = (Project.objects.count(), MonthlyReport.objects.count())
    load_projects(today=AS_AT)
    assert (Project.objects.count(), MonthlyReport.objects.count()) == before
